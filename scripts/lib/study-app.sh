# Sourced by the study scripts. `study_app NAME` builds the project and copies the trainer to
# runs/app-NAME, so a rebuild while a long study runs never changes the jar under it; `ctnet` then
# runs that copy.
study_app() {
  ./dev build
  APP=runs/app-$1
  mkdir -p "$APP" && rm -rf "${APP:?}"/* && cp -r trainer/target/trainer.jar trainer/target/lib "$APP"/
}
ctnet() { ./dev java -jar "$APP/trainer.jar" "$@"; }

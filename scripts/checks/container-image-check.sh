#!/usr/bin/env bash
# Builds the server and CLI images as tarballs with Jib and checks what a registry would receive:
# entrypoint, user, ports and the unpacked TensorFlow natives. Offline by default: the base image is
# "scratch" (no JRE, so the tarball is for inspection, not for running); pass a real base to build a
# runnable image: scripts/checks/container-image-check.sh eclipse-temurin:21-jre-noble
set -euo pipefail
cd "$(dirname "$0")/../.."
base="${1:-scratch}"
./dev mvn -B -q -Pcontainer -DskipTests -Dcontainer.base.image="$base" package jib:buildTar -pl model-graph,server,trainer
for module in server trainer; do
  python3 - "$module/target/jib-image.tar" <<'PY'
import io, json, sys, tarfile
image = tarfile.open(sys.argv[1])
manifest = json.load(image.extractfile("manifest.json"))[0]
config = json.load(image.extractfile(manifest["Config"]))["config"]
files = {}
for layer in manifest["Layers"]:
    with tarfile.open(fileobj=io.BytesIO(image.extractfile(layer).read()), mode="r:gz") as t:
        for m in t.getmembers():
            files[m.name] = m
natives = sorted(n for n in files if n.startswith("opt/ctnet/native/") and files[n].isfile())
print(manifest["RepoTags"][0], "user", config["User"], "ports", list(config.get("ExposedPorts", {})))
print("  entrypoint:", " ".join(config["Entrypoint"]))
print("  natives:", ", ".join(f"{n} ({oct(files[n].mode)}, {files[n].size >> 20} MiB)" for n in natives))
assert config["User"] == "65532:65532", "never root"
assert "-Djava.library.path=/opt/ctnet/native" in config["Entrypoint"]
assert "-Dorg.bytedeco.javacpp.pathsFirst=true" in config["Entrypoint"]
assert {n.rsplit("/", 1)[1] for n in natives} >= {"libjnitensorflow.so", "libtensorflow_cc.so.2", "libtensorflow_framework.so.2"}
assert all(files[n].mode & 0o111 for n in natives), "natives executable"
PY
done
echo "images OK (base $base)"

#!/usr/bin/env bash
# Session 2026-11-30: linear probe (head only) then the default fine-tune, on the transfer study's split
# (runs/probe/train.csv = the study's training part, test.csv = its test part); base: SARS-only model.
# Fine-tune exports the next version beside its start: probe/1 = copy of the base, 2 = probe, 3 = probe + fine-tune.
set -uo pipefail
cd /work/main
APP=runs/app-q6
ctnet() { ./dev java -jar "$APP/trainer.jar" "$@"; }
REF=../shared/data/sarscov2-ct
M=runs/probe/models/probe
[[ -d $M/1 ]] || { mkdir -p $M && cp -r runs/models/ctnet-sars/1 $M/1; }
if [[ ! -d $M/2 ]]; then
  ctnet fine-tune --model $M/1 --data runs/probe/train.csv --group-column group --test-fraction 0 --validation-fraction 0.2 \
    --freeze stem,stage1,stage2,stage3,stage4,features --lr 0.001 --epochs 6 --reference "$REF" \
    --run-dir runs/probe/run-probe --export-anyway --bootstrap 200
fi
if [[ ! -d $M/3 ]]; then
  ctnet fine-tune --model $M/2 --data runs/probe/train.csv --group-column group --test-fraction 0 --validation-fraction 0.2 \
    --reference "$REF" --run-dir runs/probe/run-probe-ft --export-anyway --bootstrap 200
fi
for v in 2 3; do
  ctnet evaluate --model $M/$v --data runs/probe/test.csv --group-column group --subset all --out runs/probe/eval-$v-test
  ctnet evaluate --model $M/$v --data "$REF" --subset test --out runs/probe/eval-$v-ref
done
echo QUEUE7 DONE

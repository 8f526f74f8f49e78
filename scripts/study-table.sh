#!/usr/bin/env bash
# Prints the optimiser study as a Markdown table from runs/study-*/report/metrics.json.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 - <<'PY'
import json, glob, os
print("| configuration | best epoch | validation accuracy | test accuracy [95% CI] | test ROC-AUC [95% CI] | test sensitivity | test specificity |")
print("|---|---:|---:|---:|---:|---:|---:|")
for f in sorted(glob.glob("runs/study-*/report/metrics.json")):
    m = json.load(open(f))
    ev = {e["dataset"]: e for e in m["evaluations"]}
    v, t = ev["validation"]["metrics"], ev["test"]["metrics"]
    name = f.split("/")[1][len("study-"):]
    ci = lambda x: f'{x["value"]:.3f} [{x["lower"]:.3f}, {x["upper"]:.3f}]'
    print(f'| {name} | {m["best_epoch"]} | {v["accuracy"]["value"]:.3f} | {ci(t["accuracy"])} | {ci(t["roc_auc"])} | {t["sensitivity"]["value"]:.3f} | {t["specificity"]["value"]:.3f} |')
PY

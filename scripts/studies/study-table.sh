#!/usr/bin/env bash
# Prints the optimiser study as a Markdown table from runs/study-*/report/metrics.json.
set -euo pipefail
cd "$(dirname "$0")/../.."
python3 - <<'PY'
import json, glob
paper = {"adam-lr0.001": "0.907", "bce-sgd-lr0.01": "0.920 (BCE, lr 0.01)"}
print("| configuration | best epoch | validation ROC-AUC | validation accuracy at 0.5 | test accuracy at 0.5 [95% CI] | test ROC-AUC [95% CI] | paper (validation accuracy) |")
print("|---|---:|---:|---:|---:|---:|---:|")
for f in sorted(glob.glob("runs/study-*/report/metrics.json")):
    m = json.load(open(f))
    ev = {e["dataset"]: e for e in m["evaluations"]}
    v, t = ev["validation"]["metrics"], ev["test"]["metrics"]
    name = f.split("/")[1][len("study-"):]
    ci = lambda x: f'{x["value"]:.3f} [{x["lower"]:.3f}, {x["upper"]:.3f}]'
    print(f'| {name} | {m["best_epoch"]} | {v["roc_auc"]["value"]:.3f} | {v["accuracy_at_0.5"]["value"]:.3f} | {ci(t["accuracy_at_0.5"])} | {ci(t["roc_auc"])} | {paper.get(name, "—")} |')
PY

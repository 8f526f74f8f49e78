#!/usr/bin/env bash
# Builds, under runs/lesion-sets/, two masked-slice manifests over the shared data (paths absolute; no
# image is copied, and nothing here is committed):
#   medseg-by-slice/: medseg-masks-dev with each slice its own group (the set names no patients), so
#     --lesion-holdout keeps a seeded fifth of its slices out of training for an honest check;
#   scanner-normal/: the normal patient of covid-ct-md-dicom-dev with empty masks (written here as black
#     PNGs of each file's size): real scanner lungs without infection, so the lesion head learns the
#     scanner's look of healthy lung.
#   scripts/recipes/lesion-sets.sh [DATA]
set -euo pipefail
cd "$(dirname "$0")/../.."
DATA="$(cd "${1:-../shared/data}" && pwd)"
OUT=runs/lesion-sets
mkdir -p "$OUT/medseg-by-slice" "$OUT/scanner-normal/masks"
python3 - "$DATA" "$OUT" <<'PY'
import csv, os, struct, sys, zlib
data, out = sys.argv[1], sys.argv[2]
with open(os.path.join(out, "medseg-by-slice", "manifest.csv"), "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["image", "mask", "label", "patient_id", "orientation_fix", "mask_kind"])
    for r in csv.DictReader(open(os.path.join(data, "medseg-masks-dev", "manifest.csv"))):
        w.writerow([os.path.join(data, "medseg-masks-dev", r["image"]), os.path.join(data, "medseg-masks-dev", r["mask"]),
                    "covid", "slice-" + os.path.basename(r["image"]), r["orientation_fix"], "radiologist"])

def black_png(path, width, height):
    raw = b"".join(b"\x00" + bytes(width) for _ in range(height))
    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xffffffff)
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
                + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))

with open(os.path.join(out, "scanner-normal", "manifest.csv"), "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["image", "mask", "label", "patient_id", "orientation_fix", "mask_kind"])
    for r in csv.DictReader(open(os.path.join(data, "covid-ct-md-dicom-dev", "manifest.csv"))):
        if r["diagnosis"] != "normal":
            continue
        mask = os.path.join(os.path.abspath(out), "scanner-normal", "masks", os.path.basename(r["path"]) + ".png")
        black_png(mask, 512, 512)
        w.writerow([os.path.join(data, "covid-ct-md-dicom-dev", r["path"]), mask, "non-covid", r["patient_id"], "none",
                    "empty (normal scan)"])
PY
wc -l "$OUT"/*/manifest.csv

#!/usr/bin/env bash
# Checks the web page in headless Chromium: starts the server on the shipped model, uploads a slice
# through the page's file input, waits for the prediction and writes a screenshot; with a third
# argument (a folder of one DICOM series), uploads its files together and checks the scan verdict,
# the slice-score strip and the top slices' overlays, with a second screenshot (out-scan.png).
#   scripts/checks/web-screenshot.sh path/to/slice.png [out.png] [series-folder]
# MODEL=ctnet-lesion picks that model in the page (a model with a lesion head: the lesion map beside
# Grad-CAM++ is checked too).
# Needs Debian's chromium (installed here if missing) and playwright-core from the npm registry
# (installed into a temporary folder; it drives the system Chromium, it downloads no browser).
set -euo pipefail
cd "$(dirname "$0")/../.."
mkdir -p runs  # readlink -f needs the parent folder to exist
IMAGE="$(readlink -f "${1:?usage: scripts/checks/web-screenshot.sh slice.png [out.png]}")"
OUT="$(readlink -f "${2:-runs/web-screenshot.png}")"
SERIES="${3:+$(readlink -f "$3")}"
SERIES_FILES="[]"
[[ -n "$SERIES" ]] && SERIES_FILES="[$(find "$SERIES" -type f -name '*.dcm' | sort | sed 's/.*/"&"/' | paste -sd,)]"
mkdir -p "$(dirname "$OUT")"
command -v chromium >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }
PORT=18501
./dev build
./dev java -jar server/target/server.jar --port $PORT --grpc-port -1 --poll-seconds 0 > runs/web-screenshot-server.log 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 1 120); do curl -sf localhost:$PORT/health/ready >/dev/null && break; sleep 1; done
WORK=$(mktemp -d)
(cd "$WORK" && npm init -y >/dev/null && npm install --silent playwright-core@1 >/dev/null)
cat > "$WORK/shot.js" <<JS
const { chromium } = require('playwright-core');
(async () => {
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
           '--disable-component-update', '--disable-sync'] });
  const page = await browser.newPage({ viewport: { width: 1000, height: 800 } });
  await page.goto('http://localhost:$PORT/');
  await page.waitForSelector('#model option', { state: 'attached' });
  if ('${MODEL:-}') await page.selectOption('#model', '${MODEL:-}');
  await page.setInputFiles('#file', '$IMAGE');
  await page.waitForSelector('#label', { timeout: 60000 });
  await page.fill('#opacity', '70');
  await page.dispatchEvent('#opacity', 'input');
  const label = await page.textContent('#label');
  const heatLoaded = await page.evaluate(() => document.getElementById('heat').naturalWidth);
  await page.screenshot({ path: '$OUT' });
  const lesionShown = await page.evaluate(() => !document.getElementById('lesionFigure').hidden
    && document.getElementById('lesion').naturalWidth > 0);
  console.log('label: ' + label + ', heatmap width: ' + heatLoaded + ', lesion map shown: ' + lesionShown);
  if (!label || heatLoaded === 0) process.exit(1);
  if ('${MODEL:-}' === 'ctnet-lesion' && !lesionShown) process.exit(1);
  const series = $SERIES_FILES;
  if (series.length) {
    await page.setInputFiles('#file', series);
    await page.waitForSelector('.scanLabel', { timeout: 300000 });
    const verdict = await page.textContent('.scanLabel');
    const bars = await page.evaluate(() => document.querySelectorAll('#strip div').length);
    const tops = await page.evaluate(() => Array.from(document.querySelectorAll('.tops img')).filter(i => i.naturalWidth > 0).length);
    await page.screenshot({ path: '$OUT'.replace(/\.png$/, '-scan.png'), fullPage: true });
    console.log('scan: ' + verdict + ', strip bars: ' + bars + ' of ' + series.length + ' files, top overlays: ' + tops);
    if (!verdict || bars !== series.length || tops === 0) process.exit(1);
  }
  await browser.close();
})().catch(e => { console.error(e); process.exit(1); });
JS
(cd "$WORK" && node shot.js)
echo "screenshot: $OUT"

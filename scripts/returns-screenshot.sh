#!/usr/bin/env bash
# returns-screenshot.sh: docs/returns-sheet.png, the README's picture of the flagged-case
# workbook's Returns sheet as it prints (landscape, one page wide). A docs step, not CI: it needs
# LibreOffice Calc (apt-get install -y libreoffice-calc-nogui) and poppler-utils (pdftoppm).
# It runs pme demo (synthetic data only) into a temporary folder on a fixed run date, converts the
# report to PDF, finds the Returns page by its header and renders the table's band at 110 dpi.
set -euo pipefail
cd "$(dirname "$0")/.."
TODAY=${SHOT_TODAY:-2026-12-07}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

go build -o "$work/pme" ./cmd/pme
PME_TODAY=$TODAY "$work/pme" demo --data-dir "$work/demo" >/dev/null 2>&1
report="$work/demo/out/reports/flagged-cases-$TODAY.xlsx"
libreoffice --headless --convert-to pdf --outdir "$work" "$report" >/dev/null 2>&1
pdf="$work/flagged-cases-$TODAY.pdf"

# The Returns page is the one whose header names a period's RT column and its due date.
pages=$(pdfinfo "$pdf" | awk '/^Pages:/ {print $2}')
page=
for i in $(seq 1 "$pages"); do
  top=$(pdftotext -f "$i" -l "$i" -layout "$pdf" - | sed -n 1p)
  if [[ $top =~ LAESTAB.*School.*[0-9]{4}-[0-9]{2} ]]; then
    page=$i
    break
  fi
done
[ -n "$page" ] || { echo "returns-screenshot: no Returns page in $pdf" >&2; exit 1; }

# The band of the A4 landscape page (1286 x 909 px at 110 dpi) that holds the demo's table.
pdftoppm -png -r 110 -f "$page" -l "$page" -x 15 -y 45 -W 1262 -H "${SHOT_HEIGHT:-300}" -singlefile "$pdf" docs/returns-sheet
echo "wrote docs/returns-sheet.png from page $page"

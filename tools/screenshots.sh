#!/usr/bin/env bash
# Regenerate the README's screenshots (docs/screens/*.png) from the real browser runs:
#   bash tools/screenshots.sh [lang]        # lang: en_US (default, docs/screens) or fr_FR (docs/screens/fr)
#
# Runs the test command on the browser tests only (the three journeys' tours and
# tests/test_screens.py), with CARE_SCREENSHOTS set: each tour step that calls
# careScreenshot("name") and each screen of tests/test_screens.py is saved as name.png
# (1366x768, Chromium through Odoo's HttpCase). Then reduces them to 256-colour PNGs.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export CARE_SCREENSHOTS_LANG=${1:-en_US}
# English screens are the README's (docs/screens), other languages go beside them (docs/screens/fr)
DEFAULT_OUT=$ROOT/docs/screens
[ "$CARE_SCREENSHOTS_LANG" = en_US ] || DEFAULT_OUT=$ROOT/docs/screens/${CARE_SCREENSHOTS_LANG%%_*}
OUT=${CARE_SCREENSHOTS:-$DEFAULT_OUT}
export CARE_SCREENSHOTS=$OUT
mkdir -p "$OUT"
rm -f "$OUT"/*.png
bash "$ROOT/tests/run.sh" -k "tour or browser or TestScreens"
python3 - "$OUT" <<'PYEOF'
import pathlib
import sys

from PIL import Image

for path in sorted(pathlib.Path(sys.argv[1]).glob("*.png")):
    before = path.stat().st_size
    with Image.open(path) as image:
        small = image.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT)
    small.save(path, optimize=True)
    print(f"{path.name}: {before // 1024} KiB -> {path.stat().st_size // 1024} KiB")
PYEOF

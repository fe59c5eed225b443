#!/usr/bin/env bash
# Package dist/aldesk/ (made by packaging/build.sh) as dist/aldesk_<version>_<arch>.deb:
#
#   /opt/aldesk/                                        the frozen one-folder app
#   /usr/bin/aldesk -> /opt/aldesk/aldesk
#   /usr/share/applications/aldesk.desktop
#   /usr/share/icons/hicolor/{scalable,16x16..512x512}/apps/aldesk.{svg,png}
#   /usr/share/metainfo/io.github.aldesk.aldesk.metainfo.xml   (AppStream: software centres)
#   /usr/share/mime/packages/aldesk.xml                        (*.aldesk project folders)
#   /usr/share/doc/aldesk/                                     copyright + every bundled licence
#
# No maintainer scripts: desktop-file-utils, shared-mime-info and hicolor-icon-theme refresh
# their caches through dpkg file triggers when they are installed. zstd needs dpkg >= 1.21.18 on the installing machine
# (Debian 12+, Ubuntu 21.10+); DEB_COMPRESSION=xz makes a package older dpkg reads (~6 min).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=lib.sh
. "$ROOT/packaging/lib.sh"
APP="$ROOT/dist/aldesk"
ICONS="$ROOT/build/icons"
COMPRESSION="${DEB_COMPRESSION:-zstd}"
test -x "$APP/aldesk" || { echo "make_deb.sh: no $APP/aldesk; run packaging/build.sh first" >&2; exit 1; }
test -d "$ICONS/hicolor" || { echo "make_deb.sh: no $ICONS; run packaging/build.sh first" >&2; exit 1; }
test -f "$APP/_internal/licenses/THIRD-PARTY-NOTICES.md" \
    || { echo "make_deb.sh: the bundle has no licences folder; rebuild with packaging/build.sh" >&2; exit 1; }

VERSION="$("$APP/aldesk" --version | awk '{print $2}')"
ARCH="$(dpkg --print-architecture)"
STAGE="$ROOT/build/deb/aldesk_${VERSION}_${ARCH}"
DEB="$ROOT/dist/aldesk_${VERSION}_${ARCH}.deb"

LIBC_MIN="$(glibc_floor "$APP")"  # lib.sh

# Libraries the bundle loads from the system. ldd on every bundled ELF file (with the bundle first
# on the search path, as the bootloader does) finds only libc, libGL/libEGL (glvnd), libdrm and
# libxcb outside it: the spec leaves those out on purpose (graphics stack, glibc). The rest of the
# list brings configuration and data the bundled copies read at run time (fontconfig-config and a
# font, xkb-data, pulse client.conf, dbus) and keeps the app working if a later PyInstaller stops
# bundling a library. See packaging/README.md.
DEPENDS="libc6 (>= ${LIBC_MIN}), libstdc++6 (>= 11), libgcc-s1, libexpat1, libgl1, libegl1, libxcb1, libdrm2,
 libxcb-cursor0, libxcb-icccm4, libxcb-keysyms1, libxkbcommon-x11-0, libfontconfig1, libdbus-1-3,
 libpulse0"
# fonts-noto-cjk: class names in Chinese, Japanese or Korean (the app lists it as a fallback font)
RECOMMENDS="pulseaudio | pipewire-pulse, fonts-dejavu-core, fonts-noto-cjk"

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
         "$STAGE/usr/share/icons/hicolor/scalable/apps" "$STAGE/usr/share/doc/aldesk" \
         "$STAGE/usr/share/metainfo" "$STAGE/usr/share/mime/packages"
cp -a "$APP" "$STAGE/opt/aldesk"
ln -s /opt/aldesk/aldesk "$STAGE/usr/bin/aldesk"
install -m 0644 "$ROOT/resources/aldesk.desktop" "$STAGE/usr/share/applications/aldesk.desktop"
install -m 0644 "$ROOT/resources/icons/aldesk.svg" "$STAGE/usr/share/icons/hicolor/scalable/apps/aldesk.svg"
for size in $(icon_sizes "$ICONS"); do
    install -D -m 0644 "$ICONS/hicolor/$size/apps/aldesk.png" \
        "$STAGE/usr/share/icons/hicolor/$size/apps/aldesk.png"
done
install -m 0644 "$ROOT/resources/io.github.aldesk.aldesk.metainfo.xml" "$STAGE/usr/share/metainfo/"
install -m 0644 "$ROOT/resources/aldesk-mime.xml" "$STAGE/usr/share/mime/packages/aldesk.xml"
# every bundled component's licence files (collected by the spec into the bundle's licenses/)
cp -r "$APP/_internal/licenses/." "$STAGE/usr/share/doc/aldesk/"
cat > "$STAGE/usr/share/doc/aldesk/copyright" <<'EOF'
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: aldesk
Comment: /opt/aldesk bundles Python, Qt 6 and Qt for Python (PySide6, LGPL-3.0), numpy, scipy,
 scikit-learn, Pillow, soundfile/libsndfile, onnxruntime, the pretrained encoders' weights and
 the libraries they load, each under its own licence: THIRD-PARTY-NOTICES.md in this folder
 lists them, and the folders beside it hold their licence files.

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

# file times no later than the commit (SOURCE_DATE_EPOCH, set by build.sh): one commit, one .deb
if [ -n "${SOURCE_DATE_EPOCH:-}" ]; then
    find "$STAGE" -newermt "@$SOURCE_DATE_EPOCH" -print0 | xargs -0r touch -h -d "@$SOURCE_DATE_EPOCH"
fi
start=$SECONDS
dpkg-deb --root-owner-group "-Z$COMPRESSION" --build "$STAGE" "$DEB" >/dev/null
echo "make_deb.sh: $DEB: $(du -h "$DEB" | cut -f1) ($COMPRESSION, $((SECONDS - start)) s), installed ${INSTALLED_KB} KB"
dpkg-deb --info "$DEB" | sed -n '/Package:/,/Description:/p'

#!/usr/bin/env bash
# Package dist/aldesk/ (made by packaging/build.sh) as dist/aldesk-VERSION-linux-ARCH.tar.gz for
# distributions without dpkg:
#
#   aldesk-VERSION/bin/aldesk                 launcher (follows symlinks to find the app)
#   aldesk-VERSION/lib/aldesk/                the frozen one-folder app
#   aldesk-VERSION/share/applications|icons|metainfo|mime   desktop integration (install.sh)
#   aldesk-VERSION/share/doc/aldesk/          licences of everything bundled
#   aldesk-VERSION/install.sh, INSTALL.md     how to put it on the PATH and in the menu
#
# Reproducible: entries sorted, owner root, times from SOURCE_DATE_EPOCH, gzip without a name
# or time stamp.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=lib.sh
. "$ROOT/packaging/lib.sh"
APP="$ROOT/dist/aldesk"
ICONS="$ROOT/build/icons"
test -x "$APP/aldesk" || { echo "make_tarball.sh: no $APP/aldesk; run packaging/build.sh" >&2; exit 1; }
test -d "$ICONS/hicolor" || { echo "make_tarball.sh: no $ICONS; run packaging/build.sh" >&2; exit 1; }

VERSION="$("$APP/aldesk" --version | awk '{print $2}')"
ARCH="$(uname -m)"
NAME="aldesk-$VERSION"
STAGE="$ROOT/build/tarball"
OUT="$ROOT/dist/$NAME-linux-$ARCH.tar.gz"
EPOCH="${SOURCE_DATE_EPOCH:-$(git -C "$ROOT" log -1 --format=%ct 2>/dev/null || date +%s)}"
start=$SECONDS

rm -rf "$STAGE"
top="$STAGE/$NAME"
mkdir -p "$top/bin" "$top/lib" "$top/share/applications" "$top/share/metainfo" \
         "$top/share/mime/packages" "$top/share/doc/aldesk"
cp -al "$APP" "$top/lib/aldesk" 2>/dev/null || cp -a "$APP" "$top/lib/aldesk"  # hard links: fast
install -m 0755 "$ROOT/packaging/linux/aldesk-launcher.sh" "$top/bin/aldesk"
install -m 0755 "$ROOT/packaging/linux/install.sh" "$top/install.sh"
sed -e "s/@VERSION@/$VERSION/g" -e "s/glibc 2\.35/glibc $(glibc_floor "$APP")/" \
    "$ROOT/packaging/linux/INSTALL.md" > "$top/INSTALL.md"
install -m 0644 "$ROOT/resources/aldesk.desktop" "$top/share/applications/aldesk.desktop"
install -m 0644 "$ROOT/resources/io.github.aldesk.aldesk.metainfo.xml" "$top/share/metainfo/"
install -m 0644 "$ROOT/resources/aldesk-mime.xml" "$top/share/mime/packages/aldesk.xml"
for size in $(icon_sizes "$ICONS"); do
    install -D -m 0644 "$ICONS/hicolor/$size/apps/aldesk.png" "$top/share/icons/hicolor/$size/apps/aldesk.png"
done
install -D -m 0644 "$ROOT/resources/icons/aldesk.svg" "$top/share/icons/hicolor/scalable/apps/aldesk.svg"
cp -r "$APP/_internal/licenses/." "$top/share/doc/aldesk/"

compress() { if command -v pigz >/dev/null; then pigz -n -9; else gzip -n -9; fi; }
tar --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$EPOCH" \
    --mode='u+rwX,go+rX,go-w' -C "$STAGE" -cf - "$NAME" | compress > "$OUT.part"
mv "$OUT.part" "$OUT"
rm -rf "$STAGE"
echo "make_tarball.sh: $OUT: $(du -h "$OUT" | cut -f1) ($((SECONDS - start)) s)"

#!/bin/sh
# Put an unpacked aldesk tarball on the PATH and in the desktop's menu.
#
#   ./install.sh              # for you:        ~/.local/bin/aldesk, ~/.local/share/...
#   sudo ./install.sh /usr/local   # for everyone: /usr/local/bin/aldesk, /usr/local/share/...
#   ./install.sh --uninstall [PREFIX]   # remove those links and files again
#
# The app stays in this folder (nothing is copied but the menu entry, icons and MIME type);
# moving the folder later needs another ./install.sh.
set -eu
here="$(cd "$(dirname "$0")" && pwd)"
uninstall=""
if [ "${1:-}" = "--uninstall" ]; then uninstall=1; shift; fi
prefix="${1:-$HOME/.local}"
share="$prefix/share"
files="applications/aldesk.desktop metainfo/io.github.aldesk.aldesk.metainfo.xml mime/packages/aldesk.xml"
icons="$(cd "$here/share" && find icons -name 'aldesk.*')"

refresh() {
    command -v update-mime-database >/dev/null && update-mime-database "$share/mime" || true
    command -v update-desktop-database >/dev/null && update-desktop-database "$share/applications" || true
    command -v gtk-update-icon-cache >/dev/null && gtk-update-icon-cache -q -t "$share/icons/hicolor" || true
}

if [ -n "$uninstall" ]; then
    rm -f "$prefix/bin/aldesk"
    for f in $files $icons; do rm -f "$share/$f"; done
    refresh
    echo "aldesk: removed from $prefix (this folder is left as it is: delete it yourself)"
    exit 0
fi
mkdir -p "$prefix/bin"
ln -sf "$here/bin/aldesk" "$prefix/bin/aldesk"
for f in $files $icons; do
    mkdir -p "$(dirname "$share/$f")"
    cp "$here/share/$f" "$share/$f"
done
# the menu entry starts this copy even when $prefix/bin is not on the desktop session's PATH
sed -i "s|^Exec=aldesk |Exec=$here/bin/aldesk |; s|^TryExec=aldesk$|TryExec=$here/bin/aldesk|" \
    "$share/applications/aldesk.desktop"
refresh
echo "aldesk: installed for $prefix ($prefix/bin/aldesk -> $here/bin/aldesk, menu entry, icons)."
echo "Check it with: $prefix/bin/aldesk selfcheck"

#!/usr/bin/env bash
# macOS: wrap dist/aldesk.app (PyInstaller BUNDLE, see packaging/aldesk.spec) in a compressed
# disk image with an Applications link to drag it onto:
#
#   python packaging/make_icons.py build/icons
#   python -m PyInstaller --noconfirm --clean packaging/aldesk.spec     -> dist/aldesk.app
#   packaging/macos/make_dmg.sh                                         -> dist/aldesk-VERSION-macos-ARCH.dmg
#
# The app is not signed or notarised (that needs an Apple Developer ID): Gatekeeper asks the user
# to confirm the first start (right-click > Open). With an identity, set CODESIGN_IDENTITY and the
# app is signed (hardened runtime) before the image is made; notarise the .dmg with
# `xcrun notarytool submit --wait` and `xcrun stapler staple`.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
APP="$ROOT/dist/aldesk.app"
test -d "$APP" || { echo "make_dmg.sh: no $APP; build it with PyInstaller first" >&2; exit 1; }
VERSION="$(/usr/libexec/PlistBuddy -c 'Print :CFBundleShortVersionString' "$APP/Contents/Info.plist")"
ARCH="$(uname -m)"
DMG="$ROOT/dist/aldesk-$VERSION-macos-$ARCH.dmg"
STAGE="$ROOT/build/dmg"

if [ -n "${CODESIGN_IDENTITY:-}" ]; then
    codesign --force --deep --options runtime --timestamp --sign "$CODESIGN_IDENTITY" "$APP"
fi
rm -rf "$STAGE" "$DMG"
mkdir -p "$STAGE"
cp -R "$APP" "$STAGE/"
ln -s /Applications "$STAGE/Applications"
cp "$APP/Contents/Resources/licenses/THIRD-PARTY-NOTICES.md" "$STAGE/Third-party licences.md" 2>/dev/null || true
hdiutil create -volname "aldesk $VERSION" -srcfolder "$STAGE" -fs HFS+ -format UDZO -ov "$DMG"
rm -rf "$STAGE"
echo "make_dmg.sh: $DMG ($(du -h "$DMG" | cut -f1))"

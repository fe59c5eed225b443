#!/usr/bin/env bash
# Validate the desktop entry, the AppStream metainfo and the MIME definition with the
# freedesktop tools, when they are installed (apt-get install desktop-file-utils appstream):
# a validator's error fails the build; a missing validator is reported and skipped.
set -euo pipefail
RES="$(cd "$(dirname "${BASH_SOURCE[0]}")/../resources" && pwd)"

if command -v desktop-file-validate >/dev/null; then
    desktop-file-validate "$RES/aldesk.desktop"
    echo "check_desktop_files: aldesk.desktop passes desktop-file-validate"
else
    echo "check_desktop_files: SKIP desktop-file-validate (apt-get install desktop-file-utils)"
fi
if command -v appstreamcli >/dev/null; then
    appstreamcli validate --no-net --pedantic "$RES/io.github.aldesk.aldesk.metainfo.xml"
else
    echo "check_desktop_files: SKIP appstreamcli validate (apt-get install appstream)"
fi
python3 - "$RES/aldesk-mime.xml" <<'PY'
import sys, xml.etree.ElementTree as ET
ns = "{http://www.freedesktop.org/standards/shared-mime-info}"
types = ET.parse(sys.argv[1]).getroot().findall(f"{ns}mime-type")
assert [t.get("type") for t in types] == ["application/x-aldesk-project"], types
print("check_desktop_files: aldesk-mime.xml defines application/x-aldesk-project")
PY
grep -q '^MimeType=application/x-aldesk-project;$' "$RES/aldesk.desktop"

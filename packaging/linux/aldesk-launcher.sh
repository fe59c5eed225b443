#!/bin/sh
# aldesk launcher (bin/aldesk of the tarball): runs the bundled app from wherever the folder was
# unpacked, also through a symbolic link (e.g. ~/.local/bin/aldesk -> .../bin/aldesk).
here="$(dirname "$(readlink -f "$0")")"
exec "$here/../lib/aldesk/aldesk" "$@"

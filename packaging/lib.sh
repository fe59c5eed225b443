# Shared by make_deb.sh and make_tarball.sh (sourced, not run).

# The glibc the bundle needs: the newest GLIBC_2.x symbol version any bundled ELF file uses.
# $1: the bundle folder. Without objdump (binutils) it says 2.34, the PySide6 wheels' floor.
glibc_floor() {
    if ! command -v objdump >/dev/null; then echo 2.34; return; fi
    find "$1" -type f \( -name '*.so*' -o -name aldesk \) -print0 \
        | xargs -0 objdump -T 2>/dev/null | grep -oE 'GLIBC_2\.[0-9]+' | sort -t. -k2,2n -u \
        | tail -1 | sed 's/GLIBC_//'
}

# The hicolor PNG sizes packaging/make_icons.py renders into build/icons/hicolor.
icon_sizes() {
    (cd "$1/hicolor" && ls -d [0-9]*x[0-9]* | sort -n)
}

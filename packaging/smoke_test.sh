#!/usr/bin/env bash
# Install the .deb, exercise the installed app (CLI, worker processes, GUI under Xvfb), remove it.
#
#   sudo packaging/smoke_test.sh [path/to/aldesk_<version>_<arch>.deb]
#
# Needs root (dpkg -i / -r), Xvfb (apt-get install -y --no-install-recommends xvfb xauth) and
# python3 (Pillow, if importable, makes the screenshot; the test images need only the stdlib).
# Every step prints PASS, FAIL or SKIP; the exit status is the number of failed steps.
# Runs /usr/bin/aldesk by full path: a pyenv shim or a venv's aldesk may come first on PATH.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEB="${1:-$(ls -t "$ROOT"/dist/aldesk_*.deb 2>/dev/null | head -1)}"
DISPLAY_NUM="${SMOKE_DISPLAY:-97}"
BIN=/usr/bin/aldesk
WORK="$(mktemp -d /tmp/aldesk-smoke.XXXXXX)"
OUT="${SMOKE_OUT:-$ROOT/build/smoke}"  # logs and the screenshot stay here after the run
mkdir -p "$OUT"
export ALDESK_CONFIG_DIR="$WORK/config"  # recent-projects list: keep the user's untouched
FAILED=0
XVFB_PID=""

pass() { echo "PASS  $*"; }
fail() { echo "FAIL  $*"; FAILED=$((FAILED + 1)); }
skip() { echo "SKIP  $*"; }
cleanup() {
    [ -n "$XVFB_PID" ] && kill "$XVFB_PID" 2>/dev/null
    rm -rf "$WORK"
}
trap cleanup EXIT

[ "$(id -u)" = 0 ] || { echo "smoke_test.sh: run as root (dpkg -i)" >&2; exit 1; }
[ -f "$DEB" ] || { echo "smoke_test.sh: no .deb (run packaging/make_deb.sh)" >&2; exit 1; }
echo "smoke_test.sh: $DEB ($(du -h "$DEB" | cut -f1)); logs in $OUT"

# 1. install ---------------------------------------------------------------------------------
start=$SECONDS
if dpkg -i "$DEB" > "$OUT/dpkg-i.log" 2>&1; then
    pass "dpkg -i ($((SECONDS - start)) s, $(du -sh /opt/aldesk | cut -f1) in /opt/aldesk)"
else
    fail "dpkg -i (see $OUT/dpkg-i.log)"; cat "$OUT/dpkg-i.log"; exit "$FAILED"
fi
for f in /usr/bin/aldesk /usr/share/applications/aldesk.desktop \
         /usr/share/icons/hicolor/scalable/apps/aldesk.svg /opt/aldesk/_internal/resources/light.qss; do
    [ -e "$f" ] && pass "installed $f" || fail "missing $f"
done
if command -v desktop-file-validate >/dev/null; then
    desktop-file-validate /usr/share/applications/aldesk.desktop && pass "desktop-file-validate" \
        || fail "desktop-file-validate"
else
    skip "desktop-file-validate (apt-get install desktop-file-utils)"
fi

# 2. CLI -------------------------------------------------------------------------------------
if v="$($BIN --version 2>&1)"; then pass "aldesk --version: $v"; else fail "aldesk --version: $v"; fi
$BIN --help > "$OUT/help.log" 2>&1 && pass "aldesk --help" || fail "aldesk --help"

# 30 small PNGs of two kinds (dark disc / light bar, with noise); stdlib only (zlib + struct)
python3 - "$WORK/pool" <<'EOF'
import random, struct, sys, zlib
from pathlib import Path
out = Path(sys.argv[1]); out.mkdir(parents=True)
def png(path, rows):
    raw = b"".join(b"\0" + bytes(r) for r in rows)
    def chunk(t, d): return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d))
    hdr = struct.pack(">IIBBBBB", len(rows[0]), len(rows), 8, 0, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", hdr) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
rng = random.Random(0)
for i in range(30):
    disc = i % 2 == 0
    cx, cy, r = rng.randint(20, 44), rng.randint(20, 44), rng.randint(8, 16)
    rows = [[max(0, min(255, (40 if (disc and (x - cx) ** 2 + (y - cy) ** 2 < r * r) or
                          (not disc and abs(y - cy) < 5) else 220) + rng.randint(-25, 25)))
             for x in range(64)] for y in range(64)]
    png(out / f"{'disc' if disc else 'bar'}_{i:02d}.png", rows)
EOF
[ "$(ls "$WORK/pool" | wc -l)" = 30 ] && pass "generated 30 PNGs" || fail "generate 30 PNGs"

P="$WORK/smoke.aldesk"
start=$SECONDS
if $BIN new "$P" --pool "$WORK/pool" --classes disc,bar --test-size 6 --seed-size 4 > "$OUT/new.log" 2>&1; then
    pass "aldesk new ($((SECONDS - start)) s): $(head -1 "$OUT/new.log")"
else
    fail "aldesk new: $(tail -3 "$OUT/new.log")"
fi
if $BIN status "$P" > "$OUT/status.log" 2>&1 && grep -q "labeled 0 of 24" "$OUT/status.log"; then
    pass "aldesk status: $(sed -n 2p "$OUT/status.log")"
else
    fail "aldesk status: $(cat "$OUT/status.log")"
fi
$BIN status "$P" --json | python3 -c "import json,sys; json.load(sys.stdin)" 2>/dev/null \
    && pass "aldesk status --json parses" || fail "aldesk status --json"
$BIN status "$WORK/nope" > /dev/null 2>&1; rc=$?
[ "$rc" = 2 ] && pass "user error exits 2 (no traceback)" || fail "user error exit status $rc, want 2"

# 3. feature-extraction worker processes (forked from the frozen app's fork server) -------------
# run.py hands work to the pool once the fork server is ready and the rest of the run is worth
# it, judged on the first chunk: 100 FLAC clips of 30 s at 44.1 kHz (45 MB; decode + resample
# ~50 ms each) get there with a wide margin. Workers are the fork server's children.
if python3 -c "import numpy, soundfile" 2>/dev/null; then
    python3 - "$WORK/big" <<'EOF'
import sys
from pathlib import Path
import numpy as np
import soundfile as sf
out = Path(sys.argv[1]); out.mkdir()
t = np.arange(44100 * 30) / 44100
for i in range(100):
    x = 0.2 * np.sin(2 * np.pi * (200 + 7 * i) * t) * (1 + 0.5 * np.sin(2 * np.pi * (0.5 + i / 50) * t))
    sf.write(out / f"tone{i:03d}.flac", x.astype(np.float32), 44100)
EOF
    start=$SECONDS
    $BIN new "$WORK/big.aldesk" --pool "$WORK/big" --classes a,b --test-size 10 > "$OUT/new-big.log" 2>&1 &
    pid=$!; workers=0
    while kill -0 "$pid" 2>/dev/null; do
        server=$(pgrep -P "$pid" -f -- 'multiprocessing.forkserver import main' | head -1)
        n=0; [ -n "$server" ] && n=$(pgrep -P "$server" | wc -l)
        [ "$n" -gt "$workers" ] && workers=$n
        sleep 0.3
    done
    wait "$pid"; rc=$?
    sleep 1
    leftover=$(pgrep -f -- 'aldesk (--multiprocessing-fork|-B -S -I -c from multiprocessing)' | wc -l)
    unreadable=$($BIN status "$WORK/big.aldesk" 2>/dev/null | grep -o "unreadable [0-9]*")
    if [ "$rc" = 0 ] && [ "$workers" -gt 0 ] && [ "$unreadable" = "unreadable 0" ] && [ "$leftover" = 0 ]; then
        pass "fork-server workers: $workers worker processes, 100 clips, $((SECONDS - start)) s, $unreadable, none left over"
    elif [ "$rc" = 0 ] && [ "$workers" = 0 ]; then
        skip "fork-server workers: extraction ran inline (fast machine); rc 0, $unreadable"
    else
        fail "fork-server workers: rc $rc, $workers workers, $leftover left over, $unreadable: $(tail -3 "$OUT/new-big.log")"
    fi
else
    skip "fork-server workers (python3 has no numpy/soundfile to make the test pool)"
fi

# 3b. an audio project of plain 16-bit WAVs (the frozen app reads these with the stdlib's wave)
python3 - "$WORK/wavs" <<'EOF'
import math, struct, sys, wave
from pathlib import Path
out = Path(sys.argv[1]); out.mkdir()
for i in range(24):
    hz = 300 if i % 2 else 900
    frames = b"".join(struct.pack("<h", int(9000 * math.sin(2 * math.pi * hz * n / 16000)))
                      for n in range(8000 + 100 * i))
    with wave.open(str(out / f"tone{i:02d}.wav"), "wb") as w:
        w.setnchannels(1); w.setsampwidth(2); w.setframerate(16000); w.writeframes(frames)
EOF
if $BIN new "$WORK/wavs.aldesk" --pool "$WORK/wavs" --classes low,high --test-size 4 \
        > "$OUT/new-wavs.log" 2>&1 \
    && $BIN status "$WORK/wavs.aldesk" > "$OUT/status-wavs.log" 2>&1 \
    && grep -q "labeled 0 of 20" "$OUT/status-wavs.log" \
    && grep -q "unreadable 0" "$OUT/status-wavs.log"; then
    pass "audio project of 24 PCM WAVs: $(head -1 "$OUT/new-wavs.log")"
else
    fail "audio project of 24 PCM WAVs: $(cat "$OUT/new-wavs.log" "$OUT/status-wavs.log" 2>/dev/null | tail -5)"
fi

# 4. GUI under Xvfb ------------------------------------------------------------------------------
if command -v Xvfb >/dev/null; then
    if [ -e "/tmp/.X${DISPLAY_NUM}-lock" ]; then
        fail "display :$DISPLAY_NUM is taken (set SMOKE_DISPLAY)"
    else
        Xvfb ":$DISPLAY_NUM" -screen 0 1280x800x24 -nolisten tcp > "$OUT/xvfb.log" 2>&1 &
        XVFB_PID=$!
        sleep 2
        export DISPLAY=":$DISPLAY_NUM"
        shot="$OUT/aldesk-demo.png"; rm -f "$shot"
        (   sleep 15
            if python3 -c "from PIL import ImageGrab; ImageGrab.grab(xdisplay='$DISPLAY').save('$shot')" 2>/dev/null; then :
            elif command -v import >/dev/null; then import -window root "$shot" 2>/dev/null
            elif command -v xwd >/dev/null; then xwd -root -silent > "${shot%.png}.xwd"
            fi ) &
        shooter=$!
        start=$SECONDS
        timeout 20 $BIN demo --dir "$WORK/demo" > "$OUT/gui.log" 2>&1; rc=$?
        wait "$shooter"
        if [ "$rc" = 124 ] && ! grep -q Traceback "$OUT/gui.log"; then
            pass "GUI: aldesk demo stayed up until timeout killed it (exit 124 after $((SECONDS - start)) s)"
        else
            fail "GUI: aldesk demo exit $rc: $(grep -v pipewire "$OUT/gui.log" | tail -5)"
        fi
        if [ -f "$shot" ]; then
            colours=$(python3 -c "from PIL import Image; print(len(Image.open('$shot').getcolors(1 << 20) or []))" 2>/dev/null || echo "?")
            pass "screenshot $shot ($colours colours; 1 would be an empty screen)"
        else
            skip "screenshot (no Pillow ImageGrab, import or xwd)"
        fi
        kill "$XVFB_PID" 2>/dev/null; wait "$XVFB_PID" 2>/dev/null; XVFB_PID=""
    fi
else
    skip "GUI (no Xvfb: apt-get install -y --no-install-recommends xvfb xauth)"
fi

# 5. start-up time: frozen vs the Python module ----------------------------------------------------
best() {  # best of 5 wall-clock runs, in seconds
    python3 -c 'import subprocess, sys, time
def run():
    t = time.perf_counter()
    subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - t
print(f"{min(run() for _ in range(5)):.2f}")' "$@"
}
if frozen=$(best $BIN --version) && module=$(cd "$ROOT" && best python3 -m aldesk --version); then
    pass "start-up (best of 5): frozen aldesk --version ${frozen} s; python3 -m aldesk --version ${module} s"
else
    fail "start-up timing (frozen: ${frozen:-failed}; python3 -m aldesk: ${module:-failed})"
fi

# 6. remove --------------------------------------------------------------------------------------
if dpkg -r aldesk > "$OUT/dpkg-r.log" 2>&1 && [ ! -e /opt/aldesk ] && [ ! -e /usr/bin/aldesk ] \
        && [ ! -e /usr/share/applications/aldesk.desktop ]; then
    pass "dpkg -r aldesk (nothing left in /opt/aldesk, /usr/bin, /usr/share/applications)"
else
    fail "dpkg -r aldesk: $(tail -3 "$OUT/dpkg-r.log"); left: $(ls -d /opt/aldesk /usr/bin/aldesk 2>/dev/null)"
fi

echo "smoke_test.sh: $FAILED step(s) failed"
exit "$FAILED"

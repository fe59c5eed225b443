"""Who held the GIL during a stall? A thread that wakes every millisecond notes how late it woke.

A Python thread cannot run while another thread holds the GIL, so a wake-up far later than
asked is a hold: a long C call (an import's module init, a big sort, a read that keeps the GIL)
that no switch interval can interrupt. At the first moment the sampler runs again it takes
every thread's stack (``sys._current_frames``): the holder is caught on, or just after, the
line that held it. Full passes of the garbage collector (which hold the GIL throughout) are
timed too. ``bench_ui_stall.py --project ... --gil-probe 30`` prints both to stderr.
"""

from __future__ import annotations

import gc
import sys
import threading
import time
import traceback


class GilProbe:
    """Records (start, end, {thread name: stack}) for every wake-up over ``threshold_ms`` late."""

    def __init__(self, threshold_ms: float = 30.0, depth: int = 8) -> None:
        self.threshold = threshold_ms / 1000.0
        self.depth = depth
        self.holds: list[tuple[float, float, dict[str, list[str]]]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="gil-probe", daemon=True)
        self.collections: list[tuple[float, float, int]] = []  # (start, end, generation)
        self.main_samples: list[tuple[float, tuple[str, ...]]] = []  # the GUI thread, when busy
        self.gui_waits: list[tuple[float, float]] = []  # (when, GUI thread's CPU wait so far)
        self._gc_start = 0.0

    def start(self) -> None:
        self._thread.start()
        gc.callbacks.append(self._on_gc)

    def stop(self) -> None:
        gc.callbacks.remove(self._on_gc)
        self._stop.set()
        self._thread.join()

    @staticmethod
    def heap_census(tag: str, file=sys.stderr) -> None:
        """How many objects the collector tracks, the commonest types, the biggest containers
        and how long a full collection takes (this process, now; ``STALL_CENSUS=1``)."""
        import collections

        objs = gc.get_objects()
        common = collections.Counter(type(o).__name__ for o in objs).most_common(6)
        sized = (o for o in objs if isinstance(o, (list, dict, set, tuple)))
        big = sorted(((len(o), type(o).__name__) for o in sized if len(o) > 5000), reverse=True)
        n, frozen = len(objs), gc.get_freeze_count()
        del objs, sized
        t = time.perf_counter()
        gc.collect()
        ms = 1000 * (time.perf_counter() - t)
        print(f"--- {tag}: {n} tracked ({frozen} frozen), full collection {ms:.0f} ms; "
              f"{common}; containers over 5000: {big[:10]}", file=file)  # fmt: skip

    def _on_gc(self, phase: str, info: dict) -> None:
        now = time.perf_counter()
        if phase == "start":
            self._gc_start = now
        elif now - self._gc_start > self.threshold / 4:
            self.collections.append((self._gc_start, now, info["generation"]))

    def _run(self) -> None:
        mine = f"/proc/self/task/{threading.get_native_id()}/schedstat"
        gui = f"/proc/self/task/{threading.main_thread().native_id}/schedstat"
        last, waited = time.perf_counter(), _run_delay(mine)
        while not self._stop.is_set():
            time.sleep(0.001)
            now = time.perf_counter()
            waited_now = _run_delay(mine)
            if now - last > self.threshold:  # how much of it was waiting for a CPU, not the GIL
                self.holds.append((last, now, self._stacks(), waited_now - waited))
            self._sample_main(now)
            self.gui_waits.append((now, _run_delay(gui)))
            last, waited = time.perf_counter(), waited_now

    def _sample_main(self, now: float) -> None:
        """Note what the GUI thread runs, unless it waits in the event loop."""
        frame = sys._current_frames().get(threading.main_thread().ident)
        if frame is None or frame.f_code.co_name in ("wait_until", "run_for"):
            return
        stack = []
        while frame is not None and len(stack) < self.depth:
            if frame.f_code.co_name in ("wait_until", "run_for"):
                break
            name = frame.f_code.co_filename.rsplit("/", 1)[-1]
            stack.append(f"{name}:{frame.f_lineno} {frame.f_code.co_name}")
            frame = frame.f_back
        self.main_samples.append((now, tuple(reversed(stack))))

    def report_gaps(self, ticks: list[float], since: float, over_ms: float, file=sys.stderr):
        """For each gap between heartbeat ticks over ``over_ms``: what the GUI thread was seen
        running in it (samples every ~1 ms; none: it waited for the GIL, or for a CPU)."""
        import collections

        for a, b in zip(ticks, ticks[1:], strict=False):
            if 1000 * (b - a) <= over_ms:
                continue
            seen = collections.Counter(st for t, st in self.main_samples if a <= t <= b)
            waits = [w for t, w in self.gui_waits if a <= t <= b + 0.002]
            cpu = 1000 * (waits[-1] - waits[0]) if len(waits) > 1 else float("nan")
            print(f"--- heartbeat gap {1000 * (b - a):.0f} ms at +{1000 * (a - since):.0f} ms; "
                  f"GUI thread seen busy in {sum(seen.values())} samples, waited for a CPU "
                  f"{cpu:.0f} ms", file=file)  # fmt: skip
            for stack, n in seen.most_common(4):
                print(f"    {n} x", " > ".join(stack[-6:]), file=file)

    def _stacks(self) -> dict[str, list[str]]:
        names = {t.ident: t.name for t in threading.enumerate()}
        out = {}
        for ident, frame in sys._current_frames().items():
            if ident == threading.get_ident():
                continue
            stack = traceback.extract_stack(frame)[-self.depth :]
            out[names.get(ident, str(ident))] = [
                f"{fr.filename.rsplit('/', 2)[-1]}:{fr.lineno} {fr.name}: {fr.line}" for fr in stack
            ]
        return out

    def report(self, since: float, file=sys.stderr) -> None:
        """Print each hold (ms from ``since``, length) with the stacks of the busy threads."""
        idle = ("wait", "select", "exec", "_run", "sleep", "poll")
        for start, end, generation in self.collections:
            print(f"--- gc of generation {generation}: {1000 * (end - start):.0f} ms at "
                  f"+{1000 * (start - since):.0f} ms", file=file)  # fmt: skip
        for start, end, stacks, cpu_wait in self.holds:
            print(f"--- hold {1000 * (end - start):.0f} ms at +{1000 * (start - since):.0f} ms "
                  f"(of which waiting for a CPU {1000 * cpu_wait:.0f} ms)", file=file)  # fmt: skip
            for name, stack in stacks.items():
                top = stack[-1] if stack else ""
                if any(f" {w}:" in top for w in idle) and name != "MainThread":
                    continue
                print(f"  [{name}]", file=file)
                for line in stack:
                    print(f"      {line}", file=file)


def _run_delay(schedstat: str) -> float:
    """Seconds this thread has spent runnable but waiting for a CPU (Linux schedstat; 0
    elsewhere)."""
    try:
        with open(schedstat) as f:
            return int(f.read().split()[1]) / 1e9
    except (OSError, IndexError, ValueError):
        return 0.0

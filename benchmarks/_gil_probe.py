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
        last = time.perf_counter()
        while not self._stop.is_set():
            time.sleep(0.001)
            now = time.perf_counter()
            if now - last > self.threshold:
                self.holds.append((last, now, self._stacks()))
            last = time.perf_counter()

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
        for start, end, stacks in self.holds:
            print(f"--- hold {1000 * (end - start):.0f} ms at +{1000 * (start - since):.0f} ms",
                  file=file)  # fmt: skip
            for name, stack in stacks.items():
                top = stack[-1] if stack else ""
                if any(f" {w}:" in top for w in idle) and name != "MainThread":
                    continue
                print(f"  [{name}]", file=file)
                for line in stack:
                    print(f"      {line}", file=file)

"""Progress of long loops (chunks, examples, jobs): one line on stderr at most every few seconds."""

from __future__ import annotations

import sys
import time


class Progress:
    """Prints a progress line to stderr at most every ``every`` seconds (for long runs).

    The rate (and so the time left) counts only the work done since this object was made,
    so a resumed run does not promise too much.
    """

    def __init__(self, total: int, label: str, every: float = 5.0, start: int = 0) -> None:
        self.total, self.label, self.every, self.first = total, label, every, start
        self.started = time.perf_counter()
        self.last = self.started

    def update(self, done: int, extra: str = "") -> None:
        now = time.perf_counter()
        if now - self.last < self.every and done < self.total:
            return
        self.last = now
        elapsed = now - self.started
        rate = (done - self.first) / elapsed if elapsed > 0 else 0.0
        eta = (self.total - done) / rate if rate > 0 else float("nan")
        print(f"  {self.label}: {done}/{self.total}  {elapsed:6.1f} s elapsed, ~{eta:5.0f} s left {extra}",
              file=sys.stderr, flush=True)

"""Progress of long loops (chunks, examples, epochs, jobs): a tqdm bar, or a line now and then.

On a terminal, :class:`Progress` is a tqdm bar on stderr that appears only once the loop has
taken ``delay`` seconds (short loops stay silent). When stderr is not a terminal (a log file, a
sweep's job), it writes one line at most every ``every`` seconds, and a last line only for a loop
that took that long. ``-q`` (:func:`snnlearn.logs.configure`) hides both.
"""

from __future__ import annotations

import sys
import time
from types import TracebackType
from typing import Any

from . import logs


def interactive() -> bool:
    """True when stderr is a terminal (progress is then drawn as a bar)."""
    isatty = getattr(sys.stderr, "isatty", None)
    return bool(isatty and isatty())


class Progress:
    """Progress of ``total`` steps labelled ``label``, ``start`` of them done already.

    ``update(done, extra)`` takes the number done so far (not an increment) and a short text
    shown beside it. The rate (and so the time left) counts only the work done since this
    object was made, so a resumed run does not promise too much.
    """

    def __init__(
        self, total: int, label: str, every: float = 5.0, start: int = 0, delay: float = 2.0, unit: str = "it"
    ) -> None:
        self.total, self.label, self.every, self.first = total, label, every, start
        self.started = time.perf_counter()
        self.last = self.started
        self.printed = False
        self.done = start
        self.bar: Any = None
        if logs.verbose_enough() and interactive():
            from tqdm import tqdm

            self.bar = tqdm(
                total=total,
                initial=start,
                desc=label,
                unit=unit,
                file=sys.stderr,
                delay=delay,
                leave=False,
                dynamic_ncols=True,
            )

    def update(self, done: int, extra: str = "") -> None:
        """Record that ``done`` of ``total`` steps are finished."""
        self.done = done
        if self.bar is not None:
            if extra:
                self.bar.set_postfix_str(extra, refresh=False)
            self.bar.update(done - self.bar.n)
            if done >= self.total:
                self.close()
            return
        if not logs.verbose_enough():
            return
        now = time.perf_counter()
        finished = done >= self.total
        if now - self.last < self.every and not (finished and (self.printed or now - self.started >= self.every)):
            return
        self.last, self.printed = now, True
        elapsed = now - self.started
        rate = (done - self.first) / elapsed if elapsed > 0 else 0.0
        left = f", ~{(self.total - done) / rate:.0f} s left" if rate > 0 and not finished else ""
        logs.info(f"  {self.label}: {done}/{self.total} in {elapsed:.1f} s{left}{' ' + extra if extra else ''}")

    def close(self) -> None:
        """Remove the bar (a finished loop leaves no bar behind; its result is logged instead)."""
        if self.bar is not None:
            self.bar.close()
            self.bar = None

    def __enter__(self) -> Progress:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()

"""Messages: the standard :mod:`logging` module, configured in one place.

Everything snnlearn tells the user goes through the ``snnlearn`` logger (:data:`LOGGER`) to
stderr: information lines (what a run does), ``warning: ...`` lines and, with ``-v``, debug
lines. The command line sets the level (:func:`configure`: ``-q`` leaves warnings and errors
only, and no progress bars, ``-qq`` errors only; ``-v`` adds debug lines).

Inside :func:`once` (the command line runs every command in it) a warning is shown once: a
model file parsed three times warns once, not three times, and Brian2's own repeated console
warnings (one per monitor) are dropped the same way (:func:`watch_brian2`). Outside it (library
use) every warning is shown.

A log line never shows a raw Python dict: :func:`mapping` writes one as ``key value, ...``.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

LOGGER = logging.getLogger("snnlearn")

_PREFIX = {
    logging.DEBUG: "debug: ",
    logging.INFO: "",
    logging.WARNING: "warning: ",
    logging.ERROR: "error: ",
    logging.CRITICAL: "error: ",
}


class _Stderr(logging.Handler):
    """Writes to whatever ``sys.stderr`` is now (so that a replaced stream, as in tests, is used),
    through ``tqdm.write`` so that a line never cuts a progress bar."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = _PREFIX.get(record.levelno, "") + record.getMessage()
            from tqdm import tqdm

            tqdm.write(text, file=sys.stderr)
            sys.stderr.flush()
        except Exception:  # noqa: BLE001 - logging must never raise
            self.handleError(record)


class _Once(logging.Filter):
    """Drops a warning already shown inside the current :func:`once` scope."""

    def __init__(self) -> None:
        super().__init__()
        self.depth = 0
        self.seen: set[tuple[str, str]] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        if self.depth == 0 or record.levelno < logging.WARNING:
            return True
        key = (record.name, record.getMessage())
        if key in self.seen:
            return False
        self.seen.add(key)
        return True


_ONCE = _Once()
_HANDLER = _Stderr()
_HANDLER.addFilter(_ONCE)
LOGGER.addHandler(_HANDLER)
LOGGER.setLevel(logging.INFO)
LOGGER.propagate = False  # Brian2 configures the root logger's relatives; ours stay plain


def configure(verbosity: int = 0) -> None:
    """Set the level: ``verbosity`` -1 (``-q``) warnings only, -2 (``-qq``) errors only, 0
    information, > 0 (``-v``) debug."""
    levels = {-2: logging.ERROR, -1: logging.WARNING, 0: logging.INFO}
    LOGGER.setLevel(logging.DEBUG if verbosity > 0 else levels[max(verbosity, -2)])


def verbose_enough(level: int = logging.INFO) -> bool:
    """True when a message at ``level`` is shown (progress is shown at the information level)."""
    return LOGGER.isEnabledFor(level)


@contextmanager
def once() -> Iterator[None]:
    """Show each warning once while this is open (nested scopes share the outermost one)."""
    if _ONCE.depth == 0:
        _ONCE.seen.clear()
    _ONCE.depth += 1
    try:
        yield
    finally:
        _ONCE.depth -= 1


def handed_on() -> tuple[int, frozenset[tuple[str, str]]]:
    """What a worker process needs to continue this one's messages (:func:`carry_on`): the level
    and the warnings already shown in the open :func:`once` scope."""
    return LOGGER.level, frozenset(_ONCE.seen if _ONCE.depth else ())


def carry_on(level: int, seen: frozenset[tuple[str, str]]) -> None:
    """In a worker process (its ``initializer``): the parent's level, and a :func:`once` scope
    open for the worker's life with the parent's warnings counted as shown, so that a warning the
    command gave already is not repeated by each process it starts."""
    LOGGER.setLevel(level)
    _ONCE.depth = max(_ONCE.depth, 1)
    _ONCE.seen.update(seen)


def watch_brian2() -> None:
    """Apply :func:`once` to Brian2's console messages too (idempotent; Brian2 must be imported)."""
    brian_logger = sys.modules.get("brian2.utils.logger")
    handler = getattr(getattr(brian_logger, "BrianLogger", None), "console_handler", None)
    if handler is not None and _ONCE not in handler.filters:
        handler.addFilter(_ONCE)


@contextmanager
def brian2_silent(name: str) -> Iterator[None]:
    """Hide Brian2's messages whose logger name ends with ``name`` while this is open.

    For a message whose concern the caller has ruled out, e.g. Brian2's "Cannot check whether the
    indices to record from are valid" for a monitor of synapses whose indices were computed
    within range (standalone cannot check them before it runs).
    """
    import brian2  # noqa: F401 - its logger exists once it is imported

    handler = logging.getLogger("brian2").handlers
    quiet = logging.Filter()
    quiet.filter = lambda record: not record.name.endswith(name)  # type: ignore[method-assign]
    for h in handler:
        h.addFilter(quiet)
    try:
        yield
    finally:
        for h in handler:
            h.removeFilter(quiet)


def info(message: str) -> None:
    """An information line (hidden by ``-q``)."""
    LOGGER.info(message)


def warning(message: str) -> None:
    """A ``warning:`` line: something suspicious but allowed."""
    LOGGER.warning(message)


def debug(message: str) -> None:
    """A ``debug:`` line (shown with ``-v``)."""
    LOGGER.debug(message)


def mapping(values: Mapping[str, Any], fmt: str = "{:g}") -> str:
    """``{"a": 0.1, "b": 2}`` as ``a 0.1, b 2`` for a log line (numbers through ``fmt``)."""

    def show(value: Any) -> str:
        if isinstance(value, bool) or not isinstance(value, int | float):
            return str(value)
        return fmt.format(value)

    return ", ".join(f"{key} {show(value)}" for key, value in values.items())


def sequence(values: Any, fmt: str = "{:g}") -> str:
    """``[0.1, 0.01]`` as ``0.1, 0.01`` for a log line."""
    return ", ".join(
        fmt.format(v) if isinstance(v, int | float) and not isinstance(v, bool) else str(v) for v in values
    )

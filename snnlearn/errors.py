"""The one error type a user sees for bad input: it names the field, the problem and what is allowed."""

from __future__ import annotations


class ConfigError(ValueError):
    """Bad input found before anything is simulated or written.

    Rendered by the CLI as one line: ``error: <field>: <problem>; <allowed>``.
    """

    def __init__(self, field: str, problem: str, allowed: str = "") -> None:
        self.field = field
        self.problem = problem
        self.allowed = allowed
        message = f"{field}: {problem}" if field else problem
        if allowed:
            message += f"; {allowed}"
        super().__init__(message)


def one_of(names) -> str:
    """Phrase a list of allowed names for an error message."""
    return "allowed: " + ", ".join(sorted(names))


def warn(message: str) -> None:
    """Tell the user about something suspicious but allowed: one ``warning:`` line on stderr,
    through :mod:`snnlearn.logs` (shown once per command; ``-qq`` hides it)."""
    from .logs import warning

    warning(message)

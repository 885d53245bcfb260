"""Quantities with units read from text by a small parser: input is never evaluated as code.

A model file or a ``--set`` value gives quantities as strings (``"20 ms"``, ``"-70 mV"``,
``"0.5 nS"``, ``"1 mV/ms"``, ``"7 Hz*ms"``). :func:`parse_quantity` reads them with a
hand-written recursive-descent parser over this grammar::

    quantity := number [unit]
    number   := [+-] (digits [. [digits]] | . digits) [(e|E) [+-] digits]  |  [+-] (inf | nan)
    unit     := power (("*" | "/") power)*
    power    := atom [("**" | "^") [+-] digits]
    atom     := NAME | "(" unit ")"

``NAME`` is looked up in Brian2's unit registry (the :class:`~brian2.units.fundamentalunits.Unit`
objects of ``brian2.units.allunits`` and ``brian2.units.stdunits``), never evaluated; powers are
integers with ``|p| <= MAX_POWER`` and the whole text is at most ``MAX_LENGTH`` characters, so
reading any string takes time and memory bounded by its length (no ``9**9**9``). Every problem
is a :class:`~snnlearn.errors.ConfigError` naming the field, what is wrong and what is allowed.
"""

from __future__ import annotations

import math
import re
from typing import Any, NoReturn

import brian2
from brian2.units.fundamentalunits import DIMENSIONLESS, Quantity, Unit, get_dimensions

from .errors import ConfigError

MAX_LENGTH = 100
MAX_POWER = 4
#: Unit names and their Brian2 units ("ms", "mV", "nS", "Hz", "cm2", "metre", ...).
UNITS: dict[str, Unit] = {
    name: value
    for module in (brian2.units.allunits, brian2.units.stdunits)
    for name, value in vars(module).items()
    if isinstance(value, Unit) and not name.startswith("_")
} | {"s": brian2.units.second}  # Brian2 leaves "s" free for user variables; a quantity string means seconds
#: What a quantity string may be, for error messages.
WRITTEN_AS = (
    f'a number with a unit, like "20 ms", "0.5 nS" or "1 mV/ms" (Brian2 unit names joined by '
    f"*, / and integer powers up to {MAX_POWER}; at most {MAX_LENGTH} characters)"
)

_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<number>(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<op>\*\*|[*/^()+-])
""",
    re.VERBOSE | re.ASCII,
)


class _Parser:
    """Recursive descent over the tokens of one quantity string (see the module docstring)."""

    def __init__(self, text: str, field: str, allowed: str) -> None:
        self.text, self.field, self.allowed = text, field, allowed
        self.tokens: list[tuple[str, str, int]] = []
        position = 0
        while position < len(text):
            match = _TOKEN.match(text, position)
            if match is None:
                self.fail(f"unexpected {text[position]!r} at position {position + 1}")
            if match.lastgroup is not None and match.lastgroup != "space":
                self.tokens.append((match.lastgroup, match.group(), position))
            position = match.end()
        self.index = 0

    def fail(self, problem: str) -> NoReturn:
        raise ConfigError(self.field, f"cannot read {self.text!r} as a quantity: {problem}", self.allowed)

    def peek(self) -> tuple[str, str, int] | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def take(self) -> tuple[str, str, int]:
        token = self.peek()
        if token is None:
            self.fail("it ends too early")
        self.index += 1
        return token

    def describe(self, token: tuple[str, str, int] | None) -> str:
        return "the end" if token is None else f"{token[1]!r} at position {token[2] + 1}"

    def quantity(self) -> tuple[float, Quantity]:
        sign = 1.0
        token = self.peek()
        if token is not None and token[1] in ("+", "-"):
            sign = -1.0 if self.take()[1] == "-" else 1.0
        if self.peek() is None:
            self.fail("there is no number")
        kind, text, _ = self.take()
        if kind == "number":
            number = float(text)
        elif kind == "name" and text in ("inf", "nan"):
            number = float(text)
        else:
            self.fail("it does not start with a number")
        unit: Quantity = Quantity(1.0)
        if self.peek() is not None:
            unit = self.product()
        if self.peek() is not None:
            self.fail(f"unexpected {self.describe(self.peek())}")
        return sign * number, unit

    def product(self) -> Quantity:
        value = self.power()
        while (token := self.peek()) is not None and token[1] in ("*", "/"):
            self.take()
            right = self.power()
            value = value * right if token[1] == "*" else value / right
        return value

    def power(self) -> Quantity:
        value = self.atom()
        token = self.peek()
        if token is not None and token[1] in ("**", "^"):
            self.take()
            sign = 1
            if (next_token := self.peek()) is not None and next_token[1] in ("+", "-"):
                sign = -1 if self.take()[1] == "-" else 1
            kind, text, position = self.take()
            if kind != "number" or not text.isdigit():
                self.fail(f"the power at position {position + 1} is not an integer")
            exponent = sign * int(text)  # at most MAX_LENGTH digits: cheap
            if abs(exponent) > MAX_POWER:
                self.fail(f"the power {exponent} is out of range (from -{MAX_POWER} to {MAX_POWER})")
            value = value**exponent
        return value

    def atom(self) -> Quantity:
        token = self.peek()
        kind, text, position = self.take()
        if kind == "name":
            if text not in UNITS:
                self.fail(f"unknown unit {text!r}")
            return UNITS[text]
        if text == "(":
            value = self.product()
            closing = self.peek()
            if closing is None or closing[1] != ")":
                self.fail(f"expected ')' but found {self.describe(closing)}")
            self.take()
            return value
        self.fail(f"expected a unit name but found {self.describe(token)}")


def unit_text(dims: Any) -> str:
    """A readable unit for an error message ('a quantity in s', 'a quantity in Hz', 'a plain number')."""
    if dims is DIMENSIONLESS:
        return "a plain number"
    return f"a quantity in {Quantity(1, dim=dims).get_best_unit()!s}".replace("1.0 ", "")


def read_quantity(text: str, field: str, allowed: str = "expected " + WRITTEN_AS) -> Quantity:
    """Parse a quantity string into a Brian2 quantity of whatever dimensions it names.

    Parameters
    ----------
    text
        The string, e.g. ``"20 ms"``, ``"-70 mV"``, ``"1 mV/ms"``, ``"3 nS*ms**-1"``; a bare
        number is dimensionless.
    field
        The dotted name of the field being read, named in every error.
    allowed
        The "what is allowed" part of the error message.

    Returns
    -------
    Quantity
        ``number * unit`` (a plain float when dimensionless, as Brian2 arithmetic gives); it may
        be infinite or NaN (``"inf ms"``): callers check finiteness.

    Raises
    ------
    ConfigError
        When the text is too long, is not in the grammar, names an unknown unit or a power out
        of range, or its unit is too large or small to represent.
    """
    if len(text) > MAX_LENGTH:
        raise ConfigError(field, f"a quantity of {len(text)} characters is too long", allowed)
    parser = _Parser(text, field, allowed)
    number, unit = parser.quantity()
    scale = float(unit)
    if not (math.isfinite(scale) and scale != 0.0):
        parser.fail("its unit is out of the range of floating-point numbers")
    return number * unit


def parse_quantity(value: Any, like: Quantity | None, field: str) -> Quantity:
    """Read a value of a quantity field: a string with a unit, a number, or a quantity.

    Parameters
    ----------
    value
        ``"20 ms"`` (see :func:`read_quantity`), a bare number when ``like`` is dimensionless,
        or a Brian2 quantity.
    like
        A quantity of the dimensions the field needs (``1 * ms``); ``None`` accepts any
        dimensions (the result's dimensions are those written).
    field
        The dotted field name for error messages.

    Returns
    -------
    Quantity
        A finite quantity with the dimensions of ``like``.

    Raises
    ------
    ConfigError
        Naming ``field``, for a value of the wrong type, text that cannot be read, the wrong
        dimensions or a value that is not finite.
    """
    dims = get_dimensions(like) if like is not None else None
    expected = unit_text(dims) if dims is not None else "a number with a unit"
    allowed = f'expected {expected}, e.g. "{like!s}"' if like is not None else f"expected {WRITTEN_AS}"
    if isinstance(value, bool):
        raise ConfigError(field, f"got a boolean {value!r}", f"expected {expected}")
    if isinstance(value, int | float):
        if dims is not None and dims is not DIMENSIONLESS:
            raise ConfigError(field, f"{value!r} has no unit", allowed)
        quantity = Quantity(float(value))
    elif isinstance(value, str):
        quantity = read_quantity(value, field, allowed)
    elif isinstance(value, Quantity):
        quantity = value
    else:
        raise ConfigError(field, f"got {type(value).__name__} {value!r}", f"expected {expected}")
    if dims is not None and get_dimensions(quantity) != dims:
        raise ConfigError(field, f"{value!r} has the wrong unit", f"expected {expected}")
    if not math.isfinite(float(quantity)):
        raise ConfigError(field, f"{value!r} is not finite", f"expected a finite {expected.removeprefix('a ')}")
    return quantity

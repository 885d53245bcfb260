"""Quantity strings are parsed, never evaluated: typical values, refusals, and a property test
that random and hostile strings never run code, finish quickly and either give the right
dimensions or one ConfigError naming the field."""

from __future__ import annotations

import ast
import builtins
import math
import os
import re
import subprocess
import sys
import time
from contextlib import ExitStack
from pathlib import Path
from unittest import mock

import pytest
from brian2 import Hz, metre, ms, mV, nS, second
from brian2.units.fundamentalunits import DIMENSIONLESS, Quantity, get_dimensions
from hypothesis import given, settings
from hypothesis import strategies as st

import snnlearn
from snnlearn import quantity
from snnlearn.errors import ConfigError
from snnlearn.quantity import MAX_LENGTH, MAX_POWER, UNITS, parse_quantity, read_quantity

ERROR_LINE = re.compile(r"^error: [A-Za-z0-9_.\-\[\]]+: .+; .+$")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("20 ms", 20 * ms),
        ("0.5 nS", 0.5 * nS),
        ("-70 mV", -70 * mV),
        ("+3 Hz", 3 * Hz),
        ("10 Hz", 10 * Hz),
        ("20ms", 20 * ms),
        ("20. ms", 20 * ms),
        ("-.5 mV", -0.5 * mV),
        ("1e7 ms", 1e7 * ms),
        ("2.5E-3 s", 2.5 * ms),
        ("2 s", 2 * second),
        ("1 mV/ms", 1 * mV / ms),
        ("7 Hz*ms", 0.007),
        ("3 nS*ms**-1", 3 * nS / ms),
        ("2 (mV/ms)**2", 2 * (mV / ms) ** 2),
        ("1 ms^2", 1 * ms**2),
        ("4 metre**-4", 4 * metre**-4),
        ("  5 ms  ", 5 * ms),
        ("0.02 kHz", 20 * Hz),
        ("5", 5.0),
        ("-2.5", -2.5),
    ],
)
def test_typical_values_are_read(text, expected):
    got = read_quantity(text, "f")
    assert get_dimensions(got) == get_dimensions(expected)
    assert math.isclose(float(got), float(expected), rel_tol=1e-12)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "there is no number"),
        ("ms", "it does not start with a number"),
        ("fast", "it does not start with a number"),
        ("5 parsecs", "unknown unit 'parsecs'"),
        ("5 m s", "unknown unit 'm'"),
        ("5 ms ms", "unexpected 'ms' at position 6"),
        ("1 ms**2.5", "the power at position 7 is not an integer"),
        ("1 ms**5", "the power 5 is out of range"),
        ("1 ms**-99999999999999999999", "out of range"),
        ("1 Hz*9**9**9", "expected a unit name but found '9'"),
        ("1 (ms", "expected ')' but found the end"),
        ("1 ms)", "unexpected ')'"),
        ("1 ms*", "it ends too early"),
        ("1 ((((ms**4)**4)**4)**4)", "out of the range of floating-point numbers"),
        ("().__class__.__base__.__subclasses__()", "unexpected '.' at position 3"),
        ("1 __import__('os').system('x')", 'unexpected "\'"'),
        ("1 __class__", "unknown unit '__class__'"),
        ("1 ms**\u00b2", "unexpected '\u00b2'"),
        ("\u0661 ms", "unexpected '\u0661'"),
        ("1\u00a0ms", "unexpected"),
        ("1 " + "(" * 60 + "ms" + ")" * 60, "too long"),
    ],
)
def test_what_is_not_a_quantity_is_one_error_naming_the_field(text, problem):
    with pytest.raises(ConfigError) as info:
        read_quantity(text, "groups.out.params.tau_m")
    assert info.value.field == "groups.out.params.tau_m"
    assert problem in info.value.problem
    assert "expected a number with a unit" in info.value.allowed


def test_parse_quantity_checks_type_dimensions_and_finiteness():
    assert parse_quantity("20 ms", 1 * ms, "f") == 20 * ms
    assert parse_quantity(0.5, Quantity(1.0), "f") == 0.5
    assert get_dimensions(parse_quantity("3 mV/ms", None, "f")) == get_dimensions(mV / ms)
    for value, message in [
        ("20 mV", "f: '20 mV' has the wrong unit; expected a quantity in s"),
        ("inf ms", "f: 'inf ms' is not finite"),
        (3, "f: 3 has no unit"),
        (True, "f: got a boolean True"),
        ([1], "f: got list [1]"),
        ("nan", "f: 'nan' has the wrong unit"),
    ]:
        with pytest.raises(ConfigError, match=re.escape(message)):
            parse_quantity(value, 1 * ms, "f")


def test_the_package_calls_neither_eval_nor_exec():
    root = Path(snnlearn.__file__).parent
    for path in root.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                assert node.func.id not in ("eval", "exec", "compile"), f"{path}:{node.lineno}"


# --- property tests --------------------------------------------------------------------------

SOME_UNITS = [
    "ms",
    "second",
    "s",
    "mV",
    "volt",
    "nS",
    "Hz",
    "kHz",
    "nA",
    "pF",
    "metre",
    "cm",
    "um",
    "kilogram",
    "mM",
    "ohm",
    "Mohm",
    "siemens",
    "cm2",
    "msecond2",
    "mvolt3",
]
HOSTILE = [
    "().__class__.__base__.__subclasses__()",
    "__import__('os').system('touch {sentinel}')",
    "1 Hz*9**9**9",
    "9**9**9",
    "1 ms**9**9",
    "1 (lambda: 0)()",
    "1 [x for x in ()]",
    "1 ms if 1 else 0",
    "1 ms; import os",
    "1 ms\nimport os",
    "1 __builtins__",
    "1 globals()",
    "1 ms.__class__",
    "1 ms[0]",
    "1 ms, 2",
    "1 ms @ ms",
    "1 ms ** ms",
    "1 ms % 2",
    "1 'ms'",
    "1 ms#",
    "1e999999 ms",
    "1" * 400,
    "1 " + "(" * 200,
    "nan ms",
    "-inf mV",
    "0x10 ms",
    "1_000 ms",
    "１ ms",
    "1 ｍs",
    "1\x00ms",
]
TOKENS = [
    *SOME_UNITS,
    "*",
    "/",
    "**",
    "^",
    "(",
    ")",
    "-",
    "+",
    "2",
    "-1",
    "4",
    "5",
    "0.5",
    "1e3",
    " ",
    ".",
    "__class__",
    "eval",
    "os",
    "'",
    "[",
    "]",
    ",",
    "inf",
    "nan",
    "e",
    "xyz",
]
LIKES = [1 * ms, 1 * mV, 1 * Hz, 1 * nS, Quantity(1.0), None]


def _spy(calls, name):
    def spy(*args, **kwargs):
        calls.append(name)
        raise AssertionError(f"{name} was called while parsing a quantity")

    return spy


def _no_code_runs(calls):
    """Patch the ways a string could turn into running code or a process, recording each call."""
    stack = ExitStack()
    for name in ("eval", "exec", "compile"):
        stack.enter_context(mock.patch.object(builtins, name, _spy(calls, name)))
    stack.enter_context(mock.patch.object(os, "system", _spy(calls, "os.system")))
    stack.enter_context(mock.patch.object(subprocess, "Popen", _spy(calls, "subprocess.Popen")))
    return stack


candidates = st.one_of(
    st.text(max_size=MAX_LENGTH + 20),
    st.sampled_from(HOSTILE),
    st.lists(st.sampled_from(TOKENS), max_size=40).map("".join),
    st.tuples(
        st.floats(allow_nan=True, allow_infinity=True).map(repr),
        st.lists(st.sampled_from(TOKENS), max_size=12).map("".join),
    ).map(" ".join),
)


@settings(max_examples=400, deadline=None)
@given(text=candidates, like=st.sampled_from(LIKES))
def test_any_string_is_parsed_without_running_code_in_bounded_time(tmp_path_factory, text, like):
    sentinel = tmp_path_factory.getbasetemp() / "quantity-sentinel"
    text = text.replace("{sentinel}", str(sentinel))
    calls: list[str] = []
    started = time.perf_counter()
    with _no_code_runs(calls):
        try:
            value = parse_quantity(text, like, "groups.inputs.rate")
        except ConfigError as exc:
            value = exc
    assert time.perf_counter() - started < 1.0, text
    assert calls == [] and not sentinel.exists()
    if isinstance(value, ConfigError):
        assert value.field == "groups.inputs.rate" and value.problem and value.allowed
        assert ERROR_LINE.match(f"error: {value}"), str(value)  # one line, field; problem; allowed
    else:
        assert isinstance(value, Quantity | float) and math.isfinite(float(value))  # float: dimensionless
        if like is not None:
            assert get_dimensions(value) == get_dimensions(like)


def _units(draw, depth=0):
    """A random unit expression: its text and the same unit built with Python operators."""
    choice = draw(st.integers(0, 3 if depth < 3 else 0))
    if choice == 0:
        name = draw(st.sampled_from(SOME_UNITS))
        return name, UNITS[name]
    if choice == 1:
        text, unit = _units(draw, depth + 1)
        power = draw(st.integers(-MAX_POWER, MAX_POWER))
        return f"({text})**{power}", unit**power
    left, left_unit = _units(draw, depth + 1)
    right, right_unit = _units(draw, depth + 1)
    if choice == 2:
        return f"{left} * {right}", left_unit * right_unit
    return f"{left}/({right})", left_unit / right_unit


@settings(max_examples=200, deadline=None)
@given(data=st.data(), number=st.floats(-1e6, 1e6, allow_nan=False))
def test_a_well_formed_quantity_reads_as_the_unit_it_names(data, number):
    text, unit = _units(data.draw)
    written = f"{number!r} {text}"
    if len(written) > MAX_LENGTH:
        return
    expected = number * unit
    if not math.isfinite(float(unit)) or float(unit) == 0:
        return
    got = read_quantity(written, "f")
    assert get_dimensions(got) == get_dimensions(expected)
    assert math.isclose(float(got), float(expected), rel_tol=1e-9, abs_tol=1e-300)


def test_dimensionless_ratio_of_units_is_a_plain_number():
    got = parse_quantity("3 mV/volt", Quantity(1.0), "f")
    assert get_dimensions(got) is DIMENSIONLESS and math.isclose(float(got), 0.003)


# --- the command line ------------------------------------------------------------------------


def test_set_value_that_would_explode_is_one_error_line_and_nothing_is_written(tmp_path):
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "snnlearn.cli", "run", "song2000", "--set", "groups.inputs.rate=1 Hz*9**9**9"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PYTHONPATH": str(Path(snnlearn.__file__).parents[1])},
    )
    assert time.perf_counter() - started < 300
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and ERROR_LINE.match(lines[0]), result.stderr
    assert lines[0].startswith("error: groups.inputs.rate: cannot read '1 Hz*9**9**9' as a quantity")
    assert list(tmp_path.iterdir()) == []


def test_model_file_with_code_in_a_unit_is_refused_without_running_it(tmp_path, capsys):
    from snnlearn import cli
    from snnlearn.experiment import models_dir

    sentinel = tmp_path / "ran"
    text = (models_dir() / "song2000.toml").read_text()
    hostile = f"1 Hz*__import__('os').system('touch {sentinel}')"
    model = tmp_path / "model.toml"
    model.write_text(re.sub(r'(?m)^(rate\s*=\s*)".*?"', lambda m: f'{m.group(1)}"{hostile}"', text, count=1))
    assert hostile in model.read_text()
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        for args in (["check", str(model)], ["run", "song2000", "--model", str(model)]):
            assert cli.main(args) == 2
            err = [line for line in capsys.readouterr().err.splitlines() if not line.startswith("warning:")]
            assert len(err) == 1 and ERROR_LINE.match(err[0]) and "rate" in err[0], err
    finally:
        os.chdir(cwd)
    assert not sentinel.exists() and sorted(p.name for p in tmp_path.iterdir()) == ["model.toml"]


def test_module_documents_its_grammar():
    assert "recursive-descent" in quantity.__doc__ and str(MAX_POWER) in quantity.WRITTEN_AS

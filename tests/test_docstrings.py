"""Every public function, class, method and property of ``snnlearn`` has a docstring.

Every module of the package is imported (:func:`pkgutil.walk_packages`; private modules, whose
name has a part starting with ``_``, are skipped) and, for every public name (no leading
underscore) *defined* in that module, checked with :func:`inspect.getdoc`:

- functions and classes;
- the methods (plain, class and static) and properties (``property`` and
  ``functools.cached_property``) defined in each of those classes.

``inspect.getdoc`` takes a method's or a property's docstring from the base class it overrides,
so an override that does what its base method documents needs no docstring of its own: documenting
``Rule.on_pre`` documents every rule's ``on_pre``. Two things that ``inspect.getdoc`` returns do
not count: the signature a dataclass writes as the docstring of a class without one
(``GroupSpec(name: str, ...)``), and the docstring of a builtin type, which a property overriding a
plain class attribute (``learned_state = ()``) would otherwise inherit.

Importing the modules starts no simulation: ``brian2.Network.run`` (which ``brian2.run`` and the
standalone device go through too) raises while they are imported, here and in a fresh interpreter
where no module of the package has been imported yet.
"""

from __future__ import annotations

import builtins
import dataclasses
import functools
import importlib
import inspect
import pkgutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from unittest import mock

import brian2

import snnlearn
from snnlearn.rules.stdp import AdditiveSTDP

ROOT = Path(__file__).resolve().parent.parent

#: Docstrings of the builtin types: what ``inspect.getdoc`` finds for a property that overrides a
#: plain class attribute (a tuple, a string) of a base class without a docstring.
BUILTIN_DOCS = {inspect.getdoc(t) for t in vars(builtins).values() if isinstance(t, type)}


def _no_simulation(*args, **kwargs):
    raise AssertionError("a module of snnlearn started a simulation when it was imported")


def public_modules() -> Iterator[ModuleType]:
    """Every public module of the package, imported (no simulation may start meanwhile)."""
    with mock.patch.object(brian2.Network, "run", _no_simulation):
        yield snnlearn
        for info in pkgutil.walk_packages(snnlearn.__path__, "snnlearn."):
            if not any(part.startswith("_") for part in info.name.split(".")):
                yield importlib.import_module(info.name)


def has_docstring(obj: object, name: str) -> bool:
    """True when ``obj`` (named ``name``) has a docstring of its own or inherits one from a base class."""
    doc = inspect.getdoc(obj)
    if not doc or doc in BUILTIN_DOCS:
        return False
    generated = dataclasses.is_dataclass(obj) and "\n" not in doc and doc.startswith(f"{name}(")
    return not generated


def members(cls: type) -> Iterator[tuple[str, object]]:
    """The public methods and properties that ``cls`` itself defines, as ``inspect.getdoc`` takes them."""
    for name, attr in vars(cls).items():
        if name.startswith("_"):
            continue
        if isinstance(attr, property | functools.cached_property):
            yield name, attr
        elif inspect.isfunction(attr) or isinstance(attr, classmethod | staticmethod):
            yield name, getattr(cls, name)  # the function as looked up on the class, or the bound method


def missing_docstrings() -> list[str]:
    """The dotted names of every public function, class, method and property without a docstring."""
    missing = []
    for module in public_modules():
        for name, obj in vars(module).items():
            if name.startswith("_") or getattr(obj, "__module__", None) != module.__name__:
                continue  # private, or imported from elsewhere
            if not (inspect.isfunction(obj) or inspect.isclass(obj)):
                continue
            if not has_docstring(obj, name):
                missing.append(f"{module.__name__}.{name}")
            if inspect.isclass(obj):
                missing += [f"{module.__name__}.{name}.{m}" for m, attr in members(obj) if not has_docstring(attr, m)]
    return missing


def test_every_public_function_class_method_and_property_has_a_docstring():
    missing = missing_docstrings()
    assert not missing, f"{len(missing)} public names without a docstring:\n" + "\n".join(missing)


def _class_members() -> Iterator[tuple[str, str, str, object]]:
    """(module, class, member name, member) of every member the check looks at."""
    for module in public_modules():
        for name, obj in vars(module).items():
            if not name.startswith("_") and inspect.isclass(obj) and obj.__module__ == module.__name__:
                yield from ((module.__name__, name, m, attr) for m, attr in members(obj))


class _Base:
    """A base class whose attribute has no docstring."""

    learned_state: tuple[str, ...] = ()


class _Override(_Base):
    """A property without a docstring over the base's plain tuple."""

    @property
    def learned_state(self) -> tuple[str, ...]:
        return ()


@dataclasses.dataclass
class _Plain:
    x: int


def test_the_check_sees_methods_inherited_docstrings_and_refuses_stand_ins():
    checked = {f"{module}.{cls}.{name}" for module, cls, name, _ in _class_members()}
    assert {"snnlearn.rules.base.Rule.on_pre", "snnlearn.rules.stdp.AdditiveSTDP.on_pre"} <= checked
    assert {"snnlearn.neurons.NeuronModel.threshold", "snnlearn.ratenet.network.Architecture.out_activation"} <= checked
    assert has_docstring(AdditiveSTDP.on_pre, "on_pre")  # from Rule.on_pre

    assert inspect.getdoc(vars(_Override)["learned_state"]) == inspect.getdoc(tuple)
    assert not has_docstring(vars(_Override)["learned_state"], "learned_state")
    assert inspect.getdoc(_Plain).startswith("_Plain(x: ")  # the signature dataclasses write
    assert not has_docstring(_Plain, "_Plain")


def test_importing_every_module_starts_no_simulation():
    code = (
        "import importlib, pkgutil, brian2\n"
        "def refuse(*args, **kwargs):\n"
        "    raise SystemExit('a module of snnlearn started a simulation when it was imported')\n"
        "brian2.Network.run = refuse\n"
        "import snnlearn\n"
        "for info in pkgutil.walk_packages(snnlearn.__path__, 'snnlearn.'):\n"
        "    importlib.import_module(info.name)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]

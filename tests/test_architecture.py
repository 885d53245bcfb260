"""The layering rules of docs/design.md, checked: no import cycles, thin experiments, one config module."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "snnlearn"
EXPERIMENTS = sorted((ROOT / "experiments").glob("*.py"))


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> set[str]:
    """Every snnlearn module ``path`` imports, at module level or inside functions."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1])
                base = f"{base}.{node.module}" if node.module else base
            else:
                base = node.module or ""
            found.add(base)
            found.update(f"{base}.{a.name}" for a in node.names)
    return {m for m in found if m.startswith("snnlearn")}


def test_no_import_cycles_in_the_package():
    modules = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph = {m: {i for i in imports(p) if i in modules and i != m} for m, p in modules.items()}
    cycles = set()

    def visit(node: str, path: list[str]) -> None:
        for nxt in graph[node]:
            if nxt in path:
                cycles.add(" -> ".join(path[path.index(nxt) :] + [nxt]))
            elif len(path) < 12:
                visit(nxt, path + [nxt])

    for start in graph:
        visit(start, [start])
    assert not cycles, sorted(cycles)[:5]


#: the most statements an experiment script may hold: logical lines, so the limit does not depend on how the
#: formatter wraps a call (the module docstring, comments and blank lines do not count)
MAX_EXPERIMENT_STATEMENTS = 130


def statements(text: str) -> int:
    """How many statements (``ast.stmt`` nodes, nested ones included) a module holds."""
    return sum(isinstance(node, ast.stmt) for node in ast.walk(ast.parse(text)))


def test_statement_count_ignores_wrapping():
    assert statements("x = f(1,\n      2)\ny = 3\n") == statements("x = f(1, 2)\ny = 3\n") == 2
    assert statements("def f():\n    if x:\n        return 1\n") == 3


@pytest.mark.parametrize("path", EXPERIMENTS, ids=lambda p: p.stem)
def test_experiments_are_thin_and_load_no_other(path):
    text = path.read_text()
    count = statements(text)
    assert count <= MAX_EXPERIMENT_STATEMENTS, f"{path.name}: {count} statements"
    assert "load_experiment(" not in text
    assert not re.search(r"^from (snnlearn_)?experiments|^import experiments", text, re.M)


def test_environment_variables_are_read_in_one_place():
    readers = [
        p.relative_to(ROOT)
        for p in PACKAGE.rglob("*.py")
        if re.search(r"environ(\.get)?[\[(]\s*[\"']SNNLEARN_", p.read_text()) and p.name != "config.py"
    ]
    assert not readers, readers


@pytest.mark.parametrize("path", EXPERIMENTS, ids=lambda p: p.stem)
def test_every_experiment_imports_and_describes_itself(path):
    from snnlearn.experiment import describe, load_experiment

    module = load_experiment(path.stem)
    assert describe(module) and callable(module.run)

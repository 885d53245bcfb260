"""Shared test set-up: NumPy code generation for runtime tests (no compile wait), results in tmp."""

from __future__ import annotations

import os

import pytest

# Runtime-backend tests use Brian2's NumPy target: Cython would spend ~60 s compiling each new
# network on a fresh machine. Standalone tests compile C++ (marked ``standalone``).
os.environ.setdefault("SNNLEARN_CODEGEN", "numpy")


@pytest.fixture
def run_dir(tmp_path):
    """A fresh folder path for one experiment run (``--out``)."""
    return tmp_path / "run"

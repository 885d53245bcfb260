"""Every ``SNNLEARN_*`` environment variable, read and checked in one place.

The command line checks them all at start-up (:func:`check_environment`), so a bad value is one
``error:`` line before anything runs. The README lists the same table.

=====================  =====================================================================
variable               meaning
=====================  =====================================================================
``SNNLEARN_HOME``      folder holding ``experiments/`` and ``models/`` (default: the package's own)
``SNNLEARN_DATA``      default MNIST folder when an experiment's ``data.path`` is ``"auto"``
``SNNLEARN_CODEGEN``   Brian2 code generation target of the runtime backend: auto, cython, numpy
``SNNLEARN_BUILD_DIR`` cache of compiled standalone programs (default ``~/.cache/snnlearn/standalone``)
``SNNLEARN_FIGURES``   vector formats saved beside each PNG figure: ``pdf``, ``svg`` or ``pdf,svg``
=====================  =====================================================================
"""

from __future__ import annotations

import os
from pathlib import Path

from .errors import ConfigError, one_of

HOME = "SNNLEARN_HOME"
DATA = "SNNLEARN_DATA"
CODEGEN = "SNNLEARN_CODEGEN"
BUILD_DIR = "SNNLEARN_BUILD_DIR"
FIGURES = "SNNLEARN_FIGURES"

#: name -> one-line description (the README's table)
VARIABLES = {
    HOME: "folder holding experiments/ and models/ (default: the installed package's own)",
    DATA: 'default MNIST folder for data.path = "auto"',
    CODEGEN: "code generation target of the runtime backend: auto, cython or numpy",
    BUILD_DIR: "cache of compiled standalone programs (default ~/.cache/snnlearn/standalone)",
    FIGURES: "vector formats saved beside each PNG figure: pdf, svg or pdf,svg (default: none)",
}

CODEGEN_TARGETS = ("auto", "cython", "numpy")
FIGURE_FORMATS = ("pdf", "svg")


def _get(name: str) -> str | None:
    value = os.environ.get(name)
    return value if value else None


def home() -> Path | None:
    """``SNNLEARN_HOME`` as a folder, or None when unset."""
    value = _get(HOME)
    if value is None:
        return None
    path = Path(value)
    if not path.is_dir():
        raise ConfigError(HOME, f"{value} is not a folder", "a folder holding experiments/ and models/")
    return path


def data_path() -> str | None:
    """``SNNLEARN_DATA`` (a folder of MNIST IDX files), or None when unset."""
    value = _get(DATA)
    if value is not None and not Path(value).is_dir():
        raise ConfigError(DATA, f"{value} is not a folder", "a folder with MNIST IDX files")
    return value


def codegen_target() -> str | None:
    """``SNNLEARN_CODEGEN``, or None when unset (the caller picks the default)."""
    value = _get(CODEGEN)
    if value is not None and value not in CODEGEN_TARGETS:
        raise ConfigError(CODEGEN, f"unknown target {value!r}", one_of(CODEGEN_TARGETS))
    return value


def build_root() -> Path:
    """Where compiled standalone programs are cached."""
    value = _get(BUILD_DIR)
    path = Path(value) if value else Path.home() / ".cache" / "snnlearn" / "standalone"
    if path.exists() and not path.is_dir():
        raise ConfigError(BUILD_DIR, f"{path} exists and is not a folder", "a folder (created if missing)")
    return path


def figure_formats() -> tuple[str, ...]:
    """``SNNLEARN_FIGURES``: the vector formats saved beside each PNG figure (none when unset)."""
    value = _get(FIGURES)
    formats = tuple(f.strip().lower() for f in value.split(",") if f.strip()) if value else ()
    for fmt in formats:
        if fmt not in FIGURE_FORMATS:
            raise ConfigError(FIGURES, f"unknown format {fmt!r}", one_of(FIGURE_FORMATS))
    return formats


def check_environment() -> None:
    """Check every ``SNNLEARN_*`` value now (a ConfigError names the first bad one)."""
    home()
    data_path()
    codegen_target()
    build_root()
    figure_formats()

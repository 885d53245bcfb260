"""Sphinx configuration of the snnlearn documentation site.

Build (warnings are errors): ``sphinx-build -W --keep-going -b html docs docs/_build/html``.
The pages of rules, neuron models and experiments are generated from the code by
``docs/_generate.py`` at the start of each build.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # the checkout's package, also without an install
sys.path.insert(0, str(HERE))
os.environ.setdefault("SNNLEARN_CODEGEN", "numpy")

import snnlearn  # noqa: E402

project = "snnlearn"
release = version = snnlearn.__version__
copyright = "The snnlearn authors, MIT licence"

extensions = ["sphinx.ext.autodoc", "sphinx.ext.napoleon", "sphinx.ext.viewcode", "myst_parser"]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
# figures/: committed results the generated pages show (images, JSON, the comparison table), no pages
exclude_patterns = ["_build", "examples", "figures"]
root_doc = "index"
html_theme = "alabaster"
html_theme_options = {"description": "spiking networks trained by local rules", "fixed_sidebar": True}
html_static_path: list[str] = []

autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_default_options = {"members": True, "undoc-members": False, "show-inheritance": False}
napoleon_google_docstring = False
napoleon_numpy_docstring = True
napoleon_use_ivar = True
myst_heading_anchors = 3
suppress_warnings = ["myst.xref_missing"]


def _generate(app) -> None:
    from _generate import generate

    generate()


def setup(app) -> None:
    app.connect("builder-inited", _generate)

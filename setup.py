"""Build step: ship the repository's ``models/`` and ``experiments/`` inside the wheel.

They stay top-level folders in the repository (the one copy that is edited); ``build_py``
copies them into the built package as ``snnlearn/_data/models`` and ``snnlearn/_data/experiments``
(package data, never top-level packages that could collide with other distributions). An
editable install skips the copy and reads the checkout's folders (see ``snnlearn/paths.py``).
Everything else is configured in ``pyproject.toml``.
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
#: repository folder -> files copied into snnlearn/_data/<folder>
DATA = {"models": "*.toml", "experiments": "*.py"}


class BuildPyWithData(build_py):
    """``build_py`` that also copies the model files and experiment scripts into the package."""

    def run(self):
        super().run()
        if getattr(self, "editable_mode", False):
            return
        for folder, pattern in DATA.items():
            target = Path(self.build_lib) / "snnlearn" / "_data" / folder
            shutil.rmtree(target, ignore_errors=True)  # no file removed from the repository survives a rebuild
            target.mkdir(parents=True)
            for source in sorted((ROOT / folder).glob(pattern)):
                shutil.copy2(source, target / source.name)


setup(cmdclass={"build_py": BuildPyWithData})

"""Where the experiments and model files are found: a checkout, an editable install or a wheel.

The repository's top-level ``experiments/`` and ``models/`` folders are the only copy in the
source tree. Building a wheel copies them into the package as ``snnlearn/_data/experiments`` and
``snnlearn/_data/models`` (``setup.py``'s ``build_py`` step; ``MANIFEST.in`` puts them in the
sdist), so an installed package carries its own and never installs top-level packages named
``experiments`` or ``models``. An editable install and a plain checkout have no ``_data``
folder: they read the repository's folders next to the package. The search order is

1. ``SNNLEARN_HOME`` (a folder holding ``experiments/`` and ``models/``), when set;
2. ``snnlearn/_data/`` inside the installed package (a wheel);
3. the checkout the package was imported from (``snnlearn/..``).
"""

from __future__ import annotations

from pathlib import Path

from .errors import ConfigError

PACKAGE_DIR = Path(__file__).resolve().parent
PACKAGED_DATA = PACKAGE_DIR / "_data"
CHECKOUT = PACKAGE_DIR.parent


def _holds_data(folder: Path) -> bool:
    return (folder / "experiments").is_dir() and (folder / "models").is_dir()


def data_root() -> Path:
    """The folder holding ``experiments/`` and ``models/``.

    Returns
    -------
    Path
        ``SNNLEARN_HOME``, the wheel's ``snnlearn/_data`` or the checkout, in that order.

    Raises
    ------
    ConfigError
        When none of them holds both folders (a broken installation).
    """
    from . import config

    home = config.home()
    if home is not None:
        return home
    for candidate in (PACKAGED_DATA, CHECKOUT):
        if _holds_data(candidate):
            return candidate
    raise ConfigError(
        config.HOME,
        "no experiments/ and models/ found in the package or its checkout",
        "reinstall snnlearn, or set SNNLEARN_HOME to a folder holding them",
    )


def checkout_root() -> Path | None:
    """The git checkout the package was imported from, or None (an installed wheel)."""
    return CHECKOUT if (CHECKOUT / ".git").exists() and (CHECKOUT / "pyproject.toml").is_file() else None

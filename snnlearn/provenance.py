"""What a run records about the code and the model it ran: git commit or version, model hash.

``metrics.json`` gets a ``provenance`` entry: the package version, the git commit of the
checkout it was run from (and whether that checkout had uncommitted changes to tracked files),
or ``None`` for an installed wheel, and the sha256 of the model file's bytes and of the model as
run (after ``--set`` overrides, as canonical JSON).
"""

from __future__ import annotations

import hashlib
import json
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from . import __version__
from .paths import checkout_root


def _git(root: Path, *args: str) -> str | None:
    try:
        result = subprocess.run(
            ["git", "-C", str(root), *args], capture_output=True, text=True, timeout=10, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return result.stdout.strip() if result.returncode == 0 else None


def git_state() -> dict[str, Any]:
    """The checkout's commit and whether tracked files differ from it (both None outside a checkout)."""
    root = checkout_root()
    commit = _git(root, "rev-parse", "HEAD") if root is not None else None
    if commit is None:
        return {"git_commit": None, "git_dirty": None}
    assert root is not None
    status = _git(root, "status", "--porcelain", "--untracked-files=no")
    return {"git_commit": commit, "git_dirty": bool(status) if status is not None else None}


def sha256_file(path: str | Path) -> str:
    """Hex sha256 of a file's bytes."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def sha256_json(data: Any) -> str:
    """Hex sha256 of ``data`` as canonical JSON (sorted keys; non-JSON values as strings)."""
    from .results import to_jsonable

    text = json.dumps(to_jsonable(data), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def provenance(model_file: str | Path | None, model_raw: Mapping[str, Any] | None) -> dict[str, Any]:
    """The ``provenance`` entry of ``metrics.json``.

    Parameters
    ----------
    model_file
        The model file the run read, or None when the experiment has no model.
    model_raw
        The model as run (the file's tables after ``--set`` overrides), or None.

    Returns
    -------
    dict
        ``version``, ``git_commit``, ``git_dirty``, ``model_file_sha256``, ``model_sha256``.
    """
    path = Path(model_file) if model_file is not None else None
    return {
        "version": __version__,
        **git_state(),
        "model_file_sha256": sha256_file(path) if path is not None and path.is_file() else None,
        "model_sha256": sha256_json(model_raw) if model_raw is not None else None,
    }

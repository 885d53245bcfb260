"""A run's result folder, written so that a crash never leaves a half-written file.

Every file is written to a temporary name in the same folder, flushed to disk and renamed over
its final name (``os.replace`` is atomic on POSIX): a reader, or a run killed with SIGKILL at any
moment, sees either the previous complete file or the new complete file. ``metrics.json`` is
written last, so a folder without it is an unfinished (resumable) run. Run folders are created
with an exclusive ``mkdir``: two runs started at once never share one.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import secrets
import stat
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
from brian2.units.fundamentalunits import DIMENSIONLESS, Quantity

METRICS_FILE = "metrics.json"


def current_umask() -> int:
    """The process's file-mode creation mask, read without changing it where Linux allows.

    ``/proc/self/status`` has it since Linux 4.7; elsewhere it is read by setting and restoring
    it (``os.umask`` has no read-only form).
    """
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _final_mode(path: Path) -> int:
    """The mode ``open(path, "w")`` would leave: the existing file's, else 0o666 less the umask."""
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except OSError:
        return 0o666 & ~current_umask()


def atomic_write_bytes(path: Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` through a temporary file and a rename.

    The temporary file is created private (0600, by ``mkstemp``) and given, before the rename,
    the mode a plain ``open()`` would: that of the file it replaces, or 0666 less the umask, so
    colleagues can read a shared results folder when the umask lets them.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = _final_mode(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            os.fchmod(handle.fileno(), mode)
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def to_jsonable(value: Any) -> Any:
    """Convert NumPy scalars/arrays, Brian2 quantities, paths and tuples for ``json``."""
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_jsonable(v) for v in value]
    if isinstance(value, Quantity):  # a Brian2 quantity prints with its unit: "20. ms"
        return str(value) if value.dim is not DIMENSIONLESS else to_jsonable(np.asarray(value))
    if isinstance(value, np.ndarray):
        return to_jsonable(value.tolist())
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, np.generic):
        return to_jsonable(value.item())
    if isinstance(value, float) and not math.isfinite(value):
        return None if math.isnan(value) else ("inf" if value > 0 else "-inf")
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)


def atomic_write_json(path: Path, data: Mapping[str, Any]) -> Path:
    text = json.dumps(to_jsonable(data), indent=2, sort_keys=False)
    return atomic_write_bytes(path, (text + "\n").encode())


def atomic_write_csv(path: Path, rows: list[Mapping[str, Any]]) -> Path:
    """Write ``rows`` as a CSV table; its columns are every key, in order of first appearance."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(dict.fromkeys(k for row in rows for k in row)))
    writer.writeheader()
    writer.writerows(rows)
    return atomic_write_bytes(path, buffer.getvalue().encode())


def atomic_save_npz(path: Path, **arrays: Any) -> Path:
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    return atomic_write_bytes(path, buffer.getvalue())


def load_npz(path: Path) -> dict[str, np.ndarray]:
    with np.load(path, allow_pickle=False) as data:
        return {k: data[k] for k in data.files}


def read_metrics(run_dir: Path) -> dict[str, Any]:
    return json.loads((Path(run_dir) / METRICS_FILE).read_text())


def is_complete(run_dir: Path) -> bool:
    return (Path(run_dir) / METRICS_FILE).is_file()


def new_run_dir(root: Path, experiment: str, seed: int) -> Path:
    """Create ``root/<experiment>/<time>-s<seed>-<random>`` exclusively (never shared)."""
    parent = Path(root) / experiment
    parent.mkdir(parents=True, exist_ok=True)
    while True:
        run_id = f"{time.strftime('%Y%m%d-%H%M%S')}-s{seed}-{secrets.token_hex(3)}"
        try:
            (parent / run_id).mkdir()
            return parent / run_id
        except FileExistsError:  # pragma: no cover - 24 random bits collided
            continue


def claim_dir(path: Path) -> Path:
    """Use ``path`` (from ``--out``) as a run folder: it must be new or empty."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        path.mkdir()
    except FileExistsError:
        if not path.is_dir() or any(path.iterdir()):
            raise
    return path

"""A run's result folder, written so that a crash never leaves a half-written file.

Every file is written to a temporary name in the same folder, flushed to disk and renamed over
its final name (``os.replace`` is atomic on POSIX): a reader, or a run killed with SIGKILL at any
moment, sees either the previous complete file or the new complete file. ``metrics.json`` is
written last, so a folder without it is an unfinished (resumable) run. Run folders are created
with an exclusive ``mkdir``: two runs started at once never share one.

:func:`load_run` is the one reader of a finished run folder (``snnlearn.load_run``): metrics,
parameters and every ``.npz`` array, with the spike trains and trajectories picked out by the
naming conventions experiments follow when they save arrays:

- a spike train is a pair ``<group>_i`` (neuron indices) and ``<group>_t`` (times in seconds)
  in one file (``spikes.npz`` by convention);
- a trajectory is any array whose first axis runs along the ``times_s`` array of the same file
  (weights after each chunk, thresholds, rates); its name is the array's key (``<file>.<key>``
  when two files use the same key);
- a unit is read from the end of a name: ``_s``, ``_ms``, ``_mV``, ``Hz`` ... (``theta_mV``,
  ``rate_10Hz``); anything else is dimensionless.
"""

from __future__ import annotations

import contextlib
import csv
import fcntl
import hashlib
import io
import json
import math
import os
import re
import secrets
import stat
import tempfile
import time
import zipfile
import zlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Self

import numpy as np
from brian2.units.fundamentalunits import DIMENSIONLESS, Quantity

METRICS_FILE = "metrics.json"


class SampleLists:
    """Samples appended during a run, one list per field in :attr:`fields`, carried in checkpoints
    as ``<prefix>_<field>`` arrays (:meth:`arrays` / :meth:`from_arrays`). Subclasses name the
    fields and add their own ``add``."""

    prefix: ClassVar[str] = ""
    fields: ClassVar[tuple[str, ...]] = ()

    def __init__(self) -> None:
        for name in self.fields:
            setattr(self, name, [])

    def arrays(self) -> dict[str, Any]:
        """The samples as arrays (float), one per field, for a checkpoint or ``.npz`` file."""
        import numpy as np

        return {f"{self.prefix}_{name}": np.array(getattr(self, name), dtype=float) for name in self.fields}

    @classmethod
    def from_arrays(cls, saved: Any) -> Self:
        """Samples read back from :meth:`arrays`' output; empty when ``saved`` holds none."""
        import numpy as np

        record = cls()
        if f"{cls.prefix}_{cls.fields[0]}" in saved:
            for name in cls.fields:
                setattr(record, name, list(np.asarray(saved[f"{cls.prefix}_{name}"], dtype=float)))
        return record


#: metrics that measure the machine (wall-clock time, memory), not the simulation: two runs of
#: the same seed agree on every other metric, whatever the chunk length or an interruption
WALL_CLOCK_METRICS = frozenset(
    {
        "wall_time_s",
        "peak_memory_mb",
        "compile_seconds",
        "simulation_seconds",
        "train_seconds",
        "train_images_per_second",
        "evaluation_seconds",
        "evaluation_compile_seconds",
        "curve_evaluation_seconds",
        "curve_evaluation_fraction",
        "rate_half_cpu_seconds",
        "spiking_half_wall_seconds",
    }
)
PARAMS_FILE = "params.json"
TIMES_KEY = "times_s"
_UNIT_SUFFIX = re.compile(r"(?:^|_|\d)(kHz|Hz|ms|us|s|mV|uV|V|nS|uS|pA|nA|uA)$")


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
    """Write ``data`` as indented JSON (values converted by :func:`to_jsonable`), atomically.

    See :func:`atomic_write_bytes`; returns ``path``.
    """
    text = json.dumps(to_jsonable(data), indent=2, sort_keys=False)
    return atomic_write_bytes(path, (text + "\n").encode())


def atomic_write_csv(path: Path, rows: Sequence[Mapping[str, Any]]) -> Path:
    """Write ``rows`` as a CSV table; its columns are every key, in order of first appearance."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(dict.fromkeys(k for row in rows for k in row)))
    writer.writeheader()
    writer.writerows(rows)
    return atomic_write_bytes(path, buffer.getvalue().encode())


def atomic_save_npz(path: Path, **arrays: Any) -> Path:
    """Write ``arrays`` as a compressed ``.npz`` file, atomically (see :func:`atomic_write_bytes`).

    The archive is built in memory first, so a reader never sees a partial file. Returns ``path``.
    """
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    return atomic_write_bytes(path, buffer.getvalue())


def load_npz(path: Path) -> dict[str, np.ndarray]:
    """Every array of an ``.npz`` file, read into memory (the file is closed on return).

    Pickled object arrays are refused (``allow_pickle=False``), so a file from elsewhere cannot
    run code.
    """
    with np.load(path, allow_pickle=False) as data:
        return {k: data[k] for k in data.files}


CHECKSUM_KEY = "_sha256"


def _digest(arrays: Mapping[str, np.ndarray]) -> str:
    h = hashlib.sha256()
    for key in sorted(arrays):
        value = np.ascontiguousarray(arrays[key])
        h.update(f"{key}:{value.dtype.str}:{value.shape}".encode())
        h.update(value.tobytes())
    return h.hexdigest()


def save_checkpoint(path: Path, **arrays: Any) -> Path:
    """Write a checkpoint atomically with a sha256 of its contents (checked by :func:`load_checkpoint`)."""
    arrays = {k: np.asarray(v) for k, v in arrays.items()}
    return atomic_save_npz(path, **arrays, **{CHECKSUM_KEY: np.array(_digest(arrays))})


class IntervalCheckpoint:
    """Write checkpoints to ``path`` at most once per ``every_s`` seconds of wall time, or when forced.

    A checkpoint that carries a whole run's samples grows with the run, so writing one after every
    chunk makes a long run's cost grow with the square of its length; resuming from any checkpoint
    gives the same result, so how often one is written changes only how much a kill loses.
    ``every_s = 0`` writes at every call.
    """

    #: the longest interval accepted (a day)
    MAX_SECONDS = 86_400.0

    def __init__(self, path: Path, every_s: float) -> None:
        self.path, self.every_s, self.last = path, self.check(every_s), time.perf_counter()

    @classmethod
    def check(cls, every_s: Any, field: str = "checkpoint_seconds") -> float:
        """``every_s`` as a float, or a ConfigError naming ``field`` and the allowed range."""
        from .errors import ConfigError

        if isinstance(every_s, bool) or not isinstance(every_s, int | float) or not 0 <= every_s <= cls.MAX_SECONDS:
            raise ConfigError(field, f"{every_s!r} is out of range", f"expected seconds from 0 to {cls.MAX_SECONDS:g}")
        return float(every_s)

    def save(self, arrays: Callable[[], Mapping[str, Any]], *, force: bool = False) -> bool:
        """Write ``arrays()`` (built only when due) if forced or the interval has passed; True if written."""
        if not force and time.perf_counter() - self.last < self.every_s:
            return False
        save_checkpoint(self.path, **arrays())
        self.last = time.perf_counter()
        return True


def load_checkpoint(path: Path) -> dict[str, np.ndarray]:
    """A checkpoint written by :func:`save_checkpoint`; a damaged one is a ConfigError naming the file."""
    from .errors import ConfigError

    how = "delete it to restart the run from the beginning, or start a new run"
    try:
        arrays = load_npz(path)
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, zlib.error) as exc:
        raise ConfigError(str(path), f"damaged checkpoint ({type(exc).__name__}: {exc})", how) from None
    stored = arrays.pop(CHECKSUM_KEY, None)
    if stored is None or str(stored) != _digest(arrays):
        raise ConfigError(str(path), "damaged checkpoint (its checksum does not match its contents)", how)
    return arrays


@contextlib.contextmanager
def lock_run_dir(folder: Path | None) -> Iterator[Callable[[Path], None]]:
    """Hold an exclusive lock on a run folder while a process writes it.

    Yields ``lock(folder)``, which takes the lock (at once for ``folder``, else when the caller
    has created its folder); a second writer of the same folder gets a ConfigError.
    """
    from .errors import ConfigError

    handles: list[Any] = []

    def lock(path: Path) -> None:
        if handles:
            return
        handle = open(Path(path) / ".lock", "a")  # noqa: SIM115 - held until the run ends
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            raise ConfigError(
                "--resume",
                f"{path} is being written by another process",
                "wait for it to finish, or resume once it has stopped",
            ) from None
        handles.append(handle)

    if folder is not None and Path(folder).is_dir():
        lock(folder)
    try:
        yield lock
    finally:
        for handle in handles:
            handle.close()


def read_metrics(run_dir: Path) -> dict[str, Any]:
    """The ``metrics.json`` of a finished run folder, as a dict (no check: see :func:`load_run`)."""
    return json.loads((Path(run_dir) / METRICS_FILE).read_text())


def is_complete(run_dir: Path) -> bool:
    """True when a run folder holds its ``metrics.json``, which is written last, once the run has finished."""
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


def unit_of(name: str) -> str:
    """The unit a saved array's name ends with (``theta_mV`` -> ``mV``), or ``dimensionless``."""
    match = _UNIT_SUFFIX.search(name)
    return match.group(1) if match else "dimensionless"


@dataclass(frozen=True)
class SpikeTrain:
    """The spikes of one group: neuron ``indices`` and ``times_s`` (seconds), in time order."""

    group: str
    indices: np.ndarray
    times_s: np.ndarray


@dataclass(frozen=True)
class Trajectory:
    """A recorded variable over time: ``values[k]`` at ``times_s[k]`` (seconds), in ``unit``."""

    name: str
    times_s: np.ndarray
    values: np.ndarray
    unit: str = "dimensionless"

    @property
    def is_weight(self) -> bool:
        """True for a synaptic weight trajectory (its name says ``weight`` or is ``w``)."""
        return "weight" in self.name.lower() or self.name.split(".")[-1] in ("w", "w_trace")


@dataclass(frozen=True)
class RunResult:
    """A finished run folder, read back as NumPy: what :func:`load_run` returns.

    Attributes
    ----------
    path
        The run folder.
    metrics
        ``metrics.json``: the experiment's metrics plus experiment, seed, backend, parameters,
        the model as run, versions and provenance.
    params
        ``params.json``: the experiment's parameters after overrides.
    arrays
        Every array of every ``.npz`` file, by file stem then key (``arrays["weights"]["weights"]``).
    spikes
        Spike trains by group name.
    trajectories
        Trajectories by name (weights and other state variables).
    """

    path: Path
    metrics: dict[str, Any]
    params: dict[str, Any]
    arrays: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)
    spikes: dict[str, SpikeTrain] = field(default_factory=dict)
    trajectories: dict[str, Trajectory] = field(default_factory=dict)

    @property
    def experiment(self) -> str:
        """The experiment's name."""
        return str(self.metrics.get("experiment", ""))

    @property
    def weights(self) -> dict[str, Trajectory]:
        """The weight trajectories among :attr:`trajectories`."""
        return {k: v for k, v in self.trajectories.items() if v.is_weight}


def _spike_trains(arrays: Mapping[str, np.ndarray]) -> dict[str, SpikeTrain]:
    trains = {}
    for key in arrays:
        if key.endswith("_i") and f"{key[:-2]}_t" in arrays:
            group = key[:-2]
            indices, times = np.asarray(arrays[key]), np.asarray(arrays[f"{group}_t"], dtype=float)
            if indices.ndim == 1 and indices.shape == times.shape:
                order = np.argsort(times, kind="stable")
                trains[group] = SpikeTrain(group, indices[order].astype(np.int64), times[order])
    return trains


def _trajectories(stem: str, arrays: Mapping[str, np.ndarray]) -> dict[str, Trajectory]:
    times = arrays.get(TIMES_KEY)
    if times is None or np.ndim(times) != 1:
        return {}
    times = np.asarray(times, dtype=float)
    return {
        key: Trajectory(key, times, np.asarray(value), unit_of(key))
        for key, value in arrays.items()
        if key != TIMES_KEY
        and np.ndim(value) >= 1
        and np.shape(value)[0] == len(times)
        and np.issubdtype(np.asarray(value).dtype, np.number)
    }


def load_run(path: str | Path) -> RunResult:
    """Read a finished run folder: metrics, parameters, arrays, spike trains and trajectories.

    Parameters
    ----------
    path
        A run folder written by ``snnlearn run`` (it holds ``metrics.json``).

    Returns
    -------
    RunResult
        Everything as plain Python and NumPy (times in seconds).

    Raises
    ------
    ConfigError
        When ``path`` is not a folder or holds no ``metrics.json`` (not a finished run).

    Examples
    --------
    >>> run = snnlearn.load_run("results/song2000/20260101-120000-s1-abc123")  # doctest: +SKIP
    >>> run.spikes["out"].times_s, run.weights["weights"].values.shape  # doctest: +SKIP
    """
    from .errors import ConfigError

    folder = Path(path)
    if not folder.is_dir():
        raise ConfigError("RUN_DIR", f"{path} is not a folder", "give the folder of a finished run")
    if not is_complete(folder):
        raise ConfigError(
            "RUN_DIR", f"{path} is not a finished run (no {METRICS_FILE})", "give the folder of a finished run"
        )
    params_path = folder / PARAMS_FILE
    params = json.loads(params_path.read_text()) if params_path.is_file() else {}
    arrays, spikes, trajectories = {}, {}, {}
    for npz in sorted(folder.glob("*.npz")):
        if npz.name.startswith(("checkpoint", ".")):
            continue
        data = load_npz(npz)
        arrays[npz.stem] = data
        spikes.update(_spike_trains(data))
        for key, trajectory in _trajectories(npz.stem, data).items():
            if key in trajectories:
                key = f"{npz.stem}.{key}"
                trajectory = Trajectory(key, trajectory.times_s, trajectory.values, trajectory.unit)
            trajectories[key] = trajectory
    return RunResult(folder, read_metrics(folder), params.get("params", params), arrays, spikes, trajectories)

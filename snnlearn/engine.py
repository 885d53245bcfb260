"""Running Brian2 networks: runtime (Cython, falling back to NumPy) or compiled ``cpp_standalone``.

The unit of work is a *chunk*: a fixed-duration run that starts from the network's initial
state, overwritten by carried variables (weights, adaptive thresholds) and per-chunk inputs
(a ``TimedArray`` of stimuli), with its own random seed derived from the run's seed and the
chunk's index. Both backends give chunks the same meaning:

- standalone: the network is generated and compiled once (``device.build(run=False)``), and
  each chunk re-runs the binary with ``device.run(run_args=...)``; the per-chunk seed reaches
  the compiled program through an environment variable read by code inserted before the run,
  so a chunk is reproducible without recompiling;
- runtime: the initial state is stored once and restored before each chunk
  (``Network.restore``), then carried variables and inputs are set and the chunk is run.

Because a chunk depends only on (carried state, inputs, seed, index), a checkpoint of the
carried state after chunk k lets a killed run resume and reproduce an uninterrupted run.
See ``docs/engine.md`` for the measurements behind these choices.
"""

from __future__ import annotations

import contextlib
import fcntl
import gc
import hashlib
import os
import shutil
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import brian2
import numpy as np
from brian2 import Network, TimedArray, device, prefs, set_device

from . import config
from .errors import ConfigError, warn
from .progress import Progress
from .session import NumericalError, StandaloneBuildError

SEED_ENV = "SNNLEARN_CHUNK_SEED"


def compiler_available() -> bool:
    """True when a C++ compiler is on the PATH (needed by Cython and standalone)."""
    return shutil.which(os.environ.get("CXX", "g++")) is not None or shutil.which("c++") is not None


def resolve_backend(name: str, explicit: bool) -> str:
    """Fall back from standalone to runtime (one warning) when no compiler is there.

    When standalone was asked for explicitly, that is an error instead.
    """
    if name == "standalone" and not compiler_available():
        if explicit:
            raise ConfigError("--backend", "standalone needs a C++ compiler and none was found (g++/c++)",
                              "install one or use --backend runtime")
        warn("no C++ compiler found: running on the runtime backend (NumPy) instead of standalone")
        return "runtime"
    return name


def codegen_target() -> str:
    """Brian2's ``auto`` (Cython when it compiles, else NumPy); ``SNNLEARN_CODEGEN`` overrides."""
    forced = config.codegen_target()
    if forced and forced != "auto":
        return forced
    return "auto" if compiler_available() else "numpy"


def chunk_seed(seed: int, index: int) -> int:
    """The seed of chunk ``index`` of a run seeded with ``seed`` (stable across processes)."""
    digest = hashlib.sha256(f"{seed}:{index}".encode()).digest()
    return int.from_bytes(digest[:4], "little") % (2**31 - 1)


def default_build_root() -> Path:
    return config.build_root()


@contextlib.contextmanager
def backend_session(backend: str, seed: int, *, key: str = "network") -> Iterator[Path | None]:
    """Select the Brian2 device for building and running one network, then reset it.

    ``key`` names the standalone build folder (one per network layout, reused across runs so
    that ``make`` recompiles nothing that did not change); concurrent runs with the same key
    get separate folders. Yields that folder (None for runtime).
    """
    # Objects of an earlier network in this process keep their names until collected; collect
    # them so that this network's generated code has the same names (and compiled objects can be
    # reused from the build folder).
    gc.collect()
    brian2.seed(seed)
    if backend == "runtime":
        set_device("runtime")
        prefs.codegen.target = codegen_target()
        try:
            yield None
        finally:
            prefs.codegen.target = "auto"
        return
    with _locked_build_dir(key) as directory:
        set_device("cpp_standalone", build_on_run=False, directory=str(directory))
        prefs.devices.cpp_standalone.openmp_threads = 0  # OpenMP was slower on 2 cores
        # Brian2's default is an unbounded ``make -j``: dozens of compilers at once on a small machine
        prefs.devices.cpp_standalone.extra_make_args_unix = [f"-j{os.cpu_count() or 2}"]
        try:
            brian2.seed(seed)
            yield directory
        finally:
            device.reinit()
            device.activate()
            set_device("runtime")


@contextlib.contextmanager
def _locked_build_dir(key: str) -> Iterator[Path]:
    root = default_build_root()
    root.mkdir(parents=True, exist_ok=True)
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in key)
    for attempt in range(64):
        directory = root / (safe if attempt == 0 else f"{safe}.{attempt}")
        directory.mkdir(exist_ok=True)
        handle = open(directory / ".lock", "w")  # noqa: SIM115 - held for the whole session
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            continue
        try:
            yield directory
        finally:
            handle.close()
        return
    raise RuntimeError(f"no free standalone build folder for {key} under {root}")


class ChunkRunner:
    """Runs one network chunk after chunk, carrying chosen variables between chunks.

    Parameters
    ----------
    network: the ``brian2.Network`` (built inside :func:`backend_session`).
    duration: the simulated length of every chunk.
    backend: ``"runtime"`` or ``"standalone"``.
    seed: the run's seed; chunk k runs with :func:`chunk_seed` (seed, k).
    carry: ``(object, variable name)`` pairs whose end-of-chunk values start the next chunk.
    build_dir: the standalone build folder (from :func:`backend_session`).
    """

    def __init__(self, network: Network, duration, *, backend: str, seed: int,
                 carry: Sequence[tuple[Any, str]] = (), build_dir: Path | None = None) -> None:
        self.network = network
        self.duration = duration
        self.backend = backend
        self.seed = seed
        self.carry = list(carry)
        self.build_dir = build_dir
        self.state: dict[str, Any] = {}
        self.compile_seconds = 0.0
        self._compiled = False
        if backend == "standalone":
            if build_dir is None:
                raise ValueError("standalone needs the build folder of backend_session")
            device.insert_code("main", _RESEED_CODE)
        else:
            network.store("snnlearn_chunk_start")

    @staticmethod
    def key(obj: Any, var: str) -> str:
        return f"{obj.name}.{var}"

    def state_arrays(self) -> dict[str, np.ndarray]:
        """The carried state as plain arrays (base units) for a checkpoint."""
        return {f"state:{key}": np.asarray(value) for key, value in self.state.items()}

    def load_state_arrays(self, saved: Mapping[str, np.ndarray]) -> None:
        """Restore the carried state from :meth:`state_arrays` output (units put back)."""
        for obj, var in self.carry:
            name = f"state:{self.key(obj, var)}"
            if name in saved:
                self.state[self.key(obj, var)] = saved[name] * _unit_of(obj, var)

    def compile(self) -> float:
        """Generate and compile the standalone program (once); returns seconds spent."""
        if self.backend != "standalone" or self._compiled:
            return 0.0
        started = time.perf_counter()
        self.network.run(self.duration, namespace={})
        try:
            device.build(directory=str(self.build_dir), compile=True, run=False, with_output=False)
        except (RuntimeError, OSError) as exc:
            raise StandaloneBuildError(f"the standalone build in {self.build_dir} failed ({exc})") from exc
        self._compiled = True
        self.compile_seconds = time.perf_counter() - started
        return self.compile_seconds

    def run(self, index: int, inputs: Mapping[Any, Any] | None = None) -> None:
        """Run chunk ``index`` with ``inputs``: {TimedArray: values, (obj, var): values}."""
        inputs = dict(inputs or {})
        seed = chunk_seed(self.seed, index)
        carried = {(obj, var): self.state[self.key(obj, var)] for obj, var in self.carry
                   if self.key(obj, var) in self.state}
        if self.backend == "standalone":
            self.compile()
            run_args = {}
            for key, value in {**carried, **inputs}.items():
                run_args[key if isinstance(key, TimedArray) else getattr(key[0], key[1])] = value
            device.run_environment_variables[SEED_ENV] = str(seed)
            try:
                device.run(directory=str(self.build_dir), run_args=run_args, with_output=False)
            finally:
                os.environ.pop(SEED_ENV, None)
        else:
            self.network.restore("snnlearn_chunk_start")
            brian2.seed(seed)
            for key, value in {**carried, **inputs}.items():
                if isinstance(key, TimedArray):
                    key.values[...] = np.asarray(value, dtype=float).reshape(key.values.shape)
                else:
                    getattr(key[0], key[1])[:] = value
            self.network.run(self.duration, namespace={})
        new_state = {self.key(obj, var): getattr(obj, var)[:].copy() for obj, var in self.carry}
        self._check_finite(new_state, index)
        self.state = new_state

    def _check_finite(self, state: Mapping[str, Any], index: int) -> None:
        """Raise NumericalError naming the first carried or neuron state variable that is not finite."""
        values = dict(state)
        for group in self.network.objects:
            if isinstance(group, brian2.NeuronGroup):
                for var in group.equations.diff_eq_names:
                    values[self.key(group, var)] = getattr(group, var)[:]
        for key, value in values.items():
            if not np.all(np.isfinite(np.asarray(value))):
                raise NumericalError(key, index)


_RESEED_CODE = f"""
{{
    const char* snnlearn_seed = std::getenv("{SEED_ENV}");
    if (snnlearn_seed != NULL) {{
        const unsigned long value = std::strtoul(snnlearn_seed, NULL, 10);
        for (size_t _i = 0; _i < brian::_random_generators.size(); _i++)
            brian::_random_generators[_i].seed(value + _i);
    }}
}}
"""


def run_chunks(runner: ChunkRunner, n_chunks: int, record: Callable[[int], Mapping[str, Any]], *,
               checkpoint: Path | None = None, label: str = "chunks",
               inputs: Callable[[int], Mapping[Any, Any]] | None = None) -> dict[str, list[np.ndarray]]:
    """Run chunks ``0..n_chunks-1``, collecting ``record(k)`` after each, with checkpoints.

    After each chunk the carried state, the records so far and the next chunk's index are
    written atomically to ``checkpoint``; if that file exists when this is called, the run
    continues from it, and (chunks being deterministic in state, inputs and seed) the result
    equals an uninterrupted run. Returns ``{name: [value of chunk 0, value of chunk 1, ...]}``.
    """
    from .results import atomic_save_npz, load_npz

    records: dict[str, list[np.ndarray]] = {}
    start = 0
    if checkpoint is not None and Path(checkpoint).is_file():
        saved = load_npz(checkpoint)
        start = int(saved.pop("next_chunk"))
        runner.load_state_arrays(saved)
        for key, value in saved.items():
            if not key.startswith("record:"):
                continue
            name, index = key.removeprefix("record:").rsplit(":", 1)
            records.setdefault(name, []).append((int(index), value))
        records = {k: [v for _, v in sorted(pairs, key=lambda p: p[0])] for k, pairs in records.items()}
        print(f"  {label}: resuming at chunk {start}/{n_chunks} from {checkpoint}", file=sys.stderr)
    progress = Progress(n_chunks, label, start=start)
    for k in range(start, n_chunks):
        runner.run(k, inputs(k) if inputs else None)
        for name, value in record(k).items():
            records.setdefault(name, []).append(np.asarray(value))
        if checkpoint is not None:
            arrays = runner.state_arrays()
            arrays.update({f"record:{name}:{i}": v for name, vs in records.items() for i, v in enumerate(vs)})
            atomic_save_npz(checkpoint, next_chunk=np.array(k + 1), **arrays)
        progress.update(k + 1)
    return records


def _unit_of(obj: Any, var: str):
    from brian2.units.fundamentalunits import Quantity

    return Quantity(1.0, dim=getattr(obj, var).dim)

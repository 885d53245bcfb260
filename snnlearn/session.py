"""A simulation session: one built network that runs on and on, on either backend, carrying its whole state.

A :class:`Session` owns a ``brian2.Network`` and its backend. ``run()`` advances it by one or
more *chunks* (a fixed simulated duration) and the next ``run()`` continues exactly where the
last one ended: every variable of every group and synapse (traces, eligibility, dopamine,
adaptive thresholds, ``lastspike``, refractoriness, ``lastupdate``), the spikes still in
flight in synaptic delay queues, the simulated time and the random number streams. A run's
result therefore does not depend on how it is cut into chunks, and :meth:`Session.state` /
:meth:`Session.load_state` carry all of it through a checkpoint into another process, so a
killed run resumed from its last checkpoint equals the uninterrupted run.

How each backend does it:

- **runtime**: the same ``Network`` keeps running (``Network.run`` continues in time). A
  checkpoint holds Brian2's own full state of every non-monitor object (``_full_state``, which
  includes the spike queues), the clocks, the time and the device's random state (NumPy's
  generator and Brian2's Cython buffers), stored as plain arrays (no pickle).
- **standalone** (``cpp_standalone``): the network is compiled once for one chunk and the
  binary is re-run for every chunk (``device.run``). Brian2 writes every array at the end of a
  run; code inserted before the run (:func:`_state_header`) reads them back from the previous
  run's results folder, sets the network's time (so every clock, ``lastspike`` and
  ``run_regularly`` stay on the absolute time grid), restores each pathway's spike queue and
  the Mersenne Twister state of every random generator, which code inserted after the run
  writes. Brian2's ``RandomGenerator`` keeps its engine private; the inserted code reaches it
  through explicit template instantiation, which C++ allows to name private members, so the
  generated sources are not edited. This was written for Brian2 2.9 (``SUPPORTED_BRIAN2``;
  ``tests/test_session.py`` fails on another version until it is checked again).

Monitors hold what was recorded during the last ``run()`` only (:meth:`Session.spikes`,
:meth:`Session.samples`), on both backends; a recording's times are absolute.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import brian2
import numpy as np
from brian2 import Network, TimedArray, device, second
from brian2.monitors import EventMonitor, PopulationRateMonitor, SpikeMonitor, StateMonitor
from brian2.units.fundamentalunits import Quantity

from .errors import ConfigError

#: Brian2 versions whose standalone templates the inserted C++ was written against and tested with.
SUPPORTED_BRIAN2 = ("2.9.0",)
STATE_ENV = "SNNLEARN_STATE_IN"
_HEADER = "snnlearn_state.h"
_MONITORS = (SpikeMonitor, EventMonitor, StateMonitor, PopulationRateMonitor)
#: per-step scratch arrays that no step reads from the step before
_SCRATCH = {"_spikespace"}


class StandaloneBuildError(RuntimeError):
    """Generating or compiling the standalone program failed (compiler missing or broken)."""


class NumericalError(FloatingPointError):
    """A state variable became NaN or infinite; ``variable`` names it."""

    def __init__(self, variable: str, t_end: float) -> None:
        self.variable = variable
        super().__init__(
            f"{variable}: became NaN or infinite before t = {t_end:g} s; the time step is probably too "
            "large for a time constant (or a learning rate too high): lower simulation.dt"
        )


def chunk_count(duration: Quantity, chunk: Quantity, field: str = "chunk", whole: str = "the duration") -> int:
    """How many chunks of ``chunk`` make ``duration``; a chunk that does not divide it is a
    ConfigError naming ``field`` (and ``whole``, what it should divide)."""
    if not chunk > 0 * second:
        raise ConfigError(field, f"{chunk} is not positive", "expected a duration > 0 s")
    ratio = float(duration / chunk)
    n = int(round(ratio))
    if n < 1 or abs(ratio - n) > 1e-9 * max(1.0, ratio):
        raise ConfigError(
            field,
            f"{chunk} does not divide {whole} ({duration}) into whole parts",
            f"expected {whole} / {field} to be a whole number >= 1",
        )
    return n


def _carried(network: Network) -> list[Any]:
    """The array variables that make up the network's state (standalone): every non-constant
    array of every group and synapse, monitors and clocks excepted."""
    found, seen = [], set()
    for obj in network.sorted_objects:
        if isinstance(obj, _MONITORS) or not hasattr(obj, "variables"):
            continue
        for var in obj.variables.values():
            if not isinstance(var, brian2.core.variables.ArrayVariable) or var.owner is None:
                continue
            if var.owner.name != obj.name or var.constant or var.name in _SCRATCH:
                continue
            if id(var) not in seen:
                seen.add(id(var))
                found.append(var)
    return found


class Session:
    """One network on one backend, run chunk after chunk as if it were one long run.

    Parameters
    ----------
    network
        The ``brian2.Network``, built inside :func:`snnlearn.engine.backend_session`.
    backend
        ``"runtime"`` or ``"standalone"``.
    chunk
        Simulated duration of one chunk (the compiled run on standalone); ``run(duration)``
        takes a whole number of chunks.
    build_dir
        The standalone build folder (from ``backend_session``).
    check_finite
        After each run, raise :class:`NumericalError` naming the first state variable that is
        NaN or infinite.
    """

    def __init__(
        self,
        network: Network,
        *,
        backend: str,
        chunk: Quantity,
        build_dir: Path | None = None,
        check_finite: bool = True,
    ) -> None:
        if backend not in ("runtime", "standalone"):
            raise ValueError(f"unknown backend {backend!r}")
        if backend == "standalone" and build_dir is None:
            raise ValueError("standalone needs the build folder of backend_session")
        self.network, self.backend, self.chunk = network, backend, chunk
        self.build_dir: Path = Path(build_dir) if build_dir is not None else Path()  # standalone only
        self.check_finite = check_finite
        self.chunks_run = 0
        self._t = 0.0
        self.compile_seconds = 0.0
        self._compiled = False
        self._carried_files: set[str] = set()  # the arrays a checkpoint holds (standalone)
        self._state_in: Path | None = None
        self._pending: dict[Any, Any] = {}  # (obj, var) -> value for the next run (standalone)
        self._timed: dict[TimedArray, np.ndarray] = {}  # TimedArray values, re-applied every run
        self._offsets: dict[str, int] = {}  # runtime: monitor sizes before the last run
        self._counts: dict[str, np.ndarray] = {}  # runtime: spike counts before the last run
        self._monitors = [o for o in network.objects if isinstance(o, _MONITORS)]
        self._initial_stored = False

    # ---------------------------------------------------------------- time
    @property
    def t(self) -> float:
        """Simulated time reached, in seconds (a run ended by :func:`stop_if` ends early)."""
        return self._t

    # ---------------------------------------------------------------- build
    def compile(self) -> float:
        """Generate and compile the standalone program once; returns the seconds it took."""
        if self.backend != "standalone" or self._compiled:
            return 0.0
        started = time.perf_counter()
        header_path = self.build_dir / _HEADER
        device.insert_code("before_network_run", "snnlearn_load_state();")
        device.insert_code("after_network_run", "snnlearn_save_state();")
        self.network.run(self.chunk, namespace={})
        carried = _carried(self.network)
        self._carried_files = {device.get_array_filename(v) for v in carried}
        text = _state_header(self.network, carried)
        digest = hashlib.sha256(text.encode()).hexdigest()[:16]
        # main.cpp must change whenever the header does (make tracks main.cpp, not the header)
        device.insert_code("main", f"// snnlearn state code {digest}")
        self.build_dir.mkdir(parents=True, exist_ok=True)
        if not header_path.is_file() or header_path.read_text() != text:
            header_path.write_text(text)
        device.headers.append(f'"{_HEADER}"')
        try:
            device.build(directory=str(self.build_dir), compile=True, run=False, with_output=False)
        except (RuntimeError, OSError) as exc:
            raise StandaloneBuildError(f"the standalone build in {self.build_dir} failed ({exc})") from exc
        for results in ("results_a", "results_b", "state_in"):
            shutil.rmtree(self.build_dir / results, ignore_errors=True)
        self._compiled = True
        self.compile_seconds = time.perf_counter() - started
        return self.compile_seconds

    def reset(self) -> None:
        """Return to the network's initial state (variables, time and random streams), forgetting
        values set since; a ``TimedArray``'s values are inputs, not state, and stay."""
        self._pending.clear()
        self.chunks_run, self._t = 0, 0.0
        if self.backend == "standalone":
            self._state_in = None
        elif self._initial_stored:
            self.network.restore("snnlearn_initial", restore_random_state=True)

    # ---------------------------------------------------------------- inputs and state
    def set(self, obj: Any, var: str, value: Any) -> None:
        """Set ``obj.var`` for the runs to come (a state variable: it then evolves as usual)."""
        if self.backend == "runtime":
            getattr(obj, var)[:] = value
        else:
            self._pending[(obj, var)] = value

    def set_timed(self, timed: TimedArray, values: Any) -> None:
        """Replace a ``TimedArray``'s values (same shape) for the runs to come."""
        values = np.asarray(values, dtype=float).reshape(timed.values.shape)
        if self.backend == "runtime":
            timed.values[...] = values
        else:
            self._timed[timed] = values

    def get(self, obj: Any, var: str) -> Any:
        """The current value of ``obj.var`` (a copy, with units, like ``obj.var[:]``)."""
        if self.backend == "standalone" and self.chunks_run == 0 and (obj, var) in self._pending:
            return self._pending[(obj, var)]
        return getattr(obj, var)[:].copy()

    # ---------------------------------------------------------------- running
    def run(self, duration: Quantity | None = None) -> bool:
        """Advance by ``duration`` (a whole number of chunks; default one chunk).

        Returns True when the network stopped itself (:func:`stop_if`) before the end.
        """
        n = 1 if duration is None else chunk_count(duration, self.chunk, "duration")
        for _ in range(n):
            expected = self._t + float(self.chunk / second)
            if self.backend == "standalone":
                self._run_standalone()
                t_file = self.build_dir / (self._state_in.name if self._state_in else "") / "snnlearn_t.bin"
                self._t = float(np.fromfile(t_file, dtype=np.float64)[0])
            else:
                self._run_runtime()
                self._t = float(self.network.t / second)
            self.chunks_run += 1
            if self.check_finite:
                self._check_finite()
            if self._t < expected - 1e-9:
                return True
        return False

    def _run_runtime(self) -> None:
        if not self._initial_stored:  # for reset(); values set before the first run are part of it
            self.network.store("snnlearn_initial")
            self._initial_stored = True
        for monitor in self._monitors:
            self._offsets[monitor.name] = _recorded_length(monitor)
            if isinstance(monitor, EventMonitor):
                self._counts[monitor.name] = np.asarray(monitor.count[:]).copy()
        self.network.run(self.chunk, namespace={})

    def _run_standalone(self) -> None:
        self.compile()
        run_args: dict[Any, Any] = {getattr(obj, var): value for (obj, var), value in self._pending.items()}
        run_args.update(self._timed)
        results = "results_a" if self.chunks_run % 2 == 0 else "results_b"
        device.run_environment_variables[STATE_ENV] = str(self._state_in) + "/" if self._state_in else ""
        try:
            device.run(directory=str(self.build_dir), results_directory=results, run_args=run_args, with_output=False)
        except RuntimeError as exc:
            raise StandaloneBuildError(f"the standalone program in {self.build_dir} failed ({exc})") from exc
        finally:
            os.environ.pop(STATE_ENV, None)
            static = self.build_dir / "static_arrays"
            for name in list(device.run_args_arrays):  # run_args files would pile up, one per chunk
                for path in (static / name, static / f"{name}.lock"):
                    path.unlink(missing_ok=True)
        self._pending.clear()
        self._state_in = self.build_dir / results

    # ---------------------------------------------------------------- recordings of the last run
    def spikes(self, monitor: SpikeMonitor) -> tuple[np.ndarray, np.ndarray]:
        """``(indices, times in s)`` of the spikes ``monitor`` recorded during the last run."""
        start = self._offsets.get(monitor.name, 0) if self.backend == "runtime" else 0
        # slice before copying: a long runtime run keeps every spike in the monitor
        return np.array(monitor.i[start:]), np.array(monitor.t_[start:])

    def event_values(self, monitor: SpikeMonitor, var: str) -> np.ndarray:
        """The values of ``var`` that ``monitor`` recorded with each spike of the last run (base units)."""
        start = self._offsets.get(monitor.name, 0) if self.backend == "runtime" else 0
        return np.array(getattr(monitor, var + "_")[start:])

    def spike_count(self, monitor: SpikeMonitor) -> np.ndarray:
        """Spikes per neuron recorded by ``monitor`` during the last run."""
        count = np.array(monitor.count[:]).astype(np.int64)
        if self.backend == "runtime" and monitor.name in self._counts:
            count = count - self._counts[monitor.name]
        return count

    def samples(self, monitor: StateMonitor, var: str) -> tuple[np.ndarray, np.ndarray]:
        """``(times in s, values (recorded x samples) in base units)`` of the last run."""
        start = self._offsets.get(monitor.name, 0) if self.backend == "runtime" else 0
        if self.backend == "standalone":  # Brian2 guesses a 2-d array's shape from the last read
            recorded = monitor.variables[var]
            recorded.size = (0, recorded.size[1])
        t = np.array(monitor.t_[start:])
        if len(monitor.t) == 0:  # nothing recorded (a run shorter than the sampling interval)
            return t, np.zeros((int(monitor.n_indices), 0))
        values = np.array(np.asarray(getattr(monitor, var + "_")).reshape(-1, len(monitor.t))[:, start:])
        return t, values

    # ---------------------------------------------------------------- checkpoints
    def state(self) -> dict[str, np.ndarray]:
        """The whole state as plain arrays (a checkpoint: :meth:`load_state` restores it)."""
        arrays: dict[str, np.ndarray] = {
            "session:chunks_run": np.array(self.chunks_run),
            "session:t": np.array(self._t),
        }
        if self.backend == "standalone":
            if self._state_in is not None:
                for path in sorted(self._state_in.iterdir()):  # what the next run loads, no more
                    if path.name in self._carried_files or path.name.startswith("snnlearn_"):
                        arrays[f"file:{path.name}"] = np.frombuffer(path.read_bytes(), dtype=np.uint8)
            if self._pending:
                names = ", ".join(f"{obj.name}.{var}" for obj, var in self._pending)
                raise RuntimeError(f"{names} set after the last run: take a checkpoint right after a run")
            return arrays
        state = {obj.name: obj._full_state() for obj in _stateful(self.network)}
        for clock in {obj.clock for obj in _stateful(self.network)}:
            state[clock.name] = clock._full_state()
        state["0_t"] = float(self.network.t / second)
        state["_random"] = device.get_random_state()
        structure, flat = _flatten(state)
        arrays["runtime:structure"] = np.frombuffer(json.dumps(structure).encode(), dtype=np.uint8)
        arrays.update({f"runtime:{k}": v for k, v in flat.items()})
        return arrays

    def load_state(self, arrays: Mapping[str, np.ndarray]) -> None:
        """Continue from :meth:`state` output (of a session of the same network and backend)."""
        self.chunks_run = int(arrays["session:chunks_run"])
        self._t = float(arrays["session:t"])
        if self.backend == "standalone":
            self.compile()
            target = self.build_dir / "state_in"
            shutil.rmtree(target, ignore_errors=True)
            target.mkdir(parents=True)
            files = {k.removeprefix("file:"): v for k, v in arrays.items() if k.startswith("file:")}
            for name, data in files.items():
                (target / name).write_bytes(np.asarray(data, dtype=np.uint8).tobytes())
            self._state_in = target if files else None
            return
        if not self._initial_stored:  # reset() after loading returns to the state before it
            self.network.store("snnlearn_initial")
            self._initial_stored = True
        structure = json.loads(np.asarray(arrays["runtime:structure"], dtype=np.uint8).tobytes())
        flat = {k.removeprefix("runtime:"): v for k, v in arrays.items() if k.startswith("runtime:")}
        state = _unflatten(structure, flat)
        device.set_random_state(state.pop("_random"))
        self.network.t_ = state.pop("0_t")
        objects = {obj.name: obj for obj in _stateful(self.network)}
        for clock in {obj.clock for obj in objects.values()}:
            clock._restore_from_full_state(state.pop(clock.name))
        for name, obj_state in state.items():
            if name not in objects:
                raise ValueError(f"the checkpoint holds {name!r}, which this network does not have")
            objects[name]._restore_from_full_state(obj_state)

    # ---------------------------------------------------------------- checks
    def _check_finite(self) -> None:
        for obj in self.network.objects:
            if not isinstance(obj, brian2.NeuronGroup | brian2.Synapses) or isinstance(obj, _MONITORS):
                continue
            for var in obj.variables.values():
                if (
                    not isinstance(var, brian2.core.variables.ArrayVariable)
                    or var.owner is None
                    or var.owner.name != obj.name
                    or var.constant
                    or var.dtype != np.float64
                    or var.name in _SCRATCH
                ):
                    continue
                if not np.all(np.isfinite(np.asarray(var.get_value()))):
                    raise NumericalError(f"{obj.name}.{var.name}", self.t)


def stop_if() -> brian2.Function:
    """A Brian2 function ``stop_if(flag)`` that ends the current run after this time step when
    ``flag`` > 0.5 (on both backends; returns 0). A protocol that ends on an event (the last
    example presented) uses it, so that where it ends does not depend on the chunk length."""

    def stop(flag):
        if np.any(np.asarray(flag) > 0.5):
            Network._globally_stopped = True
        return np.zeros_like(np.asarray(flag, dtype=float))

    function = brian2.Function(stop, arg_units=[1], return_unit=1, stateless=False, auto_vectorise=False)
    function.implementations.add_implementation(
        "cpp",
        code="""
        double snnlearn_stop_if(double flag) {
            if (flag > 0.5) Network::_globally_stopped = true;
            return 0.0;
        }""",
        name="snnlearn_stop_if",
    )
    function.implementations.add_implementation(
        "cython",
        code="""
        cdef double snnlearn_stop_if(double flag):
            if flag > 0.5:
                from brian2.core.network import Network
                Network._globally_stopped = True
            return 0.0
        """,
        name="snnlearn_stop_if",
    )
    return function


def _stateful(network: Network) -> list[Any]:
    return [
        o
        for o in brian2.core.network._get_all_objects(network.objects)
        if hasattr(o, "_full_state") and not isinstance(o, _MONITORS)
    ]


def _recorded_length(monitor: Any) -> int:
    if isinstance(monitor, EventMonitor):
        return int(monitor.N[:]) if monitor.record else 0
    return len(monitor.t[:])


# -------------------------------------------------------------------- runtime state as arrays (no pickle)
def _flatten(value: Any, flat: dict[str, np.ndarray] | None = None) -> tuple[Any, dict[str, np.ndarray]]:
    """A JSON structure with array references, and the arrays, for nested dicts/tuples/lists."""
    flat = {} if flat is None else flat
    if isinstance(value, np.ndarray):
        key = f"a{len(flat)}"
        flat[key] = value
        return {"array": key}, flat
    if isinstance(value, dict):
        return {"dict": [[k, _flatten(v, flat)[0]] for k, v in value.items()]}, flat
    if isinstance(value, tuple | list):
        kind = "tuple" if isinstance(value, tuple) else "list"
        return {kind: [_flatten(v, flat)[0] for v in value]}, flat
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or isinstance(value, bool | int | float | str):
        return {"value": value}, flat
    if isinstance(value, Quantity):
        return _flatten(np.asarray(value), flat)
    raise TypeError(f"cannot store a {type(value).__name__} in a checkpoint")


def _unflatten(structure: Any, flat: Mapping[str, np.ndarray]) -> Any:
    ((kind, content),) = structure.items()
    if kind == "array":
        return np.array(flat[content])
    if kind == "dict":
        return {k: _unflatten(v, flat) for k, v in content}
    if kind == "tuple":
        return tuple(_unflatten(v, flat) for v in content)
    if kind == "list":
        return [_unflatten(v, flat) for v in content]
    return content


# -------------------------------------------------------------------- standalone state code
def _state_header(network: Network, carried: Iterable[Any]) -> str:
    """C++ that loads (before the run) and saves (after it) what Brian2's own files do not hold."""
    net = network.name
    loads = []
    for var in carried:
        filename = device.get_array_filename(var)
        if var in device.dynamic_arrays:
            name = device.dynamic_arrays[var]
            loads.append(f'    snnlearn_read_vector(dir + "{filename}", brian::{name});')
        else:
            name = device.arrays[var]
            loads.append(
                f'    snnlearn_read(dir + "{filename}", reinterpret_cast<char*>(brian::{name}), '
                f"{int(var.size)} * sizeof(brian::{name}[0]));"
            )
    clocks = sorted({obj.clock.name for obj in brian2.core.network._get_all_objects(network.objects)})
    clock_lines = "\n".join(
        f"        brian::{c}.set_interval(t, t); brian::{c}.t[0] = brian::{c}.timestep[0] * brian::{c}.dt[0];"
        for c in clocks
    )
    pathways = [p.name for obj in network.objects if isinstance(obj, brian2.Synapses) for p in obj._pathways]
    queue_load = "\n".join(f'    snnlearn_load_queue(dir + "snnlearn_queue_{p}.bin", brian::{p});' for p in pathways)
    queue_save = "\n".join(
        f'    snnlearn_save_queue(brian::results_dir + "snnlearn_queue_{p}.bin", brian::{p});' for p in pathways
    )
    return (
        _HEADER_TEMPLATE.replace("%LOADS%", "\n".join(loads))
        .replace("%NET%", net)
        .replace("%QUEUE_LOAD%", queue_load)
        .replace("%CLOCKS%", clock_lines)
        .replace("%QUEUE_SAVE%", queue_save)
    )


_HEADER_TEMPLATE = r"""// Generated by snnlearn.session: carry the whole state of this network from one run to the next.
#pragma once
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <limits>
#include <random>
#include <string>
#include <vector>

namespace snnlearn_detail {
// Explicit instantiation may name private members: this reaches RandomGenerator's engine and
// cached Gaussian without editing Brian2's generated sources.
template <typename Tag, typename Tag::type Member> struct Expose {
    friend typename Tag::type get(Tag) { return Member; }
};
struct Engine { typedef std::mt19937 brian::RandomGenerator::*type; friend type get(Engine); };
struct Gauss { typedef double brian::RandomGenerator::*type; friend type get(Gauss); };
struct HasGauss { typedef bool brian::RandomGenerator::*type; friend type get(HasGauss); };
template struct Expose<Engine, &brian::RandomGenerator::gen>;
template struct Expose<Gauss, &brian::RandomGenerator::stored_gauss>;
template struct Expose<HasGauss, &brian::RandomGenerator::has_stored_gauss>;
}

static void snnlearn_fail(const std::string& message) {
    std::cerr << "snnlearn state: " << message << std::endl;
    std::exit(70);
}

static void snnlearn_read(const std::string& path, char* data, size_t nbytes) {
    std::ifstream f(path.c_str(), std::ios::binary | std::ios::ate);
    if (!f) snnlearn_fail("missing " + path);
    const std::streamoff size = f.tellg();
    if (size != (std::streamoff)nbytes) snnlearn_fail("wrong size of " + path);
    f.seekg(0);
    if (nbytes) f.read(data, nbytes);
}

template <typename T> static void snnlearn_read_vector(const std::string& path, std::vector<T>& values) {
    snnlearn_read(path, values.empty() ? NULL : reinterpret_cast<char*>(&values[0]), values.size() * sizeof(T));
}

static void snnlearn_save_queue(const std::string& path, SynapticPathway& pathway) {
    std::ofstream f(path.c_str(), std::ios::binary);
    const int32_t threads = (int32_t)pathway.queue.size();
    f.write(reinterpret_cast<const char*>(&threads), sizeof(threads));
    for (int32_t k = 0; k < threads; k++) {
        CSpikeQueue* q = pathway.queue[k];
        const int32_t offset = q->offset, slots = (int32_t)q->queue.size();
        f.write(reinterpret_cast<const char*>(&offset), sizeof(offset));
        f.write(reinterpret_cast<const char*>(&slots), sizeof(slots));
        for (int32_t s = 0; s < slots; s++) {
            const int32_t n = (int32_t)q->queue[s].size();
            f.write(reinterpret_cast<const char*>(&n), sizeof(n));
            if (n) f.write(reinterpret_cast<const char*>(&q->queue[s][0]), n * sizeof(int32_t));
        }
    }
    if (!f) snnlearn_fail("cannot write " + path);
}

static void snnlearn_load_queue(const std::string& path, SynapticPathway& pathway) {
    std::ifstream f(path.c_str(), std::ios::binary);
    if (!f) snnlearn_fail("missing " + path);
    int32_t threads = 0;
    f.read(reinterpret_cast<char*>(&threads), sizeof(threads));
    if (threads != (int32_t)pathway.queue.size()) snnlearn_fail("thread count differs in " + path);
    for (int32_t k = 0; k < threads; k++) {
        CSpikeQueue* q = pathway.queue[k];
        int32_t offset = 0, slots = 0;
        f.read(reinterpret_cast<char*>(&offset), sizeof(offset));
        f.read(reinterpret_cast<char*>(&slots), sizeof(slots));
        if (!f || slots < 1 || offset < 0 || offset >= slots) snnlearn_fail("damaged " + path);
        q->queue.clear();
        q->queue.resize(slots);
        for (int32_t s = 0; s < slots; s++) {
            int32_t n = 0;
            f.read(reinterpret_cast<char*>(&n), sizeof(n));
            if (!f || n < 0) snnlearn_fail("damaged " + path);
            q->queue[s].resize(n);
            if (n) f.read(reinterpret_cast<char*>(&q->queue[s][0]), n * sizeof(int32_t));
        }
        q->offset = offset;
    }
    if (!f) snnlearn_fail("damaged " + path);
}

static void snnlearn_load_state() {
    const char* from = std::getenv("SNNLEARN_STATE_IN");
    if (from == NULL || from[0] == '\0') return;  // the first run starts from the initial state
    const std::string dir(from);
%LOADS%
%QUEUE_LOAD%
    {
        std::ifstream f((dir + "snnlearn_t.bin").c_str(), std::ios::binary);
        double t = 0.0;
        f.read(reinterpret_cast<char*>(&t), sizeof(t));
        if (!f) snnlearn_fail("missing " + dir + "snnlearn_t.bin");
        brian::%NET%.t = t;
        // Clock::set_interval moves a clock's time step but not its t array, which code reads in
        // the first step (lastspike, refractoriness): put both on the grid at t, as the next step will
%CLOCKS%
    }
    {
        std::ifstream f((dir + "snnlearn_rng.txt").c_str());
        size_t n = 0;
        f >> n;
        if (!f || n != brian::_random_generators.size()) snnlearn_fail("damaged " + dir + "snnlearn_rng.txt");
        for (size_t k = 0; k < n; k++) {
            brian::RandomGenerator& g = brian::_random_generators[k];
            int has = 0;
            unsigned long long bits = 0;
            f >> (g.*get(snnlearn_detail::Engine())) >> has >> bits;
            std::memcpy(&(g.*get(snnlearn_detail::Gauss())), &bits, sizeof(double));
            g.*get(snnlearn_detail::HasGauss()) = (has != 0);
        }
        if (!f) snnlearn_fail("damaged " + dir + "snnlearn_rng.txt");
    }
}

static void snnlearn_save_state() {
%QUEUE_SAVE%
    {
        std::ofstream f((brian::results_dir + "snnlearn_t.bin").c_str(), std::ios::binary);
        const double t = brian::%NET%.t;
        f.write(reinterpret_cast<const char*>(&t), sizeof(t));
    }
    {
        std::ofstream f((brian::results_dir + "snnlearn_rng.txt").c_str());
        f << brian::_random_generators.size() << "\n";
        for (size_t k = 0; k < brian::_random_generators.size(); k++) {
            brian::RandomGenerator& g = brian::_random_generators[k];
            unsigned long long bits = 0;  // the cached Gaussian bit for bit
            std::memcpy(&bits, &(g.*get(snnlearn_detail::Gauss())), sizeof(double));
            f << (g.*get(snnlearn_detail::Engine())) << " " << (int)(g.*get(snnlearn_detail::HasGauss())) << " " << bits
              << "\n";
        }
        if (!f) snnlearn_fail("cannot write the random state");
    }
}
"""


def run_in_chunks(
    session: Session,
    n_chunks: int,
    record: Any,
    *,
    checkpoint: Path | None = None,
    label: str = "chunks",
    before: Any = None,
) -> dict[str, list[np.ndarray]]:
    """Run ``session`` for ``n_chunks`` chunks, collecting ``record(k)`` after chunk ``k``.

    ``before(k)``, if given, sets the inputs of chunk ``k`` (through ``session.set`` or
    ``set_timed``) and must depend on ``k`` and the session's state only. After each chunk the
    session's whole state, the records so far and the next chunk's index are written atomically
    to ``checkpoint``; if that file exists when this is called, the run continues from it and
    equals an uninterrupted one. Returns ``{name: [record of chunk 0, of chunk 1, ...]}``.
    """
    from .progress import Progress
    from .results import load_checkpoint, save_checkpoint

    records: dict[str, list[np.ndarray]] = {}
    if checkpoint is not None and Path(checkpoint).is_file():
        saved = load_checkpoint(checkpoint)
        session.load_state(saved)
        indexed: dict[str, list[tuple[int, np.ndarray]]] = {}
        for key, value in saved.items():
            if key.startswith("record:"):
                name, index = key.removeprefix("record:").rsplit(":", 1)
                indexed.setdefault(name, []).append((int(index), value))
        records = {k: [v for _, v in sorted(pairs, key=lambda p: p[0])] for k, pairs in indexed.items()}
        print(
            f"  {label}: resuming at chunk {session.chunks_run}/{n_chunks} from {checkpoint}",
            file=sys.stderr,
            flush=True,
        )
    progress = Progress(n_chunks, label, start=session.chunks_run)
    for k in range(session.chunks_run, n_chunks):
        if before is not None:
            before(k)
        session.run()
        for name, value in record(k).items():
            records.setdefault(name, []).append(np.asarray(value))
        if checkpoint is not None:
            arrays = session.state()
            arrays.update({f"record:{name}:{i}": v for name, vs in records.items() for i, v in enumerate(vs)})
            save_checkpoint(checkpoint, **arrays)
        progress.update(k + 1)
    return records

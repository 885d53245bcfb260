"""``snnlearn export RUN_DIR --to FILE.nwb``: a finished run as an NWB file (pynwb).

The run is read with :func:`snnlearn.results.load_run` (the one reader of run folders) and
written as:

- **units**: the spike trains of the model's neuron groups, one unit per neuron, with a
  ``group`` and a ``neuron`` column (times in seconds; ``resolution`` is the model's time step);
- **stimulus**: the spike trains of its input groups (Poisson and spike generators) as a
  ``TimeSeries`` of neuron indices at the spike times;
- **processing/misc**: every trajectory (weights, thresholds, rates) as a ``TimeSeries``
  with its unit (a regular sampling as a rate). Time runs along the first axis; when there are
  fewer samples than columns (1000 weights saved after 12 chunks) the columns are split into
  blocks ``NAME_COLS_a_b`` of at most as many columns as samples, because a wider series reads
  as transposed data (nwbinspector's critical ``check_data_orientation``); the blocks
  concatenate back in order;
- **scratch**: ``metrics.json`` and ``params.json`` as JSON text, and every other saved array;
- file metadata: the model file's text as ``source_script`` (its name as
  ``source_script_file_name``), the experiment, seed, backend and provenance in ``notes``, and a
  ``Subject`` that says the data are simulated (NWB requires one).

pynwb is an optional dependency (``pip install "snnlearn[nwb]"``).
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from .errors import ConfigError
from .results import METRICS_FILE, RunResult, Trajectory, load_run, to_jsonable

INPUT_KINDS = ("poisson", "spikes")
MODULE = "misc"
BLOCK = "_COLS_"


def _pynwb() -> Any:
    try:
        import pynwb
    except ModuleNotFoundError:
        raise ConfigError("export", "pynwb is not installed", 'install it with pip install "snnlearn[nwb]"') from None
    return pynwb


def _groups(run: RunResult) -> dict[str, dict[str, Any]]:
    model = run.metrics.get("model") or {}
    return dict(model.get("groups") or {})


def _dt_seconds(run: RunResult) -> float | None:
    from brian2 import second

    from .params import parse_quantity

    dt = ((run.metrics.get("model") or {}).get("simulation") or {}).get("dt")
    if dt is None:
        return None
    try:
        return float(parse_quantity(dt, second, "dt") / second)
    except ConfigError:
        return None


def _regular(times: np.ndarray) -> float | None:
    """The sampling rate (Hz) when ``times`` are evenly spaced, else None."""
    if len(times) < 2:
        return None
    steps = np.diff(times)
    return float(1.0 / steps[0]) if steps[0] > 0 and np.allclose(steps, steps[0], rtol=1e-9, atol=1e-12) else None


def _blocks(values: np.ndarray) -> list[tuple[int, int]]:
    """Column ranges so that no block has more columns than samples (time stays the longest axis)."""
    n_times, n_cols = values.shape[0], int(np.prod(values.shape[1:]))
    if values.ndim == 1 or n_cols <= n_times:
        return [(0, n_cols)]
    return [(a, min(a + n_times, n_cols)) for a in range(0, n_cols, n_times)]


def _time_series(pynwb, name: str, trajectory: Trajectory, data: np.ndarray, description: str):
    kwargs: dict[str, Any] = {"name": name, "data": data, "unit": trajectory.unit, "description": description}
    rate = _regular(trajectory.times_s)
    if rate is not None:
        kwargs.update(starting_time=float(trajectory.times_s[0]), rate=rate)
    else:
        kwargs["timestamps"] = trajectory.times_s
    return pynwb.TimeSeries(**kwargs)


def _add_trajectories(pynwb, nwbfile, run: RunResult) -> None:
    if not run.trajectories:
        return
    module = nwbfile.create_processing_module(MODULE, "weights and state variables recorded by the experiment")
    for name, trajectory in run.trajectories.items():
        values = np.asarray(trajectory.values)
        kind = "synaptic weights" if trajectory.is_weight else "state variable"
        if len(trajectory.times_s) < 2 and values.ndim > 1 and values[0].size > 1:
            nwbfile.add_scratch(values, name=name, description=f"{kind} {name!r} at t = {trajectory.times_s} s")
            continue
        flat = values.reshape(values.shape[0], -1) if values.ndim > 2 else values
        blocks = _blocks(flat)
        for a, b in blocks:
            data = flat if len(blocks) == 1 else flat[:, a:b]
            label = name if len(blocks) == 1 else f"{name}{BLOCK}{a}_{b}"
            where = "" if len(blocks) == 1 else f" (columns {a} to {b - 1} of {flat.shape[1]})"
            module.add(_time_series(pynwb, label, trajectory, data, f"{kind} {name!r}{where}, saved by the run"))


def _add_spikes(pynwb, nwbfile, run: RunResult) -> None:
    groups = _groups(run)
    neurons = {g: t for g, t in run.spikes.items() if (groups.get(g) or {}).get("kind") not in INPUT_KINDS}
    inputs = {g: t for g, t in run.spikes.items() if g not in neurons}
    for group, train in inputs.items():
        nwbfile.add_stimulus(
            pynwb.TimeSeries(
                name=f"{group}_spikes",
                data=train.indices,
                timestamps=train.times_s,
                unit="neuron index",
                description=f"spikes of the input group {group!r}: index of the neuron that fired at each time",
            )
        )
    if not neurons:
        return
    dt = _dt_seconds(run)
    nwbfile.units = pynwb.misc.Units(
        name="units", description="spike trains of the model's neuron groups", resolution=dt if dt is not None else -1.0
    )
    nwbfile.add_unit_column("group", "the neuron group of the model file")
    nwbfile.add_unit_column("neuron", "the neuron's index in its group")
    for group, train in neurons.items():
        n = int((groups.get(group) or {}).get("n", int(train.indices.max()) + 1 if train.indices.size else 0))
        for neuron in range(n):
            nwbfile.add_unit(spike_times=train.times_s[train.indices == neuron], group=group, neuron=neuron)


def _model_text(run: RunResult) -> tuple[str, str]:
    model_file = run.metrics.get("model_file")
    if model_file and Path(model_file).is_file():
        return Path(model_file).read_text(), Path(model_file).name
    model = run.metrics.get("model")
    return (json.dumps(to_jsonable(model), indent=2), "model.json") if model else ("", "")


def build_nwbfile(run: RunResult) -> Any:
    """The ``pynwb.NWBFile`` of a finished run (nothing written)."""
    pynwb = _pynwb()
    from pynwb.file import Subject

    metrics = run.metrics
    experiment = run.experiment or "run"
    started = datetime.fromtimestamp((run.path / METRICS_FILE).stat().st_mtime, tz=UTC).replace(microsecond=0)
    source, source_name = _model_text(run)
    summary = {
        k: metrics.get(k)
        for k in ("experiment", "seed", "backend", "quick", "wall_time_s", "model_file", "versions", "provenance")
    }
    nwbfile = pynwb.NWBFile(
        session_description=f"snnlearn experiment {experiment!r} (seed {metrics.get('seed')}, backend "
        f"{metrics.get('backend')}{', quick' if metrics.get('quick') else ''}): a simulation",
        identifier=str(uuid.uuid5(uuid.NAMESPACE_URL, str(run.path.resolve()))),
        session_start_time=started,
        session_id=run.path.name,
        experiment_description=f"snnlearn run {experiment}; reference: "
        f"{(metrics.get('model') or {}).get('reference', 'see the experiment')}",
        keywords=["snnlearn", "spiking neural network", "synaptic plasticity", "simulation", experiment],
        data_collection="simulated with Brian2 " + str((metrics.get("versions") or {}).get("brian2", "")),
        notes=json.dumps(to_jsonable(summary), indent=1),
        source_script=source or None,
        source_script_file_name=source_name or None,
    )
    nwbfile.subject = Subject(
        subject_id=f"{experiment}-seed{metrics.get('seed')}",
        age="P0D",
        sex="U",
        description="not an animal: a spiking network simulated by snnlearn",
    )
    _add_spikes(pynwb, nwbfile, run)
    _add_trajectories(pynwb, nwbfile, run)
    nwbfile.add_scratch(
        json.dumps(to_jsonable(metrics), indent=1),
        name="metrics_json",
        description="the run's metrics.json (metrics, parameters, model as run, versions)",
    )
    nwbfile.add_scratch(
        json.dumps(to_jsonable(run.params), indent=1),
        name="params_json",
        description="the experiment's parameters after overrides (params.json)",
    )
    used = {k for s in run.spikes for k in (f"{s}_i", f"{s}_t")} | {"times_s"}
    for stem, arrays in run.arrays.items():
        for key, value in arrays.items():
            if key in used or key in run.trajectories or f"{stem}.{key}" in run.trajectories:
                continue
            if np.asarray(value).dtype.kind in "biuf":
                nwbfile.add_scratch(np.asarray(value), name=f"{stem}.{key}", description=f"array {key!r} of {stem}.npz")
    return nwbfile


def export_nwb(run_dir: str | Path, target: str | Path) -> Path:
    """Write a finished run as an NWB file.

    Parameters
    ----------
    run_dir
        A run folder with ``metrics.json``.
    target
        The ``.nwb`` file to write (it must not exist); written atomically.

    Returns
    -------
    Path
        ``target``.

    Raises
    ------
    ConfigError
        When ``run_dir`` is not a finished run, ``target`` does not end in ``.nwb`` or exists,
        or pynwb is not installed.
    """
    target = Path(target)
    if target.suffix != ".nwb":
        raise ConfigError("--to", f"{target} does not end in .nwb", "give a file name like run.nwb")
    if target.exists():
        raise ConfigError("--to", f"{target} exists", "give a new file name")
    run = load_run(run_dir)
    pynwb = _pynwb()
    nwbfile = build_nwbfile(run)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp.nwb", dir=target.parent)
    os.close(fd)
    try:
        with pynwb.NWBHDF5IO(tmp, "w") as io:
            io.write(nwbfile)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def _configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("run_dir", metavar="RUN_DIR", help="a finished run folder (with metrics.json)")
    p.add_argument("--to", required=True, metavar="FILE.nwb", help="the NWB file to write")


def cmd_export(args: argparse.Namespace) -> int:
    """export a finished run as an NWB file (spikes, stimuli, weights, model and parameters)"""
    path = export_nwb(args.run_dir, args.to)
    print(path)
    return 0


COMMANDS = [("export", _configure, cmd_export)]

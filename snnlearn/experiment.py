"""What an experiment is, and how one is found, checked and run.

An experiment is a script ``experiments/NAME.py`` with:

- a module docstring: first line a one-line description, then the paper, the figure it
  reproduces and the number it should reach;
- ``PARAMS``: a (nested) dict of its parameters and defaults, overridable with ``--set``;
- ``QUICK`` (optional): ``{dotted key: value}`` overrides (of ``PARAMS`` or of the model) for
  ``--quick``, a reduced run for tests; ``--set`` still overrides them;
- ``MODEL`` (optional): the model file it runs, a name in ``models/`` or a path ending in
  ``.toml`` (relative to the script's folder) (``--model FILE`` swaps it);
- ``BACKEND`` (optional): ``"runtime"`` or ``"standalone"``, its default Brian2 backend;
- ``check(ctx)`` (optional): cross-field checks that raise ``ConfigError`` before anything runs;
- ``recorded(ctx)`` (optional): what its monitors keep, as a list of :class:`snnlearn.footprint.Item`,
  added to the memory estimate of the model (:func:`snnlearn.footprint.estimate`);
- ``run(ctx) -> dict``: does the work through the :class:`RunContext` and returns its metrics.

The framework validates every input first (the memory estimate included), only then creates the
run folder, and finally writes
``metrics.json`` (metrics plus experiment, seed, backend, quick, wall time, parameters and
versions) atomically. ``if __name__ == "__main__": script_main(__file__)`` (from
``snnlearn.cli``) at the end of a script makes ``python experiments/NAME.py --help`` work like
``snnlearn run NAME --help``.

``snnlearn run`` takes the name of one of the package's experiments or the path of a user's
own script (anything ending in ``.py``); its runs are filed under the script's stem.
"""

from __future__ import annotations

import copy
import hashlib
import importlib.util
import json
import platform
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from . import __version__
from .errors import ConfigError, one_of, warn
from .footprint import Footprint
from .overrides import apply_to_model, apply_to_params, is_model_key, parse_assignments
from .provenance import provenance
from .results import (
    METRICS_FILE,
    atomic_save_npz,
    atomic_write_bytes,
    atomic_write_json,
    claim_dir,
    is_complete,
    load_checkpoint,
    lock_run_dir,
    new_run_dir,
)

BACKENDS = ("runtime", "standalone")
#: Seeds are NumPy ``SeedSequence`` entropy and Brian2 seeds: unsigned 32-bit integers.
MAX_SEED = 2**32 - 1


def check_seed(seed: Any, field: str = "--seed") -> int:
    """Refuse a seed that is not an integer in ``0..MAX_SEED`` (before anything is written).

    NumPy and Brian2 take 32-bit seeds; a larger one would fail inside the run, after the run
    folder and ``params.json`` exist.
    """
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise ConfigError(field, f"got {seed!r}", f"expected an integer from 0 to {MAX_SEED}")
    if not 0 <= seed <= MAX_SEED:
        raise ConfigError(field, f"{seed} is out of range", f"expected an integer from 0 to {MAX_SEED} (2**32-1)")
    return seed


def project_root() -> Path:
    """The folder holding ``experiments/`` and ``models/``: see :func:`snnlearn.paths.data_root`."""
    from .paths import data_root

    return data_root()


def latest_run(name: str) -> Path | None:
    """The most recent finished run folder of experiment ``name``: under ``results/`` of the
    working folder, then of the project; None if neither holds one."""
    for root in dict.fromkeys((Path("results"), project_root() / "results")):
        runs = sorted(d for d in (root / name).glob("*") if d.is_dir() and is_complete(d))
        if runs:
            return runs[-1]
    return None


def experiments_dir() -> Path:
    """The folder of the package's experiment scripts."""
    return project_root() / "experiments"


def models_dir() -> Path:
    """The folder of the package's model files."""
    return project_root() / "models"


def is_script_path(name: str) -> bool:
    """True when ``name`` is the path of a user's experiment script rather than a name."""
    return name.endswith(".py")


def experiment_name(name: str) -> str:
    """The name a run is filed under: the experiment's name or the script's stem."""
    return Path(name).stem if is_script_path(name) else name


def available_experiments() -> list[str]:
    """The names of the package's experiments (``experiments/*.py`` not starting with ``_``), sorted."""
    return sorted(p.stem for p in experiments_dir().glob("*.py") if not p.name.startswith("_"))


def available_models() -> list[str]:
    """The names of the package's model files (``models/*.toml`` without the suffix), sorted."""
    return sorted(p.stem for p in models_dir().glob("*.toml"))


def load_experiment(name: str) -> ModuleType:
    """Import ``experiments/NAME.py``, or a user's script when ``name`` ends in ``.py``.

    An unknown name is a ConfigError listing the known ones; a missing script one naming it.
    """
    if is_script_path(name):
        path = Path(name).expanduser().resolve()
        if not path.is_file():
            raise ConfigError("experiment", f"file {name} not found", "give an experiment name or a script path")
        digest = hashlib.sha256(str(path).encode()).hexdigest()[:12]
        module_name = f"snnlearn_user_experiments.{path.stem}_{digest}"
    else:
        path = experiments_dir() / f"{name}.py"
        if not path.is_file():
            raise ConfigError("experiment", f"unknown experiment {name!r}", one_of(available_experiments()))
        module_name = f"snnlearn_experiments.{name}"
    if module_name in sys.modules:
        return sys.modules[module_name]
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise ConfigError("experiment", f"{path} cannot be imported", "give a Python file")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    return module


def describe(module: ModuleType) -> str:
    """The one-line description of an experiment (first line of its docstring)."""
    return (module.__doc__ or "").strip().splitlines()[0] if module.__doc__ else ""


def versions() -> dict[str, str]:
    """The versions of Python, snnlearn, Brian2, NumPy and SciPy, recorded in every run's metrics."""
    import brian2
    import scipy

    return {
        "python": platform.python_version(),
        "snnlearn": __version__,
        "brian2": brian2.__version__,
        "numpy": np.__version__,
        "scipy": scipy.__version__,
    }


@dataclass
class RunContext:
    """Everything an experiment's ``run`` needs: options, parameters, model, output and RNG."""

    name: str
    seed: int
    quick: bool
    backend: str
    out_dir: Path
    params: dict[str, Any]
    model: Any = None  # snnlearn.spec.ModelSpec when the experiment has a MODEL
    resume: bool = False
    backend_explicit: bool = False
    #: the ``QUICK`` overrides a ``--quick`` run applied (stated under its figures)
    quick_overrides: dict[str, Any] = field(default_factory=dict)
    #: the experiment's ``QUICK_NOTE``: what the quick overrides mean for its results
    quick_note: str = ""
    #: the model as the experiment will build it, when its ``check`` adapts the file's model
    #: (sized for the data): the memory estimate counts this one; ``model`` stays the file's
    model_as_run: Any = None
    rng: np.random.Generator = field(init=False)
    started: float = field(default_factory=time.perf_counter)

    def __post_init__(self) -> None:
        self.rng = np.random.default_rng(self.seed)

    def path(self, name: str) -> Path:
        """The path of the file ``name`` in the run folder (nothing is created)."""
        return self.out_dir / name

    def savefig(self, fig, name: str, note: str = "", formats: Sequence[str] = ()) -> Path:
        """Save a matplotlib figure as PNG atomically (:func:`snnlearn.plotstyle.save`) and close it.

        A ``--quick`` run gets a caption line listing what ``QUICK`` changed and the experiment's
        ``QUICK_NOTE`` (what that means), then ``note``; a full run gets ``note`` alone. ``formats`` (and
        ``SNNLEARN_FIGURES``) add vector copies (``pdf``, ``svg``) beside the PNG. What the figure
        shows (its titles and axis labels) is recorded in ``figures.json`` for captions (the
        comparison report).
        """
        import matplotlib.pyplot as plt

        from . import config, plotstyle
        from .captions import describe_figure, record_figure

        record_figure(self.out_dir, name, describe_figure(fig))
        extra = f"{self.quick_note} {note}".strip()
        text = plotstyle.quick_caption(self.quick_overrides, extra) if self.quick else note
        if text:
            plotstyle.caption(fig, text)
        path = atomic_write_bytes(self.path(name), plotstyle.save(fig, "png"))
        for fmt in dict.fromkeys((*formats, *config.figure_formats())):
            if fmt not in plotstyle.VECTOR_FORMATS:
                raise ConfigError("formats", f"unknown figure format {fmt!r}", one_of(plotstyle.VECTOR_FORMATS))
            atomic_write_bytes(path.with_suffix(f".{fmt}"), plotstyle.save(fig, fmt))
        plt.close(fig)
        return path

    def save_arrays(self, name: str, **arrays: Any) -> Path:
        """Save arrays to ``name`` in the run folder as a compressed ``.npz``, atomically.

        Parameters
        ----------
        name : str
            File name inside the run folder (``learning.npz``).
        **arrays
            The arrays, by the names they are saved under.

        Returns
        -------
        Path
            The file written.
        """
        return atomic_save_npz(self.path(name), **arrays)

    def save_json(self, name: str, data: Mapping[str, Any]) -> Path:
        """Save ``data`` to ``name`` in the run folder as indented JSON, atomically.

        NumPy values, Brian2 quantities, paths and tuples are converted
        (:func:`snnlearn.results.to_jsonable`). Returns the file written.
        """
        return atomic_write_json(self.path(name), data)

    def log(self, message: str) -> None:
        """An information line on stderr, with the experiment and the time since it started."""
        from . import logs

        elapsed = time.perf_counter() - self.started
        logs.info(f"[{self.name} {elapsed:7.1f}s] {message}")


def resolve_params(module: ModuleType, assignments: Sequence[tuple[str, Any]]) -> dict:
    """An experiment's parameters: a copy of its ``PARAMS`` with the ``--set`` assignments applied.

    Parameters
    ----------
    module : ModuleType
        The experiment.
    assignments : sequence of (str, object)
        Parsed ``--set`` items; model keys (:func:`snnlearn.overrides.is_model_key`) are skipped,
        they belong to :func:`resolve_model`.

    Returns
    -------
    dict
        The parameters, each value checked against the type of its default.

    Raises
    ------
    ConfigError
        For a key that names no parameter, or a value of the wrong type.
    """
    params = copy.deepcopy(getattr(module, "PARAMS", {}))
    for key, value in assignments:
        if not is_model_key(key):
            params = apply_to_params(params, key, value)
    return params


def resolve_model(module: ModuleType, model_file: str | None, assignments) -> Any:
    """The checked model a run uses: ``--model FILE`` or the experiment's ``MODEL``, with model-key overrides.

    Parameters
    ----------
    module : ModuleType
        The experiment.
    model_file : str or None
        A model file given on the command line, which replaces the experiment's own.
    assignments : sequence of (str, object)
        Parsed ``--set`` items; only model keys (``groups.*``, ``synapses.*``, ...) are applied.

    Returns
    -------
    ModelSpec or None
        The parsed model; None for an experiment without a model file.

    Raises
    ------
    ConfigError
        For a model key given to an experiment without a model, or a bad model file or value.
    """
    model_name = getattr(module, "MODEL", None)
    model_keys = [(k, v) for k, v in assignments if is_model_key(k)]
    if model_file is None and model_name is None:
        if model_keys:
            raise ConfigError(model_keys[0][0], "this experiment has no model file", "set one of its parameters")
        return None
    from .spec import load_model_dict, parse_model

    path = Path(model_file) if model_file else model_path(module, str(model_name))
    raw = load_model_dict(path, "--model" if model_file else "model")
    for key, value in model_keys:
        raw = apply_to_model(raw, key, value)
    return parse_model(raw, source=path)


def model_path(module: ModuleType, model_name: str) -> Path:
    """An experiment's ``MODEL``: a name in ``models/``, or a ``.toml`` path (relative to the script)."""
    if str(model_name).endswith(".toml"):
        path = Path(model_name).expanduser()
        return path if path.is_absolute() else Path(str(module.__file__)).resolve().parent / path
    return models_dir() / f"{model_name}.toml"


def prepare(
    name: str,
    *,
    seed: int = 1,
    quick: bool = False,
    backend: str | None = None,
    sets: Sequence[str] = (),
    model_file: str | None = None,
) -> tuple[ModuleType, dict, Any, str]:
    """Check every input of a run (nothing is written): returns module, params, model, backend."""
    module = load_experiment(name)
    if backend == "cuda":
        from .engine import check_cuda

        check_cuda()
    if backend is not None and backend not in BACKENDS:
        raise ConfigError("--backend", f"unknown backend {backend!r}", one_of(BACKENDS))
    check_seed(seed)
    assignments = parse_assignments(sets)
    check_owned_keys(module, assignments)
    if quick:  # --quick first, so that --set still overrides it
        assignments = list(getattr(module, "QUICK", {}).items()) + assignments
    params = resolve_params(module, assignments)
    model = resolve_model(module, model_file, assignments)
    chosen = str(backend or getattr(module, "BACKEND", "runtime"))
    return module, params, model, chosen


def check_owned_keys(module: ModuleType, assignments: Sequence[tuple[str, Any]]) -> None:
    """Refuse a ``--set`` of a model key the experiment sets itself (``OWNED_MODEL_KEYS``:
    ``{key prefix: the parameter that sets it}``), which would otherwise be silently dropped."""
    owned: dict[str, str] = getattr(module, "OWNED_MODEL_KEYS", {})
    for key, _ in assignments:
        for prefix, instead in owned.items():
            if key == prefix or key.startswith(prefix + "."):
                raise ConfigError(
                    key, "is set by this experiment, so a value given here would be dropped", f"set {instead} instead"
                )


def check_run(
    name: str,
    *,
    seed: int = 1,
    quick: bool = False,
    backend: str | None = None,
    sets: Sequence[str] = (),
    model_file: str | None = None,
    resume: bool = False,
) -> tuple[ModuleType, Any, RunContext]:
    """Every check a run makes before it writes anything: :func:`prepare`, the backend, ``check(ctx)``.

    ``run`` and ``sweep`` both call it, so a sweep refuses a bad job before it starts a cluster
    or creates a folder. Returns the experiment module, the model as resolved (before the
    experiment's ``check`` may adapt ``ctx.model``) and a :class:`RunContext` whose ``out_dir``
    is not set yet.
    """
    module, params, model, chosen = prepare(
        name, seed=seed, quick=quick, backend=backend, sets=sets, model_file=model_file
    )
    from .engine import resolve_backend

    chosen = resolve_backend(chosen, explicit=backend is not None)
    ctx = RunContext(
        name=experiment_name(name),
        seed=seed,
        quick=quick,
        backend=chosen,
        out_dir=Path("."),
        params=params,
        model=model,
        resume=resume,
        backend_explicit=backend is not None,
        quick_overrides=dict(getattr(module, "QUICK", {})) if quick else {},
        quick_note=str(getattr(module, "QUICK_NOTE", "")) if quick else "",
    )
    check: Callable[[RunContext], None] | None = getattr(module, "check", None)
    if check is not None:
        check(ctx)
    check_memory(module, ctx)
    return module, model, ctx


def check_memory(module: ModuleType, ctx: RunContext) -> Footprint:
    """Refuse a run whose model (and what the experiment says it records) needs more memory
    than is available (:mod:`snnlearn.footprint`); returns the estimate."""
    from . import footprint

    recorded: Callable[[RunContext], Any] | None = getattr(module, "recorded", None)
    items = list(recorded(ctx)) if recorded is not None else []
    model = ctx.model_as_run if ctx.model_as_run is not None else ctx.model
    estimate = footprint.estimate(model, items) if model is not None else footprint.Footprint(tuple(items))
    footprint.check(estimate, what=f"{ctx.name}")
    return estimate


def resumed_settings(
    folder: str | Path,
    *,
    name: str | None,
    seed: int | None,
    quick: bool,
    backend: str | None,
    sets: Sequence[str],
    model_file: str | None,
) -> dict[str, Any]:
    """What the unfinished run in ``folder`` was started with (its ``params.json``); a flag that
    contradicts it is a ConfigError naming the flag, so a resume can never mix two runs."""
    folder = Path(folder)
    allowed = "give the folder of an unfinished run"
    if not folder.is_dir():
        raise ConfigError("--resume", f"{folder} is not a run folder", allowed)
    if is_complete(folder):
        raise ConfigError("--resume", f"{folder} already finished ({METRICS_FILE} exists)", allowed)
    try:
        started = json.loads((folder / "params.json").read_text())
        recorded = {
            key: started[key] for key in ("experiment", "seed", "quick", "sets", "model_file", "backend_requested")
        }
    except (OSError, ValueError, KeyError, TypeError):
        raise ConfigError(
            "--resume", f"{folder} is not a run folder (no readable params.json of a run)", allowed
        ) from None
    given = {
        "experiment": name and experiment_name(name),
        "seed": seed,
        "quick": quick or None,
        "sets": list(sets) or None,
        "model_file": model_file,
        "backend_requested": backend,
    }
    flags = {
        "experiment": "experiment",
        "seed": "--seed",
        "quick": "--quick",
        "sets": "--set",
        "model_file": "--model",
        "backend_requested": "--backend",
    }
    for key, value in given.items():
        if value is not None and value != recorded[key]:
            raise ConfigError(
                flags[key],
                f"{value!r} contradicts the run in {folder} ({recorded[key]!r})",
                f"resume with --resume {folder} alone, or start a new run",
            )
    if name is not None and is_script_path(name):
        recorded["experiment"] = name
    return recorded


def run_experiment(
    name: str | None,
    *,
    seed: int | None = None,
    quick: bool = False,
    backend: str | None = None,
    sets: Sequence[str] = (),
    model_file: str | None = None,
    out: str | Path | None = None,
    resume: str | Path | None = None,
    results_root: str | Path = "results",
) -> Path:
    """Validate, create the run folder, run the experiment and write ``metrics.json``.

    Returns the run folder. ``resume`` continues an unfinished run folder (its checkpoints) with
    the settings it was started with (:func:`resumed_settings`); it is locked while this runs.
    """
    if resume is not None:
        if out is not None:
            raise ConfigError("--out", "cannot be given with --resume", "a resumed run writes into its own folder")
        started = resumed_settings(
            resume, name=name, seed=seed, quick=quick, backend=backend, sets=sets, model_file=model_file
        )
        name, seed, quick = started["experiment"], started["seed"], started["quick"]
        sets, model_file, backend = started["sets"], started["model_file"], started["backend_requested"]
        for checkpoint in sorted(Path(resume).glob("checkpoint*.npz")):
            load_checkpoint(checkpoint)  # a damaged one is refused before anything runs
    if name is None:
        raise ConfigError("experiment", "no experiment named (snnlearn run NAME)", one_of(available_experiments()))
    seed = 1 if seed is None else seed
    from . import logs

    with logs.once(), lock_run_dir(Path(resume) if resume is not None else None) as lock:
        return _run(
            name,
            seed=seed,
            quick=quick,
            backend=backend,
            sets=sets,
            model_file=model_file,
            out=out,
            resume=resume,
            results_root=results_root,
            lock=lock,
        )


def _run(
    name: str,
    *,
    seed: int,
    quick: bool,
    backend: str | None,
    sets: Sequence[str],
    model_file: str | None,
    out: str | Path | None,
    resume: str | Path | None,
    results_root: str | Path,
    lock: Any,
) -> Path:
    module, model, ctx = check_run(
        name, seed=seed, quick=quick, backend=backend, sets=sets, model_file=model_file, resume=resume is not None
    )
    from .session import StandaloneBuildError

    requested_backend = backend
    name = experiment_name(name)

    chosen, params = ctx.backend, ctx.params
    if resume is not None:
        ctx.out_dir = Path(resume)
    elif out is not None:
        try:
            ctx.out_dir = claim_dir(Path(out))
        except (FileExistsError, NotADirectoryError):
            raise ConfigError("--out", f"{out} exists and is not empty", "give a new or empty folder") from None
    else:
        ctx.out_dir = new_run_dir(Path(results_root), name, seed)
    lock(ctx.out_dir)
    if resume is None:  # fixed when the run starts: a resume takes its settings from here
        ctx.save_json(
            "params.json",
            {
                "experiment": name,
                "seed": seed,
                "quick": quick,
                "backend": chosen,
                "backend_requested": requested_backend,
                "sets": list(sets),
                "model_file": model_file,
                "version": __version__,
                "params": params,
                "model": model.raw if model is not None else None,
            },
        )
    for stale in ctx.out_dir.glob(".*.tmp"):  # left by a run killed in the middle of a write
        stale.unlink()
    from . import logs

    logs.watch_brian2()
    ctx.log(f"writing to {ctx.out_dir} (backend {chosen}, seed {seed}{', quick' if quick else ''})")
    try:
        metrics = module.run(ctx)
    except StandaloneBuildError as exc:
        if ctx.backend_explicit:
            raise StandaloneBuildError(f"{exc}; run with --backend runtime instead") from exc
        warn(f"{exc}: running on the runtime backend instead")
        ctx.backend = chosen = "runtime"
        metrics = module.run(ctx)
    record = {
        "experiment": name,
        "seed": seed,
        "backend": chosen,
        "quick": quick,
        "wall_time_s": round(time.perf_counter() - ctx.started, 3),
        "peak_memory_mb": peak_memory_mb(),
        **metrics,
        "params": params,
        "model": model.raw if model is not None else None,
        "model_file": str(model.source) if model is not None else None,
        "versions": versions(),
        "provenance": provenance(model.source if model is not None else None, model.raw if model is not None else None),
    }
    atomic_write_json(ctx.path(METRICS_FILE), record)
    for checkpoint in ctx.out_dir.glob("checkpoint*.npz"):  # the run is complete: nothing to resume
        checkpoint.unlink()
    ctx.log(f"done in {record['wall_time_s']:.1f} s: {ctx.out_dir / METRICS_FILE}")
    return ctx.out_dir


def peak_memory_mb() -> float:
    """Peak resident memory of this process or of a child it ran (a standalone binary), in MB.

    This process's own peak is read from ``/proc/self/status`` (``VmHWM``) where there is one:
    ``ru_maxrss`` keeps the high-water mark of the process it was forked from, so a process
    spawned by a large one (a ``bench`` row) would report its parent's size.
    """
    import re
    import resource

    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    status = Path("/proc/self/status")
    if status.exists():
        found = re.search(r"^VmHWM:\s+(\d+) kB", status.read_text(), re.MULTILINE)
        own = int(found.group(1)) if found else own
    return max(own, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024

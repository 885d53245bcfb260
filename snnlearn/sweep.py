"""Sweeps on Dask: ``snnlearn sweep NAME --set key=v1,v2 --seeds 0-9`` runs any experiment over a grid.

Every job is one ``snnlearn run`` in its own process (Brian2 keeps a global device per
process), started by a Dask worker: a ``LocalCluster`` with one single-threaded worker per core
by default, or an existing cluster with ``--scheduler ADDRESS`` (its workers need snnlearn
installed and the sweep folder on a shared file system). Each job writes its own run folder
atomically; a job whose folder already holds ``metrics.json`` is skipped, an unfinished one is
resumed from its checkpoints, and a failing job leaves ``error.json`` with its error while the
other jobs go on. ``sweep.csv`` lists every job with its status and scalar metrics.

Everything is checked before a cluster starts or a folder is made: seeds (``0..2**32-1``), the
number of jobs (more than ``MAX_JOBS`` needs ``--yes``) and every job's configuration, with the
same checks as ``snnlearn run`` (:func:`check_jobs`, used by ``snnlearn compare`` too), memory
included: the largest job's estimate times the jobs that run at once must fit.
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import math
import os
import re
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import ConfigError
from .results import atomic_write_csv, atomic_write_json, is_complete, read_metrics


@dataclass(frozen=True)
class Job:
    """One run of an experiment: its settings, seed and folder."""

    experiment: str
    sets: tuple[str, ...]
    seed: int
    quick: bool
    folder: str

    def command(self) -> list[str]:
        """The job's ``snnlearn run`` command line (``-q``: its output is not shown, only its error)."""
        where = ["--resume", self.folder] if Path(self.folder).exists() else ["--out", self.folder]
        sets = [arg for s in self.sets for arg in ("--set", s)]
        return [
            sys.executable,
            "-m",
            "snnlearn.cli",
            "-q",
            "run",
            self.experiment,
            "--seed",
            str(self.seed),
            *(["--quick"] if self.quick else []),
            *sets,
            *where,
        ]


def job_name(experiment: str, sets: Sequence[str], seed: int) -> str:
    """A readable, file-system-safe and unique folder name for a job."""
    readable = "_".join(re.sub(r"[^A-Za-z0-9.=-]+", "-", s) for s in sets)[:80]
    digest = hashlib.sha256(json.dumps([experiment, list(sets), seed]).encode()).hexdigest()[:8]
    return f"{experiment}{'_' + readable if readable else ''}_seed{seed}_{digest}"


#: A sweep of more jobs than this asks for ``--yes``; none may exceed ``MAX_JOBS_HARD``.
MAX_JOBS = 200
MAX_JOBS_HARD = 100_000


def parse_seeds(text: str) -> list[int]:
    """``"0-9"``, ``"1,4,7"`` or ``"3"``: distinct seeds, each in ``0..2**32-1``.

    The size of a range is checked before it is listed, so ``0-4294967295`` is refused at once
    rather than filling memory.
    """
    from .experiment import MAX_SEED

    allowed = f"expected e.g. 0-9 or 1,4,7: distinct integers from 0 to {MAX_SEED}"
    try:
        bounds = [int(x) for x in text.split("-")] if "-" in text else None
        seeds = [int(x) for x in text.split(",")] if bounds is None else []
    except ValueError:
        raise ConfigError("--seeds", f"cannot read {text!r}", allowed) from None
    if bounds is not None:
        if len(bounds) != 2:
            raise ConfigError("--seeds", f"cannot read {text!r}", allowed)
        first, last = bounds
        if not 0 <= first <= last <= MAX_SEED:
            raise ConfigError("--seeds", f"range {text!r} is empty or out of range", allowed)
        if last - first + 1 > MAX_JOBS_HARD:
            raise ConfigError(
                "--seeds", f"{text!r} gives {last - first + 1} seeds", f"expected at most {MAX_JOBS_HARD} seeds"
            )
        seeds = list(range(first, last + 1))
    if not seeds or min(seeds) < 0 or max(seeds) > MAX_SEED:
        raise ConfigError("--seeds", f"{text!r} gives a seed out of range", allowed)
    seen: set[int] = set()
    for seed in seeds:
        if seed in seen:
            raise ConfigError("--seeds", f"seed {seed} is given twice", allowed)
        seen.add(seed)
    return seeds


def _axes(sets: Sequence[str]) -> list[list[str]]:
    axes = []
    for item in sets:
        key, sep, values = item.partition("=")
        if not sep:
            raise ConfigError("--set", f"cannot read {item!r}", "expected KEY=VALUE or KEY=V1,V2,...")
        parts = [values] if values.strip().startswith(("[", "{")) else values.split(",")
        if len(set(parts)) != len(parts):
            raise ConfigError("--set", f"{item!r} gives a value twice", "give each value once")
        axes.append([f"{key}={v}" for v in parts])
    return axes


def grid_size(sets: Sequence[str]) -> int:
    """How many combinations :func:`grid` gives, counted without listing them."""
    return math.prod(len(axis) for axis in _axes(sets))


def grid(sets: Sequence[str]) -> list[tuple[str, ...]]:
    """Every combination of ``key=v1,v2`` values (a bracketed list counts as one value)."""
    return list(itertools.product(*_axes(sets)))


def check_size(n_settings: int, n_seeds: int, yes: bool) -> int:
    """Refuse a sweep above ``MAX_JOBS`` jobs unless ``yes``, and any above ``MAX_JOBS_HARD``."""
    n_jobs = n_settings * n_seeds
    size = f"{n_jobs} jobs ({n_settings} settings x {n_seeds} seeds)"
    if n_jobs > MAX_JOBS_HARD:
        raise ConfigError("--seeds", f"{size} is too many", f"expected at most {MAX_JOBS_HARD} jobs")
    if n_jobs > MAX_JOBS and not yes:
        raise ConfigError("--yes", f"{size} is more than {MAX_JOBS}", "give --yes to run them all, or fewer values")
    return n_jobs


def run_job(job: Job) -> dict[str, Any]:
    """Run one job in a fresh process (skipping it when finished); never raises."""
    folder = Path(job.folder)
    if is_complete(folder):
        return {"job": folder.name, "status": "skipped", "error": ""}
    started = time.perf_counter()
    proc = subprocess.run(job.command(), capture_output=True, text=True)
    if proc.returncode == 0:
        (folder / "error.json").unlink(missing_ok=True)
        return {"job": folder.name, "status": "done", "error": ""}
    lines = [line for line in proc.stderr.strip().splitlines() if line.strip()]
    error = lines[-1] if lines else f"exit status {proc.returncode}"
    atomic_write_json(
        folder / "error.json",
        {
            "experiment": job.experiment,
            "sets": job.sets,
            "seed": job.seed,
            "returncode": proc.returncode,
            "error": error,
            "seconds": round(time.perf_counter() - started, 1),
        },
    )
    return {"job": folder.name, "status": "failed", "error": error}


def local_workers(n_jobs: int, workers: int | None) -> int:
    """How many single-threaded workers a LocalCluster gets: ``workers``, or one per core."""
    return workers or max(1, min(n_jobs, os.cpu_count() or 1))


def run_jobs(jobs: Sequence[Job], scheduler: str | None = None, workers: int | None = None) -> list[dict]:
    """Run jobs on Dask: an existing scheduler, or a LocalCluster of single-threaded workers.
    Returns each job's outcome in the order of ``jobs``; progress counts finished jobs."""
    from dask.distributed import Client, LocalCluster, as_completed

    from .progress import Progress

    def gather(client: Client) -> list[dict]:
        futures = client.map(run_job, list(jobs), pure=False)
        with Progress(len(jobs), "jobs", unit="job", every=30.0) as progress:
            failed = 0
            for k, future in enumerate(as_completed(futures), start=1):
                failed += future.result()["status"] == "failed"
                progress.update(k, f"{failed} failed" if failed else "")
        return client.gather(futures)

    if scheduler:
        with Client(scheduler) as client:
            return gather(client)
    with (
        LocalCluster(
            n_workers=local_workers(len(jobs), workers),
            threads_per_worker=1,
            processes=True,
            memory_limit=0,
            dashboard_address=None,
        ) as cluster,
        Client(cluster) as client,
    ):
        return gather(client)


def scalar_metrics(folder: Path) -> dict[str, Any]:
    """The scalar metrics (numbers, strings, booleans) of a finished run folder; ``{}`` for an unfinished one."""
    if not is_complete(folder):
        return {}
    return {k: v for k, v in read_metrics(folder).items() if isinstance(v, int | float | str | bool)}


def write_summary(root: Path, jobs: Sequence[Job], outcomes: Sequence[dict]) -> Path:
    """Write the sweep's tables and figure into ``root``.

    ``sweep.csv`` has one row per job (folder, experiment, seed, settings, status, error and its
    scalar metrics); ``sweep_summary.csv`` the mean and interval of every numeric metric over the
    finished seeds of each combination of settings (:func:`summarise`); the learning-curve figure
    is drawn when jobs recorded a curve (:func:`write_curves`).

    Parameters
    ----------
    root : Path
        The sweep folder.
    jobs : sequence of Job
        Every job of the sweep.
    outcomes : sequence of dict
        Each job's outcome, in the order of ``jobs``, with its ``status`` and ``error``.

    Returns
    -------
    Path
        The path of ``sweep.csv``.
    """
    rows = []
    for job, outcome in zip(jobs, outcomes, strict=True):
        rows.append(
            {
                "job": Path(job.folder).name,
                "experiment": job.experiment,
                "seed": job.seed,
                "sets": " ".join(job.sets),
                "status": outcome["status"],
                "error": outcome["error"],
                **scalar_metrics(Path(job.folder)),
            }
        )
    atomic_write_csv(root / "sweep_summary.csv", summarise(rows))
    write_curves(root, jobs)
    return atomic_write_csv(root / "sweep.csv", rows)


def summarise(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per combination of settings, every numeric scalar metric over its finished seeds: mean,
    95% t-interval (NaN from fewer than 3 seeds: two values make no interval worth printing)
    and the values themselves."""
    from .analysis import mean_confidence_interval

    summary = []
    for sets in dict.fromkeys(row["sets"] for row in rows):
        done = [row for row in rows if row["sets"] == sets and row["status"] == "done"]
        names = [
            k
            for k in (done[0] if done else {})
            if k not in ("seed", "job")
            and all(isinstance(r.get(k), int | float) and not isinstance(r.get(k), bool) for r in done)
        ]
        for name in names:
            values = [float(r[name]) for r in done]
            mean, low, high = mean_confidence_interval(values)
            if len(values) < 3:
                low = high = math.nan
            summary.append(
                {
                    "sets": sets,
                    "metric": name,
                    "seeds": len(values),
                    "mean": mean,
                    "ci95_low": low,
                    "ci95_high": high,
                    "values": " ".join(f"{v:.6g}" for v in values),
                }
            )
    return summary


def write_curves(root: Path, jobs: Sequence[Job]) -> Path | None:
    """One figure of every job's ``accuracy_curve`` (thin lines) with the mean and its band per
    combination of settings; None when no job recorded a curve."""
    import numpy as np

    from . import plots, plotstyle

    curves: dict[str, list[tuple[list[float], list[float]]]] = {}
    controls: dict[str, list[float]] = {}
    for job in jobs:
        if is_complete(Path(job.folder)):
            metrics = read_metrics(Path(job.folder))
            for name, value in metrics.items():
                if name.startswith("control_") and isinstance(value, float):
                    controls.setdefault(name, []).append(value)
            curve = metrics.get("accuracy_curve")
            if isinstance(curve, list) and curve and isinstance(curve[0], dict):
                points = ([float(c["examples"]) for c in curve], [float(c["accuracy"]) for c in curve])
                curves.setdefault(" ".join(job.sets) or "defaults", []).append(points)
    if not curves:
        return None
    fig, axes = plotstyle.figure()
    ax = axes[0, 0]
    for k, (sets, runs) in enumerate(curves.items()):
        xs = runs[0][0]
        same = [ys for x, ys in runs if x == xs]
        for _, ys in runs:
            ax.plot(xs, ys, color=f"C{k}", lw=0.6, alpha=0.4)
        plots.mean_band(ax, xs, same, f"C{k}", sets, marker="o")
    for k, (name, values) in enumerate(controls.items()):
        plotstyle.reference(
            ax,
            float(np.mean(values)),
            "control",
            f"{name.removeprefix('control_')} (mean of {len(values)}) {np.mean(values):.3f}",
            color=f"C{k + len(curves)}",
        )
    plotstyle.reference(ax, 0.1, "chance", "chance 0.1")
    ax.set_xlabel("training examples seen (count)")
    ax.set_ylabel("test accuracy (fraction correct)")
    ax.set_title(f"{jobs[0].experiment}: accuracy curves of every seed, mean and 95% interval")
    ax.legend(fontsize=7)
    path = root / "accuracy_curves.png"
    path.write_bytes(plotstyle.save(fig, "png"))
    return path


def sweep(
    experiment: str,
    sets: Sequence[str],
    seeds: Sequence[int],
    *,
    quick: bool,
    out: Path,
    scheduler: str | None = None,
    workers: int | None = None,
    yes: bool = False,
) -> list[dict]:
    """Check the whole sweep, then run every job not finished yet; returns each job's outcome.

    Before a cluster starts or a folder is made: the number of jobs (above ``MAX_JOBS`` it needs
    ``yes``), every seed (:func:`~snnlearn.experiment.check_seed`), and every combination of
    settings through :func:`~snnlearn.experiment.check_run`, the checks ``snnlearn run`` makes
    (the experiment's own ``check`` included). A job differs from the checked combination only
    by its seed, which is checked on its own.
    """
    check_size(grid_size(sets), len(seeds), yes)
    check_destination(out, workers)
    combos = grid(sets)
    check_jobs(
        [(experiment, combo) for combo in combos],
        seeds,
        quick=quick,
        concurrent=None if scheduler else local_workers(len(combos) * len(seeds), workers),
    )
    out.mkdir(parents=True, exist_ok=True)
    jobs = [
        Job(experiment, combo, seed, quick, str(out / job_name(experiment, combo, seed)))
        for combo in combos
        for seed in seeds
    ]
    outcomes = run_jobs(jobs, scheduler, workers)
    write_summary(out, jobs, outcomes)
    return outcomes


def check_destination(out: Path, workers: int | None) -> None:
    """Refuse an ``--out`` that is a file and a ``--workers`` below 1."""
    if out.exists() and not out.is_dir():
        raise ConfigError("--out", f"{out} exists and is not a folder", "give a new folder or a sweep folder")
    if workers is not None and workers < 1:
        raise ConfigError("--workers", f"{workers} is too small", "expected an integer >= 1")


def check_jobs(
    settings: Sequence[tuple[str, Sequence[str]]], seeds: Sequence[int], *, quick: bool, concurrent: int | None
) -> None:
    """Check every job before anything runs: each seed, and each ``(experiment, sets)`` through
    :func:`~snnlearn.experiment.check_run` (the checks of ``snnlearn run``: the experiment's own
    ``check`` and the memory estimate). Jobs differ from a checked setting only by their seed,
    which is checked on its own. With ``concurrent`` jobs at once on this machine (a
    LocalCluster), the largest estimate times that many must fit in the memory available."""
    from . import footprint
    from .experiment import check_memory, check_run, check_seed

    for seed in seeds:
        check_seed(seed, "--seeds")
    largest = footprint.Footprint(())
    for experiment, sets in settings:
        module, _, ctx = check_run(experiment, seed=seeds[0], quick=quick, sets=sets)
        estimate = check_memory(module, ctx)
        largest = max(largest, estimate, key=lambda f: f.total)
    if concurrent is not None and concurrent > 1:
        footprint.check(largest, copies=min(concurrent, len(settings) * len(seeds)), what="the largest job")


def configure(parser: argparse.ArgumentParser) -> None:
    """The arguments of ``snnlearn sweep``: the experiment, its ``--set`` grid, seeds and the Dask cluster.

    Parameters
    ----------
    parser : argparse.ArgumentParser
        The subcommand's parser; the values are checked by :func:`sweep` before anything runs.
    """
    parser.add_argument("name", help="experiment to sweep")
    parser.add_argument("--set", dest="sets", action="append", default=[], metavar="KEY=V1,V2")
    parser.add_argument("--seeds", default="0", help="e.g. 0-9 or 1,4,7 (default 0)")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--out", help="sweep folder (default results/sweeps/NAME)")
    parser.add_argument("--scheduler", help="address of an existing Dask scheduler (default: a LocalCluster)")
    parser.add_argument("--workers", type=int, help="LocalCluster workers (default: one per core)")
    parser.add_argument("--yes", action="store_true", help=f"run a sweep of more than {MAX_JOBS} jobs")


def command(args) -> int:
    """Run an experiment over a grid of settings and seeds on Dask."""
    out = Path(args.out or Path("results") / "sweeps" / args.name)
    outcomes = sweep(
        args.name,
        args.sets,
        parse_seeds(args.seeds),
        quick=args.quick,
        out=out,
        scheduler=args.scheduler,
        workers=args.workers,
        yes=args.yes,
    )
    for outcome in outcomes:
        print(f"{outcome['status']:8s} {outcome['job']} {outcome['error']}")
    summary = Path(out) / "sweep_summary.csv"
    if summary.is_file():
        import csv

        for row in csv.DictReader(summary.open()):
            interval = (
                f"[{float(row['ci95_low']):.4g}, {float(row['ci95_high']):.4g}]"
                if row["ci95_low"] not in ("", "nan")
                else "(no interval below 3 seeds)"
            )
            print(
                f"{row['sets'] or 'defaults':20s} {row['metric']:32s} n={row['seeds']} mean {float(row['mean']):.4g} "
                f"{interval}"
            )
    print(f"summary: {out / 'sweep.csv'}, {summary}")
    return 0 if all(o["status"] != "failed" for o in outcomes) else 1


COMMANDS = [("sweep", configure, command)]

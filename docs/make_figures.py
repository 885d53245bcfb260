"""Regenerate the figures of the documentation: a ``--quick`` run of every experiment, and the comparison.

Each experiment is run with ``--quick`` (one after the other, on this checkout's package) into a
temporary folder; its PNG figures (downscaled when large), its captions (``figures.json``), the
scalar metrics of ``metrics.json`` and a ``source.json`` (the command, seed, git commit, wall
time) are copied into ``docs/figures/<experiment>/``, which the experiment pages show
(``docs/_generate.py``). A run that fails leaves a ``source.json`` that says why, and the next
experiment runs. ``--compare`` also runs ``snnlearn compare --quick --seeds 0-1`` and keeps its
table (``comparison.md``) and learning-curve figure in ``docs/figures/compare/``.

Usage::

    python docs/make_figures.py                    # every experiment
    python docs/make_figures.py stdp_window song2000
    python docs/make_figures.py --compare --no-experiments
    python docs/make_figures.py --compare --workers 1    # every experiment, then the comparison
    python docs/make_figures.py --compare-from DIR --no-experiments   # keep a finished comparison
    python docs/make_figures.py --collect-from RUNS      # keep finished quick runs (RUNS/NAME, e.g. --runs)
"""

from __future__ import annotations

import argparse
import html
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
FIGURES = HERE / "figures"
COMPARE = "compare"
#: the seed of every experiment's run (the command line's default)
SEED = 1
#: the seeds of the comparison
COMPARE_SEEDS = "0-1"
#: a figure wider than this (pixels) is scaled down to it
MAX_WIDTH = 1100
#: a figure still larger than this (bytes) is reduced to a 256-colour palette
MAX_BYTES = 160_000
#: what ``metrics.json`` records about every run rather than about the experiment's result
BOOKKEEPING = frozenset(
    {"experiment", "seed", "backend", "quick", "wall_time_s", "peak_memory_mb", "params", "model", "model_file"}
    | {"versions", "provenance"}
)
#: metrics that time the machine rather than measure the experiment (compile, CPU and wall seconds)
TIMING = re.compile(r"(compile|cpu|wall)_")
#: a dict of metrics is shown when it holds at most this many scalars (one per learner, rule, size)
MAX_PER_ENTRY = 8
#: the most metrics a page shows
MAX_METRICS = 40
#: the files of a figure folder this script writes (and removes before writing them again)
MANAGED = ("*.png", "figures.json", "metrics.json", "source.json", "comparison.md")


def snnlearn_command(arguments: Sequence[str]) -> list[str]:
    """The command line that runs ``snnlearn ARGUMENTS`` with this interpreter.

    Parameters
    ----------
    arguments
        The arguments after ``snnlearn``.

    Returns
    -------
    list of str
        ``python -m snnlearn.cli ARGUMENTS``.
    """
    return [sys.executable, "-m", "snnlearn.cli", *arguments]


def checkout_env() -> dict[str, str]:
    """The environment of a run: this checkout's package first on the path (``SNNLEARN_*`` as set).

    Returns
    -------
    dict
        A copy of ``os.environ`` with ``PYTHONPATH`` led by the checkout.
    """
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
    return env


def run_snnlearn(arguments: Sequence[str], timeout_s: float) -> tuple[bool, str, float]:
    """Run ``snnlearn ARGUMENTS`` from the checkout's root.

    Parameters
    ----------
    arguments
        The arguments after ``snnlearn``.
    timeout_s
        Seconds after which the run is stopped and counted as failed.

    Returns
    -------
    tuple
        Whether it succeeded, the last lines of its error output, and its wall time in seconds.
    """
    started = time.perf_counter()
    try:
        result = subprocess.run(
            snnlearn_command(arguments),
            cwd=ROOT,
            env=checkout_env(),
            capture_output=True,
            text=True,
            timeout=timeout_s,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return False, f"stopped after {timeout_s:.0f} s", time.perf_counter() - started
    tail = "\n".join(result.stderr.strip().splitlines()[-5:])
    return result.returncode == 0, tail, time.perf_counter() - started


def shrink_png(source: Path, target: Path) -> None:
    """Copy a PNG, scaled down to :data:`MAX_WIDTH` pixels and reduced to a palette when large.

    Parameters
    ----------
    source
        The figure as the run saved it.
    target
        Where the copy is written.
    """
    from PIL import Image

    with Image.open(source) as opened:
        if opened.width <= MAX_WIDTH and source.stat().st_size <= MAX_BYTES:
            shutil.copyfile(source, target)
            return
        image = opened.convert("RGB")  # a copy that outlives the file
    if image.width > MAX_WIDTH:
        image = image.resize((MAX_WIDTH, round(image.height * MAX_WIDTH / image.width)), Image.Resampling.LANCZOS)
    image.save(target, optimize=True)
    if target.stat().st_size > MAX_BYTES:
        image.quantize(colors=256, method=Image.Quantize.MEDIANCUT).save(target, optimize=True)


def is_scalar(value: Any) -> bool:
    """True for a number, a boolean, None or a short text (a value one table cell shows)."""
    return value is None or isinstance(value, bool | int | float) or (isinstance(value, str) and len(value) <= 80)


def flat_scalars(value: Any, prefix: str, depth: int = 2) -> dict[str, Any] | None:
    """``{dotted name: scalar}`` of a scalar or of a dict of them nested up to ``depth`` levels.

    Parameters
    ----------
    value
        A value of ``metrics.json``.
    prefix
        Its name.
    depth
        How many levels of dicts are opened.

    Returns
    -------
    dict or None
        The scalars by dotted name, or None when ``value`` holds anything else (a list, a deeper dict).
    """
    if is_scalar(value):
        return {prefix: float(f"{value:.6g}") if isinstance(value, float) else value}
    if not isinstance(value, dict) or depth == 0 or not value:
        return None
    flat: dict[str, Any] = {}
    for key, item in value.items():
        inner = flat_scalars(item, f"{prefix}.{key}", depth - 1)
        if inner is None:
            return None
        flat.update(inner)
    return flat


def headline_metrics(metrics: Mapping[str, Any]) -> dict[str, Any]:
    """The experiment's scalar results among a run's ``metrics.json`` entries.

    Parameters
    ----------
    metrics
        The run's ``metrics.json``.

    Returns
    -------
    dict
        In file order, bookkeeping left out: each top-level scalar, and the scalars of each small
        dict of them (at most :data:`MAX_PER_ENTRY`, e.g. an accuracy per learner) under dotted
        names; at most :data:`MAX_METRICS` in all.
    """
    chosen: dict[str, Any] = {}
    for key, value in metrics.items():
        flat = flat_scalars(value, key) if key not in BOOKKEEPING and not TIMING.search(key) else None
        if flat is not None and len(flat) <= MAX_PER_ENTRY and len(chosen) + len(flat) <= MAX_METRICS:
            chosen.update(flat)
    return chosen


def git_commit() -> tuple[str | None, bool | None]:
    """The checkout's commit and whether tracked files differ from it (None, None outside git)."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
        status = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None, None
    return commit, bool(status)


def clear(folder: Path) -> None:
    """Remove the files this script writes from a figure folder (so no stale figure remains)."""
    folder.mkdir(parents=True, exist_ok=True)
    for pattern in MANAGED:
        for path in folder.glob(pattern):
            path.unlink()


def write_json(path: Path, data: Any) -> None:
    """Write ``data`` as indented JSON with a final newline."""
    path.write_text(json.dumps(data, indent=2) + "\n")


def source_record(command: str, run_dir: Path | None, wall_time_s: float | None, error: str = "") -> dict[str, Any]:
    """What ``source.json`` says about the run behind a figure folder.

    Parameters
    ----------
    command
        The command line, as a user would type it.
    run_dir
        The finished run folder (its ``metrics.json`` gives seed, backend, commit and wall
        time), or None.
    wall_time_s
        The run's wall time as measured here (used when the run wrote none), or None.
    error
        Why the run failed ('' when it did not).

    Returns
    -------
    dict
        ``command``, ``quick``, ``seed``, ``git_commit``, ``git_dirty``, ``wall_time_s``, ``status``
        and, for a failed run, ``error``; ``backend`` and ``version`` when the run wrote them.
    """
    commit, dirty = git_commit()
    record: dict[str, Any] = {"command": command, "quick": True, "seed": SEED, "git_commit": commit}
    record["git_dirty"] = dirty
    metrics_file = run_dir / "metrics.json" if run_dir is not None else None
    if metrics_file is not None and metrics_file.is_file():
        metrics = json.loads(metrics_file.read_text())
        provenance = metrics.get("provenance") or {}
        record.update(seed=metrics.get("seed", SEED), backend=metrics.get("backend"))
        record.update(git_commit=provenance.get("git_commit", commit), git_dirty=provenance.get("git_dirty", dirty))
        record["version"] = provenance.get("version")
        wall_time_s = metrics.get("wall_time_s", wall_time_s)
    if wall_time_s is not None:
        record["wall_time_s"] = round(wall_time_s, 1)
    record["status"] = "failed" if error else "ok"
    if error:
        record["error"] = error
    return record


def copy_figures(run_dir: Path, target: Path) -> dict[str, str]:
    """Copy a run's PNG figures into ``target`` (see :func:`shrink_png`); returns their captions.

    Parameters
    ----------
    run_dir
        The run folder.
    target
        The figure folder.

    Returns
    -------
    dict
        ``{file name: caption}`` in file-name order; a figure without a recorded caption gets its
        file name in words.
    """
    captions_file = run_dir / "figures.json"
    recorded = json.loads(captions_file.read_text()) if captions_file.is_file() else {}
    captions = {}
    for png in sorted(run_dir.glob("*.png")):
        shrink_png(png, target / png.name)
        captions[png.name] = str(recorded.get(png.name) or png.stem.replace("_", " "))
    return captions


def collect_experiment(name: str, run_dir: Path, wall_time_s: float | None, error: str = "") -> dict[str, Any]:
    """Fill ``docs/figures/NAME/`` from a run folder (or record why the run failed).

    Parameters
    ----------
    name
        The experiment.
    run_dir
        Its run folder.
    wall_time_s
        The run's wall time as measured here, or None.
    error
        Why the run failed ('' when it succeeded).

    Returns
    -------
    dict
        The ``source.json`` written.
    """
    target = FIGURES / name
    clear(target)
    metrics = json.loads((run_dir / "metrics.json").read_text()) if not error else {}
    if metrics and metrics.get("quick") is not True:
        error = f"{run_dir} is not a --quick run"
    command = f"snnlearn run {name} --quick --seed {metrics.get('seed', SEED)}"
    if not error:
        write_json(target / "figures.json", copy_figures(run_dir, target))
        write_json(target / "metrics.json", headline_metrics(metrics))
    record = source_record(command, run_dir if not error else None, wall_time_s, error)
    write_json(target / "source.json", record)
    return record


def make_experiment(name: str, runs: Path, timeout_s: float) -> dict[str, Any]:
    """Run one experiment with ``--quick`` into ``runs/NAME`` and collect its figures.

    Parameters
    ----------
    name
        The experiment.
    runs
        The folder that receives the run folder.
    timeout_s
        Seconds after which the run is stopped (and recorded as failed).

    Returns
    -------
    dict
        The ``source.json`` written.
    """
    run_dir = runs / name
    arguments = ["run", name, "--quick", "--seed", str(SEED), "--out", str(run_dir), "-q"]
    ok, tail, wall = run_snnlearn(arguments, timeout_s)
    error = "" if ok else (tail or "failed without a message")
    return collect_experiment(name, run_dir, wall, error)


def compare_caption(folder: Path) -> str:
    """The caption the comparison's report gives its learning-curve figure ('' if none)."""
    from snnlearn.report import CURVES_FILE

    report = folder / "report.html"
    text = report.read_text() if report.is_file() else ""
    found = re.search(rf'<img src="{re.escape(CURVES_FILE)}" alt="([^"]*)"', text)
    return html.unescape(found.group(1)) if found else ""


def compare_provenance(folder: Path) -> dict[str, Any]:
    """The ``provenance`` of the first job of a comparison folder (commit and state it ran from)."""
    for metrics_file in sorted((folder / "jobs").glob("*/metrics.json")):
        provenance = json.loads(metrics_file.read_text()).get("provenance") or {}
        if provenance:
            return provenance
    commit, dirty = git_commit()
    return {"git_commit": commit, "git_dirty": dirty}


def compare_arguments(folder: Path | str, workers: int | None) -> list[str]:
    """The arguments of the quick comparison (after ``snnlearn``)."""
    arguments = ["compare", "--quick", "--seeds", COMPARE_SEEDS]
    if workers is not None:
        arguments += ["--workers", str(workers)]
    return [*arguments, "--out", str(folder)]


def collect_compare(folder: Path, workers: int | None, wall_time_s: float | None = None) -> dict[str, Any]:
    """Fill ``docs/figures/compare/`` from a finished ``snnlearn compare --quick`` folder.

    Parameters
    ----------
    folder
        The comparison's ``--out`` folder (``comparison.md``, ``accuracy_vs_examples.png``, ``jobs/``).
    workers
        The ``--workers`` it was run with (None: the default), for the command recorded.
    wall_time_s
        Its wall time, when it was run here.

    Returns
    -------
    dict
        The ``source.json`` written.
    """
    from snnlearn.report import CURVES_FILE

    target = FIGURES / COMPARE
    clear(target)
    shutil.copyfile(folder / "comparison.md", target / "comparison.md")
    captions = {}
    if (folder / CURVES_FILE).is_file():
        shrink_png(folder / CURVES_FILE, target / CURVES_FILE)
        captions[CURVES_FILE] = compare_caption(folder) or "accuracy against examples seen"
    write_json(target / "figures.json", captions)
    provenance = compare_provenance(folder)
    record = {
        "command": " ".join(["snnlearn", *compare_arguments("DIR", workers)]),
        "quick": True,
        "seeds": COMPARE_SEEDS,
        "git_commit": provenance.get("git_commit"),
        "git_dirty": provenance.get("git_dirty"),
        "version": provenance.get("version"),
        "status": "ok",
    }
    if wall_time_s is not None:
        record["wall_time_s"] = round(wall_time_s, 1)
    write_json(target / "source.json", record)
    return record


def make_compare(runs: Path, workers: int | None, timeout_s: float) -> dict[str, Any] | None:
    """Run the quick comparison into ``runs/compare`` and collect it; None when it failed."""
    folder = runs / COMPARE
    ok, tail, wall = run_snnlearn(compare_arguments(folder, workers), timeout_s)
    if not ok or not (folder / "comparison.md").is_file():
        print(f"compare failed: {tail}", file=sys.stderr)
        return None
    return collect_compare(folder, workers, wall)


def experiment_names() -> list[str]:
    """The experiments of the checkout (``experiments/*.py``), sorted."""
    return sorted(p.stem for p in (ROOT / "experiments").glob("*.py") if not p.name.startswith("_"))


def total_size(folder: Path) -> int:
    """Bytes of every file under ``folder``."""
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """The command line's options."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", help="experiments to run (default: all)")
    parser.add_argument("--no-experiments", action="store_true", help="run no experiment")
    parser.add_argument("--compare", action="store_true", help=f"also run the comparison (seeds {COMPARE_SEEDS})")
    parser.add_argument("--compare-from", type=Path, help="collect a finished quick comparison folder instead")
    parser.add_argument("--workers", type=int, help="the comparison's --workers (default: one per core)")
    parser.add_argument("--collect-from", type=Path, help="collect finished quick runs (DIR/NAME) instead of running")
    parser.add_argument("--runs", type=Path, help="keep the run folders here (default: a temporary folder)")
    parser.add_argument("--timeout", type=float, default=1800.0, help="seconds per run (default 1800)")
    return parser.parse_args(argv)


def experiment_record(name: str, args: argparse.Namespace, runs: Path) -> dict[str, Any]:
    """Run one experiment (or collect its finished run, with ``--collect-from``); its ``source.json``."""
    if args.collect_from is None:
        return make_experiment(name, runs, args.timeout)
    run_dir = args.collect_from / name
    finished = (run_dir / "metrics.json").is_file()
    return collect_experiment(name, run_dir, None, "" if finished else f"no finished run in {run_dir}")


def run_all(args: argparse.Namespace, runs: Path) -> list[str]:
    """Run (or collect) what ``args`` asks for into ``runs``; returns the names of the runs that failed."""
    failed = []
    names = [] if args.no_experiments else (args.names or experiment_names())
    for name in names:
        record = experiment_record(name, args, runs)
        print(f"{name}: {record['status']} in {record.get('wall_time_s', '?')} s", flush=True)
        if record["status"] != "ok":
            print(f"  {record['error']}", flush=True)
            failed.append(name)
    if args.compare_from is not None:
        collect_compare(args.compare_from, args.workers)
    elif args.compare and make_compare(runs, args.workers, args.timeout) is None:
        failed.append(COMPARE)
    return failed


def main(argv: Sequence[str] | None = None) -> int:
    """Run the experiments (and the comparison) asked for and collect their figures."""
    args = parse_args(argv)
    sys.path.insert(0, str(ROOT))
    if args.runs is not None:
        args.runs.mkdir(parents=True, exist_ok=True)
        failed = run_all(args, args.runs.resolve())
    else:
        with tempfile.TemporaryDirectory(prefix="snnlearn-docs-") as tmp:
            failed = run_all(args, Path(tmp))
    print(f"docs/figures: {total_size(FIGURES) / 1e6:.2f} MB; failed: {', '.join(failed) or 'none'}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())

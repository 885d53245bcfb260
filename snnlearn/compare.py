"""``snnlearn compare``: every learning rule on shared tasks, measured the same way, side by side.

Tasks: digit classification (embedded digits by default, ``--data DIR`` for MNIST), the
``reward_choice`` task and cue accumulation (``temporal_credit``: a recurrent spiking network
trained through time by BPTT, truncated BPTT, e-prop and node perturbation; Bellec et al. 2020).
Each learner is an existing experiment with settings that select it, at
matched size where that makes sense (``hidden`` units = excitatory neurons); every (learner,
seed) is one job of the Dask sweep machinery (``snnlearn.sweep``), so finished jobs are skipped
when the comparison is run again and a failing job is reported in the table with its error.
Every job is checked (the experiment's own ``check`` and the memory estimate included) before a
folder or a cluster is made; when a job fails the command exits with status 1.

Each job is read into a :class:`JobResult` (its accuracy and its learning curve); examples to
criterion are the library's one definition (:mod:`snnlearn.criterion`) applied to that curve;
the table's property columns come from the learners' declarations in the registry
(:mod:`snnlearn.registry`). The report (:mod:`snnlearn.report`) is built from ``--out`` and its
jobs only: ``comparison.csv``, ``comparison.md``, ``accuracy_vs_examples.png`` and
``report.html``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from .catalogue import PROPERTY_TITLES, Properties, registration
from .criterion import running_accuracy
from .report import PROPERTY_NAMES, JobResult, interval, write_report  # noqa: F401 - PROPERTY_NAMES re-exported
from .results import is_complete, read_metrics
from .sweep import Job, check_destination, check_jobs, job_name, local_workers, parse_seeds, run_jobs

#: accuracy a learner must reach, per task (examples to criterion)
CRITERIA = {"digits": 0.8, "reward_choice": 0.8, "cue_accumulation": 0.8}


def read_diehl_cook(m: dict, folder: Path | None = None) -> JobResult:
    """A ``diehl_cook`` run: test accuracy and the accuracy curve against training images."""
    return JobResult.from_metrics(
        m, m["test_accuracy"], [(p["examples"], p["accuracy"]) for p in m["accuracy_curve"]], 0.1
    )


def read_weight_transport(m: dict, learner: str, network: str = "one_hidden", folder: Path | None = None) -> JobResult:
    """A ``weight_transport`` run: ``learner``'s final test accuracy on ``network``, its curve
    against training images (epochs times the training set)."""
    history = m["learning_curves"][network][learner]
    curve = [(e * m["train_examples"], a) for e, a in zip(history["epoch"], history["test_accuracy"], strict=True)]
    return JobResult.from_metrics(m, m["test_accuracy_by_learner"][network][learner], curve, 0.1)


def read_estimator_digits(m: dict, estimator: str, folder: Path | None = None) -> JobResult:
    """An ``estimator_digits`` run: ``estimator``'s test accuracy and curve."""
    curve = [(p["examples"], p["accuracy"]) for p in m["accuracy_curve_by_estimator"][estimator]]
    return JobResult.from_metrics(m, m["test_accuracy_by_estimator"][estimator], curve, 0.1)


def read_reward_choice(m: dict, rule: str, baseline: str, folder: Path | None = None) -> JobResult:
    """A ``reward_choice`` run: accuracy of ``rule`` with ``baseline`` and its curve, the fraction
    rewarded over the last ``curve_window`` trials after every trial (from the trial outcomes in
    ``learning.npz``, :func:`snnlearn.criterion.running_accuracy`), so that its examples to
    criterion are the experiment's own ``trials_to_80pct_by_rule``; without the outcomes, the
    curve of blocks of ``curve_window`` trials."""
    window = int(m["params"]["curve_window"])
    path = Path(folder) / "learning.npz" if folder is not None else None
    key = f"{rule}_{baseline}_rewarded"
    arrays = np.load(path) if path is not None and path.is_file() else None
    if arrays is not None and key in arrays.files:
        curve = running_accuracy(np.atleast_2d(arrays[key])[0], window)  # (seeds, trials): the job's one seed
    else:
        curve = [((k + 1) * window, a) for k, a in enumerate(m["learning_curve_by_rule"][rule][baseline])]
    return JobResult.from_metrics(m, m["accuracy_by_rule"][rule][baseline], curve, m.get("chance_accuracy", 0.5))


def read_temporal_credit(m: dict, label: str, folder: Path | None = None) -> JobResult:
    """A ``temporal_credit`` run of one seed: ``label``'s test accuracy at the longest delay and its
    curve against training trials."""
    delay = str(m["longest_delay_ms"])
    curve = m["curves"][label][delay][0]
    return JobResult.from_metrics(m, m["accuracy"][label][delay]["values"][0], [(n, a) for n, a in curve], 0.5)


@dataclass(frozen=True)
class Learner:
    """How one learner is run on one task (an experiment with settings that select it), the
    registered learner whose declared properties its row shows, and how a job is read back."""

    name: str
    task: str
    experiment: str
    sets: tuple[str, ...]
    read: Callable[..., JobResult]  # (metrics, folder=...) -> JobResult
    declared: str = ""

    @property
    def properties(self) -> Properties:
        """The learner's declared properties, from the registry (under ``declared``, else its name)."""
        return registration(self.declared or self.name).properties


def property_cells(props: Properties) -> dict[str, str]:
    """The table's property columns of one learner (``local + one global reward`` for a local
    rule that learns from a broadcast scalar)."""

    def yes(flag: bool) -> str:
        return "yes" if flag else "no"

    local = "local + one global reward" if props.local and props.scalar_reward else yes(props.local)
    values = {
        "kind": props.kind,
        "differentiable_activation": yes(props.differentiable_activation),
        "hard_threshold": yes(props.hard_threshold),
        "local": local,
        "weight_transport": yes(props.weight_transport),
        "stores_activations": yes(props.stores_activations),
        "scalar_reward": yes(props.scalar_reward),
    }
    return {PROPERTY_TITLES[key]: values[key] for key in PROPERTY_TITLES}


def learners(hidden: int, data: str) -> list[Learner]:
    """The comparison's table: every learner, the experiment and settings that run it, and its reader.

    Parameters
    ----------
    hidden : int
        Hidden units of the digit learners (excitatory neurons for Diehl & Cook, the one hidden
        layer of the rate networks); the reward and cue-accumulation learners keep their own sizes.
    data : str
        The digits' data set (``digits`` or an MNIST folder), passed as ``data.path``.

    Returns
    -------
    list of Learner
        In the order of the table's rows; a job of the reward and recurrent learners is one seed.
    """
    d = (f"data.path={data}",)
    table = [Learner("stdp_diehl_cook", "digits", "diehl_cook", (*d, f"n_excitatory={hidden}"), read_diehl_cook)]
    for name, own_lr in (
        ("backprop", ()),
        ("feedback_alignment", ()),
        ("forward_forward", ("lr_by_learner={forward_forward = 0.01}",)),
    ):  # its own tuned rate
        table.append(
            Learner(
                name,
                "digits",
                "weight_transport",
                (*d, f'learners=["{name}"]', f"networks={{one_hidden = [{hidden}]}}", *own_lr),
                lambda m, folder=None, name=name: read_weight_transport(m, name),
            )
        )
    for name, estimator in (("node_perturbation", "node_perturbation"), ("reinforce", "reinforce_gaussian_baseline")):
        sets = (*d, f'estimators=["{estimator}"]', f"hidden={hidden}")
        table.append(
            Learner(
                name,
                "digits",
                "estimator_digits",
                sets,
                lambda m, folder=None, estimator=estimator: read_estimator_digits(m, estimator),
                declared=estimator,
            )
        )
    for name, baseline in (("rstdp", "none"), ("rstdp_baseline", "per_stimulus")):
        sets = ('rules=["mstdpet"]', f'baselines=["{baseline}"]', "seeds=1")  # a job is one seed
        table.append(
            Learner(
                name,
                "reward_choice",
                "reward_choice",
                sets,
                lambda m, folder=None, baseline=baseline: read_reward_choice(m, "mstdpet", baseline, folder),
            )
        )
    one = ("seeds=1", "lif_only=[]", "memory.steps=[]")  # a job is one seed; memory is the experiment's own
    for label, name, extra in (
        ("surrogate_bptt", "surrogate_bptt", ()),
        ("truncated_bptt_50", "truncated_bptt", ("truncations=[50]",)),
        ("eprop", "eprop", ()),
        ("eprop_random", "eprop_random", ()),
        ("reward_node_perturbation", "reward_node_perturbation", ()),
    ):
        table.append(
            Learner(
                label,
                "cue_accumulation",
                "temporal_credit",
                (*one, f'learners=["{name}"]', *extra),
                lambda m, folder=None, label=label: read_temporal_credit(m, label),
                declared=name,
            )
        )
    return table


def read_job(learner: Learner, job: Job) -> JobResult | None:
    """The result of one job (with its folder), or None when it did not finish."""
    folder = Path(job.folder)
    if not is_complete(folder):
        return None
    return replace(learner.read(read_metrics(folder), folder=folder), folder=str(folder))


def read_results(table: list[Learner], jobs: dict[str, list[Job]]) -> dict[str, list[JobResult]]:
    """Every finished job's result, per learner (in the order of its seeds)."""
    return {x.name: [r for r in (read_job(x, j) for j in jobs[x.name]) if r is not None] for x in table}


def summarise(table: list[Learner], jobs: dict[str, list[Job]], criteria: dict[str, float]) -> list[dict]:
    """One row per learner: per-seed accuracies and examples to criterion, their mean (and
    interval from 3 seeds on), wall time, memory, declared properties and errors."""
    rows = []
    every = read_results(table, jobs)
    for learner in table:
        results = every[learner.name]
        errors = sorted({_error(Path(j.folder)) for j in jobs[learner.name] if not is_complete(Path(j.folder))})
        row: dict[str, Any] = {
            "task": learner.task,
            "learner": learner.name,
            "experiment": learner.experiment,
            "seeds": len(results),
            "failed": len(jobs[learner.name]) - len(results),
            "error": "; ".join(errors),
        }
        if results:
            accuracies = [r.accuracy for r in results]
            bounds = interval(accuracies)
            reached = [r.to_criterion(criteria[learner.task]) for r in results]
            hit = [n for n in reached if n is not None]
            row.update(
                {
                    "seed_list": " ".join(str(r.seed) for r in results),
                    "accuracy_by_seed": " ".join(f"{a:.4g}" for a in accuracies),
                    "accuracy_mean": float(np.mean(accuracies)),
                    "accuracy_ci95_low": bounds[0] if bounds else None,
                    "accuracy_ci95_high": bounds[1] if bounds else None,
                    "examples_to_criterion_by_seed": " ".join("-" if n is None else f"{n:g}" for n in reached),
                    "examples_to_criterion": float(np.median(hit)) if hit else None,
                    "seeds_reaching_criterion": len(hit),
                    "wall_time_s": float(np.mean([r.wall_time_s for r in results])),
                    "peak_memory_mb": float(np.max([r.peak_memory_mb for r in results])),
                }
            )
        row.update(property_cells(learner.properties))
        rows.append(row)
    return rows


def _error(folder: Path) -> str:
    import json

    path = folder / "error.json"
    return json.loads(path.read_text())["error"] if path.is_file() else "did not finish"


def configure(parser: argparse.ArgumentParser) -> None:
    """The arguments of ``snnlearn compare``: seeds, data, size, learners, output and Dask cluster.

    Parameters
    ----------
    parser : argparse.ArgumentParser
        The subcommand's parser; the values are checked by :func:`selected`.
    """
    parser.add_argument("--quick", action="store_true", help="reduced runs (a few minutes in all)")
    parser.add_argument("--seeds", default=None, help="e.g. 0-4 (default 0-4; 0-2 with --quick)")
    parser.add_argument("--data", default="digits", help="digits (embedded) or an MNIST folder")
    parser.add_argument("--hidden", type=int, default=None, help="hidden units = excitatory neurons (100; 30 quick)")
    parser.add_argument("--learners", default=None, help="comma list (default: all)")
    parser.add_argument("--out", default="results/comparison")
    parser.add_argument("--scheduler", help="address of an existing Dask scheduler")
    parser.add_argument("--workers", type=int)


def selected(args: argparse.Namespace) -> tuple[list[Learner], list[int]]:
    """The learners and seeds asked for, every one checked (nothing is written)."""
    from .errors import ConfigError, one_of

    seeds = parse_seeds(args.seeds or ("0-2" if args.quick else "0-4"))
    if args.hidden is not None and args.hidden < 1:
        raise ConfigError("--hidden", f"{args.hidden} is too small", "expected an integer >= 1")
    table = learners(args.hidden or (30 if args.quick else 100), args.data)
    if args.learners:
        wanted = args.learners.split(",")
        unknown = [w for w in wanted if w not in {x.name for x in table}]
        if unknown:
            raise ConfigError("--learners", f"unknown learner {unknown[0]!r}", one_of(x.name for x in table))
        table = [x for x in table if x.name in wanted]
    return table, seeds


def command(args) -> int:
    """Compare every learning rule on shared tasks (a Dask sweep), with a table and an HTML report."""
    table, seeds = selected(args)
    out = Path(args.out)
    check_destination(out, args.workers)
    n_jobs = len(table) * len(seeds)
    check_jobs(
        [(x.experiment, x.sets) for x in table],
        seeds,
        quick=args.quick,
        concurrent=None if args.scheduler else local_workers(n_jobs, args.workers),
    )
    jobs = {
        x.name: [
            Job(x.experiment, x.sets, s, args.quick, str(out / "jobs" / job_name(x.experiment, x.sets, s)))
            for s in seeds
        ]
        for x in table
    }
    outcomes = run_jobs([j for js in jobs.values() for j in js], args.scheduler, args.workers)
    rows = summarise(table, jobs, CRITERIA)
    text = write_report(out, table, read_results(table, jobs), rows, CRITERIA)
    print(text)
    failed = [o for o in outcomes if o["status"] == "failed"]
    print(
        f"{sum(o['status'] == 'skipped' for o in outcomes)} jobs skipped (already finished), "
        f"{len(failed)} failed; report: {out / 'report.html'}"
    )
    if failed:
        print(
            f"error: jobs: {len(failed)} of {len(outcomes)} failed (first: {failed[0]['job']}: "
            f"{failed[0]['error']}); see {out / 'comparison.md'}",
            file=sys.stderr,
        )
        return 1
    return 0


COMMANDS = [("compare", configure, command)]

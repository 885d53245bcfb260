"""``snnlearn compare``: every learning rule on shared tasks, measured the same way, side by side.

Tasks: digit classification (embedded digits by default, ``--data DIR`` for MNIST), the
``reward_choice`` task and cue accumulation (``temporal_credit``: a recurrent spiking network
trained through time by BPTT, truncated BPTT, e-prop and node perturbation; Bellec et al. 2020).
Each learner is an existing experiment with settings that select it, at
matched size where that makes sense (``hidden`` units = excitatory neurons); every (learner,
seed) is one job of the Dask sweep machinery (``snnlearn.sweep``), so finished jobs are skipped
when the comparison is run again and a failing job is reported in the table with its error.

Each job's ``metrics.json`` is read into a :class:`JobResult`; the table's property columns come
from the learners' declarations in the registry (:mod:`snnlearn.registry`).

Writes ``comparison.csv``, ``comparison.md``, ``accuracy_vs_examples.png`` and ``report.html``
(the table, then the figures and metrics of the latest complete run of every experiment under
``results/``, embedded so that the page reads offline).
"""

from __future__ import annotations

import argparse
import base64
import html
import io
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .analysis import mean_confidence_interval
from .catalogue import PROPERTY_TITLES, Properties, registration
from .results import atomic_write_bytes, atomic_write_csv, is_complete, read_metrics
from .sweep import Job, job_name, parse_seeds, run_jobs

Curve = list[tuple[float, float]]


@dataclass(frozen=True)
class JobResult:
    """What the comparison reads from one finished job: its accuracy, its learning curve
    (examples seen, accuracy), and the run's wall time and peak memory."""

    accuracy: float
    curve: Curve
    wall_time_s: float
    peak_memory_mb: float

    @classmethod
    def from_metrics(cls, metrics: dict, accuracy: float, curve: Curve) -> JobResult:
        return cls(float(accuracy), [(float(n), float(a)) for n, a in curve], float(metrics["wall_time_s"]),
                   float(metrics.get("peak_memory_mb", float("nan"))))


def read_diehl_cook(m: dict) -> JobResult:
    """A ``diehl_cook`` run: test accuracy and the accuracy curve against training images."""
    return JobResult.from_metrics(m, m["test_accuracy"], [(p["examples"], p["accuracy"]) for p in m["accuracy_curve"]])


def read_weight_transport(m: dict, learner: str, network: str = "one_hidden") -> JobResult:
    """A ``weight_transport`` run: ``learner``'s final test accuracy on ``network``, its curve
    against training images (epochs times the training set)."""
    history = m["learning_curves"][network][learner]
    curve = [(e * m["train_examples"], a) for e, a in zip(history["epoch"], history["test_accuracy"], strict=True)]
    return JobResult.from_metrics(m, m["test_accuracy_by_learner"][network][learner], curve)


def read_estimator_digits(m: dict, estimator: str) -> JobResult:
    """An ``estimator_digits`` run: ``estimator``'s test accuracy and curve."""
    curve = [(p["examples"], p["accuracy"]) for p in m["accuracy_curve_by_estimator"][estimator]]
    return JobResult.from_metrics(m, m["test_accuracy_by_estimator"][estimator], curve)


def read_reward_choice(m: dict, rule: str, baseline: str) -> JobResult:
    """A ``reward_choice`` run: accuracy of ``rule`` with ``baseline``, its curve in blocks of
    ``curve_window`` trials."""
    window = m["params"]["curve_window"]
    curve = [((k + 1) * window, a) for k, a in enumerate(m["learning_curve_by_rule"][rule][baseline])]
    return JobResult.from_metrics(m, m["accuracy_by_rule"][rule][baseline], curve)


def read_temporal_credit(m: dict, label: str) -> JobResult:
    """A ``temporal_credit`` run of one seed: ``label``'s test accuracy at the longest delay and its
    curve against training trials."""
    delay = str(m["longest_delay_ms"])
    curve = m["curves"][label][delay][0]
    return JobResult.from_metrics(m, m["accuracy"][label][delay]["values"][0], [(n, a) for n, a in curve])


@dataclass(frozen=True)
class Learner:
    """How one learner is run on one task (an experiment with settings that select it), the
    registered learner whose declared properties its row shows, and how a job is read back."""

    name: str
    task: str
    experiment: str
    sets: tuple[str, ...]
    read: Callable[[dict], JobResult]
    declared: str = ""

    @property
    def properties(self) -> Properties:
        return registration(self.declared or self.name).properties


#: the property columns of the table, from the learners' declarations
PROPERTY_NAMES = tuple(PROPERTY_TITLES.values())


def property_cells(props: Properties) -> dict[str, str]:
    """The table's property columns of one learner (``local + one global reward`` for a local
    rule that learns from a broadcast scalar)."""
    def yes(flag: bool) -> str:
        return "yes" if flag else "no"

    local = ("local + one global reward" if props.local and props.scalar_reward else yes(props.local))
    values = {"kind": props.kind, "differentiable_activation": yes(props.differentiable_activation),
              "hard_threshold": yes(props.hard_threshold), "local": local,
              "weight_transport": yes(props.weight_transport), "stores_activations": yes(props.stores_activations),
              "scalar_reward": yes(props.scalar_reward)}
    return {PROPERTY_TITLES[key]: values[key] for key in PROPERTY_TITLES}


def learners(hidden: int, data: str) -> list[Learner]:
    d = (f"data.path={data}",)
    table = [Learner("stdp_diehl_cook", "digits", "diehl_cook", (*d, f"n_excitatory={hidden}"), read_diehl_cook)]
    for name, own_lr in (("backprop", ()), ("feedback_alignment", ()),
                         ("forward_forward", ("lr_by_learner={forward_forward = 0.01}",))):  # its own tuned rate
        table.append(Learner(name, "digits", "weight_transport",
                             (*d, f"learners=[\"{name}\"]", f"networks={{one_hidden = [{hidden}]}}", *own_lr),
                             lambda m, name=name: read_weight_transport(m, name)))
    for name, estimator in (("node_perturbation", "node_perturbation"), ("reinforce", "reinforce_gaussian_baseline")):
        sets = (*d, f"estimators=[\"{estimator}\"]", f"hidden={hidden}")
        table.append(Learner(name, "digits", "estimator_digits", sets,
                             lambda m, estimator=estimator: read_estimator_digits(m, estimator), declared=estimator))
    for name, baseline in (("rstdp", "none"), ("rstdp_baseline", "per_stimulus")):
        sets = ("rules=[\"mstdpet\"]", f"baselines=[\"{baseline}\"]")
        table.append(Learner(name, "reward_choice", "reward_choice", sets,
                             lambda m, baseline=baseline: read_reward_choice(m, "mstdpet", baseline)))
    one = ("seeds=1", "lif_only=[]", "memory.steps=[]")  # a job is one seed; memory is the experiment's own
    for label, name, extra in (("surrogate_bptt", "surrogate_bptt", ()), ("truncated_bptt_50", "truncated_bptt",
                               ("truncations=[50]",)), ("eprop", "eprop", ()), ("eprop_random", "eprop_random", ()),
                               ("reward_node_perturbation", "reward_node_perturbation", ())):
        table.append(Learner(label, "cue_accumulation", "temporal_credit", (*one, f"learners=[\"{name}\"]", *extra),
                             lambda m, label=label: read_temporal_credit(m, label), declared=name))
    return table


def first_at(curve: Curve, criterion: float) -> float | None:
    return next((n for n, a in curve if a >= criterion), None)


def summarise(table: list[Learner], jobs: dict[str, list[Job]], criteria: dict[str, float]) -> list[dict]:
    rows = []
    for learner in table:
        done = [Path(j.folder) for j in jobs[learner.name] if is_complete(Path(j.folder))]
        errors = sorted({_error(Path(j.folder)) for j in jobs[learner.name] if not is_complete(Path(j.folder))})
        results = [learner.read(read_metrics(f)) for f in done]
        row: dict[str, Any] = {"task": learner.task, "learner": learner.name, "seeds": len(done),
                               "failed": len(jobs[learner.name]) - len(done), "error": "; ".join(errors)}
        if results:
            mean, low, high = mean_confidence_interval([r.accuracy for r in results])
            low, high = np.clip([low, high], 0.0, 1.0)  # an accuracy interval stays within [0, 1] (NaN stays)
            reached = [first_at(r.curve, criteria[learner.task]) for r in results]
            row.update({"accuracy_mean": mean, "accuracy_ci95_low": low, "accuracy_ci95_high": high,
                        "examples_to_criterion": (float(np.median([r for r in reached if r is not None]))
                                                  if any(r is not None for r in reached) else None),
                        "wall_time_s": float(np.mean([r.wall_time_s for r in results])),
                        "peak_memory_mb": float(np.max([r.peak_memory_mb for r in results]))})
        row.update(property_cells(learner.properties))
        rows.append(row)
    return rows


def _error(folder: Path) -> str:
    import json

    path = folder / "error.json"
    return json.loads(path.read_text())["error"] if path.is_file() else "did not finish"


def _fmt(value: Any) -> str:
    if value is None:
        return "not reached"
    if isinstance(value, float):
        return "" if np.isnan(value) else f"{value:.3g}"
    return str(value)


def markdown(rows: list[dict], criteria: dict[str, float]) -> str:
    head = ["task", "learner", "seeds", "accuracy (mean [95% CI])",
            "examples to criterion", "wall time (s)", "peak memory (MB)", *PROPERTY_NAMES, "error"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        acc = (f"{r['accuracy_mean']:.3f} [{_fmt(r['accuracy_ci95_low'])}, {_fmt(r['accuracy_ci95_high'])}]"
               if "accuracy_mean" in r else "failed")
        cells = [r["task"], r["learner"], str(r["seeds"]), acc, _fmt(r.get("examples_to_criterion")),
                 _fmt(r.get("wall_time_s")), _fmt(r.get("peak_memory_mb")), *[r[p] for p in PROPERTY_NAMES],
                 r["error"]]
        lines.append("| " + " | ".join(cells) + " |")
    notes = ", ".join(f"{task}: accuracy >= {c:g}" for task, c in criteria.items())
    return ("\n".join(lines) + f"\n\nCriterion ({notes}); examples are training images for digits and trials for "
            "reward_choice and cue_accumulation (accuracy at the longest delay); the interval is a t-interval over "
            "seeds.\n")


def curves_figure(table: list[Learner], jobs: dict[str, list[Job]]) -> bytes:
    from . import plots

    panels = [(task, xlabel) for task, xlabel in (("digits", "training examples seen"), ("reward_choice", "trials"),
                                                  ("cue_accumulation", "training trials"))
              if any(x.task == task for x in table)]
    fig, axes = plots.plt.subplots(1, len(panels), figsize=(5.5 * len(panels), 4), squeeze=False)
    for ax, (task, xlabel) in zip(axes[0], panels, strict=True):
        for learner in (x for x in table if x.task == task):
            for k, job in enumerate(jobs[learner.name]):
                if is_complete(Path(job.folder)):
                    xs, ys = zip(*learner.read(read_metrics(Path(job.folder))).curve, strict=True)
                    ax.plot(xs, ys, color=f"C{table.index(learner)}", alpha=0.8,
                            label=learner.name if k == 0 else None)
        ax.set_xlabel(xlabel)
        ax.axhline(0.1 if task == "digits" else 0.5, color="0.5", ls="--", lw=0.8, label="chance")
        ax.set_ylabel("accuracy")
        ax.set_title(task)
        ax.legend(fontsize=7)
        ax.grid(alpha=0.3)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    plots.plt.close(fig)
    return buffer.getvalue()


def report_html(table_md: str, figure: bytes, results_root: Path) -> str:
    """One offline page: the comparison, then every experiment's latest complete run."""
    def img(data: bytes) -> str:
        return f'<img src="data:image/png;base64,{base64.b64encode(data).decode()}" style="max-width:48%">'

    parts = ["<html><head><meta charset='utf-8'><title>snnlearn report</title><style>body{font-family:sans-serif;"
             "margin:2em}table{border-collapse:collapse;font-size:12px}td,th{border:1px solid #ccc;padding:3px}"
             "</style></head><body><h1>snnlearn: learning rules compared</h1>", _md_table_html(table_md), img(figure)]
    latest: dict[str, Path] = {}
    for metrics_file in sorted(results_root.glob("**/metrics.json"), key=lambda p: p.stat().st_mtime):
        name = read_metrics(metrics_file.parent).get("experiment")
        if name:
            latest[name] = metrics_file.parent
    for name, folder in sorted(latest.items()):
        metrics = read_metrics(folder)
        scalars = {k: v for k, v in metrics.items() if isinstance(v, int | float | str | bool) and k != "experiment"}
        parts.append(f"<h2>{html.escape(name)}</h2><p>{html.escape(str(folder))}</p><table>")
        parts += [f"<tr><td>{html.escape(k)}</td><td>{html.escape(str(v))}</td></tr>" for k, v in scalars.items()]
        parts.append("</table>")
        parts += [img(p.read_bytes()) for p in sorted(folder.glob("*.png"))]
    parts.append("</body></html>")
    return "\n".join(parts)


def _md_table_html(text: str) -> str:
    rows = [line.strip("|").split("|") for line in text.splitlines() if line.startswith("|") and "---" not in line]
    if not rows:
        return ""
    out = ["<table>"] + ["<tr>" + "".join(f"<td>{html.escape(c.strip())}</td>" for c in row) + "</tr>" for row in rows]
    return "\n".join(out + ["</table>", f"<p>{html.escape(text.split(chr(10) + chr(10))[-1])}</p>"])


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--quick", action="store_true", help="reduced runs (a few minutes in all)")
    parser.add_argument("--seeds", default=None, help="e.g. 0-4 (default 0-4; 0-1 with --quick)")
    parser.add_argument("--data", default="digits", help="digits (embedded) or an MNIST folder")
    parser.add_argument("--hidden", type=int, default=None, help="hidden units = excitatory neurons (100; 30 quick)")
    parser.add_argument("--learners", default=None, help="comma list (default: all)")
    parser.add_argument("--out", default="results/comparison")
    parser.add_argument("--scheduler", help="address of an existing Dask scheduler")
    parser.add_argument("--workers", type=int)


def command(args) -> int:
    """Compare every learning rule on shared tasks (a Dask sweep), with a table and an HTML report."""
    from .errors import ConfigError, one_of
    from .experiment import prepare

    seeds = parse_seeds(args.seeds or ("0-1" if args.quick else "0-4"))
    hidden = args.hidden or (30 if args.quick else 100)
    table = learners(hidden, args.data)
    if args.learners:
        wanted = args.learners.split(",")
        unknown = [w for w in wanted if w not in {x.name for x in table}]
        if unknown:
            raise ConfigError("--learners", f"unknown learner {unknown[0]!r}", one_of(x.name for x in table))
        table = [x for x in table if x.name in wanted]
    for learner in table:
        prepare(learner.experiment, seed=seeds[0], quick=args.quick, sets=learner.sets)
    out = Path(args.out)
    jobs = {x.name: [Job(x.experiment, x.sets, s, args.quick, str(out / "jobs" / job_name(x.experiment, x.sets, s)))
                     for s in seeds] for x in table}
    outcomes = run_jobs([j for js in jobs.values() for j in js], args.scheduler, args.workers)
    criteria = {"digits": 0.8, "reward_choice": 0.8, "cue_accumulation": 0.8}
    rows = summarise(table, jobs, criteria)
    atomic_write_csv(out / "comparison.csv", rows)
    text = markdown(rows, criteria)
    atomic_write_bytes(out / "comparison.md", text.encode())
    figure = curves_figure(table, jobs)
    atomic_write_bytes(out / "accuracy_vs_examples.png", figure)
    atomic_write_bytes(out / "report.html", report_html(text, figure, Path("results")).encode())
    print(text)
    print(f"{sum(o['status'] == 'skipped' for o in outcomes)} jobs skipped (already finished), "
          f"{sum(o['status'] == 'failed' for o in outcomes)} failed; report: {out / 'report.html'}")
    return 0


COMMANDS = [("compare", configure, command)]

"""The comparison's report, built from its own folder (``--out``) and its jobs only.

:func:`write_report` writes into ``--out``: ``comparison.csv`` (one row per learner, per-seed
values included), ``comparison.md`` (the table), ``accuracy_vs_examples.png`` (learning curves:
the mean over seeds with its band, on a log axis of examples seen, since the tasks' budgets
differ by orders of magnitude) and ``report.html``, which shows the table and links every image
by its path relative to ``--out`` (the comparison's figure, and the figures of each learner's
first finished job, under ``jobs/``), each captioned with the experiment, the learner, the
number of seeds and what it shows (:mod:`snnlearn.captions`).

How numbers are shown: each learner's per-seed accuracies are listed beside their mean; the 95%
t-interval of the mean is printed only from :data:`~snnlearn.compare.MIN_SEEDS_FOR_INTERVAL`
seeds on, and never clipped to [0, 1] (a bound outside it is printed as it is and flagged, since
clipping would hide how wide the interval is). Examples to criterion follow
:mod:`snnlearn.criterion` (per seed, and their median over the seeds that reached it).
"""

from __future__ import annotations

import html
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from .analysis import mean_confidence_interval
from .captions import caption_of
from .catalogue import PROPERTY_TITLES
from .criterion import Curve, examples_to_criterion
from .results import atomic_write_bytes, atomic_write_csv

if TYPE_CHECKING:
    from matplotlib.figure import Figure

CURVES_FILE = "accuracy_vs_examples.png"
#: an interval over fewer seeds than this is not printed (a t-interval from 2 values is ~13 SDs wide)
MIN_SEEDS_FOR_INTERVAL = 3
#: what one example is, per task (the x axis of its learning curves)
EXAMPLES = {"digits": "training images", "reward_choice": "trials", "cue_accumulation": "training trials"}
#: the property columns of the table, from the learners' declarations
PROPERTY_NAMES = tuple(PROPERTY_TITLES.values())


class Entry(Protocol):
    """What the report needs of a learner (:class:`snnlearn.compare.Learner`)."""

    name: str
    task: str
    experiment: str


@dataclass(frozen=True)
class JobResult:
    """What the comparison reads from one finished job: its seed, accuracy, learning curve
    (examples seen, accuracy), the accuracy of chance, the run's wall time and peak memory,
    and its folder."""

    seed: int
    accuracy: float
    curve: Curve
    chance: float
    wall_time_s: float
    peak_memory_mb: float
    folder: str = ""

    @classmethod
    def from_metrics(cls, metrics: dict, accuracy: float, curve: Curve, chance: float) -> JobResult:
        """From a job's ``metrics.json`` and what a reader took from it."""
        return cls(
            int(metrics["seed"]),
            float(accuracy),
            [(float(n), float(a)) for n, a in curve],
            float(chance),
            float(metrics["wall_time_s"]),
            float(metrics.get("peak_memory_mb", float("nan"))),
        )

    def to_criterion(self, criterion: float) -> float | None:
        """Examples to criterion of this job (:func:`snnlearn.criterion.examples_to_criterion`)."""
        return examples_to_criterion(self.curve, criterion)


def interval(values: Sequence[float]) -> tuple[float, float] | None:
    """The 95% t-interval of the mean over seeds, or None from fewer than
    :data:`MIN_SEEDS_FOR_INTERVAL` seeds. Never clipped: a bound outside [0, 1] is shown as it is."""
    if len(values) < MIN_SEEDS_FOR_INTERVAL:
        return None
    _, low, high = mean_confidence_interval(values)
    return low, high


def _num(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return "" if np.isnan(value) else f"{value:.3g}"
    return str(value)


def accuracy_cell(row: Mapping[str, Any]) -> str:
    """``0.512 (0.49, 0.52, 0.53; 95% CI [0.47, 0.55])``; from fewer than 3 seeds no interval."""
    if "accuracy_mean" not in row:
        return "failed"
    per_seed = row["accuracy_by_seed"].replace(" ", ", ")
    n = row["seeds"]
    if row.get("accuracy_ci95_low") is None:
        return f"{row['accuracy_mean']:.3f} (seeds: {per_seed}; no interval from {n} seed{'s' * (n != 1)})"
    low, high = row["accuracy_ci95_low"], row["accuracy_ci95_high"]
    outside = " (extends beyond [0, 1]; not clipped)" if low < 0 or high > 1 else ""
    return f"{row['accuracy_mean']:.3f} (seeds: {per_seed}; 95% CI [{low:.3f}, {high:.3f}]{outside})"


def criterion_cell(row: Mapping[str, Any]) -> str:
    """``450 (seeds: 400, 500, -)``: the median over the seeds that reached it, and each seed's."""
    if "accuracy_mean" not in row:
        return ""
    per_seed = row["examples_to_criterion_by_seed"].replace(" ", ", ")
    median = row["examples_to_criterion"]
    reached = row["seeds_reaching_criterion"]
    head = (
        "not reached"
        if median is None
        else f"{median:g}" + (f" (median of {reached} of {row['seeds']})" if reached != row["seeds"] else "")
    )
    return f"{head}; seeds: {per_seed}"


HEAD = [
    "task",
    "learner",
    "seeds",
    "accuracy: mean (per seed; 95% CI)",
    "examples to criterion",
    "wall time (s)",
    "peak memory (MB)",
    *PROPERTY_NAMES,
    "error",
]


def table_cells(rows: Sequence[Mapping[str, Any]]) -> list[list[str]]:
    """The table's cells, one list per learner (in the order of :data:`HEAD`)."""
    return [
        [
            r["task"],
            r["learner"],
            str(r["seeds"]),
            accuracy_cell(r),
            criterion_cell(r),
            _num(r.get("wall_time_s")),
            _num(r.get("peak_memory_mb")),
            *[r[p] for p in PROPERTY_NAMES],
            r["error"],
        ]
        for r in rows
    ]


def notes(criteria: Mapping[str, float]) -> str:
    """What the table's numbers are (shown under it)."""
    crit = ", ".join(f"{task}: accuracy >= {c:g}" for task, c in criteria.items())
    what = ", ".join(f"{task}: {EXAMPLES[task]}" for task in criteria)
    return (
        f"Criterion ({crit}). Examples to criterion: the examples seen at the first point of a job's learning "
        f"curve whose accuracy reaches the criterion (snnlearn.criterion; for reward_choice the fraction "
        f"rewarded over the last curve_window trials after every trial), per seed ('-': not reached) and "
        f"their median; examples are {what}; cue_accumulation is scored at the longest delay. The interval "
        f"is a Student-t 95% interval of the mean over seeds, printed from {MIN_SEEDS_FOR_INTERVAL} seeds "
        "on and not clipped to [0, 1]."
    )


def markdown(rows: Sequence[Mapping[str, Any]], criteria: Mapping[str, float]) -> str:
    """The comparison table in Markdown, with its notes."""
    lines = ["| " + " | ".join(HEAD) + " |", "|" + "---|" * len(HEAD)]
    lines += ["| " + " | ".join(cells) + " |" for cells in table_cells(rows)]
    return "\n".join(lines) + "\n\n" + notes(criteria) + "\n"


def _matched(results: Sequence[JobResult]) -> tuple[np.ndarray, np.ndarray]:
    """Examples seen common to every seed's curve, and the accuracies there (seeds x points)."""
    common = sorted(set.intersection(*(set(x for x, _ in r.curve) for r in results)))
    values = np.array([[dict(r.curve)[x] for x in common] for r in results], dtype=float)
    return np.array(common, dtype=float), values.reshape(len(results), len(common))


def _band(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, str]:
    """Per point: the 95% t-interval of the mean (3 or more seeds) or the seeds' range (2)."""
    from scipy import stats

    n = values.shape[0]
    if n >= MIN_SEEDS_FOR_INTERVAL:
        half = stats.t.ppf(0.975, n - 1) * values.std(axis=0, ddof=1) / np.sqrt(n)
        mean = values.mean(axis=0)
        return mean - half, mean + half, "95% CI"
    return values.min(axis=0), values.max(axis=0), "range"


def _plain_log_ticks(ax: Any) -> None:
    """Counts on a log x axis as plain integers (700, 2,000, 10,000), labelled where matplotlib
    would label them."""
    from matplotlib.ticker import LogFormatterSciNotation

    class Plain(LogFormatterSciNotation):
        def __call__(self, x: float, pos: int | None = None) -> str:
            return f"{x:,.0f}" if super().__call__(x, pos) else ""

    ax.xaxis.set_major_formatter(Plain())
    ax.xaxis.set_minor_formatter(Plain(labelOnlyBase=False))


def curves_figure(
    table: Sequence[Entry], results: Mapping[str, Sequence[JobResult]], criteria: Mapping[str, float]
) -> tuple[Figure, str]:
    """Accuracy against examples seen per task, log axis: each learner's mean over seeds (points
    every seed measured) with its band, chance and criterion lines. Returns the figure and its caption."""
    from .plots import plt

    tasks = [task for task in EXAMPLES if any(x.task == task and results.get(x.name) for x in table)]
    fig, axes = plt.subplots(1, max(len(tasks), 1), figsize=(5.5 * max(len(tasks), 1), 4.2), squeeze=False)
    for ax, task in zip(axes[0], tasks, strict=False):
        chance = []
        for learner in (x for x in table if x.task == task):
            runs = results.get(learner.name, [])
            if not runs:
                continue
            chance += [r.chance for r in runs]
            x, values = _matched(runs)
            keep = x > 0  # a log axis has no 0: the curve before training is left out
            x, values = x[keep], values[:, keep]
            color = f"C{list(table).index(learner) % 10}"
            ax.plot(
                x,
                values.mean(axis=0),
                color=color,
                marker="o" if len(x) <= 30 else None,
                ms=3,
                lw=1.5,
                label=f"{learner.name} (mean of {len(runs)} seed{'s' * (len(runs) != 1)})",
            )
            if len(runs) > 1:
                low, high, kind = _band(values)
                ax.fill_between(x, low, high, color=color, alpha=0.2, lw=0, label=f"{learner.name}: {kind}")
        if chance:
            ax.axhline(float(np.mean(chance)), color="0.4", ls=":", lw=1, label=f"chance ({np.mean(chance):.2g})")
        ax.axhline(criteria[task], color="0.2", ls="--", lw=1, label=f"criterion ({criteria[task]:g})")
        ax.set(
            xscale="log", xlabel=f"{EXAMPLES[task]} seen (log scale)", ylabel="accuracy (fraction correct)", title=task
        )
        _plain_log_ticks(ax)
        ax.legend(fontsize=7)
        ax.grid(alpha=0.3, which="both")
    counts = sorted({len(v) for v in results.values() if v})
    caption = (
        f"Learning curves of {', '.join(x.name for x in table if results.get(x.name))} "
        f"(experiments {', '.join(sorted({x.experiment for x in table if results.get(x.name)}))}; "
        f"{'/'.join(map(str, counts)) or 0} seeds per learner): accuracy against examples seen on a log "
        "axis (the point before training, at 0 examples, is not drawn), the mean over seeds at the points "
        f"every seed measured, with a band of the 95% t-interval of the mean ({MIN_SEEDS_FOR_INTERVAL} or "
        "more seeds) or of the seeds' range (2 seeds), not clipped to [0, 1] (a band beyond it is a wide "
        "interval from few seeds); dotted: chance, dashed: the criterion."
    )
    return fig, caption


def png(fig: Figure) -> bytes:
    """A figure as PNG bytes (150 dpi), closed afterwards."""
    from .plots import plt

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=150, bbox_inches="tight")
    plt.close(fig)
    return buffer.getvalue()


def job_figures(out: Path, table: Sequence[Entry], results: Mapping[str, Sequence[JobResult]]) -> list[tuple[str, str]]:
    """(path relative to ``out``, caption) of every figure of each learner's first finished job
    (a job folder outside ``out`` is not shown: the report shows ``out`` only)."""
    figures = []
    for learner in table:
        done = [r for r in results.get(learner.name, []) if r.folder]
        if not done:
            continue
        first = Path(done[0].folder)
        if not first.resolve().is_relative_to(out.resolve()):
            continue
        for png in sorted(first.glob("*.png")):
            where = png.resolve().relative_to(out.resolve()).as_posix()
            caption = (
                f"{learner.experiment} / {learner.name}, seed {done[0].seed} (one of {len(done)} finished "
                f"seed{'s' * (len(done) != 1)}; the others' figures are in their jobs/ folders): "
                f"{caption_of(first, png.name)}"
            )
            figures.append((where, caption))
    return figures


def report_html(
    rows: Sequence[Mapping[str, Any]], criteria: Mapping[str, float], figures: Sequence[tuple[str, str]]
) -> str:
    """One page: the table and its notes, then every figure (by relative path) with its caption."""
    esc = html.escape
    parts = [
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>snnlearn: learning rules compared</title>"
        "<style>body{font-family:sans-serif;margin:2em;max-width:1400px}table{border-collapse:collapse;"
        "font-size:12px}td,th{border:1px solid #ccc;padding:3px;vertical-align:top}figure{margin:1.5em 0}"
        "img{max-width:100%}figcaption{font-size:13px;color:#333;max-width:900px}</style></head><body>",
        "<h1>snnlearn: learning rules compared</h1><table>",
        "<tr>" + "".join(f"<th>{esc(h)}</th>" for h in HEAD) + "</tr>",
    ]
    parts += ["<tr>" + "".join(f"<td>{esc(c)}</td>" for c in cells) + "</tr>" for cells in table_cells(rows)]
    parts.append(f"</table><p>{esc(notes(criteria))}</p>")
    for src, caption in figures:
        parts.append(
            f'<figure><img src="{esc(src, quote=True)}" alt="{esc(caption, quote=True)}">'
            f"<figcaption>{esc(caption)}</figcaption></figure>"
        )
    parts.append("</body></html>")
    return "\n".join(parts)


def write_report(
    out: Path,
    table: Sequence[Entry],
    results: Mapping[str, Sequence[JobResult]],
    rows: Sequence[Mapping[str, Any]],
    criteria: Mapping[str, float],
) -> str:
    """Write the comparison's files into ``out`` from ``results`` (its jobs' results, per
    learner); returns the Markdown table."""
    out = Path(out)
    atomic_write_csv(out / "comparison.csv", rows)
    text = markdown(rows, criteria)
    atomic_write_bytes(out / "comparison.md", text.encode())
    figure, caption = curves_figure(table, results, criteria)
    atomic_write_bytes(out / CURVES_FILE, png(figure))
    figures = [(CURVES_FILE, caption), *job_figures(out, table, results)]
    atomic_write_bytes(out / "report.html", report_html(rows, criteria, figures).encode())
    return text

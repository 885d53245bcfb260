"""One plotting style for every figure: size, resolution, fonts, axes, references and captions.

Every figure of the project is made through :func:`figure` (or gets :data:`RC` through
:func:`use`) and saved by :meth:`snnlearn.experiment.RunContext.savefig`, which calls
:func:`save`: PNG at :data:`DPI`, and PDF or SVG as well when ``SNNLEARN_FIGURE_FORMATS`` asks
for them. The helpers here give the rules a reader relies on:

- counts (sizes, depths, neuron indices, epochs, trials) on integer ticks, also on log axes
  (:func:`count_axis`: never ``10^0`` or ``2.5``);
- units in every axis label (:func:`label`), bytes in KiB/MiB (:func:`bytes_axis`);
- each reference (paper, theory, chance, control, criterion) in its own style with its own
  legend entry (:func:`reference`, :func:`reference_points`);
- intervals of quantities drawn on log axes computed in log space (:func:`log_interval`);
- a caption line under the figure, e.g. the deviations of a ``--quick`` run (:func:`caption`).
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import matplotlib
import matplotlib.style

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import FixedLocator, FuncFormatter, MaxNLocator, NullFormatter, NullLocator  # noqa: E402

#: resolution of saved raster images (dots per inch)
DPI = 160
#: vector formats :func:`save` writes besides PNG when asked
VECTOR_FORMATS = ("pdf", "svg")
#: the style every figure uses
RC: dict[str, Any] = {
    "figure.dpi": 100,
    "savefig.dpi": DPI,
    "font.size": 9,
    "axes.titlesize": 9,
    "axes.labelsize": 9,
    "legend.fontsize": 7,
    "xtick.labelsize": 8,
    "ytick.labelsize": 8,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "lines.markersize": 4,
    "legend.framealpha": 0.85,
}

#: kind of reference -> line style; every kind is drawn with a legend entry
REFERENCE_STYLES: dict[str, dict[str, Any]] = {
    "paper": {"color": "k", "ls": "--", "lw": 1.0},
    "theory": {"color": "0.35", "ls": ":", "lw": 1.2},
    "chance": {"color": "0.55", "ls": "-.", "lw": 1.0},
    "control": {"color": "tab:gray", "ls": (0, (5, 2, 1, 2)), "lw": 1.0},
    "criterion": {"color": "tab:red", "ls": (0, (2, 2)), "lw": 1.0},
}
#: distinct markers, so that curves that coincide stay visible (hollow, of decreasing size)
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "<", ">", "*")
LINESTYLES = ("-", "--", "-.", ":")


def use() -> None:
    """Apply :data:`RC` to matplotlib (done on import of this module)."""
    matplotlib.style.use(RC)


use()


def figure(
    nrows: int = 1, ncols: int = 1, *, panel: tuple[float, float] = (4.6, 3.4), **kwargs: Any
) -> tuple[Figure, np.ndarray]:
    """A figure of ``nrows x ncols`` panels of ``panel`` inches each (constrained layout); axes
    always 2-D."""
    kwargs.setdefault("squeeze", False)
    kwargs.setdefault("layout", "constrained")
    fig, axes = plt.subplots(nrows, ncols, figsize=(panel[0] * ncols, panel[1] * nrows), **kwargs)
    return fig, axes


def label(quantity: str, unit: str | None = None) -> str:
    """``quantity (unit)``; ``unit=""`` marks a dimensionless quantity explicitly (no brackets)."""
    return f"{quantity} ({unit})" if unit else quantity


def curve_style(i: int, hollow: bool = True) -> dict[str, Any]:
    """Marker, line style and colour of the ``i``-th of several curves that may coincide:
    hollow markers of decreasing size over distinct line styles, so a curve drawn exactly under
    another still shows."""
    style: dict[str, Any] = {
        "color": f"C{i % 10}",
        "marker": MARKERS[i % len(MARKERS)],
        "ls": LINESTYLES[i % len(LINESTYLES)],
        "ms": max(3.0, 7.0 - 1.2 * i),
    }
    if hollow:
        style["mfc"] = "none"
    return style


def count_axis(ax: Axes, which: str = "x", values: Sequence[float] | None = None, log: bool = False) -> None:
    """An axis of counts: integer ticks only; with ``values`` (e.g. the sizes run) ticks at those
    values written as plain integers, on a log axis when ``log``."""
    axis = ax.xaxis if which == "x" else ax.yaxis
    if log:
        (ax.set_xscale if which == "x" else ax.set_yscale)("log")
    if values is not None and len(values) <= 16:
        ticks = sorted({float(v) for v in values})
        axis.set_major_locator(FixedLocator(ticks))
        axis.set_major_formatter(FuncFormatter(lambda v, _: f"{int(round(v)):,}"))
        axis.set_minor_locator(NullLocator())
        axis.set_minor_formatter(NullFormatter())
    elif log:
        axis.set_major_formatter(FuncFormatter(lambda v, _: f"{int(round(v)):,}" if v >= 1 else ""))
        axis.set_minor_formatter(NullFormatter())
    else:
        axis.set_major_locator(MaxNLocator(integer=True))


_BINARY = ((2**30, "GiB"), (2**20, "MiB"), (2**10, "KiB"), (1, "B"))


def format_bytes(n: float) -> str:
    """``n`` bytes with a binary prefix: 512 B, 1.5 KiB, 12 MiB."""
    for size, unit in _BINARY:
        if abs(n) >= size:
            value = n / size
            return f"{value:.3g} {unit}"
    return f"{n:.3g} B"


def bytes_axis(ax: Axes, which: str = "y") -> None:
    """A log axis of bytes with ticks at powers of 2^10 steps (1 KiB, 32 KiB, 1 MiB, ...) written in
    B, KiB, MiB, GiB."""
    axis = ax.yaxis if which == "y" else ax.xaxis
    (ax.set_yscale if which == "y" else ax.set_xscale)("log", base=2)
    axis.set_major_locator(matplotlib.ticker.LogLocator(base=2, numticks=12))
    axis.set_major_formatter(FuncFormatter(lambda v, _: format_bytes(v)))
    axis.set_minor_formatter(NullFormatter())


def reference(ax: Axes, value: float, kind: str, text: str, *, axis: str = "y", **style: Any) -> None:
    """A horizontal (``axis="y"``) or vertical line at ``value``, styled by its ``kind`` (paper,
    theory, chance, control, criterion), with ``text`` as its legend entry."""
    if kind not in REFERENCE_STYLES:
        raise ValueError(f"kind {kind!r} is not one of {sorted(REFERENCE_STYLES)}")
    line = ax.axhline if axis == "y" else ax.axvline
    line(value, label=text, **{**REFERENCE_STYLES[kind], **style})


def reference_curve(
    ax: Axes, x: Sequence[float] | np.ndarray, y: Sequence[float] | np.ndarray, kind: str, text: str, **style: Any
) -> None:
    """A reference curve (a published fit, a theory) in the style of its ``kind``, with its label."""
    ax.plot(x, y, label=text, **{**REFERENCE_STYLES[kind], **style})


def reference_points(
    ax: Axes, x: Sequence[float], y: Sequence[float], text: str, yerr: Sequence[float] | None = None, **style: Any
) -> None:
    """Published data points (black, filled), with their error bars when given."""
    defaults = {"color": "k", "marker": "o", "ls": "none", "ms": 5, "capsize": 3, "zorder": 5}
    ax.errorbar(x, y, yerr=yerr, label=text, **{**defaults, **style})


def log_interval(values: Iterable[float], confidence: float = 0.95) -> tuple[float, float, float]:
    """Geometric mean of positive ``values`` and its t-interval computed in log space
    (``exp(mean log +- t sem log)``), the interval to draw on a log axis; non-positive values are
    left out. With one value the interval is that value; with none, NaNs."""
    from scipy import stats

    logs = np.log([v for v in values if v is not None and v > 0 and math.isfinite(v)])
    if logs.size == 0:
        return math.nan, math.nan, math.nan
    mean = float(np.mean(logs))
    if logs.size == 1:
        return math.exp(mean), math.exp(mean), math.exp(mean)
    half = float(stats.t.ppf(0.5 + confidence / 2, logs.size - 1) * np.std(logs, ddof=1) / math.sqrt(logs.size))
    return math.exp(mean), math.exp(mean - half), math.exp(mean + half)


def caption(fig: Figure, text: str) -> None:
    """A caption line (wrapped) under the figure, e.g. what a ``--quick`` run changed."""
    import textwrap

    width = max(60, int(fig.get_figwidth() * 14))
    fig.text(
        0.01,
        -0.01,
        "\n".join(textwrap.wrap(text, width)),
        ha="left",
        va="top",
        fontsize=7,
        color="0.25",
        transform=fig.transFigure,
    )


def note(ax: Axes, text: str, loc: str = "lower left") -> None:
    """A finding written inside a panel (boxed), where the reader looks."""
    x, ha = (0.02, "left") if "left" in loc else (0.98, "right")
    y, va = (0.03, "bottom") if "lower" in loc else (0.97, "top")
    ax.text(
        x,
        y,
        text,
        transform=ax.transAxes,
        ha=ha,
        va=va,
        fontsize=7,
        bbox={"facecolor": "white", "alpha": 0.85, "lw": 0.5, "edgecolor": "0.6"},
    )


def _plain(value: Any) -> str:
    """A value as a reader writes it: Brian2's ``16. s`` as ``16 s``."""
    return re.sub(r"(\d)\.(?=\s|$)", r"\1", str(value))


def quick_caption(overrides: Mapping[str, Any], extra: str = "") -> str:
    """The caption of a ``--quick`` run: every value it changed (``QUICK``), and ``extra``."""
    changed = ", ".join(f"{key} = {_plain(value)}" for key, value in overrides.items())
    text = f"Quick run (--quick), not the full protocol: {changed or 'nothing changed'}."
    return f"{text} {extra}".strip()


def save(fig: Figure, fmt: str = "png") -> bytes:
    """The figure's bytes in ``fmt`` (png at :data:`DPI`, pdf, svg), everything inside the box."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format=fmt, dpi=DPI, bbox_inches="tight")
    return buffer.getvalue()


def legend_labels(fig: Figure) -> list[str]:
    """Every legend entry of a figure (its axes' legends and the figure's own): for tests."""
    legends = [ax.get_legend() for ax in fig.axes] + list(fig.legends)
    return [t.get_text() for lg in legends if lg is not None for t in lg.get_texts()]

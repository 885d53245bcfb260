"""Figures of the scaling measurements (:mod:`.variance`): quantities against N, learning curves.

One panel per scan, one line per learner with its confidence band and, in the legend, the
fitted log-log slope. Size axes are logarithmic with the sizes as plain integer ticks; bands of
quantities on a log axis are the intervals computed in log space (``*_log_ci`` of
:func:`.variance.summarise_variance`); a mean cosine, which can be negative, is drawn on a
linear axis.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.ticker import NullFormatter, NullLocator  # noqa: E402

from .. import plotstyle as ps  # noqa: E402


def _grid(n_panels: int) -> tuple[plt.Figure, np.ndarray]:
    cols = min(n_panels, 4)
    rows = math.ceil(n_panels / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 3.4 * rows), squeeze=False)
    for ax in axes.flat[n_panels:]:
        ax.set_visible(False)
    return fig, axes


def size_axis(ax, sizes: Sequence[int], label: str = "N (units in each layer the scan grows; log axis)") -> None:
    """A logarithmic size axis with the sizes as plain integer ticks (no 4x10^0)."""
    ax.set_xscale("log")
    ax.set_xticks(list(sizes), [str(int(n)) for n in sizes])
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.xaxis.set_minor_locator(NullLocator())
    ax.set_xlabel(label)


def _band(ax, xs, means, cis, label: str, logy: bool = True, **style) -> None:
    """A line of means with its confidence band; on a log axis only positive means are drawn
    and the band should come from an interval computed in log space (a missing bound is drawn
    at the mean)."""
    pts = [
        (x, m, [m if b is None else b for b in (ci or [m, m])])
        for x, m, ci in zip(xs, means, cis, strict=True)
        if m is not None and np.isfinite(m) and (m > 0 or not logy)
    ]
    if not pts:
        return
    x, m, ci = (np.asarray(v, dtype=float) for v in zip(*pts, strict=True))
    if not logy:  # a cosine: its interval cannot leave [-1, 1]
        ci = np.clip(ci, -1.0, 1.0)
    (line,) = ax.plot(x, m, marker="o", ms=3, label=label, **style)
    ax.fill_between(x, ci[:, 0], ci[:, 1], color=line.get_color(), alpha=0.1)


def slope_label(name: str, slope: float | None) -> str:
    """``name (slope)``, or ``name (-)`` without a slope."""
    return f"{name} ({'-' if slope is None else f'{slope:.2f}'})"


def plot_by_n(
    summaries: dict,
    key: str,
    ci_key: str,
    sizes: Sequence[int],
    ylabel: str,
    title: str,
    slope_key: str | None = None,
    theory: bool = False,
    logy: bool = True,
    count_max: float | None = None,
) -> plt.Figure:
    """One panel per scan (log size axis; log y unless ``logy`` is False), one line per learner
    (fitted slope in the legend). ``count_max``: y is a count (of updates) censored there, drawn
    on integer ticks with its band kept inside [1, count_max] and the censoring line drawn."""
    fig, axes = _grid(len(summaries))
    for ax, (scan, s) in zip(axes.flat, summaries.items(), strict=False):
        for i, (name, values) in enumerate(s[key].items()):
            means = [values[str(n)] for n in sizes]
            cis = [(s[ci_key].get(name) or {}).get(str(n)) for n in sizes]
            if count_max is not None:
                cis = [
                    None if ci is None else [None if b is None else min(max(b, 1.0), count_max) for b in ci]
                    for ci in cis
                ]
            _band(
                ax,
                sizes,
                means,
                cis,
                slope_label(name, s[slope_key][name]) if slope_key else name,
                logy,
                color=f"C{i % 10}",
                ls="-" if i < 10 else "--",
            )
        if theory:
            ax.plot(sizes, [s["theory_wp"][i] for i in range(len(sizes))], "k--", lw=0.8, label="P + 1")
            ax.plot(sizes, [s["theory_np"][i] for i in range(len(sizes))], "k:", lw=0.8, label="units + 1")
        size_axis(ax, sizes)
        ax.set(yscale="log" if logy else "linear", ylabel=ylabel, title=scan)
        if count_max is not None:
            ps.reference(ax, count_max, "control", f"censored at {count_max:,.0f} updates")
            ps.count_axis(ax, "y", log=True)
        if not logy:
            ax.axhline(0, color="0.6", lw=0.8)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=6)
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_bias_variance(summaries: dict, sizes: Sequence[int]) -> plt.Figure:
    """Rows: the normalised error ``E|g_hat - g|^2 / |g|^2``, its bias^2 and its variance; one
    column per scan, one line per learner (log-log, bands in log space). A zero (an exact
    learner's error, a deterministic rule's variance) cannot be drawn on a log axis and is
    listed under the panel instead."""
    scans = list(summaries)
    fig, axes = plt.subplots(3, len(scans), figsize=(4.4 * len(scans), 10.4), squeeze=False)
    handles: dict = {}
    rows = (("nmse", "E|g_hat - g|^2 / |g|^2"), ("bias2", "bias^2 / |g|^2"), ("var", "variance / |g|^2"))
    for col, scan in enumerate(scans):
        s = summaries[scan]
        for row, (key, ylabel) in enumerate(rows):
            ax = axes[row][col]
            zero = []
            for i, (name, values) in enumerate(s[key].items()):
                means = [values[str(n)] for n in sizes]
                if all(m == 0 for m in means):
                    zero.append(name)
                    continue
                cis = [s[f"{key}_log_ci"][name][str(n)] for n in sizes]
                _band(ax, sizes, means, cis, name, color=f"C{i % 10}", ls="-" if i < 10 else "--")
            size_axis(ax, sizes)
            ax.set(yscale="log", ylabel=ylabel, title=scan if row == 0 else "", xlim=(min(sizes), max(sizes)))
            if zero:
                names = ["zero (not drawn):"] + [", ".join(zero[i : i + 2]) for i in range(0, len(zero), 2)]
                ax.text(
                    0.03,
                    0.97,
                    "\n".join(names),
                    transform=ax.transAxes,
                    fontsize=6,
                    va="top",
                    bbox={"facecolor": "white", "alpha": 0.8, "lw": 0},
                )
            ax.grid(alpha=0.3)
            handles.update(zip(*reversed(ax.get_legend_handles_labels()), strict=True))
    fig.suptitle(
        "error of each learner's update against the true gradient: bias^2 + variance "
        "(bands: intervals over seeds, in log space)"
    )
    fig.legend(list(handles.values()), list(handles), loc="lower center", ncol=5, fontsize=7)
    fig.tight_layout(rect=(0, 0.05, 1, 1))
    return fig


def plot_learning_curves(raw: dict, sizes: Sequence[int], scans: Sequence[str]) -> plt.Figure:
    """Loss against updates at the smallest N and at the largest N each estimator reached."""
    fig, axes = plt.subplots(len(scans), 2, figsize=(10, 3.6 * len(scans)), squeeze=False)
    for row, scan in zip(axes, scans, strict=True):
        for ax, which in zip(row, ("smallest", "largest"), strict=True):
            for name, by_n in raw[scan].items():
                reached = [n for n in sizes if by_n[n].get("curve")]
                if not reached:
                    continue
                n = reached[0] if which == "smallest" else reached[-1]
                curve = by_n[n]["curve"]
                ax.plot(np.maximum(curve["updates"], 1), curve["loss"], label=f"{name} (N={n})")
            ax.set(
                xscale="log",
                yscale="log",
                xlabel=ps.label("updates", "trials, log axis"),
                ylabel=ps.label("generalisation loss", "squared error, log axis"),
                title=f"{scan}: {which} N",
            )
            ps.count_axis(ax, "x", log=True)
            ax.grid(alpha=0.3)
            ax.legend(fontsize=6)
    fig.tight_layout()
    return fig

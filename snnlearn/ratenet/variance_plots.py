"""Figures of the scaling measurements (:mod:`.variance`): quantities against N, learning curves.

One panel per scan, one line per learner with its confidence band and, in the legend, the
fitted log-log slope.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def _grid(n_panels: int) -> tuple[plt.Figure, np.ndarray]:
    cols = min(n_panels, 4)
    rows = math.ceil(n_panels / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 3.4 * rows), squeeze=False)
    for ax in axes.flat[n_panels:]:
        ax.set_visible(False)
    return fig, axes


def _band(ax, xs, means, cis, label: str, logy: bool = True) -> None:
    """A line of means with its confidence band (on a log axis, cut at a hundredth of the
    mean, where a wide interval of few seeds would reach zero)."""
    pts = [(x, m, ci or [m, m]) for x, m, ci in zip(xs, means, cis, strict=True)
           if m is not None and (m > 0 or not logy)]
    if not pts:
        return
    x, m, ci = (np.asarray(v, dtype=float) for v in zip(*pts, strict=True))
    line, = ax.plot(x, m, marker="o", ms=3, label=label)
    low = np.maximum(ci[:, 0], m / 100) if logy else ci[:, 0]
    ax.fill_between(x, low, ci[:, 1], color=line.get_color(), alpha=0.2)


def slope_label(name: str, slope: float | None) -> str:
    """``name (slope)``, or ``name (-)`` without a slope."""
    return f"{name} ({'-' if slope is None else f'{slope:.2f}'})"


def plot_by_n(summaries: dict, key: str, ci_key: str, sizes: Sequence[int], ylabel: str,
              title: str, slope_key: str | None = None, theory: bool = False) -> plt.Figure:
    """One log-log panel per scan, one line per estimator (fitted slope in the legend)."""
    fig, axes = _grid(len(summaries))
    for ax, (scan, s) in zip(axes.flat, summaries.items(), strict=False):
        for name, values in s[key].items():
            means = [values[str(n)] for n in sizes]
            cis = [s[ci_key][name][str(n)] for n in sizes]
            _band(ax, sizes, means, cis, slope_label(name, s[slope_key][name]) if slope_key else name)
        if theory:
            ax.plot(sizes, [s["theory_wp"][i] for i in range(len(sizes))], "k--", lw=0.8,
                    label="P + 1")
            ax.plot(sizes, [s["theory_np"][i] for i in range(len(sizes))], "k:", lw=0.8,
                    label="units + 1")
        ax.set(xscale="log", yscale="log", xlabel="N", ylabel=ylabel, title=scan)
        ax.grid(alpha=0.3, which="both")
        ax.legend(fontsize=6)
    fig.suptitle(title)
    fig.tight_layout()
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
            ax.set(xscale="log", yscale="log", xlabel="updates (trials)",
                   ylabel="generalisation loss", title=f"{scan}: {which} N")
            ax.grid(alpha=0.3, which="both")
            ax.legend(fontsize=6)
    fig.tight_layout()
    return fig

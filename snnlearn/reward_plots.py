"""Figures of the reward experiments: the distal reward's weights, rewards and raster; the choice
task's time courses.

Every function takes data and returns a matplotlib ``Figure``; the experiments choose what to
draw and save it. A ``caption`` (quick-mode deviations from the paper, say) is written under the
axes. Nothing here computes a reported number.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402


def add_caption(fig: Figure, caption: str) -> None:
    """A line of small text under the axes (e.g. what a quick run changes from the paper)."""
    if caption:
        fig.text(0.01, -0.01, caption, ha="left", va="top", fontsize=7, color="0.25", wrap=True)


def distal_weights(conditions: Mapping[str, Mapping[str, np.ndarray]], w_max: float, caption: str = "") -> Figure:
    """One panel per condition: the chosen synapse's weight against time, the other synapses'
    mean, median-p90 band and p99 (sampled on their grid from t = 0), the rewards as ticks.

    ``conditions``: ``{title: {"t_trace", "w_trace", "stats_t", "mean", "pct" (samples x
    [p50, p90, p99]), "reward_t"}}``, times in s, weights in the rule's units.
    """
    fig, axes = plt.subplots(
        len(conditions), 1, sharex=True, sharey=True, squeeze=False, figsize=(8, 1.2 + 2.6 * len(conditions))
    )
    for ax, (title, c) in zip(axes[:, 0], conditions.items(), strict=True):
        pct = np.asarray(c["pct"])
        ax.fill_between(c["stats_t"], pct[:, 0], pct[:, 1], color="0.85", label="other synapses, median to p90")
        ax.plot(c["stats_t"], c["mean"], color="C0", lw=2, marker=".", ms=3, label="other synapses, mean")
        ax.plot(c["stats_t"], pct[:, 2], color="C0", lw=1, ls="--", label="other synapses, p99")
        ax.plot(c["t_trace"], c["w_trace"], color="C3", lw=1.2, label="chosen synapse")
        ax.plot(
            c["reward_t"],
            np.full(len(c["reward_t"]), -0.05 * w_max),
            "|",
            color="C3",
            ms=5,
            label=f"rewards ({len(c['reward_t'])})",
        )
        ax.axhline(w_max, color="k", lw=0.6, ls=":", label=f"w_max = {w_max:g}")
        ax.axhline(0.9 * w_max, color="C2", lw=0.6, ls=":", label="criterion 0.9 w_max")
        ax.set_ylim(-0.1 * w_max, 1.08 * w_max)
        ax.set_ylabel("weight (mV per ms of input)")
        ax.set_title(title, fontsize=9)
    axes[0, 0].legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))  # outside: no curve hidden
    axes[-1, 0].set_xlabel("simulated time (s)")
    add_caption(fig, caption)
    return fig


def weight_histograms(finals: Mapping[str, tuple[np.ndarray, float]], w_max: float, caption: str = "") -> Figure:
    """Final weights of every other synapse per condition (step histograms, log counts) with
    the chosen synapse's final weight of that condition as a vertical line.

    ``finals``: ``{condition: (other synapses' weights, the chosen synapse's weight)}``."""
    fig, ax = plt.subplots(figsize=(6, 3.4))
    edges = np.linspace(0.0, w_max, 51)
    for k, (name, (w, chosen)) in enumerate(finals.items()):
        ax.hist(np.asarray(w), bins=list(edges), histtype="step", color=f"C{k}", label=f"{name}: other synapses")
        ax.axvline(chosen, color=f"C{k}", ls="--", label=f"{name}: chosen synapse ({chosen:.2f})")
    ax.set_yscale("log")
    ax.set_xlabel("final weight (mV per ms of input)")
    ax.set_ylabel("synapses")
    ax.legend(fontsize=7)
    add_caption(fig, caption)
    return fig


def reward_closeup(detail: np.ndarray, reward_t: np.ndarray, seconds: float, caption: str = "") -> Figure:
    """Dopamine, eligibility of the chosen synapse and its weight around the reward that raised
    the weight most (``detail``: rows of time (s), DA, c, w)."""
    t, da, c, w = np.asarray(detail).T
    inside = reward_t[(reward_t >= t[0]) & (reward_t <= t[-1] - 1.0)]
    rise = np.interp(inside + 1.0, t, w) - np.interp(inside, t, w)
    centre = inside[np.argmax(rise)] if len(inside) else t[0] + seconds / 2
    shown = (t >= centre - seconds / 2) & (t <= centre + seconds / 2)
    fig, axes = plt.subplots(3, 1, sharex=True, figsize=(8, 5.5))
    labels = ("dopamine DA", "eligibility c", "weight (mV/ms)")
    for ax, values, label in zip(axes, (da, c, w), labels, strict=True):
        ax.plot(t[shown], values[shown], lw=1)
        ax.set_ylabel(label)
        for r in reward_t[(reward_t >= centre - seconds / 2) & (reward_t <= centre + seconds / 2)]:
            ax.axvline(r, color="C3", lw=0.6, alpha=0.6)
    axes[0].set_title("the chosen synapse around a reward (red: reward delivery)")
    axes[-1].set_xlabel("simulated time (s)")
    add_caption(fig, caption)
    return fig


def population_raster(
    groups: Mapping[str, tuple[np.ndarray, np.ndarray, int]],
    t_range: tuple[float, float],
    title: str = "",
    marks: Mapping[str, Sequence[tuple[int, str]]] | None = None,
    caption: str = "",
    spans: Sequence[tuple[float, float, str]] = (),
    events: Sequence[tuple[float, str]] = (),
) -> Figure:
    """One raster panel per population, every neuron on its axis (0 to n - 1).

    ``groups``: ``{name: (neuron indices, spike times in s, n neurons)}``; ``marks``: per
    population, ``(neuron, label)`` pairs whose spikes are drawn in colour; ``spans``: shaded
    time windows ``(start, end, label)`` (a stimulus); ``events``: vertical lines ``(time, label)``
    (a reward).
    """
    heights = [max(1.0, n / 200) for _, _, n in groups.values()]
    fig, axes = plt.subplots(
        len(groups),
        1,
        sharex=True,
        squeeze=False,
        figsize=(8, 1.0 + 1.1 * sum(heights)),
        gridspec_kw={"height_ratios": heights},
    )
    for k, (ax, (name, (indices, times, n))) in enumerate(zip(axes[:, 0], groups.items(), strict=True)):
        indices, times = np.asarray(indices), np.asarray(times)
        ax.plot(times, indices, "|", ms=2.5, mew=0.8, color="k" if k == 0 else "C0")
        for m, (neuron, label) in enumerate((marks or {}).get(name, ())):
            own = indices == neuron
            ax.plot(times[own], indices[own], "|", ms=6, mew=1.5, color=f"C{m + 1}", label=label)
        for m, (start, stop, label) in enumerate(spans):
            ax.axvspan(start, stop, color="C1", alpha=0.12, label=label if k == 0 and m == 0 else None)
        for m, (time, label) in enumerate(events):
            ax.axvline(time, color="C3", lw=1, label=label if k == 0 and m == 0 else None)
        if (marks or {}).get(name) or (k == 0 and (spans or events)):
            ax.legend(fontsize=7, loc="upper right")
        ax.set_ylim(-0.5, n - 0.5)
        ax.yaxis.set_major_locator(MaxNLocator(nbins=4, integer=True))
        ax.set_ylabel(f"{name}\nneuron (all {n})")
        rate = len(times) / (n * (t_range[1] - t_range[0]))
        ax.set_title(f"{name}: {rate:.1f} Hz per neuron in this window", fontsize=8, loc="right")
    axes[-1, 0].set_xlim(*t_range)
    axes[-1, 0].ticklabel_format(axis="x", useOffset=False, style="plain")  # 3599.2, not -0.8 + 3.6e3
    axes[-1, 0].set_xlabel("simulated time (s)")
    axes[0, 0].set_title(title, fontsize=9, loc="left")
    add_caption(fig, caption)
    return fig


def time_courses(
    x: Sequence[float],
    series: Mapping[str, tuple[np.ndarray, np.ndarray, np.ndarray]],
    xlabel: str,
    ylabel: str,
    title: str = "",
    references: Mapping[str, float] | None = None,
    caption: str = "",
    bounds: tuple[float, float] | None = None,
) -> Figure:
    """Means over seeds with their 95% band against a grid (trials, time), one line per series,
    markers at every sample; ``references`` are horizontal lines (chance, criterion, zero) with a
    legend entry each. ``series``: ``{name: (mean, low, high)}``; ``bounds``: the quantity's range
    (a fraction's [0, 1]), where the drawn band is cut."""
    fig, ax = plt.subplots(figsize=(7, 4))
    markers = "osD^vP*X"
    for k, (name, (mean, low, high)) in enumerate(series.items()):
        ax.plot(x, mean, color=f"C{k}", marker=markers[k % len(markers)], ms=3, lw=1.2, label=name)
        if bounds is not None:
            low, high = np.clip(low, *bounds), np.clip(high, *bounds)
        ax.fill_between(x, low, high, color=f"C{k}", alpha=0.15)
    for k, (name, value) in enumerate((references or {}).items()):
        ax.axhline(value, color="k", lw=0.8, ls=(":", "--", "-.")[k % 3], label=name)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=9)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    add_caption(fig, caption)
    return fig


def decomposition_bars(
    terms: Mapping[str, Mapping[str, tuple[float, float, float]]], ylabel: str, title: str = "", caption: str = ""
) -> Figure:
    """Grouped bars with 95% intervals: ``{variant: {term: (mean, low, high)}}``, one colour per
    term, a zero line."""
    fig, ax = plt.subplots(figsize=(max(6.0, 1.6 * len(terms)), 4))
    names = list(next(iter(terms.values())))
    width = 0.8 / len(names)
    for k, name in enumerate(names):
        x = np.arange(len(terms)) + (k - (len(names) - 1) / 2) * width
        mean, low, high = (np.array([terms[v][name][i] for v in terms]) for i in range(3))
        ax.bar(x, mean, width, color=f"C{k}", label=name)
        ax.errorbar(x, mean, yerr=np.abs(np.vstack([mean - low, high - mean])), fmt="none", ecolor="k", capsize=3)
    ax.axhline(0.0, color="k", lw=0.8)
    ax.set_xticks(np.arange(len(terms)), list(terms), fontsize=8)
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=7)
    add_caption(fig, caption)
    return fig


__all__ = [
    "add_caption",
    "decomposition_bars",
    "distal_weights",
    "population_raster",
    "reward_closeup",
    "time_courses",
    "weight_histograms",
]

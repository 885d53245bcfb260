"""The figures people look at: rasters, weight distributions over time, weight traces, rates.

Every function returns a matplotlib ``Figure`` (Agg backend, no screen needed, the style of
:mod:`.plotstyle`) that the caller saves with ``RunContext.savefig``; none of them computes
anything a test should check. Weights are labelled with their unit (``unit``, by default a
fraction of w_max); a raster given the group sizes puts every neuron on its axis.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from . import plotstyle as ps  # noqa: E402

WEIGHT_UNIT = "fraction of w_max"


def raster(
    groups: Mapping[str, tuple[np.ndarray, np.ndarray]],
    title: str = "",
    t_range: tuple[float, float] | None = None,
    sizes: Mapping[str, int] | None = None,
) -> Figure:
    """One raster panel per group: ``{name: (neuron indices, spike times in s)}``; with ``sizes``
    (neurons per group) every neuron of the group is on its axis, silent ones included."""
    n = {name: (sizes or {}).get(name, int(np.max(i, initial=0)) + 1) for name, (i, _) in groups.items()}
    fig, axes = plt.subplots(
        len(groups),
        1,
        sharex=True,
        squeeze=False,
        figsize=(8, 1.2 + 1.6 * len(groups)),
        gridspec_kw={"height_ratios": [min(4, 1 + n[name] / 100) for name in groups]},
    )
    for ax, (name, (indices, times)) in zip(axes[:, 0], groups.items(), strict=True):
        ax.plot(times, indices, "|", markersize=2 if len(indices) > 2000 else 4, color="k")
        ax.set_ylim(-0.5, n[name] - 0.5)
        ps.count_axis(ax, "y", range(n[name]) if n[name] <= 4 else None)
        ax.grid(False)
        ax.set_ylabel(f"{name}\n{ps.label('neuron', 'index')}")
    if t_range:
        axes[-1, 0].set_xlim(*t_range)
    axes[-1, 0].set_xlabel(ps.label("time", "s"))
    axes[0, 0].set_title(title)
    return fig


def weight_histogram_over_time(
    times_s: Sequence[float],
    snapshots: np.ndarray,
    w_max: float,
    bins: int = 40,
    title: str = "",
    unit: str = WEIGHT_UNIT,
) -> Figure:
    """Heat map of the weight distribution (rows: weight bins) against time."""
    edges = np.linspace(0.0, w_max, bins + 1)
    hist = np.stack([np.histogram(s, bins=edges)[0] / max(1, s.size) for s in snapshots], axis=1)
    fig, ax = plt.subplots(figsize=(8, 3.5))
    t = np.asarray(times_s)
    mesh = ax.pcolormesh(t, 0.5 * (edges[1:] + edges[:-1]), hist, shading="nearest", cmap="magma")
    fig.colorbar(mesh, ax=ax, label="fraction of synapses")
    ax.set_xlabel(ps.label("time", "s"))
    ax.set_ylabel(ps.label("weight", unit))
    ax.set_title(title or "weight distribution over time")
    return fig


def weight_histogram(w: np.ndarray, w_max: float, bins: int = 40, title: str = "", unit: str = WEIGHT_UNIT) -> Figure:
    """Histogram of one weight snapshot."""
    fig, ax = plt.subplots(figsize=(5, 3.2))
    ax.hist(np.asarray(w), bins=list(np.linspace(0, w_max, bins + 1)), color="0.3")
    ax.set_xlabel(ps.label("weight", unit))
    ax.set_ylabel(ps.label("synapses", "count"))
    ax.set_title(title or "final weights")
    return fig


def weight_traces(
    times_s: Sequence[float],
    traces: np.ndarray,
    labels: Sequence[str] | None = None,
    title: str = "",
    bands: Mapping[str, np.ndarray] | None = None,
    unit: str = WEIGHT_UNIT,
) -> Figure:
    """Weights of sampled synapses against time (``traces``: time x synapse), optional bands."""
    fig, ax = plt.subplots(figsize=(8, 3.5))
    for name, values in (bands or {}).items():
        ax.plot(times_s, values, lw=2, label=name)
    ax.plot(times_s, traces, lw=0.8, alpha=0.7)
    if labels is not None:
        ax.legend(list(bands or {}) + list(labels), fontsize=7, ncol=2)
    elif bands:
        ax.legend(fontsize=7)
    ax.set_xlabel(ps.label("time", "s"))
    ax.set_ylabel(ps.label("weight", unit))
    ax.set_title(title or "weights of sampled synapses")
    return fig


def curves(
    x: Mapping[str, Sequence[float]] | Sequence[float],
    ys: Mapping[str, Sequence[float]],
    xlabel: str,
    ylabel: str,
    title: str = "",
    logx: bool = False,
    logy: bool = False,
    marker: str = "",
    xticks: Sequence[float] | None = None,
) -> Figure:
    """Several named curves on one axis (learning curves, rate over time, variance vs size);
    ``xticks``: ticks at exactly these values (e.g. the conditions run)."""
    fig, ax = plt.subplots(figsize=(6, 3.8))
    for name, y in ys.items():
        xs = x[name] if isinstance(x, Mapping) else x
        ax.plot(xs, y, marker=marker, label=name)
    ax.set_xscale("log" if logx else "linear")
    ax.set_yscale("log" if logy else "linear")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    if xticks is not None:
        ax.set_xticks(list(xticks), [f"{v:g}" for v in xticks])
    if len(ys) > 1:
        ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    return fig


def receptive_fields(
    weights: np.ndarray, shape: tuple[int, int], labels: Sequence[int] | None = None, title: str = "receptive fields"
) -> Figure:
    """Each neuron's incoming weights (``weights``: inputs x neurons) as an image, in a grid."""
    n = weights.shape[1]
    cols = int(np.ceil(np.sqrt(n)))
    rows = int(np.ceil(n / cols))
    canvas = np.full((rows * (shape[0] + 1), cols * (shape[1] + 1)), np.nan)
    for k in range(n):
        r, c = divmod(k, cols)
        canvas[
            r * (shape[0] + 1) : r * (shape[0] + 1) + shape[0], c * (shape[1] + 1) : c * (shape[1] + 1) + shape[1]
        ] = weights[:, k].reshape(shape)
    fig, ax = plt.subplots(figsize=(min(12, 1 + cols * 0.6), min(12, 1 + rows * 0.6)))
    image = ax.imshow(canvas, cmap="hot_r", interpolation="nearest", vmin=0.0)
    if labels is not None and n <= 400:  # the assigned class, bold in a corner; "-" for a silent neuron
        size = max(4.0, min(9.0, 90.0 / cols))
        for k, label in enumerate(labels):
            r, c = divmod(k, cols)
            ax.text(
                c * (shape[1] + 1) - 0.4,
                r * (shape[0] + 1) - 0.4,
                "-" if label < 0 else str(label),
                fontsize=size,
                color="0.5" if label < 0 else "b",
                weight="bold",
                va="top",
                ha="left",
            )
    ax.set_axis_off()
    ax.set_title(title)
    fig.colorbar(image, ax=ax, fraction=0.03, label="weight")
    return fig


def histogram(values: np.ndarray, xlabel: str, ylabel: str, title: str = "", bins: int = 40) -> Figure:
    """A plain histogram."""
    fig, ax = plt.subplots(figsize=(5, 3.2))
    ax.hist(np.asarray(values).ravel(), bins=bins, color="0.3")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    return fig


def matrix(values: np.ndarray, xlabel: str, ylabel: str, title: str = "") -> Figure:
    """A matrix (e.g. a confusion matrix) with its values written in the cells."""
    fig, ax = plt.subplots(figsize=(5, 4.4))
    image = ax.imshow(values, cmap="Blues")
    for (r, c), value in np.ndenumerate(values):
        ax.text(c, r, f"{value:g}", ha="center", va="center", fontsize=7)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    fig.colorbar(image, ax=ax, fraction=0.046)
    return fig


def mean_band(
    ax,
    xs: Sequence[float],
    runs: Sequence[Sequence[float]],
    color: str,
    label: str,
    bounds: tuple[float, float] | None = (0.0, 1.0),
    **style,
) -> None:
    """Plot the mean over runs (seeds) of curves sampled at ``xs`` with its 95% t-interval as a band
    (clipped to ``bounds``, e.g. an accuracy's [0, 1]); from fewer than 3 runs an interval means
    little, so each run is drawn as a thin line instead of a band."""
    from .analysis import mean_confidence_interval

    values = np.asarray(runs, float)
    ax.plot(xs, values.mean(axis=0), color=color, label=f"{label} (mean of {len(values)})", **style)
    if len(values) < 3:
        for run in values:
            ax.plot(xs, run, color=color, lw=0.5, alpha=0.5)
        return
    stats = [mean_confidence_interval(col) for col in values.T]
    _, low, high = (np.array(v) for v in zip(*stats, strict=True))
    if bounds is not None:
        low, high = np.clip(low, *bounds), np.clip(high, *bounds)
    ax.fill_between(xs, low, high, color=color, alpha=0.12)


def presentation_raster(
    groups: Mapping[str, tuple[np.ndarray, np.ndarray]],
    sizes: Mapping[str, int],
    slot_s: float,
    present_s: float,
    title: str = "",
) -> Figure:
    """Spikes of every group during one or more presentation slots, every neuron on its axis,
    the rest period of each slot shaded (``groups``: ``{name: (indices, times in s)}``)."""
    fig, axes = plt.subplots(len(groups), 1, sharex=True, squeeze=False, figsize=(8, 1.5 + 1.7 * len(groups)))
    end = max((float(np.max(t)) for _, t in groups.values() if len(t)), default=slot_s)
    n_slots = max(1, int(np.ceil(end / slot_s - 1e-9)))
    for ax, (name, (indices, times)) in zip(axes[:, 0], groups.items(), strict=True):
        ax.plot(times * 1e3, indices, "|", markersize=3 if len(indices) > 1000 else 5, color="k")
        ax.set_ylim(-0.5, sizes[name] - 0.5)
        ax.set_ylabel(f"{name}\nneuron\n({len(indices)} spikes)")
        ax.yaxis.get_major_locator().set_params(integer=True)
        for k in range(n_slots):
            ax.axvspan(
                (k * slot_s + present_s) * 1e3,
                (k + 1) * slot_s * 1e3,
                color="0.85",
                lw=0,
                label="rest (no input)" if k == 0 else None,
            )
    axes[0, 0].legend(loc="upper right", fontsize=7)
    axes[-1, 0].set_xlim(0, n_slots * slot_s * 1e3)
    axes[-1, 0].set_xlabel("time in the presentation (ms)")
    axes[0, 0].set_title(title)
    fig.tight_layout()
    return fig


def training_state(
    examples: Sequence[float], theta_mV: np.ndarray, weights: np.ndarray, w_max: float, bins: int = 40, title: str = ""
) -> Figure:
    """Adaptive thresholds (percentiles over neurons) and the weight distribution (heat map)
    against training examples seen (``theta_mV``: samples x neurons, ``weights``: samples x synapses)."""
    x = np.asarray(examples, dtype=float)
    fig, (top, bottom) = plt.subplots(2, 1, sharex=True, figsize=(8, 5.5))
    low, mid, high = np.percentile(theta_mV, [0, 50, 100], axis=1)
    q1, q3 = np.percentile(theta_mV, [25, 75], axis=1)
    top.fill_between(x, low, high, color="C0", alpha=0.15, label="min-max over neurons")
    top.fill_between(x, q1, q3, color="C0", alpha=0.35, label="25-75%")
    top.plot(x, mid, color="C0", marker=".", label="median")
    top.set_ylabel("theta (mV)")
    top.legend(fontsize=7, loc="upper left")
    edges = np.linspace(0.0, min(w_max, 1.05 * float(np.max(weights, initial=0.0)) or w_max), bins + 1)
    hist = np.stack([np.histogram(row, bins=edges)[0] / max(1, row.size) for row in weights], axis=1)
    mesh = bottom.pcolormesh(x, 0.5 * (edges[1:] + edges[:-1]), hist, shading="nearest", cmap="magma")
    fig.colorbar(mesh, ax=[top, bottom], fraction=0.03, label="sampled synapses in the bin (fraction)")
    bottom.set_ylabel(f"weight (w_max = {w_max:g})")
    bottom.set_xlabel("training examples seen (count)")
    top.set_title(title or "adaptive thresholds and weights during training")
    return fig


def accuracy_with_controls(
    examples: Sequence[float],
    accuracy: Sequence[float],
    controls: Mapping[str, float],
    *,
    paper: tuple[float, str] | None = None,
    chance: float = 0.1,
    title: str = "test accuracy during training",
    readouts: tuple[str, str] | None = None,
) -> Figure:
    """A learning curve with each control, the chance level and the paper's number as labelled
    reference lines (``controls``: ``{name: accuracy}``).

    ``readouts``: ``(curve points, final point)`` descriptions when the points before the last were
    scored with a smaller readout (fewer assignment and test images) than the last one and the
    controls; those points are then drawn hollow and each kind is named in the legend.
    """
    from . import plotstyle

    final = accuracy[-1] if len(accuracy) else None
    band = max(controls.values(), default=0.0) - 0.1  # within 0.1 of the best control
    near = [v for v in (final, *controls.values()) if v is not None and v >= band]
    shown = final is not None and final >= band and len(near) > 1  # the network among the controls
    zoom = (min(near) - 0.015, max(near) + 0.015) if shown else None
    fig, axes = plt.subplots(
        1,
        2 if zoom else 1,
        figsize=(11.0 if zoom else 9.0, 4.0),
        layout="constrained",
        squeeze=False,
        gridspec_kw={"width_ratios": [3, 1]} if zoom else None,
    )
    for ax, legend in zip(axes[0], (True, False), strict=False):
        name = (lambda text: text) if legend else (lambda text: f"_{text}")  # the close-up repeats no entry
        ax.plot(
            examples,
            accuracy,
            color="C0",
            label=None if readouts else name("network"),
            marker=None if readouts else "o",
        )
        if readouts:
            ax.plot(examples[:-1], accuracy[:-1], "o", mfc="white", color="C0", label=name(f"network, {readouts[0]}"))
            ax.plot(examples[-1:], accuracy[-1:], "o", color="C0", label=name(f"network, {readouts[1]}"))
        for k, (key, value) in enumerate(controls.items()):
            text = f"{key.removeprefix('control_').replace('_', ' ')} {value:.3f}"
            plotstyle.reference(ax, value, "control", name(text), color=f"C{k + 1}")
        if paper is not None:
            plotstyle.reference(ax, paper[0], "paper", name(paper[1]))
        plotstyle.reference(ax, chance, "chance", name(f"chance {chance:g}"))
        ax.set_xlabel("training examples seen (count)")
        ax.set_ylabel("test accuracy (fraction correct)")
    ax = axes[0][0]
    ax.set_ylim(0, 1)
    ax.set_title(title)
    if zoom:  # the network's final point among the controls it is compared with
        close = axes[0][1]
        close.set_ylim(*zoom)
        close.set_title("close-up of the top", fontsize=9)
        ax.axhspan(*zoom, color="0.9", zorder=0, label="_close-up")
    handles, labels = ax.get_legend_handles_labels()
    last = axes[0][-1]  # the legend right of the last panel, off the data
    last.legend(handles, labels, fontsize=7, loc="upper left", bbox_to_anchor=(1.04, 1.0), borderaxespad=0)
    return fig

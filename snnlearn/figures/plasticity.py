"""Figures of plasticity rules: the STDP window beside Bi & Poo's, the frequency dependence beside
Sjostrom's data with their error bars, Oja and BCM with their fixed points, and homeostasis (rates,
thresholds and weights over time, a raster).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.figure import Figure

from .. import plotstyle as ps


def stdp_window(
    lags_ms: np.ndarray,
    dw: np.ndarray,
    fitted: Mapping[str, float | None],
    rule_name: str,
    relative: np.ndarray | None,
    published: Mapping[str, float],
    published_text: str,
) -> Figure:
    """Left: the measured weight change per pairing against dt with the fitted exponentials (a
    check of the simulation). Right: the same as a relative change after the protocol
    (``relative``, when the initial weight is known) beside the published window
    ``A+ exp(-dt/tau+)``, ``-A- exp(dt/tau-)`` fitted to Bi & Poo's data."""
    fig, axes = ps.figure(1, 2 if relative is not None else 1, panel=(5.0, 3.8))
    ax = axes[0, 0]
    ax.plot(lags_ms, dw, "o", color="k", mfc="none", label="measured (one synapse per dt)")
    t = np.linspace(0.5, np.abs(lags_ms).max(), 200)
    for text, sign, a, tau in (
        ("fit dt > 0", 1.0, fitted["a_plus"], fitted["tau_plus_ms"]),
        ("fit dt < 0", -1.0, fitted["a_minus"], fitted["tau_minus_ms"]),
    ):
        if a is not None and tau is not None:
            ax.plot(
                sign * t,
                sign * a * np.exp(-t / tau),
                color="C0" if sign > 0 else "C3",
                label=f"{text}: tau {tau:.1f} ms",
            )
    ax.axhline(0, color="0.6", lw=0.6)
    ax.set(
        xlabel=ps.label("dt = t_post - t_pre", "ms"),
        ylabel=ps.label("weight change per pairing", "units of w"),
        title=f"{rule_name}: the rule's window, measured and fitted",
    )
    ax.legend()
    if relative is not None:
        ax = axes[0, 1]
        ax.plot(lags_ms, relative, "o", color="k", mfc="none", label="model: relative change after the protocol")
        text = (
            f"{published_text}: A+ {published['a_plus']:g}, tau+ {published['tau_plus_ms']:g} ms; "
            f"A- {published['a_minus']:g}, tau- {published['tau_minus_ms']:g} ms"
        )
        for sign, a, tau in (
            (1.0, published["a_plus"], published["tau_plus_ms"]),
            (-1.0, published["a_minus"], published["tau_minus_ms"]),
        ):
            ps.reference_curve(ax, sign * t, sign * a * np.exp(-t / tau), "paper", text if sign > 0 else "_")
        ax.axhline(0, color="0.6", lw=0.6)
        ax.set(
            xlabel=ps.label("dt = t_post - t_pre", "ms"),
            ylabel=ps.label("relative change after the protocol", "dw / w_init"),
            title=f"beside Bi & Poo's window ({published['n_pairings']:g} pairings at 1 Hz)",
        )
        ax.legend(loc="lower right")
    return fig


def frequency_dependence(
    freqs: Sequence[float],
    lags_ms: Sequence[float],
    changes: Mapping[str, np.ndarray],
    data: Mapping[float, Mapping[float, float]],
    sem: Mapping[float, Mapping[float, float]],
    rmse: Mapping[str, float | None],
    data_text: str,
    title: str,
) -> Figure:
    """Weight change against pairing frequency, one panel per dt: the data with their standard
    errors, one line per rule (``changes[rule]``: lag x frequency) with its RMSE to the data (over
    all points of both panels) in the legend."""
    fig, axes = ps.figure(1, len(lags_ms), panel=(4.6, 3.8), sharey=True)
    for ax, (k, lag) in zip(axes[0], enumerate(lags_ms), strict=True):
        for r, (name, dw) in enumerate(changes.items()):
            err = rmse.get(name)
            ax.plot(
                freqs,
                dw[k],
                label=f"{name} (rmse {err:.3f})" if err is not None else name,
                **ps.curve_style(r, hollow=True),
                lw=1.0,
            )
        if lag in data:
            xs = [f for f in freqs if f in data[lag]]
            ps.reference_points(
                ax, xs, [data[lag][f] for f in xs], f"{data_text} (mean +- s.e.m.)", yerr=[sem[lag][f] for f in xs]
            )
        ax.axhline(0, color="0.6", lw=0.6)
        ax.set(xlabel=ps.label("pairing frequency", "Hz"), title=f"dt = {lag:+g} ms")
        ax.set_xticks(list(freqs), [f"{f:g}" for f in freqs])
    axes[0, 0].set_ylabel(ps.label("weight change", "relative: after / before - 1"))
    axes[0, -1].legend(loc="upper left", bbox_to_anchor=(1.02, 1.0))
    fig.suptitle(title)
    return fig


def oja(samples: np.ndarray, cosine: np.ndarray, norm: np.ndarray) -> Figure:
    """Oja's rule: |cos(w, PC1)| and |w| against samples, both converging to 1 (the theory)."""
    fig, axes = ps.figure(panel=(6.0, 3.6))
    ax = axes[0, 0]
    ax.plot(samples, cosine, color="C0", label="|cos(w, PC1)|")
    ax.plot(samples, norm, color="C1", ls="--", label="|w|")
    ps.reference(ax, 1.0, "theory", "fixed point: unit principal eigenvector (1)")
    ps.count_axis(ax, "x")
    ax.set(
        xlabel=ps.label("samples", "input vectors shown"),
        ylabel=ps.label("cosine and norm", "dimensionless"),
        title="Oja's rule: w converges to the unit principal component",
    )
    ax.legend()
    return fig


def bcm(samples: np.ndarray, responses: np.ndarray, theta: np.ndarray, fixed_point: float, n_patterns: int) -> Figure:
    """BCM: the response to each pattern (top) and the sliding threshold theta (bottom, its own
    axis) against samples; the selective fixed point ``y = theta = fixed_point`` on both."""
    fig, axes = ps.figure(2, 1, panel=(6.5, 2.8), sharex=True)
    top, bottom = axes[0, 0], axes[1, 0]
    for k in range(responses.shape[1]):
        top.plot(samples, responses[:, k], label=f"pattern {k}", color=f"C{k % 10}")
    text = f"selective fixed point: y = theta = n_patterns x y0 = {n_patterns} x {fixed_point / n_patterns:g}"
    ps.reference(top, fixed_point, "theory", text)
    top.set(ylabel=ps.label("response y", "rate units"), title="BCM: responses to each pattern")
    top.legend(ncol=2)
    bottom.plot(samples, theta, color="k", label="threshold theta")
    ps.reference(bottom, fixed_point, "theory", text)
    bottom.set(
        ylabel=ps.label("threshold theta", "rate units (y^2 / y0)"), xlabel=ps.label("samples", "patterns shown")
    )
    ps.count_axis(bottom, "x")
    bottom.legend()
    return fig


def homeostasis_time(
    times_s: np.ndarray,
    rates: Mapping[str, np.ndarray],
    theta_t: np.ndarray,
    theta_mV: np.ndarray,
    w_t: np.ndarray,
    w_mean: Mapping[str, np.ndarray],
    band: tuple[float, float],
) -> Figure:
    """Rows: each condition's rate of every neuron (same y scale, population mean and the band
    around it); the adaptive threshold theta of every neuron; mean weights of groups of synapses
    (``w_mean[label]`` at ``w_t``). ``rates[label]``: sample x neuron at ``times_s`` (window centres)."""
    n_rows = len(rates) + 2
    fig, axes = ps.figure(n_rows, 1, panel=(8.0, 2.2), sharex=True)
    top = max(float(np.max(r)) for r in rates.values()) * 1.05 or 1.0
    for ax, (label, r) in zip(axes[: len(rates), 0], rates.items(), strict=True):
        ax.plot(times_s, r, color="0.6", lw=0.6, marker=".", ms=2)
        mean = r.mean(axis=1)
        ax.plot(times_s, mean, color="k", lw=1.6, marker="o", label="population mean")
        ax.fill_between(
            times_s,
            band[0] * mean,
            band[1] * mean,
            color="C0",
            alpha=0.12,
            label=f"band {band[0]:g}-{band[1]:g} x mean",
        )
        ax.set(ylim=(0, top), ylabel=ps.label("rate", "Hz"), title=f"{label} threshold: rate of each neuron")
        ax.legend(loc="upper right")
    ax = axes[len(rates), 0]
    ax.plot(theta_t, theta_mV, color="C3", lw=0.7)
    ax.plot(theta_t, theta_mV.mean(axis=1), color="k", lw=1.6, label="mean")
    ax.set(ylabel=ps.label("theta", "mV"), title="adaptive threshold of each neuron (control: frozen at its start)")
    ax.legend(loc="upper left")
    ax = axes[len(rates) + 1, 0]
    for i, (label, w) in enumerate(w_mean.items()):
        ax.plot(w_t, w, label=label, **ps.curve_style(i, hollow=True), lw=1.0)
    ax.set(
        ylabel=ps.label("mean w", "leak conductance"),
        xlabel=ps.label("time", "s"),
        title="mean weight of the synapses from the lowest- and highest-rate inputs",
    )
    ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5))
    ax.set_xlim(left=0)
    return fig


def rate_spread(times_s: np.ndarray, cvs: Mapping[str, Sequence[float]], counting_noise: np.ndarray) -> Figure:
    """Coefficient of variation of the rates across neurons against time, with the spread Poisson
    counting alone gives to equal rates as a reference."""
    fig, axes = ps.figure(panel=(6.0, 3.6))
    ax = axes[0, 0]
    for i, (label, values) in enumerate(cvs.items()):
        ax.plot(times_s, values, label=f"{label} threshold", **ps.curve_style(i, hollow=False))
    ps.reference_curve(ax, times_s, counting_noise, "theory", "Poisson counting alone, equal rates: 1/sqrt(count)")
    ax.set(
        xlabel=ps.label("time", "s, middle of each window"),
        ylabel=ps.label("CV of rates across neurons", "std/mean"),
        title="spread of firing rates",
        xlim=(0, None),
        ylim=(0, None),
    )
    ax.legend()
    return fig


def weight_sums(sums: np.ndarray, total: float) -> Figure:
    """Each neuron's incoming weight sum at the end against the normalisation total."""
    fig, axes = ps.figure(panel=(6.0, 3.2))
    ax = axes[0, 0]
    ax.plot(np.arange(len(sums)), sums, "o", color="k", mfc="none", label="sum of incoming weights")
    ps.reference(ax, total, "theory", f"normalisation total ({total:g})")
    ps.count_axis(ax, "x", range(len(sums)) if len(sums) <= 16 else None)
    ax.set(
        xlabel=ps.label("neuron", "index"),
        ylabel=ps.label("weight sum", "units of the leak conductance"),
        title="incoming weight sums at the end",
        xlim=(-0.5, len(sums) - 0.5),
    )
    ax.legend()
    return fig


def raster_windows(
    groups: Mapping[str, tuple[np.ndarray, np.ndarray, int]], windows: Sequence[tuple[float, float]]
) -> Figure:
    """Spike rasters: one row per group (``(indices, times in s, group size)``, every neuron on the
    axis), one column per time window (e.g. the first and the last second)."""
    heights = [min(3.0, 0.8 + n / 25) for *_, n in groups.values()]
    fig, axes = ps.figure(
        len(groups), len(windows), panel=(4.2, 1.0), sharex="col", squeeze=False, gridspec_kw={"height_ratios": heights}
    )
    fig.set_size_inches(4.2 * len(windows), 0.9 + sum(heights))
    for r, (name, (i, t, n)) in enumerate(groups.items()):
        for c, (t0, t1) in enumerate(windows):
            ax = axes[r, c]
            shown = (t >= t0) & (t < t1)
            ax.plot(t[shown], i[shown], "|", color="k", ms=3 if n <= 50 else 1.5)
            ax.set(ylim=(-0.5, n - 0.5), xlim=(t0, t1))
            ax.grid(False)
            ps.count_axis(ax, "y")
            if c == 0:
                ax.set_ylabel(f"{name}\n{ps.label('neuron', 'index')}")
            if r == 0:
                ax.set_title(f"{t0:g}-{t1:g} s")
            ax.text(
                1.0,
                1.0,
                f"{shown.sum() / max(n, 1) / (t1 - t0):.1f} Hz per neuron",
                transform=ax.transAxes,
                ha="right",
                va="bottom",
                fontsize=6,
                color="0.3",
            )
            if r == len(groups) - 1:
                ax.set_xlabel(ps.label("time", "s"))
    return fig

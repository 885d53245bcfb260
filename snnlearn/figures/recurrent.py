"""Figures of the recurrent spiking network on the cue-accumulation task (``temporal_credit``):
learning curves per delay, the memory of learning against the trial length, the alignment of
e-prop with BPTT, and a raster of one trial.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from .. import plotstyle as ps
from ..plots import mean_band
from ..recurrent_snn.memory import slopes


def cue_learning_curves(
    results: Mapping[str, Mapping[str, Sequence[Mapping[str, Any]]]], delays_ms: Sequence[float]
) -> Figure:
    """Test accuracy against training trials, one panel per delay, one curve per learner (mean over
    seeds, ``results[learner][delay]`` a list of runs with ``curve``: ``(trials, accuracy)``)."""
    fig, axes = ps.figure(1, len(delays_ms), panel=(5.0, 4.0), sharey=True)
    for ax, delay in zip(axes[0], delays_ms, strict=True):
        for i, (label, by) in enumerate(results.items()):
            if str(delay) in by:
                runs = by[str(delay)]
                xs = [n for n, _ in runs[0]["curve"]]
                style = ps.curve_style(i)
                mean_band(ax, xs, [[a for _, a in r["curve"]] for r in runs], style.pop("color"), label, **style)
        ps.reference(ax, 0.5, "chance", "chance (0.5)")
        ps.count_axis(ax, "x")
        ax.set(xlabel=ps.label("training trials", "count"), title=f"delay {delay:g} ms", ylim=(0.3, 1.02))
    axes[0, 0].set_ylabel(ps.label("test accuracy", "fraction correct, held-out trials"))
    axes[0, -1].legend(loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return fig


def memory_against_steps(curves: Mapping[str, Mapping[int, float]], batch: int) -> Figure:
    """Peak bytes allocated by one update against the trial length T, one line per learner."""
    fig, axes = ps.figure(panel=(5.6, 4.0))
    ax = axes[0, 0]
    steps: set[int] = set()
    for i, (name, curve) in enumerate(curves.items()):
        ts, bs = zip(*sorted((int(k), v) for k, v in curve.items()), strict=True)
        steps |= set(ts)
        per_step = slopes({float(k): v for k, v in curve.items()})["bytes_per_step"]
        text = f"{name} ({ps.format_bytes(per_step)}/step)" if per_step is not None else name
        ax.plot(ts, bs, label=text, **ps.curve_style(i))
    ps.bytes_axis(ax, "y")
    ps.count_axis(ax, "x", sorted(steps), log=True)
    ax.set(
        xlabel=ps.label("trial length T", "steps of 1 ms"),
        ylabel=ps.label("peak memory of one update", "bytes, binary prefixes; log axis"),
        title=f"memory of learning (batch {batch})",
    )
    ax.legend()
    return fig


def alignment_over_training(eprop: Mapping[str, Sequence[Mapping[str, Any]]], batch_size: int) -> Figure:
    """Cosine of the e-prop update to the BPTT gradient against training trials, per delay."""
    fig, axes = ps.figure(panel=(5.6, 4.0))
    ax = axes[0, 0]
    for i, (delay, runs) in enumerate(eprop.items()):
        xs = [it * batch_size for it, _ in runs[0]["cosine"]]
        mean_band(
            ax,
            xs,
            [[c for _, c in r["cosine"]] for r in runs],
            f"C{i}",
            f"delay {float(delay):g} ms",
            (-1, 1),
            marker="o",
        )
    ps.reference(ax, 0.0, "chance", "0: orthogonal")
    ps.count_axis(ax, "x")
    ax.set(
        xlabel=ps.label("training trials", "e-prop"),
        ylabel=ps.label("cosine(e-prop update, BPTT gradient)", "of W_in, W_rec"),
        ylim=(-0.2, 1.0),
        title="gradient alignment",
    )
    ax.legend()
    return fig


def cue_raster(arch: Any, task: Any, x: np.ndarray, labels: np.ndarray, sides: np.ndarray, trace: Any) -> Figure:
    """One trial: input spikes by channel group, recurrent spikes (LIF and ALIF; every neuron on
    the axis), the two readouts with the decision window."""
    from ..recurrent_snn import decision_output

    ms = np.arange(len(x)) * task.dt
    fig, axes = ps.figure(3, 1, panel=(8.0, 2.0), sharex=True, gridspec_kw={"height_ratios": [1, 1.6, 1]})
    top, middle, bottom = axes[:, 0]
    for g, name in enumerate(("left cue", "right cue", "recall", "noise")):
        t, i = np.nonzero(x[:, 0, g * task.n_per_group : (g + 1) * task.n_per_group])
        top.scatter(ms[t], i + g * task.n_per_group, s=1.5, color=f"C{g}", label=name)
    decision = "LR"[int(decision_output(arch, trace.y)[0].argmax())]
    cues = "".join("LR"[s] for s in sides[0])
    top.set(
        ylabel=ps.label("input", "channel"),
        ylim=(-0.5, task.n_in - 0.5),
        title=f"after BPTT: cues {cues}, answer {'LR'[labels[0]]}, decision {decision}",
    )
    top.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), markerscale=4)
    t, i = np.nonzero(trace.z[1:, 0])
    middle.scatter(ms[t], i, s=1.5, c=np.where(i < arch.n_lif, "k", "C3"))
    middle.axhline(arch.n_lif - 0.5, color="0.5", lw=0.6)
    middle.set(ylabel="neuron (black LIF,\nred ALIF)", ylim=(-0.5, arch.n_rec - 0.5))
    for k, side in enumerate(("left", "right")):
        bottom.plot(ms, trace.y[:, 0, k], color=f"C{k}", label=f"readout {side}")
    bottom.axvspan(ms[-arch.n_recall], ms[-1], color="0.85", label="decision window")
    bottom.set(xlabel=ps.label("time", "ms"), ylabel=ps.label("readout", "a.u."))
    bottom.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0))
    for ax in axes[:, 0]:
        ax.grid(False)
    return fig

"""Figures of learning in rate networks (and of the memory learning needs): curves against
examples or epochs with chance and criterion lines, alignment angles, adversarial accuracy,
per-layer gradient norms beside Nielsen's values, Jacobian sources, bytes against depth or T.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

from .. import plotstyle as ps

#: one curve: (x values, y values)
Curve = tuple[Sequence[float], Sequence[float]]

ACCURACY = ps.label("test accuracy", "fraction correct")


def accuracy_curves(
    curves: Mapping[str, Curve],
    xlabel: str,
    *,
    chance: float | None = None,
    criterion: float | None = None,
    title: str = "",
    ylabel: str = ACCURACY,
    count_x: bool = True,
) -> Figure:
    """Accuracy against training (examples, trials or epochs): one curve per learner, with the
    chance level and the criterion (when one is reported) as reference lines."""
    fig, axes = ps.figure(panel=(6.0, 3.8))
    ax = axes[0, 0]
    for i, (name, (xs, ys)) in enumerate(curves.items()):
        ax.plot(xs, ys, label=name, **ps.curve_style(i))
    if chance is not None:
        ps.reference(ax, chance, "chance", f"chance ({chance:g})")
    if criterion is not None:
        ps.reference(ax, criterion, "criterion", f"criterion ({criterion:g})")
    if count_x:
        ps.count_axis(ax, "x")
    ax.set(xlabel=xlabel, ylabel=ylabel, title=title, ylim=(0, 1.02))
    ax.legend()
    return fig


def error_curves(
    curves: Mapping[str, Mapping[str, Mapping[str, Sequence[float]]]],
    *,
    paper: Mapping[str, float],
    paper_text: str,
    target_error: float | None = None,
    chance_error: float = 90.0,
    notes: Mapping[str, str] | None = None,
) -> Figure:
    """Test error (%) against epoch, one panel per network, one curve per learner (``curves[net]
    [learner]`` with ``epoch`` and ``test_accuracy``); the paper's errors of the same learners as
    dashed lines in the learner's colour, chance and the target error as references."""
    fig, axes = ps.figure(1, len(curves), panel=(5.2, 4.0), sharey=True)
    colours: dict[str, int] = {}
    for ax, (net, by_learner) in zip(axes[0], curves.items(), strict=True):
        for name, curve in by_learner.items():
            i = colours.setdefault(name, len(colours))
            error = 100 * (1 - np.asarray(curve["test_accuracy"], dtype=float))
            ax.plot(curve["epoch"], error, label=name, **ps.curve_style(i))
        for name, value in paper.items():
            i = colours.setdefault(name, len(colours))
            ps.reference(ax, value, "paper", f"{paper_text}: {name} {value:g}%", color=f"C{i % 10}", lw=0.9)
        ps.reference(ax, chance_error, "chance", f"chance ({chance_error:g}%)")
        if target_error is not None:
            ps.reference(ax, target_error, "criterion", f"target ({target_error:g}% error)")
        ax.set(yscale="log", xlabel=ps.label("epoch", "passes over the training set"), title=net)
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
        ps.count_axis(ax, "x")
        if notes and net in notes:
            ps.note(ax, notes[net], "lower left")
    axes[0, 0].set_ylabel(ps.label("test error", "%, log axis"))
    axes[0, -1].legend(loc="upper left", bbox_to_anchor=(1.02, 1.0))
    return fig


def alignment_angles(angles: Mapping[str, Mapping[str, Mapping[str, Sequence[float]]]]) -> Figure:
    """Angle between each learner's hidden-layer update and the true gradient against epoch: one
    row per network, one panel per hidden layer, one curve per learner; 90 degrees (an update
    unrelated to the gradient) as a reference."""
    layers = {net: [k for k in next(iter(by.values())) if k != "epoch"] for net, by in angles.items()}
    cols = max(len(v) for v in layers.values())
    fig, axes = ps.figure(len(angles), cols, panel=(3.8, 3.0), sharey=True)
    skipped: set[str] = set()
    for row, (net, by_learner) in zip(axes, angles.items(), strict=True):
        for ax in row[len(layers[net]) :]:
            ax.set_visible(False)
        for col, layer in enumerate(layers[net]):
            ax = row[col]
            for i, (name, angle) in enumerate(by_learner.items()):
                values = np.asarray(angle[layer], dtype=float)
                if np.all(np.isnan(values)):
                    skipped.add(name)  # no hidden update (output only): nothing to draw
                    continue
                ax.plot(angle["epoch"], values, label=name, **ps.curve_style(i), lw=1.0)
            ps.reference(ax, 90, "chance", "90 deg: unrelated to the gradient")
            ax.set_xscale("symlog", linthresh=0.01)
            last = max(max(a["epoch"]) for a in by_learner.values())
            ax.set_xlim(0, last * 1.05)
            ticks = [t for t in (0, 0.01, 0.1, 1, 10, 100) if t <= last]
            ax.xaxis.set_major_locator(FixedLocator(ticks))
            ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
            ax.xaxis.set_minor_locator(NullLocator())
            ax.set(
                title=f"{net}: {layer.replace('_', ' ')}",
                ylim=(-3, 100),
                xlabel=ps.label("epoch", "symlog axis") if net == list(angles)[-1] else "",
            )
        row[0].set_ylabel(ps.label("angle to the true gradient", "deg"))
    for name in sorted(skipped):
        axes[0, 0].plot([], [], ls="none", label=f"{name}: no hidden update (not drawn)")
    if cols > len(layers[next(iter(angles))]):  # the first row has empty panels: the legend goes there
        fig.legend(*axes[0, 0].get_legend_handles_labels(), loc="upper right", bbox_to_anchor=(0.9, 0.95))
    else:
        axes[0, 0].legend(loc="lower left")
    return fig


def attack_grid(
    epsilons: Sequence[float],
    curves: Mapping[str, Mapping[str, Mapping[str, Sequence[float]]]],
    gradients: Sequence[str],
    *,
    chance: float = 0.1,
    notes: Mapping[tuple[str, str], str] | None = None,
) -> Figure:
    """Accuracy against the attack radius: rows attacks, columns the gradient the attack follows
    (``curves[attack][gradient][learner]``); hollow markers of distinct shapes and line styles, so
    that learners whose curves coincide stay visible; chance as a reference; ``notes`` written into
    the panel they belong to."""
    fig, axes = ps.figure(len(curves), len(gradients), panel=(4.2, 3.3), sharex=True, sharey=True)
    order: dict[str, int] = {}
    for row, (attack_name, by_gradient) in zip(axes, curves.items(), strict=True):
        for ax, gradient in zip(row, gradients, strict=True):
            for name, values in by_gradient.get(gradient, {}).items():
                i = order.setdefault(name, len(order))
                ax.plot(epsilons[: len(values)], values, label=name, zorder=3 + i, **ps.curve_style(i))
            ps.reference(ax, chance, "chance", f"chance ({chance:g})")
            ax.set_title(f"{attack_name}, {gradient.replace('_', ' ')}")
            ax.set_ylim(-0.02, 1.12)
            ax.legend(loc="best")
            if notes and (attack_name, gradient) in notes:
                ps.note(ax, notes[(attack_name, gradient)], "lower left")
        row[0].set_ylabel(ACCURACY)
    for ax in axes[-1]:
        ax.set_xlabel(ps.label("eps", "L-infinity radius, pixels in [0, 1]"))
    return fig


def threshold_learning(histories: Mapping[str, Mapping[str, Sequence[float]]], chance: float) -> Figure:
    """Test accuracy, training loss and the hidden-layer gradient norm against epoch, one curve per
    hidden activation (``epoch``, ``test_accuracy``, ``train_loss``, ``hidden_grad_norm``, whose
    first entry, before training, is not a gradient and is not drawn)."""
    fig, axes = ps.figure(1, 3, panel=(4.6, 3.6))
    for i, (name, h) in enumerate(histories.items()):
        style = ps.curve_style(i)
        axes[0, 0].plot(h["epoch"], h["test_accuracy"], label=name, **style)
        axes[0, 1].plot(h["epoch"], h["train_loss"], label=name, **style)
        axes[0, 2].plot(h["epoch"][1:], h["hidden_grad_norm"][1:], label=name, **style)
    ps.reference(axes[0, 0], chance, "chance", f"chance ({chance:g})")
    axes[0, 0].set(ylabel=ACCURACY, title="learning curves", ylim=(0, 1.02))
    axes[0, 1].set(ylabel=ps.label("training loss", "cross-entropy, nats; log axis"), yscale="log")
    axes[0, 2].set(
        ylabel=ps.label("||dL/dW_hidden||_F", "Frobenius norm, mean over batches"),
        title="hidden-layer gradient (exactly 0 for the step)",
    )
    for ax in axes[0]:
        ps.count_axis(ax, "x")
        ax.set_xlabel(ps.label("epoch", "passes over the training set"))
    axes[0, 0].legend()
    return fig


def staircase(weights_mV: np.ndarray, counts: np.ndarray) -> Figure:
    """Spike count of a LIF neuron against its input weight, and the finite-difference derivative."""
    fig, axes = ps.figure(2, 1, panel=(8.0, 3.0), sharex=True)
    axes[0, 0].step(weights_mV, counts, where="post", color="k", label="spike count")
    ps.count_axis(axes[0, 0], "y")
    axes[0, 0].set(
        ylabel=ps.label("output spikes", "count in the run"),
        title="Brian2 LIF neuron: spike count against input weight",
    )
    axes[1, 0].plot(
        weights_mV[:-1],
        np.diff(counts) / np.diff(weights_mV),
        lw=0.8,
        color="k",
        label="finite difference over one weight step",
    )
    axes[1, 0].set(
        xlabel=ps.label("w", "mV"),
        ylabel=ps.label("d count / dw", "spikes per mV"),
        title="0 almost everywhere, (jump size)/dw where the count changes",
    )
    return fig


def norms_per_layer(
    at_init: Mapping[str, Mapping[int, Sequence[float]]],
    paper: Mapping[int, Sequence[float]],
    paper_variant: str = "sigmoid",
) -> Figure:
    """|| dC/db^l || at initialisation against hidden layer, one panel per variant, one curve per
    depth; Nielsen's values (``paper[depth]``) on the ``paper_variant`` panel, each depth in its
    own line style and colour, matching the simulated depth, with its own legend entry."""
    fig, axes = ps.figure(1, len(at_init), panel=(4.0, 3.6), sharey=True)
    depths = sorted({d for by in at_init.values() for d in by} | set(paper))  # one colour per depth everywhere
    for ax, (variant, by_depth) in zip(axes[0], at_init.items(), strict=True):
        for depth in sorted(by_depth):
            norms = by_depth[depth]
            ax.plot(
                range(1, len(norms) + 1), norms, label=f"{depth} hidden", color=f"C{depths.index(depth)}", marker="o"
            )
        if variant == paper_variant:
            for k, (depth, norms) in enumerate(sorted(paper.items())):
                ax.plot(
                    range(1, len(norms) + 1),
                    norms,
                    color=f"C{depths.index(depth)}",
                    marker="x",
                    ms=6,
                    ls=ps.LINESTYLES[1 + k % 3],
                    lw=1.0,
                    label=f"Nielsen ch. 5, {depth} hidden",
                )
        ps.count_axis(ax, "x", range(1, max(max(len(v) for v in by_depth.values()), 1) + 1))
        ax.set(yscale="log", xlabel=ps.label("hidden layer", "1 = nearest the input"), title=variant)
        ax.legend(fontsize=6)
    axes[0, 0].set_ylabel(ps.label("|| dC/db^l || at initialisation", "log axis"))
    return fig


def ratio_against_depth(
    ratios: Mapping[str, Mapping[int, float]], paper: Mapping[int, float], paper_text: str = "Nielsen ch. 5 (sigmoid)"
) -> Figure:
    """The headline: first/last hidden-layer gradient-norm ratio against depth, one curve per
    variant, Nielsen's ratios as points (his 0.011 at 4 hidden layers labelled), 1 as the
    no-vanishing reference."""
    fig, axes = ps.figure(panel=(5.6, 4.0))
    ax = axes[0, 0]
    depths = sorted({d for r in ratios.values() for d in r} | set(paper))
    for i, (variant, by_depth) in enumerate(ratios.items()):
        ds = sorted(by_depth)
        ax.plot(ds, [by_depth[d] for d in ds], label=variant, **ps.curve_style(i, hollow=False))
    ds = sorted(paper)
    ps.reference_points(ax, ds, [paper[d] for d in ds], paper_text, marker="*", ms=10, color="k")
    for d in ds:
        ax.annotate(f"{paper[d]:.3g}", (d, paper[d]), textcoords="offset points", xytext=(6, -3), fontsize=7)
    ps.reference(ax, 1.0, "theory", "1: no vanishing")
    ps.count_axis(ax, "x", depths)
    ax.set(
        yscale="log",
        xlabel=ps.label("depth", "hidden layers"),
        ylabel=ps.label("|| dC/db^1 || / || dC/db^last ||", "at initialisation, log axis"),
        title="vanishing gradient: first / last hidden layer",
    )
    ax.legend()
    return fig


def training_norms(during: Mapping[str, Mapping[str, object]], chance: float) -> Figure:
    """Per variant (one column, at its deepest network): each hidden layer's || dC/db || against
    epoch (top) and the test accuracy (bottom, with chance). ``during[variant]`` holds ``depth``,
    ``epoch``, ``norms`` (evaluation x layer) and ``accuracy``."""
    fig, axes = ps.figure(2, len(during), panel=(4.0, 3.0), sharex="col")
    for col, (variant, d) in enumerate(during.items()):
        norms = np.asarray(d["norms"], dtype=float)
        top, bottom = axes[0, col], axes[1, col]
        for layer in range(norms.shape[1]):
            top.plot(
                d["epoch"], norms[:, layer], label=f"hidden layer {layer + 1}", **ps.curve_style(layer, False), lw=1.0
            )
        top.set(yscale="log", title=f"{variant}, {d['depth']} hidden layers")
        bottom.plot(d["epoch"], d["accuracy"], color="k", marker="o", label="test accuracy")
        ps.reference(bottom, chance, "chance", f"chance ({chance:g})")
        bottom.set(ylim=(0, 1.02), xlabel=ps.label("epoch", "passes over the training images"))
        ps.count_axis(bottom, "x")
        top.legend(fontsize=6)
        bottom.legend(fontsize=6)
    axes[0, 0].set_ylabel(ps.label("|| dC/db^l || during training", "log axis"))
    axes[1, 0].set_ylabel(ACCURACY)
    return fig


#: one panel of :func:`memory_scaling`: (data, xlabel, title, lines)
MemoryPanel = tuple[Mapping[str, Mapping[float, float]], str, str, Sequence[tuple[str, str, str]]]


def memory_scaling(panels: Sequence[MemoryPanel]) -> Figure:
    """Bytes against a size, one panel each: ``(data, xlabel, title, lines)`` where ``data[key]``
    maps size -> bytes and each line is ``(key, label, kind)``, kind ``measured`` or a reference
    kind (``theory`` for a formula)."""
    fig, axes = ps.figure(1, len(panels), panel=(4.8, 3.9))
    for ax, (data, xlabel, title, lines) in zip(axes[0], panels, strict=True):
        sizes: set[float] = set()
        for i, (key, text, kind) in enumerate(lines):
            xs = sorted(data[key])
            sizes |= set(xs)
            ys = [data[key][x] for x in xs]
            if kind == "measured":
                ax.plot(xs, ys, label=text, **ps.curve_style(i))
            else:
                ps.reference_curve(ax, xs, ys, kind, text, marker=".", ls=ps.LINESTYLES[1 + i % 3])
        ps.bytes_axis(ax, "y")
        ps.count_axis(ax, "x", sorted(sizes), log=True)
        ax.set(xlabel=xlabel, ylabel=ps.label("memory", "bytes, binary prefixes; log axis"), title=title)
        ax.legend(fontsize=6)
    return fig


def top_sources_histogram(
    trained: Mapping[str, Mapping[str, Sequence[float]]],
    initial: Mapping[str, Mapping[str, Sequence[float]]],
    last: int,
    k: int,
) -> Figure:
    """Fraction of the top-k Jacobian sources of last-layer neurons in each earlier layer, after
    training and at initialisation, one bar per skip mode, chance as a reference."""
    fig, axes = ps.figure(1, 2, panel=(5.4, 3.8), sharey=True)
    width = 0.8 / len(trained)
    for ax, summary, title in ((axes[0, 0], trained, "after training"), (axes[0, 1], initial, "at initialisation")):
        for i, (skip, s) in enumerate(summary.items()):
            ax.bar(
                np.arange(1, last) + (i - (len(summary) - 1) / 2) * width,
                s["top5_fraction_by_layer"],
                width,
                label=f"skip={skip}",
                color=f"C{i}",
            )
        ps.reference(ax, 1.0 / (last - 1), "chance", f"chance (1/{last - 1})")
        ps.count_axis(ax, "x", range(1, last))
        ax.set(xlabel=ps.label(f"layer of a top-{k} source", "hidden layer index"), title=title)
    axes[0, 0].set_ylabel(ps.label(f"fraction of top-{k} sources of layer-{last} neurons", "of all sources"))
    axes[0, 0].legend()
    return fig


def top_sources_diagram(examples: Mapping[str, Sequence[np.ndarray]], last: int, k: int) -> Figure:
    """The essay's picture: layers as columns, one last-layer neuron, its top-k sources marked
    (``examples[skip][layer]``: importance, last-layer neuron x source neuron)."""
    fig, axes = ps.figure(1, len(examples), panel=(4.5, 4.0))
    for ax, (skip, importance) in zip(axes[0], examples.items(), strict=True):
        n_last = importance[0].shape[0]
        target = int(np.argmax(importance[last - 1].sum(axis=1)))  # a well-connected neuron
        target_y = target / max(n_last - 1, 1)
        scores = np.concatenate([importance[layer][target] for layer in range(1, last)])
        threshold = np.sort(scores)[-k]
        for layer in range(1, last):
            ys = np.linspace(0, 1, len(importance[layer][target]))
            chosen = ys[importance[layer][target] >= threshold]
            ax.scatter(np.full(len(ys), layer), ys, s=10, c="lightgray")
            for y in chosen:
                ax.plot([layer, last], [y, target_y], c="tab:orange", lw=0.8)
            ax.scatter(np.full(len(chosen), layer), chosen, s=30, c="tab:orange")
        ax.scatter(np.full(n_last, last), np.linspace(0, 1, n_last), s=10, c="lightgray")
        ax.scatter([last], [target_y], s=50, c="tab:blue")
        ax.set(
            title=f"skip={skip}: neuron {target} of layer {last}",
            xlabel=ps.label("hidden layer", "index"),
            xticks=range(1, last + 1),
            yticks=[0, 1],
            yticklabels=["first", "last"],
            ylabel="neuron of the layer (every one drawn)",
        )
        ax.grid(False)
        ax.plot([], [], c="tab:orange", marker="o", label=f"its top-{k} sources")
        ax.legend(loc="lower left", fontsize=6)
    return fig


def trials_to_criterion(
    by_rule: Mapping[str, Sequence[int | None]],
    synapses: Sequence[int],
    slopes: Mapping[str, float | None],
    trials_run: int,
    criterion: float,
) -> Figure:
    """Trials to criterion against the number of plastic synapses (log-log, the sizes as integer
    ticks), one line per rule with its fitted slope in the legend; a rule that did not reach the
    criterion at a size has no point there, and the trials run are drawn as the censoring line."""
    from ..ratenet.variance_plots import slope_label

    fig, axes = ps.figure(panel=(6.0, 4.2))
    ax = axes[0, 0]
    for i, (rule, trials) in enumerate(by_rule.items()):
        points = [(x, t) for x, t in zip(synapses, trials, strict=True) if t is not None]
        missing = len(synapses) - len(points)
        text = slope_label(rule, slopes.get(rule)) + (f", not reached at {missing} size(s)" if missing else "")
        style = ps.curve_style(i, hollow=False)
        if points:
            ax.plot(*zip(*points, strict=True), label=text, **style)
        else:
            ax.plot([], [], label=f"{rule}: never reached", **style)
        censored = [x for x, t in zip(synapses, trials, strict=True) if t is None]
        ax.plot(censored, [trials_run] * len(censored), ls="none", marker="x", color=style["color"], ms=8)
    ps.reference(ax, trials_run, "control", f"trials run ({trials_run:,}): x = not reached")
    ps.count_axis(ax, "x", synapses, log=True)
    ps.count_axis(ax, "y", log=True)
    ax.set(
        xlabel=ps.label("plastic synapses", "count, log axis"),
        ylabel=ps.label("trials to criterion", "count, log axis"),
        title=f"trials to {criterion:.0%} correct (legend: log-log slope)",
    )
    ax.legend()
    return fig

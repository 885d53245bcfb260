"""Do skip connections scatter the layer hierarchy? Top-5 Jacobian sources of last-layer neurons.

Source: the second seed essay (on backprop, vanishing gradients and skip connections; it cites
Nielsen ch. 5 and He et al. 2016). Its claim: in a plain MLP, the five neurons that matter most
to a neuron's activation (largest |d activation / d neuron|) sit mostly in the layer just before
it, as a hierarchy of abstractions would have it; with a skip connection, neurons of the first
layer become among the most important, "scattering the representational hierarchy". The essay
gives diagrams, no numbers.

Here a deep MLP is trained on digits without skips, with residual skips (h_l = h_{l-1} + f(z_l))
and with dense skips (every earlier layer feeds each layer). For each neuron of the last hidden
layer, importance of neuron i of an earlier hidden layer k is the mean over test inputs of
|d h_last[j] / d h_k[i]|, the total derivative through every path (computed by the backward
pass from a one-hot error on h_last[j]). We count in which layers the top five sit, after
training and, as a control, at initialisation; chance is 1 / (number of earlier layers).

With residual skips, h_last = h_k + (the residual branches), so neuron j of every earlier layer
reaches neuron j of the last layer through the identity path with a derivative of 1 added to
whatever the branches give. ``top5_identity_path_fraction`` (per skip mode, after training and at
initialisation) is the fraction of top-5 sources that are such same-index neurons: how much of
the residual network's "scattering" is the identity path itself. Without an identity path (none,
dense) the same count is the chance control (sources that happen to share the target's index).
"""

from __future__ import annotations

import numpy as np

from snnlearn.cli import script_main
from snnlearn.errors import ConfigError
from snnlearn.experiment import RunContext
from snnlearn.figures.learning import top_sources_diagram, top_sources_histogram
from snnlearn.ratenet import (
    Architecture,
    identity_path_fraction,
    init_params,
    jacobian_importance,
    load_data,
    make_learner,
    make_loss,
    make_optimizer,
    resolve_data_path,
    top_k_layers,
    train,
)

PARAMS = {
    "data": {"path": "../shared/data/mnist", "train": "0:8000", "test": "8000:10000"},
    "skips": ["none", "residual", "dense"],
    "hidden_layers": 6,
    "width": 32,
    "activation": "tanh",
    "init": "xavier",
    "lr": 0.001,
    "epochs": 15,
    "batch_size": 32,
    "seeds": 3,  # networks trained per skip mode (fractions are averaged)
    "top_k": 5,
    "jacobian_inputs": 500,  # test inputs the Jacobian is averaged over
}

QUICK = {"data.path": "digits", "hidden_layers": 4, "width": 16, "epochs": 3, "seeds": 1, "jacobian_inputs": 100}


def check(ctx: RunContext) -> None:
    p = ctx.params
    resolve_data_path(p["data"]["path"])
    for skip in p["skips"]:
        Architecture((1, 1, 1), skip=skip, activation=p["activation"])
    if p["hidden_layers"] < 3:
        raise ConfigError(
            "hidden_layers",
            f"got {p['hidden_layers']}",
            "expected >= 3 (the last layer needs two earlier hidden layers)",
        )
    if not 1 <= p["top_k"] <= p["width"]:
        raise ConfigError("top_k", f"got {p['top_k']}", "expected 1 <= top_k <= width")


def top_layers(arch: Architecture, params, x, k: int) -> tuple[np.ndarray, float]:
    """Layers (1..last-1) of the top-k sources of each last-hidden-layer neuron, (n_last, k),
    and the fraction of those sources on the identity path (same neuron index)."""
    last = arch.n_layers - 1
    importance = jacobian_importance(arch, params, x, last)
    return (top_k_layers(importance, range(1, last), k), identity_path_fraction(importance, range(1, last), k))


def summarise(runs: list[tuple[np.ndarray, float]], last: int) -> dict:
    layers = np.concatenate([r[0] for r in runs])
    counts = np.array([(layers == k).sum() for k in range(1, last)], dtype=float)
    return {
        "top5_identity_path_fraction": float(np.mean([r[1] for r in runs])),
        "top5_previous_layer_fraction": float(np.mean(layers == last - 1)),
        "top5_first_layer_fraction": float(np.mean(layers == 1)),
        "mean_layer_distance_top5": float(np.mean(last - layers)),
        "top5_fraction_by_layer": (counts / counts.sum()).tolist(),
    }


def run(ctx: RunContext) -> dict:
    p = ctx.params
    data = load_data(**p["data"])
    x_jac = data.x_test[: p["jacobian_inputs"]]
    last = p["hidden_layers"]
    trained, initial, accuracy, examples = {}, {}, {}, {}
    for skip in p["skips"]:
        arch = Architecture((data.n_pixels, *[p["width"]] * last, 10), activation=p["activation"], skip=skip)
        runs_after, runs_before, accs = [], [], []
        for seed in range(p["seeds"]):
            rng = np.random.default_rng([ctx.seed, seed])
            params = init_params(arch, rng, p["init"])
            runs_before.append(top_layers(arch, params, x_jac, p["top_k"]))
            history = train(
                arch,
                params,
                make_learner("backprop"),
                make_optimizer("adam", p["lr"]),
                make_loss("softmax_cross_entropy"),
                data,
                epochs=p["epochs"],
                batch_size=p["batch_size"],
                rng=rng,
                eval_every=p["epochs"],
            )
            runs_after.append(top_layers(arch, params, x_jac, p["top_k"]))
            accs.append(history.test_accuracy[-1])
            if seed == 0:
                examples[skip] = jacobian_importance(arch, params, x_jac, last)
        trained[skip] = summarise(runs_after, last)
        initial[skip] = summarise(runs_before, last)
        accuracy[skip] = float(np.mean(accs))
        ctx.log(
            f"skip={skip}: test accuracy {accuracy[skip]:.3f}, top-5 in previous layer "
            f"{trained[skip]['top5_previous_layer_fraction']:.2f}, in first layer "
            f"{trained[skip]['top5_first_layer_fraction']:.2f}, on the identity path "
            f"{trained[skip]['top5_identity_path_fraction']:.2f} (at initialisation "
            f"{initial[skip]['top5_identity_path_fraction']:.2f})"
        )
    plot_diagram(ctx, examples, last, p["top_k"])
    plot_histogram(ctx, trained, initial, last)
    keys = trained[p["skips"][0]]
    metrics = {key: {skip: trained[skip][key] for skip in trained} for key in keys}
    return {
        **data.describe(),
        **metrics,
        "at_initialisation": {key: {s: initial[s][key] for s in initial} for key in metrics},
        "chance_fraction_per_layer": 1.0 / (last - 1),
        "test_accuracy_by_skip": accuracy,
        "finding": finding(trained, initial, last),
    }


def finding(trained: dict, initial: dict, last: int) -> str:
    """The fractions after training and at initialisation, and whether the essay's claims held.

    "The previous layer dominates" means it holds the largest share of top-5 sources, and at
    least 1.5 times the chance share; "the first layer gains importance" compares the first
    layer's share with that of the plain network.
    """
    chance = 1.0 / (last - 1)

    def shares(summary: dict) -> str:
        return "; ".join(
            f"{skip}: {s['top5_previous_layer_fraction']:.0%} previous layer, "
            f"{s['top5_first_layer_fraction']:.0%} first layer"
            for skip, s in summary.items()
        )

    text = f"After training: {shares(trained)}. At initialisation: {shares(initial)}. Chance: {chance:.0%} per layer."
    if "none" not in trained:
        return text
    for when, summary in (("at initialisation", initial), ("after training", trained)):
        plain = summary["none"]
        prev = plain["top5_previous_layer_fraction"]
        dominates = prev >= 1.5 * chance and prev >= max(plain["top5_fraction_by_layer"])
        verdict = "dominates (claim holds)" if dominates else "does not dominate (claim fails)"
        text += f" Without skips, {when}, the previous layer {verdict}."
        for skip, s in summary.items():
            if skip != "none":
                more = s["top5_first_layer_fraction"] > plain["top5_first_layer_fraction"]
                text += (
                    f" With {skip} skips {when} the first layer "
                    f"{'gains' if more else 'does not gain'} importance "
                    f"(claim {'holds' if more else 'fails'})."
                )
    return text


def plot_diagram(ctx: RunContext, examples: dict, last: int, k: int) -> None:
    ctx.savefig(
        top_sources_diagram(examples, last, k),
        "top5_diagram.png",
        note="Each panel: the best-connected neuron of the last hidden layer and its top sources.",
    )


def plot_histogram(ctx: RunContext, trained: dict, initial: dict, last: int) -> None:
    p = ctx.params
    ctx.savefig(
        top_sources_histogram(trained, initial, last, p["top_k"]),
        "top5_histogram.png",
        note=f"Importance: mean over {p['jacobian_inputs']} test inputs of |d h_last[j] / d h_k[i]|; "
        f"{p['seeds']} network(s) per skip mode. Top sources on the identity path (same index) after "
        "training: "
        + ", ".join(f"{k} {s['top5_identity_path_fraction']:.0%}" for k, s in trained.items())
        + " (with residual skips the identity path itself; otherwise chance).",
    )


if __name__ == "__main__":
    script_main(__file__)

"""Vanishing gradients: per-layer gradient norms of deep sigmoid MLPs, with ReLU/He and with skips.

Source: Michael Nielsen, "Neural Networks and Deep Learning", ch. 5 ("Why are deep neural
networks hard to train?"). His setting: MNIST, [784, 30, ..., 30, 10] sigmoid networks with a
cross-entropy cost on sigmoid outputs, weights N(0, 1/n_in) and biases N(0, 1), gradient averaged
over 1,000 training images. His quantity is the "speed of learning" of hidden layer l, the norm
of the bias gradient || dC/db^l ||: at initialisation 0.07, 0.31 (2 hidden layers); 0.012, 0.060,
0.283 (3); 0.003, 0.017, 0.070, 0.285 (4), so first/last = 0.003/0.285 = 0.011 for 4 hidden layers.

This experiment computes the same number for 1 to 6 hidden layers (averaged over initial seeds),
the ratio first/last hidden layer, and the norms during SGD training on the same 1,000 images
(mini-batches of 10, eta 0.1, as Nielsen). Then the same with ReLU hidden units and He
initialisation, and with residual and dense skip connections (sigmoid units). Expected: for
sigmoid the ratio falls roughly geometrically with depth (about 4-5x per layer); ReLU/He and
skips keep it near 1.
"""

from __future__ import annotations

import dataclasses

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from snnlearn.cli import script_main
from snnlearn.errors import ConfigError, one_of
from snnlearn.experiment import RunContext
from snnlearn.ratenet import (
    Architecture,
    init_params,
    layer_grad_norms,
    load_data,
    loss_and_gradients,
    make_learner,
    make_loss,
    make_optimizer,
    resolve_data_path,
    train,
)

#: Nielsen's bias-gradient norms per hidden layer at initialisation, by number of hidden layers.
NIELSEN_AT_INIT = {2: [0.07, 0.31], 3: [0.012, 0.060, 0.283], 4: [0.003, 0.017, 0.070, 0.285]}

#: variant -> (hidden activation, initialisation, skip mode)
VARIANTS = {
    "sigmoid": ("sigmoid", "nielsen", "none"),
    "relu_he": ("relu", "he", "none"),
    "sigmoid_residual": ("sigmoid", "nielsen", "residual"),
    "sigmoid_dense": ("sigmoid", "nielsen", "dense"),
}

PARAMS = {
    "data": {"path": "../shared/data/mnist", "train": "0:8000", "test": "8000:10000"},
    "variants": list(VARIANTS),
    "depths": [1, 2, 3, 4, 5, 6],
    "width": 30,
    "n_examples": 1000,   # training images the gradient is averaged over (and trained on)
    "init_seeds": 10,     # initial networks averaged for the norms at initialisation
    "epochs": 30,
    "batch_size": 10,
    "lr": 0.1,
}

QUICK = {"data.path": "digits", "depths": [1, 2, 4], "init_seeds": 2, "epochs": 2,
         "n_examples": 300}


def check(ctx: RunContext) -> None:
    resolve_data_path(ctx.params["data"]["path"])
    unknown = set(ctx.params["variants"]) - set(VARIANTS)
    if unknown:
        raise ConfigError("variants", f"unknown variant {sorted(unknown)[0]!r}", one_of(VARIANTS))
    if min(ctx.params["depths"]) < 1:
        raise ConfigError("depths", f"got {ctx.params['depths']}", "expected depths >= 1")


def architecture(variant: str, depth: int, n_in: int, width: int) -> tuple[Architecture, str]:
    activation, init, skip = VARIANTS[variant]
    arch = Architecture((n_in, *[width] * depth, 10), activation=activation,
                        output_activation="linear", skip=skip)
    return arch, init


def hidden_bias_norms(arch: Architecture, params, loss, x, y) -> list[float]:
    """Nielsen's speed of learning: || dC/db^l || of each hidden layer, gradient over (x, y)."""
    _, grads = loss_and_gradients(arch, params, make_learner("backprop"), loss, x, y)
    return layer_grad_norms(arch, grads, "biases")[:-1]


def first_to_last(norms: list[float]) -> float:
    return norms[0] / norms[-1]


def run(ctx: RunContext) -> dict:
    p = ctx.params
    data = load_data(**p["data"])
    x, y = data.x_train[:p["n_examples"]], data.y_train[:p["n_examples"]]
    subset = dataclasses.replace(data, x_train=x, y_train=y,
                                 split=f"{data.split}, first {len(y)} training images")
    loss = make_loss("sigmoid_cross_entropy")
    at_init, ratio_init, after, ratio_after, accuracy, during = {}, {}, {}, {}, {}, {}
    for variant in p["variants"]:
        for key in (at_init, ratio_init, after, ratio_after, accuracy, during):
            key[variant] = {}
        for depth in p["depths"]:
            arch, init = architecture(variant, depth, data.n_pixels, p["width"])
            seeds = np.random.SeedSequence([ctx.seed, depth]).spawn(p["init_seeds"])
            starts = [init_params(arch, np.random.default_rng(s), init) for s in seeds]
            norms = np.mean([hidden_bias_norms(arch, w, loss, x, y) for w in starts],
                            axis=0).tolist()
            at_init[variant][depth] = norms
            ratio_init[variant][depth] = first_to_last(norms)
            params = starts[0]
            curve: list[list[float]] = []

            def record(_epoch: int, arch=arch, params=params, curve=curve) -> None:
                curve.append(hidden_bias_norms(arch, params, loss, x, y))

            history = train(arch, params, make_learner("backprop"), make_optimizer("sgd", p["lr"]),
                            loss, subset, epochs=p["epochs"], batch_size=p["batch_size"],
                            rng=np.random.default_rng(ctx.seed), on_eval=record)
            during[variant][depth] = curve
            after[variant][depth] = curve[-1]
            ratio_after[variant][depth] = first_to_last(curve[-1])
            accuracy[variant][depth] = history.test_accuracy[-1]
            ctx.log(f"{variant} depth {depth}: ratio at init {ratio_init[variant][depth]:.4f}, "
                    f"after training {ratio_after[variant][depth]:.4f}, "
                    f"test accuracy {accuracy[variant][depth]:.3f}")
    plot_norms(ctx, at_init)
    plot_training(ctx, during)
    nielsen = {d: first_to_last(n) for d, n in NIELSEN_AT_INIT.items()}
    return {
        **subset.describe(),
        "grad_norm_ratio_first_to_last_by_depth": ratio_init,
        "bias_grad_norms_at_init_by_depth": at_init,
        "grad_norm_ratio_first_to_last_after_training_by_depth": ratio_after,
        "bias_grad_norms_after_training_by_depth": after,
        "bias_grad_norms_during_training": during,
        "test_accuracy_by_depth": accuracy,
        "nielsen_bias_grad_norms_at_init": NIELSEN_AT_INIT,
        "nielsen_grad_norm_ratio_first_to_last": nielsen,
        "quantity": "|| dC/db^l || per hidden layer, gradient of the mean cost over n_examples "
                    "training images (Nielsen's speed of learning); ratio first/last hidden layer",
    }


def plot_norms(ctx: RunContext, at_init: dict) -> None:
    variants = list(at_init)
    fig, axes = plt.subplots(1, len(variants), figsize=(4 * len(variants), 3.6), sharey=True,
                             squeeze=False)
    for ax, variant in zip(axes[0], variants, strict=True):
        for depth, norms in at_init[variant].items():
            ax.plot(range(1, len(norms) + 1), norms, marker="o", label=f"{depth} hidden")
        if variant == "sigmoid":
            for depth, norms in NIELSEN_AT_INIT.items():
                ax.plot(range(1, len(norms) + 1), norms, ls=":", color="gray",
                        label="Nielsen" if depth == 2 else None)
        ax.set(yscale="log", xlabel="hidden layer", title=variant)
    axes[0][0].set_ylabel("|| dC/db || at initialisation")
    axes[0][0].legend(fontsize=7)
    ctx.savefig(fig, "grad_norm_per_layer.png")


def plot_training(ctx: RunContext, during: dict) -> None:
    variants = list(during)
    fig, axes = plt.subplots(1, len(variants), figsize=(4 * len(variants), 3.6), sharey=True,
                             squeeze=False)
    for ax, variant in zip(axes[0], variants, strict=True):
        depth = max(during[variant])
        curve = np.array(during[variant][depth])
        for layer in range(curve.shape[1]):
            ax.plot(curve[:, layer], label=f"hidden layer {layer + 1}")
        ax.set(yscale="log", xlabel="epoch", title=f"{variant}, {depth} hidden layers")
    axes[0][0].set_ylabel("|| dC/db || during training")
    axes[0][0].legend(fontsize=7)
    ctx.savefig(fig, "grad_norm_during_training.png")


if __name__ == "__main__":
    script_main(__file__)

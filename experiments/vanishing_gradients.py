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

Figures: grad_norm_per_layer.png (norms at initialisation per layer, beside Nielsen's),
grad_norm_ratio.png (the first/last ratio against depth, Nielsen's 0.011 at 4 hidden layers),
grad_norm_during_training.png (the deepest network's norms and test accuracy per epoch).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from snnlearn.cli import script_main
from snnlearn.errors import ConfigError, one_of
from snnlearn.experiment import RunContext
from snnlearn.figures.learning import norms_per_layer, ratio_against_depth, training_norms
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
    "n_examples": 1000,  # training images the gradient is averaged over (and trained on)
    "init_seeds": 10,  # initial networks averaged for the norms at initialisation
    "epochs": 30,
    "batch_size": 10,
    "lr": 0.1,
}

QUICK = {"data.path": "digits", "depths": [1, 2, 4], "init_seeds": 2, "epochs": 10, "n_examples": 300}
QUICK_NOTE = "8x8 digits (64 inputs) instead of MNIST's 784."


def check(ctx: RunContext) -> None:
    resolve_data_path(ctx.params["data"]["path"])
    unknown = set(ctx.params["variants"]) - set(VARIANTS)
    if unknown:
        raise ConfigError("variants", f"unknown variant {sorted(unknown)[0]!r}", one_of(VARIANTS))
    if min(ctx.params["depths"]) < 1:
        raise ConfigError("depths", f"got {ctx.params['depths']}", "expected depths >= 1")


def architecture(variant: str, depth: int, n_in: int, width: int) -> tuple[Architecture, str]:
    activation, init, skip = VARIANTS[variant]
    arch = Architecture((n_in, *[width] * depth, 10), activation=activation, output_activation="linear", skip=skip)
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
    x, y = data.x_train[: p["n_examples"]], data.y_train[: p["n_examples"]]
    subset = dataclasses.replace(data, x_train=x, y_train=y, split=f"{data.split}, first {len(y)} training images")
    loss = make_loss("sigmoid_cross_entropy")
    at_init, ratio_init, after, ratio_after, accuracy, during, curves = {}, {}, {}, {}, {}, {}, {}
    for variant in p["variants"]:
        for key in (at_init, ratio_init, after, ratio_after, accuracy, during, curves):
            key[variant] = {}
        for depth in p["depths"]:
            arch, init = architecture(variant, depth, data.n_pixels, p["width"])
            seeds = np.random.SeedSequence([ctx.seed, depth]).spawn(p["init_seeds"])
            starts = [init_params(arch, np.random.default_rng(s), init) for s in seeds]
            norms = np.mean([hidden_bias_norms(arch, w, loss, x, y) for w in starts], axis=0).tolist()
            at_init[variant][depth] = norms
            ratio_init[variant][depth] = first_to_last(norms)
            params = starts[0]
            curve: list[list[float]] = []

            def record(_epoch: int, arch=arch, params=params, curve=curve) -> None:
                curve.append(hidden_bias_norms(arch, params, loss, x, y))

            history = train(
                arch,
                params,
                make_learner("backprop"),
                make_optimizer("sgd", p["lr"]),
                loss,
                subset,
                epochs=p["epochs"],
                batch_size=p["batch_size"],
                rng=np.random.default_rng(ctx.seed),
                on_eval=record,
            )
            during[variant][depth] = curve
            after[variant][depth] = curve[-1]
            ratio_after[variant][depth] = first_to_last(curve[-1])
            accuracy[variant][depth] = history.test_accuracy[-1]
            curves[variant][depth] = history.test_accuracy
            ctx.log(
                f"{variant} depth {depth}: ratio at init {ratio_init[variant][depth]:.4f}, "
                f"after training {ratio_after[variant][depth]:.4f}, "
                f"test accuracy {accuracy[variant][depth]:.3f}"
            )
    nielsen = {d: first_to_last(n) for d, n in NIELSEN_AT_INIT.items()}
    plot(ctx, at_init, ratio_init, nielsen, during, curves)
    return {
        **subset.describe(),
        "grad_norm_ratio_first_to_last_by_depth": ratio_init,
        "bias_grad_norms_at_init_by_depth": at_init,
        "grad_norm_ratio_first_to_last_after_training_by_depth": ratio_after,
        "bias_grad_norms_after_training_by_depth": after,
        "bias_grad_norms_during_training": during,
        "test_accuracy_by_depth": accuracy,
        "test_accuracy_during_training": curves,
        "nielsen_bias_grad_norms_at_init": NIELSEN_AT_INIT,
        "nielsen_grad_norm_ratio_first_to_last": nielsen,
        "quantity": "|| dC/db^l || per hidden layer, gradient of the mean cost over n_examples "
        "training images (Nielsen's speed of learning); ratio first/last hidden layer",
    }


def plot(ctx: RunContext, at_init: dict, ratio_init: dict, nielsen: dict, during: dict, curves: dict) -> None:
    p = ctx.params
    setting = (
        f"Gradient of the mean cost over {p['n_examples']} training images, averaged over "
        f"{p['init_seeds']} initial networks; Nielsen: MNIST, 1,000 images."
    )
    ctx.savefig(norms_per_layer(at_init, NIELSEN_AT_INIT), "grad_norm_per_layer.png", note=setting)
    ctx.savefig(ratio_against_depth(ratio_init, nielsen), "grad_norm_ratio.png", note=setting)
    deepest = {
        variant: {
            "depth": (d := max(by)),
            "epoch": list(range(len(by[d]))),
            "norms": by[d],
            "accuracy": curves[variant][d],
        }
        for variant, by in during.items()
    }
    ctx.savefig(
        training_norms(deepest, chance=0.1),
        "grad_norm_during_training.png",
        note=f"SGD, mini-batches of {p['batch_size']}, eta {p['lr']:g}, on the same {p['n_examples']} images; "
        "evaluated after every epoch (epoch 0: before training).",
    )


if __name__ == "__main__":
    script_main(__file__)

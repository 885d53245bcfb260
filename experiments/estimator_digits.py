"""Digits learned from a scalar reward: node and weight perturbation and REINFORCE against backprop.

A one-hidden-layer rate network (sigmoid hidden units, linear outputs, squared error to the
one-hot label) learns digit classification from the estimators of ``snnlearn.ratenet.estimators``:
the exact gradient (backprop), weight perturbation and node perturbation (Werfel, Xie & Seung
2005) and REINFORCE with Gaussian units, with and without a reward baseline (Williams 1992).
Every learner gets the same network, data, optimiser (Adam) and number of examples, so the
learning curves show what the variance of a reward-based estimate costs on a real task.

Each learner has its own optimiser and its own learning rate, chosen from ``lr_grid`` (the same
grid for all) on a validation split of the training images (``validation_fraction``; the test
set is never seen) by :func:`snnlearn.ratenet.lr_search.select_learning_rates`: a noisy estimate
needs a smaller step than the exact gradient, and one shared rate would favour one learner.
``lr_by_estimator`` fixes a learner's rate instead (not searched); ``lr_grid = []`` runs every
learner at ``lr``. Metric ``learning_rates``: the grid, the chosen rates, the validation
accuracy at every rate. Its settings reach it through :func:`learner_options`: ``sigma`` is the
unit noise of REINFORCE, ``perturbation`` the perturbation size of node and weight perturbation.

Metrics: ``test_accuracy_by_estimator``, ``accuracy_curve_by_estimator`` (test accuracy against
training examples seen), ``examples_to_criterion_by_estimator`` (first curve point at or above
``criterion``; null if never reached).
"""

from __future__ import annotations

import numpy as np

from snnlearn import logs
from snnlearn.cli import script_main
from snnlearn.criterion import examples_to_criterion
from snnlearn.errors import ConfigError, one_of
from snnlearn.experiment import RunContext
from snnlearn.figures.learning import accuracy_curves
from snnlearn.ratenet import (
    REGRESSION_LOSS,
    Adam,
    Architecture,
    Step,
    epoch_batches,
    fit,
    forward,
    init_params,
    load_data,
    make_learner,
)
from snnlearn.ratenet.estimators import ESTIMATORS
from snnlearn.ratenet.lr_search import DEFAULT_LR_GRID, check_lr_search, select_learning_rates

PARAMS = {
    "data": {"path": "digits", "train": "0:8000", "test": "8000:10000"},
    "estimators": [
        "backprop",
        "node_perturbation",
        "weight_perturbation",
        "reinforce_gaussian",
        "reinforce_gaussian_baseline",
    ],
    "hidden": 100,
    "epochs": 20.0,
    "batch_size": 32,
    "lr": 0.003,
    "lr_by_estimator": {},  # a learner's fixed rate, not searched, e.g. {node_perturbation = 0.001}
    "lr_grid": DEFAULT_LR_GRID,  # each learner's rate chosen from these on a validation split
    "validation_fraction": 0.2,
    "n_samples": 1,
    "sigma": 0.1,  # REINFORCE unit noise
    "perturbation": 1e-3,  # node and weight perturbation size
    "curve_points": 20,
    "criterion": 0.8,
}
QUICK = {
    "estimators": ["backprop", "node_perturbation"],
    "epochs": 3.0,
    "hidden": 32,
    "curve_points": 6,
    "lr_grid": [0.001, 0.003, 0.01],
}


def check(ctx: RunContext) -> None:
    p = ctx.params
    check_lr_search(p)
    for name in p["estimators"]:
        if name not in ESTIMATORS:
            raise ConfigError("estimators", f"unknown estimator {name!r}", one_of(ESTIMATORS))
    for name in p["lr_by_estimator"]:
        if name not in p["estimators"]:
            raise ConfigError(f"lr_by_estimator.{name}", "not one of the estimators run", one_of(p["estimators"]))
    if p["hidden"] < 1 or p["batch_size"] < 1 or p["epochs"] <= 0 or p["curve_points"] < 1:
        raise ConfigError("hidden", "sizes and epochs must be positive", "expected hidden, batch_size, epochs >= 1")


def learner_options(name: str, p: dict) -> dict:
    """The options of learner ``name`` from the run's settings (only those it takes)."""
    if name == "backprop":
        return {}
    return {"n_samples": p["n_samples"], "sigma": p["sigma"] if "reinforce" in name else p["perturbation"]}


def accuracy(arch: Architecture, params, x: np.ndarray, y: np.ndarray) -> float:
    return float(np.mean(np.argmax(forward(arch, params, x).output, axis=1) == y))


def train_one(ctx: RunContext, name: str, data, seed: int, lr: float) -> tuple[list[tuple[int, float]], float]:
    p = ctx.params
    rng = np.random.default_rng(seed)
    arch = Architecture([data.n_pixels, p["hidden"], 10], activation="sigmoid", output_activation="linear")
    params = init_params(arch, rng)
    learner = make_learner(name, **learner_options(name, p))
    optimizer = Adam(lr)
    targets = np.eye(10)[data.y_train]
    total = int(p["epochs"] * len(data.y_train))
    checkpoints = set(np.linspace(total / p["curve_points"], total, p["curve_points"]).astype(int))
    curve = [(0, accuracy(arch, params, data.x_test, data.y_test))]

    def after(step: Step) -> bool:
        before, seen = step.examples - len(step.batch.y), step.examples
        if any(before < c <= seen for c in checkpoints) or seen >= total:
            curve.append((seen, accuracy(arch, params, data.x_test, data.y_test)))
        return seen >= total

    fit(
        arch,
        params,
        learner,
        optimizer,
        REGRESSION_LOSS,
        epoch_batches(data.x_train, targets, p["batch_size"], rng),
        rng=rng,
        after=after,
    )
    return curve, curve[-1][1]


def run(ctx: RunContext) -> dict:
    p = ctx.params
    data = load_data(p["data"]["path"], p["data"]["train"], p["data"]["test"])
    curves, final = {}, {}
    rates = select_learning_rates(
        p["estimators"],
        p,
        data,
        lambda name, lr, split: train_one(ctx, name, split, ctx.seed, lr)[1],
        [ctx.seed, 3],
        by_learner="lr_by_estimator",
    )
    ctx.log(f"learning rates: {logs.mapping(rates['lr_by_learner'])} (grid {logs.sequence(rates['lr_grid'])})")
    for name in p["estimators"]:
        curves[name], final[name] = train_one(ctx, name, data, ctx.seed, rates["lr_by_learner"][name])
        ctx.log(f"{name}: test accuracy {final[name]:.3f}")
    to_criterion = {name: examples_to_criterion(curve, p["criterion"]) for name, curve in curves.items()}
    ctx.savefig(
        accuracy_curves(
            {k: ([n for n, _ in v], [a for _, a in v]) for k, v in curves.items()},
            "training examples seen (count)",
            chance=1 / 10,
            criterion=p["criterion"],
            title="learning from a scalar reward vs backprop (each at its chosen rate)",
        ),
        "learning_curves.png",
        note="Rates: "
        + ", ".join(f"{k} {v:g}" for k, v in rates["lr_by_learner"].items())
        + f". Criterion: first curve point at or above {p['criterion']:g}.",
    )
    return {
        **data.describe(),
        "test_accuracy_by_estimator": final,
        "accuracy_curve_by_estimator": {k: [{"examples": n, "accuracy": a} for n, a in v] for k, v in curves.items()},
        "examples_to_criterion_by_estimator": to_criterion,
        "learning_rates": rates,
    }


if __name__ == "__main__":
    script_main(__file__)

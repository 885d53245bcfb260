"""Digits learned from a scalar reward: node and weight perturbation and REINFORCE against backprop.

A one-hidden-layer rate network (sigmoid hidden units, linear outputs, squared error to the
one-hot label) learns digit classification from the estimators of ``snnlearn.ratenet.estimators``:
the exact gradient (backprop), weight perturbation and node perturbation (Werfel, Xie & Seung
2005) and REINFORCE with Gaussian units, with and without a reward baseline (Williams 1992).
Every learner gets the same network, data, optimiser (Adam) and number of examples, so the
learning curves show what the variance of a reward-based estimate costs on a real task.

Metrics: ``test_accuracy_by_estimator``, ``accuracy_curve_by_estimator`` (test accuracy against
training examples seen), ``examples_to_criterion_by_estimator`` (first curve point at or above
``criterion``; null if never reached).
"""

from __future__ import annotations

import numpy as np

from snnlearn import plots
from snnlearn.errors import ConfigError, one_of
from snnlearn.experiment import RunContext, script_main
from snnlearn.ratenet import Adam, Architecture, forward, init_params, load_data
from snnlearn.ratenet.estimators import ESTIMATORS, make_estimator

PARAMS = {
    "data": {"path": "digits", "train": "0:8000", "test": "8000:10000"},
    "estimators": ["backprop", "node_perturbation", "weight_perturbation", "reinforce_gaussian",
                   "reinforce_gaussian_baseline"],
    "hidden": 100,
    "epochs": 20.0,
    "batch_size": 32,
    "lr": 0.003,
    "n_samples": 1,
    "sigma": 0.1,            # REINFORCE unit noise
    "perturbation": 1e-3,    # node and weight perturbation size
    "curve_points": 20,
    "criterion": 0.8,
}
QUICK = {"estimators": ["backprop", "node_perturbation"], "epochs": 3.0, "hidden": 32, "curve_points": 6}


def check(ctx: RunContext) -> None:
    p = ctx.params
    for name in p["estimators"]:
        if name not in ESTIMATORS:
            raise ConfigError("estimators", f"unknown estimator {name!r}", one_of(ESTIMATORS))
    if p["hidden"] < 1 or p["batch_size"] < 1 or p["epochs"] <= 0 or p["curve_points"] < 1:
        raise ConfigError("hidden", "sizes and epochs must be positive", "expected hidden, batch_size, epochs >= 1")


def accuracy(arch: Architecture, params, x: np.ndarray, y: np.ndarray) -> float:
    return float(np.mean(np.argmax(forward(arch, params, x).output, axis=1) == y))


def train_one(ctx: RunContext, name: str, data, seed: int) -> tuple[list[tuple[int, float]], float]:
    p = ctx.params
    rng = np.random.default_rng(seed)
    arch = Architecture([data.n_pixels, p["hidden"], 10], activation="sigmoid", output_activation="linear")
    params = init_params(arch, rng)
    estimator = make_estimator(name, n_samples=p["n_samples"], sigma=p["sigma"] if "reinforce" in name
                               else p["perturbation"])
    optimizer = Adam(p["lr"])
    targets = np.eye(10)[data.y_train]
    total = int(p["epochs"] * len(data.y_train))
    checkpoints = set(np.linspace(total / p["curve_points"], total, p["curve_points"]).astype(int))
    curve, seen = [(0, accuracy(arch, params, data.x_test, data.y_test))], 0
    while seen < total:
        order = rng.permutation(len(data.y_train))
        for start in range(0, len(order), p["batch_size"]):
            batch = order[start:start + p["batch_size"]]
            optimizer.step(params, estimator.estimate(arch, params, data.x_train[batch], targets[batch], rng))
            before, seen = seen, seen + len(batch)
            if any(before < c <= seen for c in checkpoints) or seen >= total:
                curve.append((seen, accuracy(arch, params, data.x_test, data.y_test)))
            if seen >= total:
                break
    return curve, curve[-1][1]


def run(ctx: RunContext) -> dict:
    p = ctx.params
    data = load_data(p["data"]["path"], p["data"]["train"], p["data"]["test"])
    curves, final = {}, {}
    for name in p["estimators"]:
        curves[name], final[name] = train_one(ctx, name, data, ctx.seed)
        ctx.log(f"{name}: test accuracy {final[name]:.3f}")
    to_criterion = {name: next((n for n, a in curve if a >= p["criterion"]), None) for name, curve in curves.items()}
    ctx.savefig(plots.curves({k: [n for n, _ in v] for k, v in curves.items()},
                             {k: [a for _, a in v] for k, v in curves.items()},
                             "training examples seen", "test accuracy", "learning from a scalar reward vs backprop"),
                "learning_curves.png")
    return {**data.describe(), "test_accuracy_by_estimator": final,
            "accuracy_curve_by_estimator": {k: [{"examples": n, "accuracy": a} for n, a in v]
                                            for k, v in curves.items()},
            "examples_to_criterion_by_estimator": to_criterion}


if __name__ == "__main__":
    script_main(__file__)

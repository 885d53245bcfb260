"""Each learner's own learning rate, chosen on a validation split of the training data.

A comparison of learners at one shared learning rate favours whichever learner that rate suits:
an estimator with a noisy update needs a smaller step than backprop, feedback alignment may
want a larger one. :func:`select_learning_rates` gives every learner the same chance: each is
trained at every rate of one grid on the same part of the training set, scored on the held-out
rest (the test set is never seen), and keeps the rate with the best validation accuracy (ties:
the smaller rate). A learner with an entry in the run's ``lr_by_learner`` (or
``lr_by_estimator``) keeps that rate and is not searched. This is the usual protocol of a fair
optimiser comparison (Bergstra & Bengio 2012: hyper-parameters chosen on a validation set).

Settings read (see :func:`check_lr_search`): ``lr_grid`` (the rates tried; empty: no search,
every learner at ``lr`` or its own entry), ``validation_fraction`` (share of the training
images held out, stratified by label).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from ..data import Dataset
from ..errors import ConfigError
from .optim import SGD, Adam, make_optimizer

#: The grid the rate experiments search by default (Adam step sizes around its usual 1e-3).
DEFAULT_LR_GRID = [1e-4, 3e-4, 1e-3, 3e-3, 1e-2]

#: ``score(learner, lr, split)``: train ``learner`` at ``lr`` on ``split.x_train`` and return its
#: accuracy on ``split.x_test`` (the validation images).
Score = Callable[[str, float, Dataset], float]


def check_lr_search(p: Mapping[str, Any]) -> None:
    """ConfigError for a bad ``lr_grid`` (rates must be > 0) or ``validation_fraction`` (in (0, 1))."""
    grid = p.get("lr_grid", [])
    if any(not isinstance(r, int | float) or r <= 0 for r in grid):
        raise ConfigError("lr_grid", f"got {grid}", "expected learning rates > 0 (or [] for no search)")
    if grid and not 0 < p.get("validation_fraction", 0.2) < 1:
        raise ConfigError(
            "validation_fraction", f"got {p.get('validation_fraction')}", "expected a fraction strictly between 0 and 1"
        )


def validation_split(data: Dataset, fraction: float, rng: np.random.Generator) -> Dataset:
    """The training images split in two, stratified by label: ``x_train`` keeps ``1 - fraction``
    of each class, ``x_test`` holds the rest (the validation set); the test set is dropped."""
    held = []
    for label in np.unique(data.y_train):
        members = rng.permutation(np.flatnonzero(data.y_train == label))
        held.extend(members[: max(1, round(fraction * len(members)))].tolist())
    mask = np.zeros(len(data.y_train), dtype=bool)
    mask[held] = True
    return dataclasses.replace(
        data,
        x_train=data.x_train[~mask],
        y_train=data.y_train[~mask],
        x_test=data.x_train[mask],
        y_test=data.y_train[mask],
        split=f"{data.split}; validation: {mask.sum()} of the training images",
    )


def select_learning_rates(
    learners: Sequence[str],
    p: Mapping[str, Any],
    data: Dataset,
    score: Score,
    seed: int | Sequence[int],
    by_learner: str = "lr_by_learner",
) -> dict[str, Any]:
    """Choose each learner's learning rate from ``p["lr_grid"]`` on a validation split.

    Parameters
    ----------
    learners
        The learner names (keys of the chosen rates).
    p
        The run's settings: ``lr``, ``lr_grid``, ``validation_fraction`` and the fixed rates
        ``p[by_learner]``.
    data
        The data set; only its training images are used.
    score
        Trains one learner at one rate on a split and returns its validation accuracy.
    seed
        Seeds the split (the same split for every learner and rate).
    by_learner
        The name of the setting with the learners' fixed rates.

    Returns
    -------
    dict
        ``lr_by_learner`` (every learner's rate: fixed, chosen, or ``lr`` without a grid),
        ``lr_grid``, ``lr_chosen`` (the searched learners), ``lr_fixed``,
        ``validation_accuracy_by_lr`` (learner -> {rate: accuracy}), ``validation_examples``.
    """
    grid = [float(r) for r in p.get("lr_grid", [])]
    fixed = {k: float(v) for k, v in (p.get(by_learner) or {}).items()}
    rates = {name: fixed.get(name, float(p["lr"])) for name in learners}
    out: dict[str, Any] = {
        "lr_grid": grid,
        "lr_fixed": fixed,
        "lr_chosen": {},
        "validation_accuracy_by_lr": {},
        "validation_examples": 0,
    }
    searched = [name for name in learners if name not in fixed]
    if grid and searched:
        split = validation_split(data, float(p.get("validation_fraction", 0.2)), np.random.default_rng(seed))
        out["validation_examples"] = len(split.y_test)
        for name in searched:
            accuracy = {lr: float(score(name, lr, split)) for lr in grid}
            best = max(accuracy.values())
            rates[name] = min(lr for lr, a in accuracy.items() if a == best)
            out["lr_chosen"][name] = rates[name]
            out["validation_accuracy_by_lr"][name] = {f"{lr:g}": a for lr, a in accuracy.items()}
    out["lr_by_learner"] = rates
    return out


def training_score(
    arch: Any, start: Mapping[str, np.ndarray], loss: Any, p: Mapping[str, Any], epochs: int, seed: Sequence[int]
) -> Score:
    """The :data:`Score` of the training experiments (``weight_transport``, ``adversarial``): a
    copy of ``start`` trained by the named learner (feedback drawn from ``[*seed, 1]``, batches
    from ``[*seed, 2]``, as those experiments train) with the optimiser ``p`` names at the rate
    tried, for ``epochs`` epochs; its accuracy on the split's held-out images."""
    from .learner import make_learner
    from .train import train

    def score(name: str, lr: float, split: Dataset) -> float:
        params = {k: v.copy() for k, v in start.items()}
        learner = make_learner(name, rng=np.random.default_rng([*seed, 1]))
        history = train(
            arch,
            params,
            learner,
            optimizer_from(p, name, lr),
            loss,
            split,
            epochs=epochs,
            batch_size=p["batch_size"],
            eval_every=epochs,
            rng=np.random.default_rng([*seed, 2]),
        )
        return history.test_accuracy[-1]

    return score


def optimizer_from(p: Mapping[str, Any], learner: str | None = None, lr: float | None = None) -> SGD | Adam:
    """The optimiser the settings name (momentum applies to SGD only), at ``lr`` if given, else
    at ``learner``'s own rate from ``lr_by_learner`` if it has one, else at ``p["lr"]``."""
    if lr is None:
        from .train import learning_rate

        lr = learning_rate(learner or "", p["lr"], p.get("lr_by_learner"))
    if p["optimizer"] == "sgd":
        return make_optimizer("sgd", lr, momentum=p["momentum"])
    return make_optimizer(p["optimizer"], lr)

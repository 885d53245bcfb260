"""Training settings shared by the experiments that train rate networks on a data set.

The ``weight_transport`` and ``adversarial`` experiments read the same settings (data, learners,
hidden widths, optimiser, learning rate, epochs, batch size); :func:`check_training` checks them
before anything runs and :func:`optimizer_from` builds the optimiser they name.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import ConfigError, one_of
from .learner import check_names
from .learners import BACKWARD_LEARNERS
from .lr_search import check_lr_search
from .train import resolve_data_path

OPTIMIZERS = ("adam", "sgd")


def check_training(p: Mapping[str, Any], networks: Mapping[str, list[int]], counts: tuple[str, ...] = ()) -> None:
    """Checks of the training settings ``p``; a ConfigError names the first bad one.

    ``networks`` maps setting names to lists of hidden widths; ``counts`` names further
    settings that must be integers >= 1. The learners are those that send an error back
    (:data:`~.learners.BACKWARD_LEARNERS`) and Forward-Forward, which trains in the same loop.
    ``lr_by_learner``, if present, may only name learners that are run; ``lr_grid`` and
    ``validation_fraction`` as :func:`.lr_search.check_lr_search`.
    """
    resolve_data_path(p["data"]["path"])
    check_lr_search(p)
    check_names("learners", p["learners"], [*BACKWARD_LEARNERS, "forward_forward"])
    for name in p.get("lr_by_learner", {}):
        if name not in p["learners"]:
            raise ConfigError(f"lr_by_learner.{name}", "not one of the learners run", one_of(p["learners"]))
    for key, hidden in networks.items():
        if not hidden or min(hidden) < 1:
            raise ConfigError(key, f"got {hidden}", "expected hidden widths >= 1")
    if p["optimizer"] not in OPTIMIZERS:
        raise ConfigError("optimizer", f"unknown optimizer {p['optimizer']!r}", one_of(OPTIMIZERS))
    for key, value in [
        *((f"epochs.{k}", v) for k, v in p["epochs"].items()),
        *((k, p[k]) for k in ("batch_size", "blas_threads", *counts)),
    ]:
        if value < 1:
            raise ConfigError(key, f"got {value}", "expected an integer >= 1")

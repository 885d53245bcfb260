"""Losses over a batch: the mean over examples of a per-example cost, and its gradient.

Every loss takes the network's output (after its output activation) and integer class labels,
and returns the mean cost over the batch together with ``dL/d output`` (which therefore carries
the ``1/batch`` factor). The cross-entropy losses include their own squashing and expect a
``linear`` output layer, i.e. they take logits.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..errors import ConfigError, one_of

Array = np.ndarray


def one_hot(labels: Array, n_classes: int) -> Array:
    """Rows of zeros with a one at each label."""
    out = np.zeros((len(labels), n_classes))
    out[np.arange(len(labels)), labels] = 1.0
    return out


def softmax(logits: Array) -> Array:
    """Row-wise softmax of ``logits`` (batch, classes): class probabilities that sum to 1 per row.

    The row maximum is subtracted before ``exp``, so large logits do not overflow.
    """
    shifted = logits - logits.max(axis=1, keepdims=True)
    e = np.exp(shifted)
    return e / e.sum(axis=1, keepdims=True)


def _softmax_cross_entropy(logits: Array, labels: Array) -> tuple[float, Array]:
    n = len(labels)
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    value = -log_p[np.arange(n), labels].mean()
    return float(value), (np.exp(log_p) - one_hot(labels, logits.shape[1])) / n


def _sigmoid_cross_entropy(logits: Array, labels: Array) -> tuple[float, Array]:
    """Independent sigmoid outputs, cost summed over outputs (Nielsen's ``CrossEntropyCost``)."""
    n = len(labels)
    y = one_hot(labels, logits.shape[1])
    # -[y log s(z) + (1-y) log(1-s(z))] = softplus(z) - y z, computed stably.
    per_unit = np.logaddexp(0.0, logits) - y * logits
    p = 0.5 * (1.0 + np.tanh(0.5 * logits))
    return float(per_unit.sum() / n), (p - y) / n


def _squared_error(output: Array, labels: Array) -> tuple[float, Array]:
    """Half the squared distance to the one-hot target, summed over outputs."""
    n = len(labels)
    diff = output - one_hot(labels, output.shape[1])
    return float(0.5 * (diff**2).sum() / n), diff / n


@dataclass(frozen=True)
class Loss:
    """``evaluate(output, labels) -> (mean cost, dL/d output)``.

    ``needs_linear_output`` marks losses that take logits.
    """

    name: str
    evaluate: Callable[[Array, Array], tuple[float, Array]]
    needs_linear_output: bool


def trial_costs(output: Array, targets: Array) -> Array:
    """``c = 1/2 |y - t|^2`` of every trial, over any leading axes of ``output``."""
    return 0.5 * np.sum((output - targets) ** 2, axis=-1)


def _regression_squared_error(output: Array, targets: Array) -> tuple[float, Array]:
    return float(trial_costs(output, targets).mean()), (output - targets) / len(targets)


#: The mean of :func:`trial_costs` over a batch and its gradient, as a :class:`Loss` whose
#: "labels" are real-valued targets (what the reward-based estimators learn from).
REGRESSION_LOSS = Loss("regression_squared_error", _regression_squared_error, needs_linear_output=False)

LOSSES: dict[str, Loss] = {
    "softmax_cross_entropy": Loss("softmax_cross_entropy", _softmax_cross_entropy, True),
    "sigmoid_cross_entropy": Loss("sigmoid_cross_entropy", _sigmoid_cross_entropy, True),
    "squared_error": Loss("squared_error", _squared_error, False),
}


def make_loss(name: str) -> Loss:
    """The loss of :data:`LOSSES` named ``name``; an unknown name is a ConfigError listing the known ones."""
    if name not in LOSSES:
        raise ConfigError("loss", f"unknown loss {name!r}", one_of(LOSSES))
    return LOSSES[name]

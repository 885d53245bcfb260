"""Adversarial perturbations of the input: FGSM and PGD, from any source of input gradients.

An attack needs ``dL/dx``, the gradient of the loss with respect to the input. Where it comes
from is a :data:`GradientFn`, so one attack serves every setting:

- *white box*: the attacked network's own true gradient (:func:`input_gradient`);
- *transfer*: another network's true gradient (the perturbed images are then shown to others);
- *feedback path*: the "gradient" a learner's own feedback matrices send to the input
  (``feedback=learner.feedback``), what Akrout (2019) attacked feedback-alignment networks with.

FGSM (Goodfellow, Shlens & Szegedy 2015): ``x' = clip(x + eps sign(dL/dx))``. PGD (Madry et al.
2018): from a random point of the L-infinity ball of radius ``eps``, repeated signed steps, each
followed by projection onto the ball and onto the valid pixel range.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np

from .losses import Loss
from .network import Architecture, Feedback, backward_errors, forward

Array = np.ndarray
#: ``gradient(x, labels) -> dL/dx`` (same shape as ``x``).
GradientFn = Callable[[Array, Array], Array]
#: ``classify(x) -> predicted labels``.
Classifier = Callable[[Array], Array]
#: ``attack(gradient, x, labels, eps) -> perturbed x``.
Attack = Callable[[GradientFn, Array, Array, float], Array]
Bounds = tuple[float, float] | None


def input_gradient(
    arch: Architecture, params: Mapping[str, Array], loss: Loss, feedback: Feedback | None = None
) -> GradientFn:
    """``dL/dx`` of a network: exact with ``feedback=None``, else through the given feedback."""

    def gradient(x: Array, labels: Array) -> Array:
        cache = forward(arch, params, x)
        _, dloss_doutput = loss.evaluate(cache.output, labels)
        errors, _ = backward_errors(arch, params, cache, arch.n_layers, dloss_doutput, feedback)
        return errors[0]

    return gradient


def classifier(arch: Architecture, params: Mapping[str, Array]) -> Classifier:
    """The network's predicted class: arg-max of its output."""
    return lambda x: forward(arch, params, x).output.argmax(axis=1)


def _clip(x: Array, bounds: Bounds) -> Array:
    return x if bounds is None else np.clip(x, *bounds)


def fgsm(gradient: GradientFn, x: Array, labels: Array, eps: float, bounds: Bounds = (0.0, 1.0)) -> Array:
    """Fast gradient sign method: one step of size ``eps`` along ``sign(dL/dx)``."""
    return _clip(x + eps * np.sign(gradient(x, labels)), bounds)


def pgd(
    gradient: GradientFn,
    x: Array,
    labels: Array,
    eps: float,
    steps: int = 20,
    step_size: float | None = None,
    rng: np.random.Generator | None = None,
    bounds: Bounds = (0.0, 1.0),
) -> Array:
    """Projected gradient descent (ascent on the loss) in the L-infinity ball of radius ``eps``.

    Starts from a uniform random point of the ball when ``rng`` is given, else from ``x``;
    ``step_size`` defaults to ``2.5 eps / steps`` (Madry et al.).
    """
    if eps == 0:
        return np.array(x, dtype=float)
    alpha = 2.5 * eps / steps if step_size is None else step_size
    start = x if rng is None else x + rng.uniform(-eps, eps, x.shape)
    adv = _clip(start, bounds)
    for _ in range(steps):
        adv = adv + alpha * np.sign(gradient(adv, labels))
        adv = _clip(np.clip(adv, x - eps, x + eps), bounds)
    return adv


def accuracy_vs_epsilon(
    attack: Attack,
    gradient: GradientFn,
    targets: Mapping[str, Classifier],
    x: Array,
    labels: Array,
    epsilons: Sequence[float],
) -> dict[str, list[float]]:
    """Accuracy of each target on the images perturbed by ``attack`` from ``gradient``.

    The perturbed images are made once per ``eps`` and shown to every target, so a target other
    than the gradient's own network measures transfer.
    """
    curves: dict[str, list[float]] = {name: [] for name in targets}
    for eps in epsilons:
        adv = attack(gradient, x, labels, eps)
        for name, classify in targets.items():
            curves[name].append(float(np.mean(classify(adv) == labels)))
    return curves

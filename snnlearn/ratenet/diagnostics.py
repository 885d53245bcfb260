"""Measurements of a network and of its learning: gradient norms per layer, finite-difference
gradients, Jacobian importance between layers, and the memory a learning step allocates.
"""

from __future__ import annotations

import tracemalloc
from collections.abc import Callable, Mapping, MutableMapping, Sequence
from typing import Any

import numpy as np

from .network import Architecture, ForwardCache, backward_errors, bias_name, forward, weight_name

Array = np.ndarray


def layer_grad_norms(
    arch: Architecture,
    grads: Mapping[str, Array],
    part: str = "weights",
) -> list[float]:
    """Euclidean norm of the gradient of each layer ``1..L``, over its weights or its bias.

    ``part="biases"`` is the quantity Nielsen plots as a layer's "speed of learning"
    (Neural Networks and Deep Learning, ch. 5): ``|| dC/db^l ||``.
    """
    norms = []
    for layer in range(1, arch.n_layers + 1):
        if part == "biases":
            names = [bias_name(layer)]
        else:
            names = [weight_name(layer, k) for k in arch.sources(layer)]
        norms.append(float(np.sqrt(sum(np.sum(grads[n] ** 2) for n in names))))
    return norms


def finite_difference_gradients(
    fn: Callable[[MutableMapping[str, Array]], float],
    params: MutableMapping[str, Array],
    eps: float = 1e-6,
) -> dict[str, Array]:
    """Central differences ``(fn(p + eps) - fn(p - eps)) / 2 eps`` for every parameter entry.

    Each entry is perturbed in place and restored; cost is two calls of ``fn`` per entry.
    """
    grads = {}
    for name, value in params.items():
        g = np.zeros_like(value, dtype=float)
        for idx in np.ndindex(value.shape):
            old = value[idx]
            value[idx] = old + eps
            plus = fn(params)
            value[idx] = old - eps
            minus = fn(params)
            value[idx] = old
            g[idx] = (plus - minus) / (2 * eps)
        grads[name] = g
    return grads


def jacobian_importance(
    arch: Architecture, params: Mapping[str, Array], x: Array, target: int, chunk: int = 64
) -> list[Array]:
    """Mean over inputs of ``|d h_target[j] / d h_k[i]|`` for every layer ``k < target``.

    The derivative is the total one, through every path from layer ``k`` to the target (skip
    connections included): the backward pass started from a one-hot error on each target neuron.
    Returns one array (n_target, n_k) per layer ``k = 0..target-1`` (``k = 0`` is the input).
    """
    n_target = arch.sizes[target]
    seeds = np.eye(n_target)
    totals = [np.zeros((n_target, n)) for n in arch.sizes[:target]]
    for start in range(0, len(x), chunk):
        cache = forward(arch, params, x[start : start + chunk])
        batch = len(cache.h[0])
        # One row per (input, target neuron): repeat each input's pre-activations n_target times.
        repeated = ForwardCache(
            h=[], z=[None if z is None else np.repeat(z, n_target, axis=0) for z in cache.z[: target + 1]]
        )
        e, _ = backward_errors(arch, params, repeated, target, np.tile(seeds, (batch, 1)))
        for k in range(target):
            totals[k] += np.abs(e[k]).reshape(batch, n_target, -1).sum(axis=0)
    return [t / len(x) for t in totals]


def top_k_sources(importance: Sequence[Array], layers: Sequence[int], k: int = 5) -> tuple[Array, Array]:
    """For each target neuron, the layers and the neuron indices of its ``k`` most important
    neurons among ``layers``: two (n_target, k) arrays, most important first.

    ``importance`` is the output of :func:`jacobian_importance`.
    """
    scores = np.concatenate([importance[layer] for layer in layers], axis=1)
    layer_of = np.concatenate([np.full(importance[layer].shape[1], layer) for layer in layers])
    index_of = np.concatenate([np.arange(importance[layer].shape[1]) for layer in layers])
    order = np.argsort(-scores, axis=1, kind="stable")[:, :k]
    return layer_of[order], index_of[order]


def top_k_layers(importance: Sequence[Array], layers: Sequence[int], k: int = 5) -> Array:
    """For each target neuron, the layers of its ``k`` most important neurons among ``layers``
    ((n_target, k) layer indices, most important first; see :func:`top_k_sources`)."""
    return top_k_sources(importance, layers, k)[0]


def identity_path_fraction(importance: Sequence[Array], layers: Sequence[int], k: int = 5) -> float:
    """Fraction of the top-``k`` sources of the target neurons that sit on a residual network's
    identity path: neuron ``j`` of an earlier layer for target neuron ``j`` (He et al. 2016,
    h_l = h_{l-1} + f(z_l) carries h_k[j] unchanged to h_l[j]). Without an identity path (or
    with widths that differ) the same fraction is what chance gives, about k' / width per source."""
    _, index = top_k_sources(importance, layers, k)
    return float(np.mean(index == np.arange(index.shape[0])[:, None]))


def peak_allocated_bytes(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[Any, int]:
    """Call ``fn`` and return its result and the peak of memory allocated during the call.

    Measured with :mod:`tracemalloc` (NumPy reports its array buffers to it), relative to what
    was allocated before the call; memory freed before the call returns still counts at its peak.
    """
    was_tracing = tracemalloc.is_tracing()
    if not was_tracing:
        tracemalloc.start()
    try:
        before, _ = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        result = fn(*args, **kwargs)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        if not was_tracing:
            tracemalloc.stop()
    return result, peak - before


def cache_bytes(arch: Architecture, batch: int, itemsize: int = 8) -> int:
    """Bytes of what the forward pass keeps for backprop: ``z_l`` and ``h_l`` of layers 1..L.

    (The input itself is given, not produced, so it is not counted.)
    """
    return itemsize * batch * 2 * sum(arch.sizes[1:])


def linear_slope(curve: Mapping[float, float]) -> float:
    """Units of y per unit of x of a straight line fitted to ``{x: y}`` (bytes per step, per layer)."""
    return float(np.polyfit(np.asarray(list(curve), float), np.asarray(list(curve.values()), float), 1)[0])

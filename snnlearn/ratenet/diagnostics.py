"""Measurements of a network and of its learning: per-layer gradient norms, Jacobian importance,
and the memory a learning step allocates.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from .network import Architecture, bias_name, weight_name

Array = np.ndarray


def layer_grad_norms(arch: Architecture, grads: Mapping[str, Array], part: str = "weights",
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

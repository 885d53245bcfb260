"""Optimisers over a parameter dict: minibatch SGD (with momentum) and Adam (Kingma & Ba 2015).

``step(params, grads)`` updates ``params`` in place, for the names present in ``grads``.
"""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping

import numpy as np

from ..errors import ConfigError, one_of

Array = np.ndarray


class SGD:
    """``v = momentum v - lr g``; ``p += v`` (plain SGD when momentum is 0)."""

    def __init__(self, lr: float = 0.1, momentum: float = 0.0) -> None:
        self.lr, self.momentum = lr, momentum
        self.velocity: dict[str, Array] = {}

    def step(self, params: MutableMapping[str, Array], grads: Mapping[str, Array]) -> None:
        """One SGD step per name in ``grads``: ``v = momentum v - lr g`` (``v`` starts at 0), then ``p += v``.

        The arrays of ``params`` are updated in place; each name keeps its own velocity.
        """
        for name, g in grads.items():
            v = self.momentum * self.velocity.get(name, 0.0) - self.lr * g
            self.velocity[name] = v
            params[name] += v


class Adam:
    """Adam with bias-corrected first and second moment estimates."""

    def __init__(self, lr: float = 1e-3, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8) -> None:
        self.lr, self.beta1, self.beta2, self.eps = lr, beta1, beta2, eps
        self.m: dict[str, Array] = {}
        self.v: dict[str, Array] = {}
        self.t = 0

    def step(self, params: MutableMapping[str, Array], grads: Mapping[str, Array]) -> None:
        """One Adam step on the names in ``grads``, in place (Kingma & Ba 2015, Algorithm 1).

        The moment estimates ``m``, ``v`` are kept per name; the bias correction uses the number of
        steps taken by this optimiser, counted once per call.
        """
        self.t += 1
        for name, g in grads.items():
            self.m[name] = self.beta1 * self.m.get(name, 0.0) + (1 - self.beta1) * g
            self.v[name] = self.beta2 * self.v.get(name, 0.0) + (1 - self.beta2) * g * g
            m_hat = self.m[name] / (1 - self.beta1**self.t)
            v_hat = self.v[name] / (1 - self.beta2**self.t)
            params[name] -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)


OPTIMIZERS = {"sgd": SGD, "adam": Adam}


def make_optimizer(name: str, lr: float, **options) -> SGD | Adam:
    """The optimiser named ``name`` (``sgd`` or ``adam``) with learning rate ``lr``.

    ``options`` go to its constructor (``momentum`` for SGD; ``beta1``, ``beta2``, ``eps`` for
    Adam). An unknown name is a ConfigError listing the known ones.
    """
    if name not in OPTIMIZERS:
        raise ConfigError("optimizer", f"unknown optimizer {name!r}", one_of(OPTIMIZERS))
    return OPTIMIZERS[name](lr=lr, **options)


class ClipNorm:
    """Scales the update down to a global norm of at most ``max_norm`` before ``optimizer`` applies it.

    Gradient clipping (Pascanu, Mikolov & Bengio 2013): BPTT through long sequences has rare huge
    gradients that would throw the weights far off; ``max_norm`` None or <= 0 passes them unchanged.
    """

    def __init__(self, optimizer: SGD | Adam, max_norm: float | None) -> None:
        self.optimizer, self.max_norm = optimizer, max_norm

    def step(self, params: MutableMapping[str, Array], grads: Mapping[str, Array]) -> None:
        """Scale ``grads`` down to a global norm of at most ``max_norm``, then apply them with ``optimizer``.

        The norm is taken over all arrays of ``grads`` together, so the direction of the update is
        kept; ``grads`` itself is not modified. Without a positive ``max_norm`` they pass unchanged.
        """
        if self.max_norm:
            norm = float(np.sqrt(sum(np.sum(g * g) for g in grads.values())))
            if norm > self.max_norm:
                grads = {k: g * (self.max_norm / norm) for k, g in grads.items()}
        self.optimizer.step(params, grads)

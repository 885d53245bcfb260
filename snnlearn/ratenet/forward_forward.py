"""Forward-Forward (Hinton 2022): two forward passes, a goodness per layer, no backward pass.

Hinton, G. (2022) "The Forward-Forward Algorithm: Some Preliminary Investigations", arXiv:2212.13345.
The hidden layer sees *positive* data (an image with its correct label written into the first
``n_classes`` input features, one-hot) and *negative* data (the same image with a wrong label
drawn at random). Its goodness is the sum of its squared activities, ``G = sum_j h_j^2``; its
objective is a logistic loss that pushes ``G`` above a threshold ``theta`` for positive data and
below it for negative data,

    L_hidden = mean_b [ softplus(theta - G_pos) + softplus(G_neg - theta) ],   theta = threshold * n_hidden,

whose gradient involves the layer's own input, activity and activation derivative only (no
error arrives from above, no weight is transported). The readout learns from its own error
(the delta rule on the hidden activities of the plain image), so that the network's output is
the one :func:`~.network.forward` computes and the learner sits in the same training loop and
evaluation as backprop and feedback alignment. Hinton trains a linear classifier on the hidden
activities in the same way.

One hidden layer (``Architecture((n_in, n_hidden, n_out))``, no skips): deeper Forward-Forward
networks pass length-normalised activities between layers, which the plain forward pass of
:mod:`.network` does not compute.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from ..errors import ConfigError
from ..registry import Properties, register
from .learner import Learner
from .losses import Loss
from .network import Architecture, Params, bias_name, forward, weight_name

Array = np.ndarray


def embed_labels(x: Array, labels: Array, n_classes: int) -> Array:
    """``x`` with its first ``n_classes`` features replaced by the one-hot ``labels``."""
    out = np.array(x, dtype=float, copy=True)
    out[:, :n_classes] = 0.0
    out[np.arange(len(x)), labels] = 1.0
    return out


def _sigmoid(z: Array) -> Array:
    return 0.5 * (1.0 + np.tanh(0.5 * z))


class ForwardForward(Learner):
    """Forward-Forward: the hidden layer separates positive from negative data by its goodness."""

    name = "forward_forward"
    properties = Properties(
        "rate",
        differentiable_activation=True,
        hard_threshold=False,
        local=True,
        weight_transport=False,
        stores_activations=False,
        scalar_reward=False,
    )

    def __init__(self, threshold: float = 0.3, hidden_weight: float = 1.0) -> None:
        #: the goodness that separates positive from negative data, per hidden unit (a sigmoid
        #: unit's squared activity is at most 1; 0.3 was the best of 0.02, 0.1 and 0.3 on the digits)
        self.threshold = float(threshold)
        #: the weight of the hidden layer's goodness loss against the readout's loss
        self.hidden_weight = float(hidden_weight)

    def update(
        self, arch: Architecture, params: Mapping[str, Array], x: Array, y: Array, loss: Loss, rng: np.random.Generator
    ) -> Params:
        if arch.n_layers != 2 or arch.skip != "none":
            raise ConfigError(
                "networks",
                f"forward_forward takes one hidden layer, got sizes {arch.sizes}",
                "e-g. [100]: a network (n_in, hidden, n_out) without skips",
            )
        n_classes = arch.sizes[-1]
        if arch.sizes[0] < n_classes:
            raise ConfigError(
                "networks", "forward_forward writes the label into the input", f"at least {n_classes} input features"
            )
        labels = np.asarray(y) if np.ndim(y) == 1 else np.argmax(y, axis=1)
        wrong = (labels + rng.integers(1, n_classes, len(labels))) % n_classes
        w_name, b_name = weight_name(1, 0), bias_name(1)
        act = arch.activation_of(1)
        batch, theta = len(labels), self.threshold * arch.sizes[1]
        grads = {name: np.zeros_like(p) for name, p in params.items()}
        for data, sign in ((embed_labels(x, labels, n_classes), -1.0), (embed_labels(x, wrong, n_classes), 1.0)):
            z = data @ params[w_name].T + params[b_name]
            h = act.f(z)
            goodness = np.sum(h * h, axis=1)
            # d/dG of softplus(theta - G) is -sigmoid(theta - G); of softplus(G - theta), sigmoid(G - theta)
            d_goodness = sign * _sigmoid(sign * (goodness - theta)) / batch
            delta = self.hidden_weight * d_goodness[:, None] * 2.0 * h * act.df(z)
            grads[w_name] += delta.T @ data
            grads[b_name] += delta.sum(axis=0)
        cache = forward(arch, params, x)  # the readout: the delta rule on the plain image's activities
        _, dout = loss.evaluate(cache.output, y)
        delta_out = dout * arch.activation_of(2).df(cache.z[2])
        grads[weight_name(2, 1)] = delta_out.T @ cache.h[1]
        grads[bias_name(2)] = delta_out.sum(axis=0)
        return grads


register(ForwardForward.name, ForwardForward.properties, (ForwardForward.__doc__ or "").split("\n")[0], ForwardForward)

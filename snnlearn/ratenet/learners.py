"""Learners that send an error vector back through the network: backprop and its relatives.

Each is a :class:`~.learner.Learner`: from a batch it runs the forward pass, takes ``dL/d output``
from the loss and returns a gradient-like update for each parameter (an optimiser then applies
it). :meth:`ChainLearner.gradients` does the backward part from a given forward cache, which is
also how the alignment angles (:func:`update_angles`) and the feedback-path attacks see it.

:class:`ChainLearner` sends the error down layer by layer; what distinguishes one chain rule
from another is only the matrix each error travels back through (:meth:`ChainLearner.feedback`).
:class:`Backprop` uses the forward weights themselves, which gives the exact gradient.

Backprop needs the forward weights on the way back (the weight transport problem); the other
learners do without them, or with less of them:

- :class:`FeedbackAlignment` (Lillicrap et al. 2016, Nat Commun 7:13276): fixed random matrices;
- :class:`SignSymmetry` (Liao, Leibo & Poggio 2016, AAAI): only the signs of the forward weights
  (and their mean magnitude);
- :class:`DirectFeedbackAlignment` (Nokland 2016, NeurIPS): the output error goes straight to
  every hidden layer through its own fixed random matrix;
- :class:`OutputOnly`: no error reaches the hidden layers, which keep their random weights (the
  "shallow" baseline of Lillicrap et al.).

Every class here is registered (:mod:`snnlearn.registry`) with its declared properties, and
built by name with :func:`~.learner.make_learner`.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Mapping

import numpy as np

from ..errors import ConfigError
from ..registry import Properties, register
from .learner import Learner, make_learner  # noqa: F401 - make_learner: the factory, also here
from .losses import Loss
from .network import (
    Architecture,
    ForwardCache,
    Params,
    backward,
    forward,
    layer_param_names,
    weight_gradients,
)

Array = np.ndarray


class BackwardLearner(Learner):
    """A learner whose update is a backward pass from ``dL/d output`` over a forward cache."""

    @abstractmethod
    def gradients(
        self, arch: Architecture, params: Mapping[str, Array], cache: ForwardCache, dloss_doutput: Array
    ) -> Params:
        """One update per parameter name, from a batch's forward cache and ``dL/d output``."""

    def update(
        self, arch: Architecture, params: Mapping[str, Array], x: Array, y: Array, loss: Loss, rng: np.random.Generator
    ) -> Params:
        cache = forward(arch, params, x)
        _, dout = loss.evaluate(cache.output, y)
        return self.gradients(arch, params, cache, dout)


class ChainLearner(BackwardLearner):
    """Errors travel down through a matrix per weight: ``e_k += delta_l @ feedback(W_{l,k})``."""

    @abstractmethod
    def feedback(self, name: str, weight: Array) -> Array:
        """The matrix (shape of ``weight``) that carries errors back across weight ``name``."""

    def gradients(
        self, arch: Architecture, params: Mapping[str, Array], cache: ForwardCache, dloss_doutput: Array
    ) -> Params:
        return backward(arch, params, cache, dloss_doutput, self.feedback)


class Backprop(ChainLearner):
    """The exact gradient: errors travel back through the transposed forward weights."""

    name = "backprop"
    properties = Properties(
        "rate",
        differentiable_activation=True,
        hard_threshold=False,
        local=False,
        weight_transport=True,
        stores_activations=True,
        scalar_reward=False,
    )

    def feedback(self, name: str, weight: Array) -> Array:
        return weight


class RandomMatrices:
    """Fixed random matrices, each drawn once on first request from ``rng`` (seed 0 if none).

    Entries are Gaussian with standard deviation ``scale * sqrt(2 / (rows + columns))``, the
    spread of Xavier-initialised forward weights of the same shape (a stack of matrices, shape
    ``(n, rows, columns)``, has one independent matrix per network). ``matrices`` presets some.
    """

    def __init__(
        self, rng: np.random.Generator | None = None, scale: float = 1.0, matrices: Mapping[str, Array] | None = None
    ) -> None:
        if scale <= 0:
            raise ConfigError("scale", f"got {scale}", "expected a positive feedback scale")
        self.rng = rng if rng is not None else np.random.default_rng(0)
        self.scale = scale
        self.matrices = {key: np.asarray(m, dtype=float) for key, m in (matrices or {}).items()}

    def get(self, key: str, shape: tuple[int, ...]) -> Array:
        """The matrix stored under ``key``, drawn now with ``shape`` if there is none yet."""
        if key not in self.matrices:
            std = self.scale * np.sqrt(2.0 / sum(shape[-2:]))
            self.matrices[key] = self.rng.normal(0.0, std, shape)
        matrix = self.matrices[key]
        if matrix.shape != tuple(shape):
            raise ValueError(f"feedback matrix {key} has shape {matrix.shape}, expected {shape}")
        return matrix


class RandomFeedback:
    """What the random-feedback learners share: their :class:`RandomMatrices` and its settings."""

    def __init__(
        self, rng: np.random.Generator | None = None, scale: float = 1.0, matrices: Mapping[str, Array] | None = None
    ) -> None:
        self.random = RandomMatrices(rng, scale, matrices)

    @property
    def scale(self) -> float:
        """The feedback matrices' spread relative to Xavier-initialised weights (see :class:`RandomMatrices`)."""
        return self.random.scale

    @property
    def matrices(self) -> dict[str, Array]:
        """The feedback matrices drawn or preset so far, by the name of the weight each stands for."""
        return self.random.matrices


class FeedbackAlignment(RandomFeedback, ChainLearner):
    """Errors travel back through fixed random matrices ``B`` (one per weight), never through W.

    Lillicrap et al. (2016): the forward weights come to align with ``B``, so that ``B`` carries
    useful errors. ``matrices`` maps weight names to preset ``B`` (each of its weight's shape).
    """

    name = "feedback_alignment"
    properties = Properties(
        "rate",
        differentiable_activation=True,
        hard_threshold=False,
        local=False,
        weight_transport=False,
        stores_activations=True,
        scalar_reward=False,
    )

    def feedback(self, name: str, weight: Array) -> Array:
        return self.random.get(name, weight.shape)


class SignSymmetry(ChainLearner):
    """Errors travel back through ``sign(W)``: the signs of the forward weights, not their values.

    Liao, Leibo & Poggio (2016) kept the ``+-1`` feedback in scale with batch normalisation;
    here, with ``scaled`` (the default), ``sign(W)`` is multiplied by the mean ``|W|`` of the
    matrix (one number per layer), which gives the feedback the size of the forward weights.
    """

    name = "sign_symmetry"
    #: it reads the forward weights on the way back (their signs and mean magnitude): a weaker
    #: weight transport, but still one
    properties = Properties(
        "rate",
        differentiable_activation=True,
        hard_threshold=False,
        local=False,
        weight_transport=True,
        stores_activations=True,
        scalar_reward=False,
    )

    def __init__(self, scaled: bool = True) -> None:
        self.scaled = scaled

    def feedback(self, name: str, weight: Array) -> Array:
        signs = np.sign(weight)
        if not self.scaled:
            return signs
        return signs * np.mean(np.abs(weight), axis=(-2, -1), keepdims=True)


class OutputOnly(ChainLearner):
    """Only the output layer learns: no error travels back, hidden weights stay as initialised."""

    name = "output_only"
    #: the output layer's delta rule: its own error times the presynaptic activity; hidden units
    #: may be hard thresholds (no derivative of theirs is used), they do not learn
    properties = Properties(
        "rate",
        differentiable_activation=False,
        hard_threshold=True,
        local=True,
        weight_transport=False,
        stores_activations=False,
        scalar_reward=False,
    )

    def feedback(self, name: str, weight: Array) -> Array:
        return np.zeros_like(weight)


class DirectFeedbackAlignment(RandomFeedback, BackwardLearner):
    """Every hidden layer receives the output error directly: ``e_l = delta_L B_l``.

    Nokland (2016). ``B_l`` (n_out, n_l) is fixed and random; ``matrices`` maps ``"h{l}"`` to a
    preset one. The output layer learns from its own error, as in backprop.
    """

    name = "direct_feedback_alignment"
    properties = Properties(
        "rate",
        differentiable_activation=True,
        hard_threshold=False,
        local=False,
        weight_transport=False,
        stores_activations=True,
        scalar_reward=False,
    )

    def gradients(
        self, arch: Architecture, params: Mapping[str, Array], cache: ForwardCache, dloss_doutput: Array
    ) -> Params:
        top = arch.n_layers
        deltas: list[Array | None] = [None] * (top + 1)
        deltas[top] = dloss_doutput * arch.activation_of(top).df(cache.z[top])
        for layer in range(1, top):
            matrix = self.random.get(f"h{layer}", (arch.sizes[top], arch.sizes[layer]))
            deltas[layer] = (deltas[top] @ matrix) * arch.activation_of(layer).df(cache.z[layer])
        return weight_gradients(arch, cache, deltas)


#: the learners that send an error vector back through the network, by name
BACKWARD_LEARNERS: tuple[str, ...] = (
    "backprop",
    "feedback_alignment",
    "sign_symmetry",
    "output_only",
    "direct_feedback_alignment",
)

for _learner in (Backprop, FeedbackAlignment, SignSymmetry, OutputOnly, DirectFeedbackAlignment):
    register(_learner.name, _learner.properties, (_learner.__doc__ or "").split("\n")[0], _learner)


def angle_deg(a: Array, b: Array) -> float:
    """The angle in degrees between two arrays seen as vectors (NaN if either is zero).

    Computed as ``2 atan2(|u - v|, |u + v|)`` of the unit vectors, accurate near 0 and 180
    degrees where ``arccos`` of the cosine is not.
    """
    norm_a, norm_b = np.linalg.norm(a), np.linalg.norm(b)
    if norm_a == 0 or norm_b == 0:
        return float("nan")
    u, v = np.ravel(a) / norm_a, np.ravel(b) / norm_b
    return float(np.degrees(2 * np.arctan2(np.linalg.norm(u - v), np.linalg.norm(u + v))))


def update_angles(
    arch: Architecture, params: Mapping[str, Array], learner: BackwardLearner, cache: ForwardCache, dloss_doutput: Array
) -> list[float]:
    """Per hidden layer ``1..L-1``, the angle (degrees) between the learner's update of its
    weights and bias and the true gradient on the same batch; NaN where the update is zero.

    0 degrees is the gradient's direction, 90 orthogonal to it. Lillicrap et al. (2016, Fig. 2)
    show it for feedback alignment: near 90 at the start, then well below.
    """
    ours = learner.gradients(arch, params, cache, dloss_doutput)
    true = backward(arch, params, cache, dloss_doutput)
    angles = []
    for layer in range(1, arch.n_layers):
        names = layer_param_names(arch, layer)
        angles.append(
            angle_deg(
                np.concatenate([ours[n].ravel() for n in names]), np.concatenate([true[n].ravel() for n in names])
            )
        )
    return angles

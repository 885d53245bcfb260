"""Multi-layer rate networks: architecture, parameters, forward pass and the backward pass.

Layers are numbered ``0`` (the input) to ``L`` (the output). Layer ``l >= 1`` computes

    z_l = b_l + sum_{k in sources(l)} h_k W_{l,k}^T        (+ optional noise on z_l)
    h_l = f_l(z_l)  (+ h_{l-1} for a residual layer)

with three skip modes: ``none`` (sources(l) = {l-1}), ``residual`` (hidden layers after the first
add their input, He et al. 2016) and ``dense`` (every earlier layer, the input included, feeds
layer l, Huang et al. 2017). Parameters are a flat ``dict`` of arrays named ``W{l}_{k}`` and
``b{l}``, so optimisers, learners and gradient estimators all work on the same mapping.

Arrays may carry leading axes: :func:`forward` runs a stack of ``n`` networks at once when the
weights are ``(n, out, in)`` and the biases ``(n, 1, out)``, or one network on ``(n, batch, in)``
inputs or noise; :func:`weight_gradients` then returns stacked gradients, one per leading index.

The backward pass is split so that its parts can be swapped:
:func:`backward_errors` sends ``dX/dh`` down from any layer through a *feedback* matrix per weight
(``W`` itself for backprop; another rule supplies its own), and :func:`weight_gradients` turns
the per-layer errors into weight and bias gradients.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from ..errors import ConfigError, one_of
from .activations import Activation, make_activation

Array = np.ndarray
Params = dict[str, Array]
#: ``feedback(weight_name, W) -> M``: the matrix that carries ``delta_l`` to ``e_k``
#: as ``delta_l @ M`` (``M = W`` for backprop).
Feedback = Callable[[str, Array], Array]

SKIP_MODES = ("none", "residual", "dense")
INIT_SCHEMES = ("lecun", "xavier", "he", "nielsen")


def weight_name(layer: int, source: int) -> str:
    """The parameter name of the weights from layer ``source`` into layer ``layer``: ``W{layer}_{source}``."""
    return f"W{layer}_{source}"


def bias_name(layer: int) -> str:
    """The parameter name of layer ``layer``'s bias: ``b{layer}``."""
    return f"b{layer}"


@dataclass(frozen=True)
class Architecture:
    """Layer sizes ``(n_in, hidden..., n_out)``, activations and skip mode of an MLP."""

    sizes: tuple[int, ...]
    activation: str = "sigmoid"
    output_activation: str = "linear"
    skip: str = "none"
    surrogate_beta: float = 5.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "sizes", tuple(int(n) for n in self.sizes))
        if len(self.sizes) < 2 or min(self.sizes) < 1:
            raise ConfigError("sizes", f"got {self.sizes}", "expected (n_in, ..., n_out), all >= 1")
        if self.skip not in SKIP_MODES:
            raise ConfigError("skip", f"unknown skip mode {self.skip!r}", one_of(SKIP_MODES))
        hidden = self.sizes[1:-1]
        if self.skip == "residual" and len(set(hidden)) > 1:
            raise ConfigError(
                "sizes",
                f"residual layers need equal hidden widths, got {hidden}",
                "give every hidden layer the same width",
            )
        for name in (self.activation, self.output_activation):
            make_activation(name, self.surrogate_beta)  # an unknown name is a ConfigError now

    @property
    def n_layers(self) -> int:
        """Number of weight layers ``L`` (hidden layers plus the output layer)."""
        return len(self.sizes) - 1

    @cached_property
    def hidden_activation(self) -> Activation:
        """The activation of the hidden layers (:attr:`activation`), made once."""
        return make_activation(self.activation, self.surrogate_beta)

    @cached_property
    def out_activation(self) -> Activation:
        """The activation of the output layer (:attr:`output_activation`), made once."""
        return make_activation(self.output_activation, self.surrogate_beta)

    def activation_of(self, layer: int) -> Activation:
        """The activation of layer ``layer`` (1 to ``n_layers``): the output's for the last, else the hidden one."""
        return self.out_activation if layer == self.n_layers else self.hidden_activation

    def sources(self, layer: int) -> tuple[int, ...]:
        """The layers whose activity feeds layer ``layer`` through a weight matrix."""
        return tuple(range(layer)) if self.skip == "dense" else (layer - 1,)

    def is_residual(self, layer: int) -> bool:
        """True when layer ``layer`` adds its input ``h_{layer-1}`` to ``f(z)``."""
        return self.skip == "residual" and 2 <= layer < self.n_layers

    def param_shapes(self) -> dict[str, tuple[int, ...]]:
        """The shape of every parameter, by name: ``W{l}_{k}`` is ``(sizes[l], sizes[k])``, ``b{l}`` is ``(sizes[l],)``.

        In the order :func:`init_params` creates them: layer by layer, each layer's weights (one per
        source, several in dense mode) before its bias.
        """
        shapes: dict[str, tuple[int, ...]] = {}
        for layer in range(1, self.n_layers + 1):
            for source in self.sources(layer):
                shapes[weight_name(layer, source)] = (self.sizes[layer], self.sizes[source])
            shapes[bias_name(layer)] = (self.sizes[layer],)
        return shapes

    def fan_in(self, layer: int) -> int:
        """The number of inputs of one unit of layer ``layer``: the summed sizes of its source layers."""
        return sum(self.sizes[k] for k in self.sources(layer))


def init_params(arch: Architecture, rng: np.random.Generator, scheme: str = "xavier") -> Params:
    """Gaussian weights scaled by fan-in (``lecun`` 1/n, ``he`` 2/n, ``xavier`` 2/(n_in+n_out)).

    ``nielsen`` is ``lecun`` weights with N(0, 1) biases (Nielsen's ``network2`` default); the
    other schemes start biases at zero. In dense mode the fan-in is the sum over all sources.
    """
    if scheme not in INIT_SCHEMES:
        raise ConfigError("init", f"unknown initialisation {scheme!r}", one_of(INIT_SCHEMES))
    params: Params = {}
    for layer in range(1, arch.n_layers + 1):
        n_in, n_out = arch.fan_in(layer), arch.sizes[layer]
        variance = {"he": 2.0 / n_in, "xavier": 2.0 / (n_in + n_out)}.get(scheme, 1.0 / n_in)
        for source in arch.sources(layer):
            shape = (n_out, arch.sizes[source])
            params[weight_name(layer, source)] = rng.normal(0.0, np.sqrt(variance), shape)
        bias_std = 1.0 if scheme == "nielsen" else 0.0
        params[bias_name(layer)] = rng.normal(0.0, 1.0, n_out) * bias_std
    return params


@dataclass
class ForwardCache:
    """What the forward pass keeps for learning: ``h[l]`` (``h[0]`` the input) and ``z[l]``."""

    h: list[Array]
    z: list[Array | None]

    @property
    def output(self) -> Array:
        """The network's output ``h[L]`` (after the output activation)."""
        return self.h[-1]

    def nbytes(self) -> int:
        """The memory held by the cached arrays, in bytes."""
        return sum(a.nbytes for a in self.h) + sum(a.nbytes for a in self.z if a is not None)


def forward(
    arch: Architecture, params: Mapping[str, Array], x: Array, z_noise: Mapping[int, Array] | None = None
) -> ForwardCache:
    """Run ``x`` (batch, n_in) through the network; ``z_noise[l]`` is added to ``z_l`` if given."""
    h: list[Array] = [np.asarray(x, dtype=float)]
    z: list[Array | None] = [None]
    for layer in range(1, arch.n_layers + 1):
        zl = params[bias_name(layer)] + sum(
            h[k] @ params[weight_name(layer, k)].swapaxes(-1, -2) for k in arch.sources(layer)
        )
        if z_noise is not None and layer in z_noise:
            zl = zl + z_noise[layer]
        hl = arch.activation_of(layer).f(zl)
        if arch.is_residual(layer):
            hl = hl + h[layer - 1]
        z.append(zl)
        h.append(hl)
    return ForwardCache(h, z)


def predict(arch: Architecture, params: Mapping[str, Array], x: Array) -> Array:
    """The network's output for inputs ``x`` (batch, n_in), after the output activation (nothing is kept)."""
    return forward(arch, params, x).output


def backward_errors(
    arch: Architecture,
    params: Mapping[str, Array],
    cache: ForwardCache,
    top: int,
    e_top: Array,
    feedback: Feedback | None = None,
) -> tuple[list[Array], list[Array | None]]:
    """Send ``e_top = dX/dh_top`` down to the input.

    Returns ``e[l] = dX/dh_l`` and ``delta[l] = dX/dz_l``, lists indexed by layer for
    ``l <= top`` (``delta[0]`` is None). With the default feedback (``W`` itself) these are
    exact total derivatives through every path, skip paths included; a feedback function
    replaces the matrix each error travels back through.
    """
    e = [np.zeros((len(e_top), n)) for n in arch.sizes[:top]] + [np.asarray(e_top, float)]
    delta: list[Array | None] = [None] * (top + 1)
    for layer in range(top, 0, -1):
        delta[layer] = e[layer] * arch.activation_of(layer).df(cache.z[layer])
        for source in arch.sources(layer):
            name = weight_name(layer, source)
            matrix = params[name] if feedback is None else feedback(name, params[name])
            e[source] = e[source] + delta[layer] @ matrix
        if arch.is_residual(layer):
            e[layer - 1] = e[layer - 1] + e[layer]
    return e, delta


def weight_gradients(arch: Architecture, cache: ForwardCache, deltas: list[Array | None]) -> Params:
    """``dW_{l,k} = delta_l^T h_k`` and ``db_l = sum over the batch of delta_l``."""
    grads: Params = {}
    for layer in range(1, len(deltas)):
        for source in arch.sources(layer):
            grads[weight_name(layer, source)] = deltas[layer].swapaxes(-1, -2) @ cache.h[source]
        grads[bias_name(layer)] = deltas[layer].sum(axis=-2)
    return grads


def backward(
    arch: Architecture,
    params: Mapping[str, Array],
    cache: ForwardCache,
    dloss_doutput: Array,
    feedback: Feedback | None = None,
) -> Params:
    """Gradients of the loss for every parameter, given ``dL/d output`` of a forward pass."""
    _, deltas = backward_errors(arch, params, cache, arch.n_layers, dloss_doutput, feedback)
    return weight_gradients(arch, cache, deltas)


def layer_param_names(arch: Architecture, layer: int) -> list[str]:
    """The names of the weights into layer ``layer`` and of its bias."""
    return [weight_name(layer, k) for k in arch.sources(layer)] + [bias_name(layer)]

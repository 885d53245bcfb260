"""A recurrent network of LIF and adaptive-threshold LIF (ALIF) neurons with a hard threshold.

The discretisation of Bellec et al. (2020) "A solution to the learning dilemma for recurrent
networks of spiking neurons", Nat Commun 11:3625 (Methods), time step ``dt``, for every step
``t = 1..T`` with input spikes ``x_t`` and the previous step's spikes ``z_{t-1}``:

    v_t = alpha v_{t-1} + x_t W_in^T + z_{t-1} W_rec^T - thr z_{t-1}      (reset by subtraction)
    a_t = rho a_{t-1} + z_{t-1}                                            (threshold adaptation)
    u_t = (v_t - thr - beta a_t) / thr,    z_t = H(u_t)                      (hard threshold)
    y_t = kappa y_{t-1} + z_t W_out^T + b_out                               (leaky readout)

``alpha = exp(-dt/tau_m)``, ``rho = exp(-dt/tau_a)``, ``kappa = exp(-dt/tau_out)``; ``beta`` is 0
for LIF neurons (the first ``n_lif``) and ``beta_alif`` for the ALIF ones; ``W_rec`` has no
self-connections. The spike ``H`` has no useful derivative; the gradient learners use the
pseudo-derivative ``dz_t/dv_t = psi_t = gamma / thr * max(0, 1 - |u_t|)`` instead.

:func:`simulate` runs the network and keeps what a backward pass needs (``psi`` and the spikes);
:func:`backward` is backprop through time of the surrogate model, with switches that drop the
recurrent and reset paths and replace ``W_out`` by a feedback matrix: with both paths dropped it
*is* e-prop (:mod:`.eprop`). With ``spike="soft"`` the forward pass emits ``z_t = S(u_t)``, the
integral of the pseudo-derivative, so that :func:`backward` is the exact gradient of a smooth
model and can be checked against finite differences.

The loss is the mean over the last ``n_recall`` steps (the decision window) of the loss of
each step's readout; the decision is the arg-max of the readout's mean over that window.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from ..errors import ConfigError, one_of
from ..ratenet.losses import Loss

Array = np.ndarray
Params = dict[str, Array]
SPIKE_MODES = ("hard", "soft")
PARAM_NAMES = ("W_in", "W_rec", "W_out", "b_out")


@dataclass(frozen=True)
class SpikingArchitecture:
    """Sizes and constants of the recurrent LIF/ALIF network (times in ms, ``dt`` included).

    ``n_recall`` is the length of the decision window at the end of a trial (in steps). The
    default adaptation strength follows Bellec et al.'s cue-accumulation code,
    ``beta = 1.7 (1 - rho) / (1 - alpha)``.
    """

    n_in: int = 40
    n_lif: int = 50
    n_alif: int = 50
    n_out: int = 2
    dt: float = 1.0
    tau_m: float = 20.0
    tau_a: float = 2000.0
    tau_out: float = 20.0
    thr: float = 0.6
    beta_alif: float | None = None
    gamma: float = 0.3
    n_recall: int = 150
    spike: str = "hard"
    alpha: float = field(init=False)
    rho: float = field(init=False)
    kappa: float = field(init=False)

    def __post_init__(self) -> None:
        if self.spike not in SPIKE_MODES:
            raise ConfigError("spike", f"unknown spike mode {self.spike!r}", one_of(SPIKE_MODES))
        if min(self.n_in, self.n_lif + self.n_alif, self.n_out, self.n_recall) < 1:
            raise ConfigError("network", "sizes and n_recall must be positive", "n_in, n_lif + n_alif, n_out >= 1")
        object.__setattr__(self, "alpha", float(np.exp(-self.dt / self.tau_m)))
        object.__setattr__(self, "rho", float(np.exp(-self.dt / self.tau_a)))
        object.__setattr__(self, "kappa", float(np.exp(-self.dt / self.tau_out)))

    @property
    def n_rec(self) -> int:
        """Recurrent neurons: the LIF ones, then the ALIF ones."""
        return self.n_lif + self.n_alif

    @property
    def beta(self) -> Array:
        """Adaptation strength of every recurrent neuron (0 for the LIF ones)."""
        strength = 1.7 * (1 - self.rho) / (1 - self.alpha) if self.beta_alif is None else self.beta_alif
        return np.concatenate([np.zeros(self.n_lif), np.full(self.n_alif, strength)])

    def replace(self, **changes) -> SpikingArchitecture:
        """A copy with some constructor arguments changed (``dt``, ``n_recall``, ...).

        The decay factors ``alpha``, ``rho``, ``kappa`` are derived again from the new time constants
        and step; an unset ``beta_alif`` stays unset, so the default adaptation strength follows them too.
        """
        values = {k: getattr(self, k) for k in self.__dataclass_fields__ if self.__dataclass_fields__[k].init}
        return SpikingArchitecture(**{**values, **changes})


def init_params(
    arch: SpikingArchitecture, rng: np.random.Generator, w_in: float = 1.0, w_rec: float = 0.5, w_out: float = 1.0
) -> Params:
    """Gaussian weights scaled by ``1/sqrt(fan-in)`` (times the given gains); no self-connections."""
    n = arch.n_rec
    rec = rng.normal(0.0, w_rec / np.sqrt(n), (n, n))
    np.fill_diagonal(rec, 0.0)
    return {
        "W_in": rng.normal(0.0, w_in / np.sqrt(arch.n_in), (n, arch.n_in)),
        "W_rec": rec,
        "W_out": rng.normal(0.0, w_out / np.sqrt(n), (arch.n_out, n)),
        "b_out": np.zeros(arch.n_out),
    }


@dataclass
class State:
    """The network's state between steps: membrane ``v``, adaptation ``a``, last spikes ``z``,
    readout ``y`` (each ``(batch, n)`` or ``(batch, n_out)``)."""

    v: Array
    a: Array
    z: Array
    y: Array

    @classmethod
    def zeros(cls, arch: SpikingArchitecture, batch: int) -> State:
        """The state before a trial: everything at zero, for ``batch`` trials."""
        n = arch.n_rec
        return cls(np.zeros((batch, n)), np.zeros((batch, n)), np.zeros((batch, n)), np.zeros((batch, arch.n_out)))


@dataclass
class Trace:
    """What :func:`simulate` keeps: inputs ``x`` (T, batch, n_in), spikes ``z`` (T+1, batch, n;
    ``z[0]`` the spikes before the first step), pseudo-derivatives ``psi`` (T, batch, n), readout
    ``y`` (T, batch, n_out), and the final :class:`State`. ``v`` and ``a`` (T, batch, n) only
    when asked for (the raster and the Brian2 comparison)."""

    x: Array
    z: Array
    psi: Array
    y: Array
    final: State
    v: Array | None = None
    a: Array | None = None

    def nbytes(self) -> int:
        """Bytes of what a backward pass needs (spikes, pseudo-derivatives, readout)."""
        return self.z.nbytes + self.psi.nbytes + self.y.nbytes


def soft_spike(u: Array, gamma: float) -> Array:
    """``S(u)``, the integral of the pseudo-derivative ``gamma max(0, 1 - |u|)`` (from 0 to gamma)."""
    c = np.clip(u, -1.0, 1.0)
    return gamma * np.where(c < 0, 0.5 * (c + 1) ** 2, 0.5 + c - 0.5 * c * c)


def neuron_step(
    arch: SpikingArchitecture,
    w_rec_t: Array,
    drive: Array,
    state: State,
    beta: Array,
) -> tuple[Array, Array, Array, Array]:
    """One step of the recurrent neurons, ``(v, a, z, psi)``, from the input current ``drive``
    (batch, n: input spikes through ``W_in``, plus any injected noise) and the state before it;
    ``w_rec_t`` is ``W_rec`` transposed."""
    v = arch.alpha * state.v + drive + state.z @ w_rec_t - arch.thr * state.z
    a = arch.rho * state.a + state.z
    u = (v - arch.thr - beta * a) / arch.thr
    z = (u > 0).astype(float) if arch.spike == "hard" else soft_spike(u, arch.gamma)
    return v, a, z, arch.gamma / arch.thr * np.maximum(0.0, 1.0 - np.abs(u))


def simulate(
    arch: SpikingArchitecture,
    params: Mapping[str, Array],
    x: Array,
    state: State | None = None,
    keep_voltage: bool = False,
    noise: Array | None = None,
    out_noise: Array | None = None,
) -> Trace:
    """Run the network on ``x`` (T, batch, n_in) from ``state`` (zeros by default).

    ``noise`` (T, batch, n) and ``out_noise`` (T, batch, n_out) are added to the currents of the
    recurrent neurons and of the readout (node perturbation).
    """
    x = np.asarray(x, dtype=float)
    steps, batch = x.shape[:2]
    state = state or State.zeros(arch, batch)
    beta = arch.beta
    z = np.empty((steps + 1, batch, arch.n_rec))
    z[0] = state.z
    psi = np.empty((steps, batch, arch.n_rec))
    y = np.empty((steps, batch, arch.n_out))
    vs = np.empty_like(psi) if keep_voltage else None
    adapt = np.empty_like(psi) if keep_voltage else None
    drive = x @ params["W_in"].T  # the input currents of every step at once
    w_rec_t, w_out_t = params["W_rec"].T, params["W_out"].T
    if noise is not None:
        drive = drive + noise
    now = state
    for t in range(steps):
        v, a, zt, psi[t] = neuron_step(arch, w_rec_t, drive[t], now, beta)
        z[t + 1] = zt
        yt = arch.kappa * now.y + zt @ w_out_t + params["b_out"]
        if out_noise is not None:
            yt = yt + out_noise[t]
        y[t] = yt
        now = State(v, a, zt, yt)
        if vs is not None and adapt is not None:
            vs[t], adapt[t] = v, a
    return Trace(x, z, psi, y, now, vs, adapt)


def decision_output(arch: SpikingArchitecture, y: Array) -> Array:
    """The readout's mean over the decision window (the last ``n_recall`` steps): (batch, n_out)."""
    return y[-arch.n_recall :].mean(axis=0)


def readout_loss(
    arch: SpikingArchitecture, y: Array, labels: Array, loss: Loss, start: int = 0, total: int | None = None
) -> tuple[float, Array]:
    """The loss and ``dL/dy_t`` (shape of ``y``) of the steps ``start..start+len(y)`` of a trial of
    ``total`` steps (default: ``y`` is the whole trial).

    The trial's loss is the mean over the decision window (its last ``n_recall`` steps) of the
    loss of each step's readout; each step's loss already carries ``1/batch``. A part of a
    trial (truncated BPTT) gets the share of the window that falls in it.
    """
    total = len(y) if total is None else total
    g = np.zeros_like(y)
    value = 0.0
    for t in range(max(0, total - arch.n_recall - start), len(y)):
        v, g[t] = loss.evaluate(y[t], labels)
        value += v
    return value / arch.n_recall, g / arch.n_recall


def trial_costs(arch: SpikingArchitecture, y: Array, labels: Array, loss: Loss) -> Array:
    """The loss of every trial on its own (batch,): what a scalar reward reports."""
    window = y[-arch.n_recall :]
    return np.array([loss.evaluate(window[:, b], np.full(len(window), labels[b]))[0] for b in range(y.shape[1])])


def backward(
    arch: SpikingArchitecture,
    params: Mapping[str, Array],
    trace: Trace,
    g: Array,
    feedback: Array | None = None,
    recurrent: bool = True,
    reset: bool = True,
) -> Params:
    """Backprop through time of the surrogate model: gradients from ``g = dL/dy_t`` (T, batch, n_out).

    ``feedback`` (n_out, n) replaces ``W_out`` where the readout error reaches the recurrent
    neurons; ``recurrent=False`` drops the path through ``W_rec`` (a neuron's error no longer
    reaches the neurons that drive it) and ``reset=False`` the path through the reset. Every
    path through a neuron's own membrane and adaptation is kept. With both dropped this is
    e-prop's learning signal times its eligibility traces, summed (:mod:`.eprop`); with both
    kept it is exact BPTT.
    """
    steps = len(g)
    beta = arch.beta
    out_matrix = params["W_out"] if feedback is None else feedback
    e = np.empty_like(g)  # the readout error filtered backwards: e_t = g_t + kappa e_{t+1}
    acc = np.zeros_like(g[0])
    for t in range(steps - 1, -1, -1):
        acc = g[t] + arch.kappa * acc
        e[t] = acc
    signal = e @ out_matrix  # (T, batch, n): the error each neuron's spikes receive from the readout
    dv_all = np.empty_like(trace.psi)
    dv = np.zeros_like(trace.psi[0])
    da = np.zeros_like(dv)
    w_rec = params["W_rec"]
    for t in range(steps - 1, -1, -1):
        dz = signal[t] + da  # da: the adjoint of a_{t+1}, which z_t raises by 1
        if recurrent:
            dz = dz + dv @ w_rec
        if reset:
            dz = dz - arch.thr * dv
        dpsi = dz * trace.psi[t]
        dv = dpsi + arch.alpha * dv
        da = -beta * dpsi + arch.rho * da
        dv_all[t] = dv
    flat = dv_all.reshape(-1, arch.n_rec)
    grad_rec = flat.T @ trace.z[:-1].reshape(-1, arch.n_rec)
    np.fill_diagonal(grad_rec, 0.0)
    return {
        "W_in": flat.T @ trace.x.reshape(-1, arch.n_in),
        "W_rec": grad_rec,
        "W_out": outer_sum(e, trace.z[1:]),
        "b_out": e.sum(axis=(0, 1)),
    }


def outer_sum(post: Array, pre: Array) -> Array:
    """``sum_{t,b} post[t,b,:] pre[t,b,:]^T`` (a matrix product over time and batch at once)."""
    return post.reshape(-1, post.shape[-1]).T @ pre.reshape(-1, pre.shape[-1])


def loss_of(arch: SpikingArchitecture, params: Mapping[str, Array], x: Array, labels: Array, loss: Loss) -> float:
    """The loss of a batch (for finite differences and the conformance tests)."""
    return readout_loss(arch, simulate(arch, params, x).y, labels, loss)[0]


def accuracy(arch: SpikingArchitecture, params: Mapping[str, Array], x: Array, labels: Array) -> float:
    """Fraction of trials whose decision (arg-max of the window's mean readout) is the label."""
    return float(np.mean(decision_output(arch, simulate(arch, params, x).y).argmax(axis=1) == labels))

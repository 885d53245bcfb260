"""e-prop as a Brian2 rule: eligibility traces on the synapses, the learning signal broadcast through
a group variable.

Bellec et al. (2020), Nat Commun 11:3625. The network of :mod:`.network` (same discretisation, same
order of updates within a step) is built from Brian2 groups whose variables are advanced by
``run_regularly`` code, so that every quantity is the NumPy one:

- ``inputs``: the input spikes ``s = x(t, i)`` (a :class:`~brian2.TimedArray`);
- ``rec``: the LIF/ALIF neurons (``v``, ``a``, spikes ``z``, pseudo-derivative ``psi``); their input
  currents ``I_in``, ``I_rec`` and the learning signal ``L`` are summed variables of the synapses;
- ``out``: the leaky readout ``y``; ``err``: the readout error ``g = dL/dy`` of each step;
- synapses ``inputs -> rec`` and ``rec -> rec`` hold the weight, the eligibility traces (``zbar``,
  ``eps``, ``elig``, filtered ``fe``) and the accumulated update ``grad += L_post * fe``; the
  feedback synapses ``err -> rec`` broadcast ``L = sum_k B_kj g_k`` to each neuron;
  ``rec -> err`` holds the readout's filtered spikes and its update.

A step runs in this order (Brian2's ``groups`` slot, explicit ``order``): the input spikes; the
summed currents and the previous step's learning signal; the updates of the previous step; the
neurons; the traces; the readout; its error. The last step's updates are added one step later,
so a trial of ``T`` steps runs ``T + 1`` steps (the extra input is silent). A batch of trials is
as many copies of the network, connected within each copy only, with the same weights; their
updates are summed. Runs on the runtime device (the NumPy target in the tests: nothing compiled).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from .network import Params, SpikingArchitecture

Array = np.ndarray


@dataclass
class BrianEpropResult:
    """The summed updates (as :func:`.eprop.eprop_gradients` returns them), the spikes ``z``
    (T, batch, n) and the readout ``y`` (T, batch, n_out) of the Brian2 run."""

    grads: Params
    z: Array
    y: Array


def _pairs(batch: int, n_pre: int, n_post: int, exclude_self: bool = False) -> tuple[Array, Array, Array, Array]:
    """Presynaptic and postsynaptic indices of all-to-all connections within each trial's copy,
    and the within-copy indices ``(i, j)``."""
    i, j = np.meshgrid(np.arange(n_pre), np.arange(n_post), indexing="ij")
    i, j = i.ravel(), j.ravel()
    if exclude_self:
        keep = i != j
        i, j = i[keep], j[keep]
    b = np.repeat(np.arange(batch), len(i))
    return b * n_pre + np.tile(i, batch), b * n_post + np.tile(j, batch), np.tile(i, batch), np.tile(j, batch)


def brian_eprop(
    arch: SpikingArchitecture, params: Mapping[str, Array], x: Array, labels: Array, feedback: Array | None = None
) -> BrianEpropResult:
    """Run e-prop on one batch in Brian2; ``feedback`` (n_out, n) is ``B`` (None: ``W_out``).

    The loss is softmax cross-entropy on each step of the decision window, as in the NumPy
    learners (:func:`.network.readout_loss`).
    """
    from ..engine import backend_session

    if arch.spike != "hard":
        raise ValueError("the Brian2 network has hard spikes only")
    with backend_session("runtime", 0):
        return _run(arch, params, x, labels, feedback)


def _run(
    arch: SpikingArchitecture, params: Mapping[str, Array], x: Array, labels: Array, feedback: Array | None
) -> BrianEpropResult:
    import brian2 as b2

    steps, batch, n_in = np.shape(x)
    n, n_out = arch.n_rec, arch.n_out
    fb = np.asarray(params["W_out"] if feedback is None else feedback)
    dt = b2.defaultclock.dt
    net = b2.Network()
    padded = np.concatenate([np.asarray(x, float), np.zeros((1, batch, n_in))]).reshape(steps + 1, batch * n_in)
    x_in = b2.TimedArray(padded, dt=dt)
    window = np.zeros(steps + 1)
    window[steps - arch.n_recall : steps] = 1.0
    in_window = b2.TimedArray(window, dt=dt)
    consts = {
        "x_in": x_in,
        "in_window": in_window,
        "alpha": arch.alpha,
        "rho": arch.rho,
        "kappa": arch.kappa,
        "thr": arch.thr,
        "gamma": arch.gamma,
        "scale": 1.0 / (batch * arch.n_recall),
    }

    inputs = b2.NeuronGroup(batch * n_in, "s : 1", namespace=consts, order=0)
    inputs.run_regularly("s = x_in(t, i)", when="groups", order=0)
    rec = b2.NeuronGroup(
        batch * n,
        """v : 1
        a : 1
        z : 1
        zold : 1
        psi : 1
        beta_a : 1 (constant)
        I_in : 1
        I_rec : 1
        L : 1""",
        namespace=consts,
        order=2,
    )  # summed variables at order 1
    rec.beta_a = np.tile(arch.beta, batch)
    accumulate = "grad += L_post * fe"
    traces = """zbar = alpha * zbar + {pre}
        eps = rho * eps + elig
        elig = psi_post * (zbar - beta_a_post * eps)
        fe = kappa * fe + elig"""
    rec.run_regularly(
        """zold = z
        v = alpha * v + I_in + I_rec - thr * z
        a = rho * a + z
        z = int((v - thr - beta_a * a) / thr > 0)
        psi = gamma / thr * clip(1 - abs((v - thr - beta_a * a) / thr), 0, inf)""",
        when="groups",
        order=4,
    )
    syn_model = "w : 1\nzbar : 1\neps : 1\nelig : 1\nfe : 1\ngrad : 1\n"
    s_in = b2.Synapses(inputs, rec, syn_model + "I_in_post = w * s_pre : 1 (summed)", namespace=consts)
    s_rec = b2.Synapses(rec, rec, syn_model + "I_rec_post = w * z_pre : 1 (summed)", namespace=consts)
    for syn, matrix, n_pre, pre, self_free in (
        (s_in, params["W_in"], n_in, "s_pre", False),
        (s_rec, params["W_rec"], n, "zold_pre", True),
    ):
        pre_idx, post_idx, i, j = _pairs(batch, n_pre, n, self_free)
        syn.connect(i=pre_idx, j=post_idx)
        syn.w = matrix[j, i]
        syn.run_regularly(accumulate, when="groups", order=3)
        syn.run_regularly(traces.format(pre=pre), when="groups", order=5)

    out = b2.NeuronGroup(batch * n_out, "y : 1\nb : 1 (constant)\nI_out : 1", namespace=consts, order=8)
    out.b = np.tile(params["b_out"], batch)
    out.run_regularly("y = kappa * y + I_out + b", when="groups", order=9)
    err = b2.NeuronGroup(
        batch * n_out,
        """g : 1
        f1 : 1
        gb : 1
        onehot : 1 (constant)
        sumexp : 1
        yself : 1""",
        namespace=consts,
        order=11,
    )  # summed variables at order 10
    err.onehot = (np.arange(n_out)[None, :] == np.asarray(labels)[:, None]).astype(float).ravel()
    err.run_regularly("gb += g * f1", when="groups", order=3)
    err.run_regularly("f1 = kappa * f1 + 1", when="groups", order=6)
    err.run_regularly("g = in_window(t) * (exp(yself) / sumexp - onehot) * scale", when="groups", order=12)

    s_out = b2.Synapses(rec, out, "w : 1\nI_out_post = w * z_pre : 1 (summed)")
    s_grad_out = b2.Synapses(rec, err, "fz : 1\ngw : 1", namespace=consts)
    pre_idx, post_idx, i_out, j_out = _pairs(batch, n, n_out)
    for syn in (s_out, s_grad_out):
        syn.connect(i=pre_idx, j=post_idx)
    s_out.w = params["W_out"][j_out, i_out]
    s_grad_out.run_regularly("gw += g_post * fz", when="groups", order=3)
    s_grad_out.run_regularly("fz = kappa * fz + z_pre", when="groups", order=6)
    s_norm = b2.Synapses(out, err, "sumexp_post = exp(y_pre) : 1 (summed)")
    s_self = b2.Synapses(out, err, "yself_post = y_pre : 1 (summed)")
    pre_idx, post_idx, _, _ = _pairs(batch, n_out, n_out)
    s_norm.connect(i=pre_idx, j=post_idx)
    s_self.connect(j="i")
    s_fb = b2.Synapses(err, rec, "B : 1\nL_post = B * g_pre : 1 (summed)")
    pre_idx, post_idx, k, j = _pairs(batch, n_out, n)
    s_fb.connect(i=pre_idx, j=post_idx)
    s_fb.B = fb[k, j]

    spikes = b2.StateMonitor(rec, "z", record=True, when="groups", order=13)
    readout = b2.StateMonitor(out, "y", record=True, when="groups", order=13)
    net.add(inputs, rec, out, err, s_in, s_rec, s_out, s_grad_out, s_norm, s_self, s_fb, spikes, readout)
    net.run((steps + 1) * dt)

    def gather(syn, var: str, pre_n: int, post_n: int) -> Array:
        """A synaptic variable summed over the trials' copies, as a (post, pre) matrix."""
        total = np.zeros((post_n, pre_n))
        post, pre = np.asarray(syn.j[:]) % post_n, np.asarray(syn.i[:]) % pre_n
        np.add.at(total, (post, pre), np.asarray(getattr(syn, var)[:]))
        return total

    grads = {
        "W_in": gather(s_in, "grad", n_in, n),
        "W_rec": gather(s_rec, "grad", n, n),
        "W_out": gather(s_grad_out, "gw", n, n_out),
        "b_out": np.asarray(err.gb[:]).reshape(batch, n_out).sum(axis=0),
    }
    z = np.asarray(spikes.z).T[:steps].reshape(steps, batch, n)
    y = np.asarray(readout.y).T[:steps].reshape(steps, batch, n_out)
    return BrianEpropResult(grads, z, y)

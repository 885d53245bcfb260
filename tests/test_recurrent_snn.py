"""The recurrent spiking network and its learners: BPTT is the exact gradient of the surrogate model,
the fast form of e-prop equals its online trace form, truncated BPTT is BPTT when the chunk covers
the trial, the task is what it says, and memory grows with T for BPTT and not for e-prop."""

from __future__ import annotations

import numpy as np
import pytest

from snnlearn import catalogue  # noqa: F401 - registers every learner
from snnlearn.ratenet import make_learner, make_loss
from snnlearn.recurrent_snn import (
    CueTask,
    SpikingArchitecture,
    backward,
    eprop_gradients,
    init_params,
    loss_of,
    readout_loss,
    simulate,
    surrogate_gradient,
)
from snnlearn.recurrent_snn.memory import memory_against_steps, slopes

LOSS = make_loss("softmax_cross_entropy")


def small(spike: str = "hard", seed: int = 0, steps: int = 40, batch: int = 3, n_lif: int = 3, n_alif: int = 3):
    """A tiny network with strong weights (so that it spikes), ALIF time constant short enough to matter."""
    rng = np.random.default_rng(seed)
    arch = SpikingArchitecture(
        n_in=6, n_lif=n_lif, n_alif=n_alif, n_recall=6, spike=spike, gamma=1.0, tau_a=60.0, beta_alif=0.3
    )
    params = init_params(arch, rng, w_in=3.0, w_rec=2.0)
    x = (rng.random((steps, batch, 6)) < 0.3).astype(float)
    return arch, params, x, rng.integers(0, 2, batch)


def flat(grads, keys=("W_in", "W_rec", "W_out", "b_out")):
    return np.concatenate([grads[k].ravel() for k in keys])


def cosine(a, b) -> float:
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


@pytest.mark.parametrize("seed", [0, 1])
def test_bptt_is_the_exact_gradient_of_the_smooth_surrogate_model(seed):
    """With z = S(u), the integral of the pseudo-derivative, BPTT's backward pass must equal central
    finite differences of the loss, through every path: recurrent, reset, adaptation, readout filter."""
    arch, params, x, labels = small("soft", seed)
    grads = surrogate_gradient(arch, params, x, labels, LOSS)
    assert simulate(arch, params, x).z[1:].max() > 0.5 * arch.gamma  # neurons near and above threshold
    h = 1e-6
    for name, p in params.items():
        fd = np.zeros_like(p)
        for idx in np.ndindex(p.shape):
            if name == "W_rec" and idx[0] == idx[1]:
                continue  # no self-connections
            plus, minus = {k: v.copy() for k, v in params.items()}, {k: v.copy() for k, v in params.items()}
            plus[name][idx] += h
            minus[name][idx] -= h
            fd[idx] = (loss_of(arch, plus, x, labels, LOSS) - loss_of(arch, minus, x, labels, LOSS)) / (2 * h)
        np.testing.assert_allclose(grads[name], fd, rtol=1e-5, atol=1e-8 * np.abs(fd).max(), err_msg=name)
        assert np.abs(fd).max() > 1e-3, name  # the check is not vacuous


def test_dropping_paths_changes_the_gradient():
    """e-prop's paths are a strict subset of BPTT's: without recurrence or reset the update differs."""
    arch, params, x, labels = small("soft")
    trace = simulate(arch, params, x)
    _, g = readout_loss(arch, trace.y, labels, LOSS)
    full = flat(backward(arch, params, trace, g), ("W_in", "W_rec"))
    for kwargs in ({"recurrent": False}, {"reset": False}):
        part = flat(backward(arch, params, trace, g, **kwargs), ("W_in", "W_rec"))
        assert not np.allclose(part, full), kwargs


@pytest.mark.parametrize("name", ["eprop", "eprop_random"])
@pytest.mark.parametrize("n_alif", [0, 3])
def test_fast_eprop_equals_the_online_trace_form(name, n_alif):
    arch, params, x, labels = small(n_alif=n_alif, steps=60)
    fast = make_learner(name, rng=np.random.default_rng(4)).update(arch, params, x, labels, LOSS, None)
    online = make_learner(name, rng=np.random.default_rng(4), online=True).update(arch, params, x, labels, LOSS, None)
    for key in fast:
        np.testing.assert_allclose(online[key], fast[key], rtol=1e-10, atol=1e-12, err_msg=key)
    assert np.abs(fast["W_rec"]).max() > 0 and np.abs(fast["W_in"]).max() > 0


def test_online_eprop_step_by_step_equals_the_whole_update():
    arch, params, x, labels = small()
    learner = make_learner("eprop", online=True)
    learner.begin(arch, params, x.shape[1])
    for t in range(len(x)):
        learner.step(arch, params, x[t], labels if t >= len(x) - arch.n_recall else None, LOSS, None)
    stepped = learner.end()
    whole = eprop_gradients(arch, params, x, labels, LOSS)
    for key in whole:
        np.testing.assert_allclose(stepped[key], whole[key], rtol=1e-10, atol=1e-12)


def test_eprop_with_random_feedback_does_not_read_the_readout_weights():
    """Changing W_out where the forward pass cannot see it (columns of neurons that never spike in
    this trial) changes symmetric e-prop's and BPTT's hidden updates, not random e-prop's."""
    arch, params, x, labels = small(steps=50)
    params["W_in"][:2] = 0.01 * np.abs(params["W_in"][:2])  # neurons 0 and 1: driven, but below threshold
    params["W_rec"][:2] = 0.0
    trace = simulate(arch, params, x)
    silent = ~trace.z.any(axis=(0, 1))
    assert silent[:2].all() and not silent.all() and trace.psi[:, :, :2].max() > 0
    other = dict(params, W_out=params["W_out"].copy())
    other["W_out"][:, silent] *= -3.0
    assert np.array_equal(simulate(arch, params, x).y, simulate(arch, other, x).y)
    for name, transports in (("eprop", True), ("eprop_random", False), ("surrogate_bptt", True)):
        before, after = (
            flat(
                make_learner(name, rng=np.random.default_rng(0)).update(arch, p, x, labels, LOSS, None),
                ("W_in", "W_rec"),
            )
            for p in (params, other)
        )
        assert np.array_equal(before, after) == (not transports), name


def test_truncated_bptt_is_bptt_when_the_chunk_covers_the_trial():
    arch, params, x, labels = small()
    full = surrogate_gradient(arch, params, x, labels, LOSS)
    same = make_learner("truncated_bptt", truncation=len(x)).update(arch, params, x, labels, LOSS, None)
    cut = make_learner("truncated_bptt", truncation=10).update(arch, params, x, labels, LOSS, None)
    for key in full:
        np.testing.assert_allclose(same[key], full[key], rtol=1e-12, atol=1e-14)
    assert not np.allclose(cut["W_in"], full["W_in"])
    assert cosine(flat(cut), flat(full)) > 0  # the same error, seen over fewer steps


def test_cue_task_labels_are_the_majority_and_rates_are_as_set():
    task = CueTask(n_cues=5, cue_ms=100, gap_ms=50, delay_ms=200, recall_ms=100)
    x, labels, sides = task.sample(200, np.random.default_rng(0))
    assert x.shape == (task.n_steps, 200, 40) and task.n_steps == 5 * 150 + 200 + 100
    np.testing.assert_array_equal(labels, (sides.sum(axis=1) >= 3).astype(int))
    assert 0.3 < labels.mean() < 0.7
    noise_rate = x[:, :, 30:].mean() * 1000
    recall_rate = x[-100:, :, 20:30].mean() * 1000
    assert 8 < noise_rate < 12 and 35 < recall_rate < 45
    assert not x[:-100, :, 20:30].any()  # recall channels silent before the recall
    first_left = sides[:, 0] == 0
    assert x[:100, first_left, :10].mean() > 0.03 and not x[:100, first_left, 10:20].any()
    assert not x[task.cue_end : -100, :, :20].any()  # the delay: no cues


def test_memory_grows_with_T_for_bptt_and_not_for_online_eprop():
    arch = SpikingArchitecture(n_in=10, n_lif=10, n_alif=10, n_recall=10)
    learners = {
        name: make_learner(name, **opts)
        for name, opts in (("surrogate_bptt", {}), ("eprop", {"online": True}), ("truncated_bptt", {"truncation": 50}))
    }
    curves = memory_against_steps(arch, learners, [100, 200, 400, 800], 4, LOSS, np.random.default_rng(0))
    bptt, eprop, tbptt = (slopes(curves[k]) for k in ("surrogate_bptt", "eprop", "truncated_bptt"))
    per_step = 8 * 4 * 20  # one float64 per neuron and trial
    assert bptt["loglog"] > 0.8 and bptt["bytes_per_step"] > 2 * per_step
    assert abs(eprop["loglog"]) < 0.05 and abs(eprop["bytes_per_step"]) < 0.01 * bptt["bytes_per_step"]
    assert abs(tbptt["bytes_per_step"]) < 0.05 * bptt["bytes_per_step"]

"""The paper's discrete scheme of the distal reward network (protocols.distal_reference): the
events its published code defines, one at a time, with the thalamic noise off."""

from __future__ import annotations

import numpy as np
import pytest

from snnlearn.protocols.distal_reference import N_EXC, DistalReference, run_reference


def quiet(**kwargs) -> DistalReference:
    return DistalReference(0, noise_mv=0.0, **kwargs)


def excitatory_pair(net: DistalReference, source: int = 5) -> tuple[int, np.ndarray]:
    """A target of ``source`` among the excitatory neurons, and every synapse between them."""
    target = int(next(t for t in net.post[source] if t < N_EXC and t != source))
    return target, np.flatnonzero(net.post[source] == target)


def test_without_input_nothing_fires_and_nothing_changes():
    net = quiet()
    s0 = net.s.copy()
    for _ in range(50):
        assert net.step().size == 0
    assert np.array_equal(net.s, s0) and not net.sd.any()


def test_a_presynaptic_spike_one_step_before_the_postsynaptic_one_gives_ltp_of_0_1():
    net = quiet()
    target, synapses = excitatory_pair(net)
    net.v[5] = 30.0
    net.step()  # the source fires; the target's trace is 0, so its arrival leaves no LTD
    assert np.allclose(net.sd[5, synapses], 0.0)
    net.v[target] = 30.0
    net.step()
    assert np.allclose(net.sd[5, synapses], 0.1)


def test_spikes_in_the_same_step_give_ltd_only_1_5_times_the_trace():
    net = quiet()
    target, synapses = excitatory_pair(net)
    net.v[[5, target]] = 30.0
    net.step()
    assert np.allclose(net.sd[5, synapses], -0.15)


def test_eligibility_becomes_weight_every_10_ms_with_the_tonic_dopamine():
    net = quiet()
    target, synapses = excitatory_pair(net)
    net.v[[5, target]] = 30.0
    for _ in range(9):
        net.step()
    assert np.allclose(net.s[5, synapses], 1.0)  # not yet: weights move every 10 ms
    net.step()
    assert np.allclose(net.s[5, synapses], 1.0 + 0.002 * -0.15)
    assert np.allclose(net.sd[5, synapses], -0.15 * 0.99)


def test_a_pairing_of_the_chosen_synapse_schedules_dopamine_1_to_3_s_later():
    net = quiet()
    pre, post = net.chosen
    assert post < N_EXC and net.s[0, 0] == 0.0
    net.v[pre] = 30.0
    net.step()
    net.step()
    net.v[post] = 30.0
    net.step()  # the target fires 2 ms after the source
    assert net.pairings == 1
    (when,) = net.due
    assert 3 + 1000 < when <= 3 + 3000
    while net.now < when - 1:
        net.step()
    assert net.dopamine == 0.0
    net.step()
    assert net.dopamine == pytest.approx(0.5) and net.rewards_delivered == 1


def test_the_null_control_delivers_its_rewards_whatever_the_pairings():
    net = quiet(control_rewards=3, duration_ms=5000)
    assert sum(net.due.values()) == 3
    net.v[net.chosen[0]] = 30.0
    net.step()
    net.step()
    net.v[net.chosen[1]] = 30.0
    net.step()
    assert net.pairings == 1 and net.rewards_delivered + sum(net.due.values()) == 3  # counted, not rewarded
    for _ in range(4997):
        net.step()
    assert net.rewards_delivered == 3 and not net.due


def test_with_thalamic_noise_the_network_fires_sparsely_and_the_control_gets_as_many_rewards():
    """The noise alone drives the network at low rates (a sanity range, not a target)."""
    result = run_reference(1, 5000)
    assert 0.5 < result["rewarded"]["rate_exc_hz"] < 3.0
    assert result["control"]["n_rewards"] == result["rewarded"]["n_rewards"]

"""Reward-modulated rules: no reward or no pairing means no change; one pair -> reward by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest
from brian2 import SpikeMonitor, ms, second

from snnlearn.build import build_network
from snnlearn.engine import backend_session
from snnlearn.errors import ConfigError
from snnlearn.rules import make_rule
from snnlearn.rules.reward import DOPAMINE, RewardBaseline, dopamine_group
from snnlearn.session import Session
from snnlearn.spec import parse_model
from snnlearn.tasks.reward import attach_pair_reward, attach_scheduled_reward, connect_reward, schedule_values

DT_MS = 0.5
AMOUNT = 0.5
W_INIT = 0.5  # inside every rule's bounds, so that one pair never reaches them
NO_TONIC = {"name": "da_stdp", "d_tonic": 0.0}
FLORIAN = [{"name": "mstdp", "gamma": 0.5}, {"name": "mstdpet", "gamma": 0.5}]


def pairing_model(rules: list[dict], n: int) -> dict:
    """``n`` conditions: neuron k of ``pre`` and ``post`` is condition k, one plastic synapse
    per rule and condition with no effect on post; post fires when kicked by ``driver``;
    ``reward`` spikes add dopamine (shared by all synapses)."""
    plastic = {
        f"plastic_{r['name']}": {
            "pre": "pre",
            "post": "post",
            "connect": "one_to_one",
            "effect": "v_post += J * w",
            "params": {"J": "0 mV"},
            "w_init": W_INIT,
            "rule": r,
        }
        for r in rules
    }
    return {
        "name": "pairing_reward",
        "simulation": {"dt": f"{DT_MS} ms"},
        "groups": {
            "pre": {"kind": "spikes", "n": n},
            "driver": {"kind": "spikes", "n": n},
            "reward": {"kind": "spikes", "n": 1},
            "post": {"neuron": "lif_current", "n": n},
        },
        "synapses": {
            **plastic,
            "drive": {
                "pre": "driver",
                "post": "post",
                "connect": "one_to_one",
                "effect": "v_post += kick",
                "params": {"kick": "100 mV"},
            },
        },
    }


def simulate(
    rules: list[dict],
    conditions: list[tuple[list[float], list[float]]],
    reward_ms=(),
    duration_ms=1000.0,
    backend="runtime",
) -> dict[str, np.ndarray]:
    """Weight change of each rule's synapse in each condition (pre times, post times in ms).

    The driver kicks post one step before each wanted post spike; the post spikes are checked.
    """
    spec = parse_model(pairing_model(rules, len(conditions)))
    with backend_session(backend, 1, key="test-rules-reward") as build_dir:
        net = build_network(spec, record_spikes=["post"])
        for name, shift, column in (("pre", 0.0, 0), ("driver", DT_MS, 1)):
            index = [k for k, c in enumerate(conditions) for _ in c[column]]
            times = [t - shift for c in conditions for t in c[column]]
            net.groups[name].set_spikes(index, np.asarray(times) * ms)
        net.groups["reward"].set_spikes(np.zeros(len(reward_ms), dtype=int), np.asarray(reward_ms) * ms)
        connect_reward(net, net.groups["reward"], repr(AMOUNT), "reward_dopamine")
        net.network.run(duration_ms * ms, namespace={})
        if backend == "standalone":
            from brian2 import device

            device.build(directory=str(build_dir), run=True, with_output=False)
        changes = {r["name"]: np.asarray(net.synapses[f"plastic_{r['name']}"].w[:]) - W_INIT for r in rules}
        post_i, post_t = np.asarray(net.spikes["post"].i[:]), np.asarray(net.spikes["post"].t / ms)
    for k, (_, post) in enumerate(conditions):
        assert post_t[post_i == k].tolist() == pytest.approx(sorted(post))
    return changes


def dopamine_at(t_ms: np.ndarray, reward_ms: float, tau_d_ms: float, read_at_step_start: bool) -> np.ndarray:
    """Dopamine seen by the synapses: a reward added in the synapse slot of its step is seen
    undecayed at the start of the next step (regular updates) or decayed by the steps in
    between when read by a spike in a later step."""
    age = t_ms - reward_ms - (DT_MS if read_at_step_start else 0.0)
    return np.where(age >= 0, AMOUNT * np.exp(-np.maximum(age, 0) / tau_d_ms), 0.0)


def stdp(rule, lag_ms: float) -> float:
    """The STDP term of one pair (lag = t_post - t_pre), tau 20 ms."""
    return rule.a_plus * math.exp(-lag_ms / 20.0) if lag_ms > 0 else -rule.a_minus * math.exp(lag_ms / 20.0)


def eligibility_change(rule, t_pre, t_post, reward, duration, period_ms, tau_e_ms, gain) -> float:
    """Sum over regular updates of dopamine times the decayed eligibility of one pair."""
    last = max(t_pre, t_post)
    updates = np.arange(0.0, duration, period_ms)
    updates = updates[updates > last]
    da = dopamine_at(updates, reward, 200.0, read_at_step_start=True)
    return float(gain * np.sum(da * stdp(rule, t_post - t_pre) * np.exp(-(updates - last) / tau_e_ms)))


def test_eligibility_without_reward_changes_no_weight():
    pre = np.arange(20.0, 1000.0, 100.0)
    changes = simulate(
        [NO_TONIC, *FLORIAN], [(list(pre), list(pre + 5.0)), (list(pre + 5.0), list(pre))], duration_ms=1100.0
    )
    for rule, change in changes.items():
        assert np.all(change == 0.0), rule


def test_reward_without_pairing_changes_no_weight():
    # presynaptic spikes alone leave no eligibility, so neither reward nor tonic dopamine acts
    changes = simulate(
        [{"name": "da_stdp"}, *FLORIAN], [([100.0, 150.0, 600.0], [])], reward_ms=[200.0, 700.0], duration_ms=1200.0
    )
    for rule, change in changes.items():
        assert np.all(change == 0.0), rule


def test_da_stdp_pair_then_reward_by_hand_sign_and_delay():
    rule = make_rule(NO_TONIC, "rule")
    # causal and anti-causal pairs 1 s before the reward, a causal pair 0.5 s before it
    conditions = [(100.0, 110.0), (110.0, 100.0), (600.0, 610.0)]
    reward, duration = 1110.0, 2000.0
    changes = simulate([NO_TONIC], [([a], [b]) for a, b in conditions], reward_ms=[reward], duration_ms=duration)[
        "da_stdp"
    ]
    expected = [eligibility_change(rule, a, b, reward, duration, 10.0, 1000.0, 1.0) for a, b in conditions]
    assert changes == pytest.approx(expected, rel=1e-6)
    assert changes[0] > 0 > changes[1]
    # a reward 0.5 s later finds the eligibility decayed by exp(-0.5 s / tau_c) less
    assert changes[0] / changes[2] == pytest.approx(math.exp(-0.5), rel=0.02)


def test_florian_rules_pair_and_reward_by_hand():
    mstdp, mstdpet = (make_rule(r, "rule") for r in FLORIAN)
    # pairs just before the reward (eligibility only) and during the dopamine after it
    conditions = [(280.0, 290.0), (290.0, 280.0), (400.0, 410.0), (410.0, 400.0)]
    reward, duration = 300.0, 700.0
    changes = simulate(FLORIAN, [([a], [b]) for a, b in conditions], reward_ms=[reward], duration_ms=duration)
    gain = mstdpet.gamma * 1.0 / 25.0  # gamma * update_period / tau_z
    expected_et = [eligibility_change(mstdpet, a, b, reward, duration, 1.0, 25.0, gain) for a, b in conditions]
    assert changes["mstdpet"] == pytest.approx(expected_et, rel=1e-6)
    assert changes["mstdpet"][0] > 0 > changes["mstdpet"][1]
    # MSTDP: only the pairs completed while dopamine is there, at the second spike
    expected = [0.0, 0.0] + [
        mstdp.gamma * float(dopamine_at(np.array([max(a, b)]), reward, 200.0, False)[0]) * stdp(mstdp, b - a)
        for a, b in conditions[2:]
    ]
    assert changes["mstdp"] == pytest.approx(expected, rel=1e-6, abs=1e-12)
    assert changes["mstdp"][2] > 0 > changes["mstdp"][3]


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"name": "da_stdp", "tau_c": "-1 s"}, "syn.rule.tau_c: -1. s is not positive; expected a value > 0"),
        ({"name": "da_stdp", "tau_d": "0 ms"}, "syn.rule.tau_d: 0. s is not positive; expected a value > 0"),
        ({"name": "mstdpet", "tau_z": "-25 ms"}, "syn.rule.tau_z: -25. ms is not positive; expected a value > 0"),
        ({"name": "da_stdp", "d_tonic": -0.1}, "syn.rule.d_tonic: -0.1 is negative; expected a value >= 0"),
        ({"name": "mstdp", "gamma": "fast"}, "syn.rule.gamma: got 'fast'; expected a number"),
    ],
)
def test_bad_reward_parameters_are_one_line_config_errors(table, message):
    with pytest.raises(ConfigError) as error:
        make_rule(table, "syn.rule")
    assert str(error.value) == message


def test_baseline_parameters_are_checked():
    with pytest.raises(ConfigError, match=r"^baseline.mode: unknown value 'median'; allowed: "):
        RewardBaseline.from_mapping({"mode": "median"}, "baseline")
    with pytest.raises(ConfigError, match=r"^baseline.trials: 0.5 is below 1; expected trials >= 1$"):
        RewardBaseline.from_mapping({"trials": 0.5}, "baseline")


def test_synapses_sharing_dopamine_must_agree_on_tau_d():
    raw = pairing_model([NO_TONIC, {"name": "mstdp", "tau_d": "50 ms"}], 1)
    message = r"^synapses.plastic_mstdp.rule.tau_d: 50. ms differs .* share one dopamine signal"
    with backend_session("runtime", 1), pytest.raises(ConfigError, match=message):
        build_network(parse_model(raw))


@pytest.mark.standalone
def test_standalone_gives_the_hand_computed_change():
    rule = make_rule(NO_TONIC, "rule")
    change = simulate([NO_TONIC], [([100.0], [110.0])], reward_ms=[1000.0], duration_ms=2000.0, backend="standalone")[
        "da_stdp"
    ]
    assert change[0] == pytest.approx(
        eligibility_change(rule, 100.0, 110.0, 1000.0, 2000.0, 10.0, 1000.0, 1.0), rel=1e-6
    )


def detector_network(delay_max_ms: float):
    """Two spike sources watched by a pair-reward controller with a 1 s minimum delay."""
    raw = {
        "name": "pairs",
        "simulation": {"dt": f"{DT_MS} ms"},
        "groups": {"a": {"kind": "spikes", "n": 1}, "b": {"kind": "spikes", "n": 1}},
    }
    net = build_network(parse_model(raw), record_spikes=False)
    dopamine_group(net, 200 * ms)
    # paired: b 10 ms after a; not paired: b long after a, b with a, b 25 ms after a
    net.groups["a"].set_spikes([0, 0, 0], [100, 500, 600] * ms)
    net.groups["b"].set_spikes([0, 0, 0, 0], [110, 300, 500, 625] * ms)
    ring = attach_pair_reward(
        net,
        ("a", 0),
        ("b", 0),
        window=20 * ms,
        delay_min=1 * second,
        delay_max=delay_max_ms * ms,
        amount=AMOUNT,
        slots=4,
    )
    rewards = SpikeMonitor(ring)
    net.add(rewards)
    return net, ring, rewards


def test_pair_reward_arrives_after_the_delay_and_across_chunks():
    with backend_session("runtime", 1) as build_dir:
        net, ring, rewards = detector_network(delay_max_ms=1000.0)
        session = Session(net.network, backend="runtime", chunk=1 * second, build_dir=build_dir)
        session.run()
        pending = np.sort(np.asarray(session.get(ring, "t_due") / ms))
        delivered = []
        for _ in range(2):
            delivered.append((session.spikes(rewards)[1] * 1e3).tolist())
            session.run()
    # the only pairing (110 ms) is due at 1110 ms: after the end of the first chunk, so it is
    # pending there and arrives on time in the second
    assert pending[0] == pytest.approx(1110.0)
    assert delivered == [[], pytest.approx([1110.0])]


def test_pair_reward_delay_is_drawn_in_its_range():
    with backend_session("runtime", 3):
        net, _, rewards = detector_network(delay_max_ms=3000.0)
        net.network.run(3.2 * second, namespace={})
        assert len(rewards.t) == 1 and 1110.0 <= float(rewards.t[0] / ms) < 3110.0
        assert net.groups[DOPAMINE].DA[0] > 0


def scheduled_network(backend: str, build_dir):
    """The pair detector of :func:`detector_network` beside a scheduled reward of capacity 4."""
    net, ring, rewards = detector_network(delay_max_ms=1000.0)
    controller, schedule = attach_scheduled_reward(net, 4, AMOUNT)
    delivered = SpikeMonitor(controller)
    net.add(delivered)
    return (
        net,
        ring,
        rewards,
        schedule,
        delivered,
        Session(net.network, backend=backend, chunk=1 * second, build_dir=build_dir),
    )


@pytest.mark.parametrize("backend", ["runtime", pytest.param("standalone", marks=pytest.mark.standalone)])
def test_scheduled_rewards_arrive_at_their_times_across_chunks(backend):
    """Rewards at 0.3, 0.9995, 1.2 and 1.2002 s (two in one step: one step apart) and no more,
    whatever the chunk; with the pair detector's amount at 0 it still fires but adds nothing."""
    with backend_session(backend, 1, key="test-scheduled-reward") as build_dir:
        net, ring, pair_rewards, schedule, delivered, session = scheduled_network(backend, build_dir)
        session.set(ring, "amount", 0.0)
        session.set_timed(schedule, schedule_values([1.2002, 0.3, 1.2, 0.9995], 4))
        times, pairs = [], []
        for _ in range(2):
            session.run()
            times += (session.spikes(delivered)[1] * 1e3).tolist()
            pairs += (session.spikes(pair_rewards)[1] * 1e3).tolist()
        da = float(session.get(net.groups[DOPAMINE], "DA")[0])
    assert times == pytest.approx([300.0, 999.5, 1200.0, 1200.5])
    assert pairs == pytest.approx([1110.0])  # the pairing's would-be reward, delivered with amount 0
    tau_d = 200.0
    expected = sum(AMOUNT * math.exp(-(2000.0 - t) / tau_d) for t in times)
    assert da == pytest.approx(expected, rel=3e-3)  # to one step's decay (exp(0.5 ms / 200 ms) - 1 = 2.5e-3)


def test_a_schedule_beyond_its_capacity_is_refused():
    with pytest.raises(ValueError, match="5 rewards do not fit the capacity of 4"):
        schedule_values([1, 2, 3, 4, 5], 4)
    assert schedule_values([2.0, 1.0], 3).tolist()[:2] == [1.0, 2.0]

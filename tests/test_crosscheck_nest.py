"""The plasticity rules against NEST: the same spike trains through snnlearn (Brian2) and NEST 3.

Every pair rule NEST also implements (additive and multiplicative, all-to-all: ``stdp_synapse``;
nearest spike: ``stdp_nn_symm_synapse``) and the all-to-all triplet rule (``stdp_triplet_synapse``)
get the same pre and post spike trains (independent Poisson pairs, correlated trains, pairing
protocols at several frequencies; times on the 0.1 ms grid of both simulators) and must give the
same weight after every presynaptic spike to 1e-12 of w_max. NEST runs spike generators into
parrot neurons, the plastic synapse onto the post parrot's STDP-only port (receptor 1, which
does not repeat spikes); NEST counts the whole delay d as dendritic, so the pre parrot fires d
after the wanted pre time and the pairs are the wanted ones. The schemes differ where a pre and
a post spike fall in the same time step: snnlearn counts the pair as dt = 0+ (the presynaptic
pathway runs first, then the post spike potentiates with the new pre trace), NEST ignores it;
those trains are compared separately (the difference is exactly that pair's potentiation).
NEST's ``stdp_nn_symm_synapse`` also pairs the postsynaptic spikes that come before the first
presynaptic spike with a presynaptic spike at t = 0 (its last-spike time starts at 0 and its
nearest-spike potentiation does not read the presynaptic trace); snnlearn has no such spike, so
the trains here start with a presynaptic spike.

``da_stdp`` against ``stdp_dopamine_synapse``: cannot agree exactly, since snnlearn (like
Izhikevich's code) moves the weight in steps every ``update_period`` (10 ms) by the dopamine and
eligibility sampled then, while NEST integrates ``dw/dt = c (n - b)`` exactly between events;
the difference is of order update_period / (2 tau_d), 2.5% of the change (tolerance 5%).

Skipped where NEST is not installed (``pip install -e ".[crosscheck]"``).
"""

from __future__ import annotations

import os

import numpy as np
import pytest

os.environ.setdefault("PYNEST_QUIET", "1")
try:
    import nest
except ImportError as missing:  # absent, or installed without its library
    pytest.skip(
        f"NEST is not importable ({missing}); pip install -e '.[crosscheck]' (nest-simulator >= 3.6) "
        "to cross-check the rules against it",
        allow_module_level=True,
    )

from snnlearn.pairing import Pairing, pairing_trains, protocol_model, run_spike_trains  # noqa: E402

DT = 0.1  # ms, both simulators' resolution
DELAY = 0.1  # ms, NEST's synaptic delay (all dendritic)
W0 = 0.5


def _quiet() -> None:
    if hasattr(nest, "VerbosityLevel"):
        nest.verbosity = nest.VerbosityLevel.ERROR
    else:  # NEST < 3.9
        nest.set_verbosity("M_ERROR")


def nest_weights(
    model: str, syn: dict, post_params: dict, pre: list[np.ndarray], post: list[np.ndarray], w0: float = W0
) -> list[np.ndarray]:
    """NEST's weight after every presynaptic spike, one array per condition (pair of trains)."""
    nest.ResetKernel()
    _quiet()
    nest.resolution = DT
    recorder = nest.Create("weight_recorder")
    nest.CopyModel(model, "checked", {"weight_recorder": recorder})
    sources = []
    for pre_t, post_t in zip(pre, post, strict=True):
        # a generator's spike reaches its parrot one step later: the pre parrot fires at t + DELAY
        # (so that the synapse, which counts DELAY as dendritic, pairs the wanted times), the post at t
        generators = nest.Create(
            "spike_generator",
            2,
            params=[
                {"spike_times": list(np.round(pre_t + DELAY - DT, 6))},
                {"spike_times": list(np.round(post_t - DT, 6))},
            ],
        )
        parrots = nest.Create("parrot_neuron", 2)
        parrots[1].set(post_params)
        nest.Connect(generators[0], parrots[0], syn_spec={"delay": DT})
        nest.Connect(generators[1], parrots[1], syn_spec={"delay": DT})
        nest.Connect(
            parrots[0],
            parrots[1],
            syn_spec={"synapse_model": "checked", "receptor_type": 1, "delay": DELAY, "weight": w0, **syn},
        )
        sources.append(parrots[0].global_id)
    last = max(max(np.max(t, initial=0.0) for t in pre), max(np.max(t, initial=0.0) for t in post))
    nest.Simulate(last + 10 * DT + 1.0)
    events = recorder.get("events")
    senders, weights = np.asarray(events["senders"]), np.asarray(events["weights"])
    return [weights[senders == s] for s in sources]


def snnlearn_weights(
    rules: dict[str, dict], pre: list[np.ndarray], post: list[np.ndarray], w0: float = W0
) -> dict[str, list[np.ndarray]]:
    """snnlearn's weight after every presynaptic spike (the weight at the start of the next step),
    per rule (all in one simulation) and condition."""
    spec = protocol_model(rules, w_init=w0, dt=f"{DT} ms", name="crosscheck")
    result = run_spike_trains(spec, pre, post, record_dt_ms=DT, tail_ms=1.0)
    steps = [np.round(np.asarray(t) / DT).astype(int) + 1 for t in pre]
    return {name: [trace[s, k] for k, s in enumerate(steps)] for name, trace in result.traces.items()}


def on_grid(times: np.ndarray) -> np.ndarray:
    return np.unique(np.round(np.asarray(times) / DT).astype(int)) * DT


def poisson(rng: np.random.Generator, rate_hz: float, duration_ms: float) -> np.ndarray:
    return on_grid(np.sort(rng.uniform(1.0, duration_ms, rng.poisson(rate_hz * duration_ms / 1000))))


def without_coincidences(pre: np.ndarray, post: np.ndarray) -> np.ndarray:
    """``post`` without the spikes that fall in the step of a pre spike (the schemes differ there)
    or before the first pre spike (NEST's nearest-spike rule pairs those with a pre spike at 0)."""
    pre_steps = set(np.round(pre / DT).astype(int).tolist())
    return np.array([t for t in post if int(round(t / DT)) not in pre_steps and t > pre[0]])


def trains(seed: int = 3) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Independent Poisson pairs, correlated trains, and pairing protocols at 1-50 Hz (+-10 ms)."""
    rng = np.random.default_rng(seed)
    pre, post = [], []
    for rate_pre, rate_post in ((10, 10), (30, 20), (50, 50)):
        pre.append(poisson(rng, rate_pre, 1000.0))
        post.append(poisson(rng, rate_post, 1000.0))
    for jitter in (2.0, 10.0):  # post follows (or leads) each pre by a few ms, plus background
        p = poisson(rng, 20, 1000.0)
        pre.append(p)
        post.append(on_grid(np.r_[p + rng.normal(3.0, jitter, p.size), poisson(rng, 5, 1000.0)].clip(0.5, None)))
    protocols = [Pairing(lag, f, 15) for f in (1.0, 10.0, 20.0, 40.0, 50.0) for lag in (10.0, -10.0)]
    p_pre, p_post = pairing_trains(protocols)
    pre += [on_grid(t) for t in p_pre]
    post += [on_grid(t) for t in p_post]
    return pre, [without_coincidences(a, b) for a, b in zip(pre, post, strict=True)]


PAIR = {"tau_plus": "16.8 ms", "tau_minus": "33.7 ms", "a_plus": 0.01, "a_minus": 0.0085, "w_max": 1.0}


def nest_pair(rule: dict) -> tuple[str, dict, dict]:
    """NEST's model, synapse and post-neuron parameters of a snnlearn pair rule (w_max = 1 here:
    NEST's lambda = a_plus / w_max, alpha = a_minus / a_plus)."""
    mu = rule.get("mu", 0.0) if rule["name"] == "stdp_multiplicative" else 0.0
    model = "stdp_synapse" if rule.get("interaction", "all_to_all") == "all_to_all" else "stdp_nn_symm_synapse"
    syn = {
        "tau_plus": 16.8,
        "lambda": rule["a_plus"] / rule["w_max"],
        "alpha": rule["a_minus"] / rule["a_plus"],
        "mu_plus": mu,
        "mu_minus": mu,
        "Wmax": rule["w_max"],
    }
    return model, syn, {"tau_minus": 33.7}


PAIR_RULES = {
    "additive_all_to_all": {"name": "stdp_additive", **PAIR},
    "additive_nearest": {"name": "stdp_additive", **PAIR, "interaction": "nearest"},
    "multiplicative_all_to_all": {"name": "stdp_multiplicative", **PAIR, "mu": 1.0},
    "half_multiplicative_nearest": {"name": "stdp_multiplicative", **PAIR, "mu": 0.5, "interaction": "nearest"},
    "additive_large_steps": {"name": "stdp_additive", **PAIR, "a_plus": 0.05, "a_minus": 0.06},  # reaches the bounds
}


@pytest.fixture(scope="module")
def pair_runs():
    """Every pair rule on the same trains in one simulation (snnlearn), and their weights."""
    pre, post = trains()
    return pre, post, snnlearn_weights(PAIR_RULES, pre, post)


@pytest.mark.parametrize("name", PAIR_RULES)
def test_pair_rules_match_nest_at_every_presynaptic_spike(pair_runs, name):
    pre, post, ours = pair_runs
    rule = PAIR_RULES[name]
    theirs = nest_weights(*nest_pair(rule), pre, post)
    for k, (a, b) in enumerate(zip(ours[name], theirs, strict=True)):
        assert a.shape == b.shape == pre[k].shape, k
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-12 * rule["w_max"], err_msg=f"condition {k}")
    assert np.abs(np.concatenate(ours[name]) - W0).max() > 0.05  # the trains do move the weights


def test_triplet_rule_matches_nest_at_every_presynaptic_spike():
    rule = {"name": "triplet", "preset": "hippocampal_all_to_all_full", "w_max": 1.0}
    syn = {
        "tau_plus": 16.8,
        "tau_plus_triplet": 946.0,
        "Aplus": 6.1e-3,
        "Aminus": 1.6e-3,
        "Aplus_triplet": 6.7e-3,
        "Aminus_triplet": 1.4e-3,
        "Wmax": 1.0,
    }
    pre, post = trains(seed=5)
    ours = snnlearn_weights({"triplet": rule}, pre, post)["triplet"]
    theirs = nest_weights("stdp_triplet_synapse", syn, {"tau_minus": 33.7, "tau_minus_triplet": 27.0}, pre, post)
    for k, (a, b) in enumerate(zip(ours, theirs, strict=True)):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-12, err_msg=f"condition {k}")
    assert np.abs(np.concatenate(ours) - W0).max() > 0.05


def test_a_pre_and_post_spike_in_one_step_is_a_potentiating_pair_here_and_no_pair_in_nest():
    rule = {"name": "stdp_additive", **PAIR}
    pre, post = [np.array([10.0, 50.0])], [np.array([10.0])]
    ours = snnlearn_weights({"pair": rule}, pre, post)["pair"][0]
    theirs = nest_weights(*nest_pair(rule), pre, post)[0]
    depression = 0.0085 * np.exp(-40.0 / 33.7)  # the pre at 50 ms with the post at 10 ms, in both
    assert theirs == pytest.approx([W0, W0 - depression], abs=1e-12)
    assert ours == pytest.approx([W0 + 0.01, W0 + 0.01 - depression], abs=1e-12)  # + a_plus at dt = 0+


def snnlearn_dopamine(
    rule: dict, pre: np.ndarray, post: np.ndarray, rewards: np.ndarray, amount: float, w0: float
) -> np.ndarray:
    """snnlearn's da_stdp weight after every presynaptic spike, rewards of ``amount`` dopamine."""
    from brian2 import StateMonitor, ms

    from snnlearn.build import build_network
    from snnlearn.engine import backend_session
    from snnlearn.spec import parse_model
    from snnlearn.tasks.reward import connect_reward

    raw = {
        "name": "crosscheck_dopamine",
        "simulation": {"dt": f"{DT} ms"},
        "groups": {g: {"kind": "spikes", "n": 1} for g in ("pre", "post", "reward")},
        "synapses": {"checked": {"pre": "pre", "post": "post", "connect": "one_to_one", "w_init": w0, "rule": rule}},
    }
    with backend_session("runtime", 1):
        net = build_network(parse_model(raw), record_spikes=False)
        for name, times in (("pre", pre), ("post", post), ("reward", rewards)):
            net.groups[name].set_spikes(np.zeros(len(times), dtype=int), np.asarray(times) * ms)
        connect_reward(net, net.groups["reward"], repr(float(amount)), "reward_dopamine")
        trace = StateMonitor(net.synapses["checked"], "w", record=[0], dt=DT * ms)
        net.add(trace)
        net.network.run((max(pre.max(), post.max(), rewards.max()) + 1.0) * ms, namespace={})
        w = np.asarray(trace.w[0])
    return w[np.round(pre / DT).astype(int) + 1]


def test_dopamine_rule_matches_nest_to_the_update_period():
    """Izhikevich's stepwise update against NEST's exact integral: each weight change after a
    presynaptic spike agrees to 5% of the largest (the schemes differ by update_period / 2 tau)."""
    period, tau_d, amount = 10.0, 200.0, 0.5  # ms, ms, dopamine per reward
    rule = {
        "name": "da_stdp",
        "a_plus": 0.1,
        "a_minus": 0.15,
        "tau_plus": "20 ms",
        "tau_minus": "20 ms",
        "tau_c": "1 s",
        "tau_d": f"{tau_d} ms",
        "d_tonic": 0.0,
        "update_period": f"{period} ms",
        "w_max": 100.0,
        "interaction": "all_to_all",
    }
    rng = np.random.default_rng(11)
    pre = poisson(rng, 20, 3000.0)
    post = without_coincidences(pre, on_grid(np.r_[pre + 5.0, poisson(rng, 5, 3000.0)]))
    # rewards on the grid of the regular update, as in the paper's code (every 10 ms)
    rewards = np.array([500.0, 1200.0, 1250.0, 2100.0, 2600.0])
    ours = snnlearn_dopamine(rule, pre, post, rewards, amount, 1.0)
    # NEST: dw/dt = c (n - b), n += 1 / tau_n per dopamine spike; here dw/dt = DA c / update_period,
    # DA += amount per reward: so c_NEST = kappa c with kappa = amount tau_n / update_period
    kappa = amount * tau_d / period
    nest.ResetKernel()
    _quiet()
    nest.resolution = DT
    generators = nest.Create(
        "spike_generator",
        3,
        params=[
            {"spike_times": list(np.round(pre + DELAY - DT, 6))},
            {"spike_times": list(np.round(post - DT, 6))},
            {"spike_times": list(np.round(rewards - DT, 6))},
        ],
    )
    parrots = nest.Create("parrot_neuron", 3)
    parrots[1].set({"tau_minus": 20.0})
    for k in range(3):
        nest.Connect(generators[k], parrots[k], syn_spec={"delay": DT})
    transmitter = nest.Create("volume_transmitter")
    nest.Connect(parrots[2], transmitter)
    recorder = nest.Create("weight_recorder")
    nest.CopyModel(
        "stdp_dopamine_synapse",
        "checked_dopamine",
        {  # common properties: set on the model
            "volume_transmitter": transmitter,
            "weight_recorder": recorder,
            "A_plus": kappa * 0.1,
            "A_minus": kappa * 0.15,
            "tau_plus": 20.0,
            "tau_c": 1000.0,
            "tau_n": tau_d,
            "b": 0.0,
            "Wmin": 0.0,
            "Wmax": 100.0,
        },
    )
    nest.Connect(
        parrots[0],
        parrots[1],
        syn_spec={"synapse_model": "checked_dopamine", "receptor_type": 1, "delay": DELAY, "weight": 1.0},
    )
    nest.Simulate(float(max(pre.max(), post.max(), rewards.max()) + 2.0))
    theirs = np.asarray(recorder.get("events")["weights"])
    assert theirs.shape == ours.shape
    change_ours, change_theirs = ours - 1.0, theirs - 1.0
    scale = np.abs(change_theirs).max()
    assert scale > 0.5  # the rewards do move the weight
    np.testing.assert_allclose(change_ours, change_theirs, rtol=0, atol=0.05 * scale)

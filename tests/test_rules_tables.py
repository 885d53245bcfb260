"""Rule helpers that compute numbers without a simulation: presets, rule tables, the reward
baseline's statements (executed here as the controller runs them), weight normalisation."""

from __future__ import annotations

import numpy as np
import pytest
from brian2 import ms

from snnlearn.errors import ConfigError, one_of
from snnlearn.rules import RULES, make_rule
from snnlearn.rules.homeostasis import incoming_sums, normalize
from snnlearn.rules.reward import BASELINES, RewardBaseline
from snnlearn.rules.triplet import PRESETS, _preset


def test_preset_builds_the_table_row():
    row = _preset(1e-3, 2e-3, 3e-3, 4e-3, 50, "nearest")
    assert row == {
        "a2_plus": 1e-3,
        "a3_plus": 2e-3,
        "a2_minus": 3e-3,
        "a3_minus": 4e-3,
        "tau_y": 50 * ms,
        "interaction": "nearest",
    }
    assert _preset(0, 0, 0, 0, 40, "all_to_all", 700)["tau_x"] == 700 * ms


@pytest.mark.parametrize(
    ("name", "row"),
    [
        # Pfister & Gerstner (2006), Tables 3 and 4: a2+, a3+, a2-, a3-, tau_x (ms), tau_y (ms)
        ("visual_cortex_all_to_all_full", (5e-10, 6.2e-3, 7e-3, 2.3e-4, 101, 125)),
        ("visual_cortex_all_to_all_minimal", (0.0, 6.5e-3, 7.1e-3, 0.0, None, 114)),
        ("visual_cortex_nearest_full", (8.8e-11, 5.3e-2, 6.6e-3, 3.1e-3, 714, 40)),
        ("visual_cortex_nearest_minimal", (0.0, 5e-2, 8e-3, 0.0, None, 40)),
        ("hippocampal_all_to_all_full", (6.1e-3, 6.7e-3, 1.6e-3, 1.4e-3, 946, 27)),
        ("hippocampal_all_to_all_minimal", (5.3e-3, 8e-3, 3.5e-3, 0.0, None, 40)),
        ("hippocampal_nearest_full", (4.6e-3, 9.1e-3, 3e-3, 7.5e-9, 575, 47)),
        ("hippocampal_nearest_minimal", (4.6e-3, 9.1e-3, 3e-3, 0.0, None, 48)),
    ],
)
def test_triplet_presets_are_pfister_and_gerstners_tables(name, row):
    rule = make_rule({"name": "triplet", "preset": name}, "rule")
    a2p, a3p, a2m, a3m, tau_x, tau_y = row
    assert (rule.a2_plus, rule.a3_plus, rule.a2_minus, rule.a3_minus) == (a2p, a3p, a2m, a3m)
    assert float(rule.tau_y / ms) == pytest.approx(tau_y)
    assert float(rule.tau_x / ms) == pytest.approx(101 if tau_x is None else tau_x)
    assert rule.interaction == ("nearest" if "nearest" in name else "all_to_all")
    assert float(rule.tau_plus / ms) == pytest.approx(16.8) and float(rule.tau_minus / ms) == pytest.approx(33.7)
    assert ("tau_x" in PRESETS[name]) == (tau_x is not None)


def test_make_rule_errors_and_overrides():
    assert make_rule({"name": "stdp_additive", "a_plus": 0.01}, "r").a_plus == 0.01
    with pytest.raises(ConfigError) as info:
        make_rule({"a_plus": 0.01}, "syn.rule")
    assert (info.value.field, info.value.problem, info.value.allowed) == ("syn.rule.name", "missing", one_of(RULES))
    with pytest.raises(ConfigError) as info:
        make_rule({"name": "stpd"}, "syn.rule")
    assert (info.value.field, info.value.problem) == ("syn.rule.name", "unknown rule 'stpd'")
    assert info.value.allowed == one_of(RULES)
    with pytest.raises(ConfigError) as info:
        make_rule("stdp_additive", "syn.rule")
    assert (info.value.field, info.value.problem) == ("syn.rule", "got 'stdp_additive'")
    assert info.value.allowed == 'expected a table like { name = "stdp_additive" }'


def _run(statements: str, env: dict) -> dict:
    """Execute Brian2 abstract code line by line as Python (the controller's update)."""
    for line in statements.splitlines():
        line = line.strip()
        if line:
            exec(line, {"int": int}, env)  # noqa: S102
    return env


@pytest.mark.parametrize("mode", BASELINES)
def test_reward_baseline_statements_subtract_the_expectation_and_update_it(mode):
    baseline = RewardBaseline(mode=mode, trials=4.0)
    switches = baseline.switches()
    assert switches == {
        "use_stimulus_baseline": float(mode == "per_stimulus"),
        "use_global_baseline": float(mode == "global"),
    }
    assert baseline.variables(2) == ["baseline_0", "baseline_1", "baseline_all"]
    eqs = baseline.equations(2).splitlines()
    assert [e.strip() for e in eqs if e.strip()] == [
        "baseline_0 : 1",
        "baseline_1 : 1",
        "baseline_all : 1",
        "use_stimulus_baseline : 1 (shared)",
        "use_global_baseline : 1 (shared)",
    ]
    env = {"R": 1.0, "stim": 1, "baseline_0": 0.2, "baseline_1": 0.6, "baseline_all": 0.4, **switches}
    _run(baseline.statements(2, "R", "stim"), env)
    expected = {"per_stimulus": 1.0 - 0.6, "global": 1.0 - 0.4, "none": 1.0}[mode]
    assert env["modulator"] == pytest.approx(expected)
    # the running means move a quarter of the way to R (trials = 4); only the trial's stimulus
    assert env["baseline_1"] == pytest.approx(0.6 + (1.0 - 0.6) / 4)
    assert env["baseline_0"] == 0.2
    assert env["baseline_all"] == pytest.approx(0.4 + (1.0 - 0.4) / 4)
    pre = baseline.statements(2, "R", "stim", suffix="_pre")
    assert "baseline_1_pre" in pre and "use_global_baseline_pre" in pre and "baseline_all_pre" in pre


def test_reward_baseline_trials_below_one_is_an_error():
    with pytest.raises(ConfigError) as info:
        RewardBaseline(trials=0.5).check("task.baseline")
    assert (info.value.field, info.value.problem, info.value.allowed) == (
        "task.baseline.trials",
        "0.5 is below 1",
        "expected trials >= 1",
    )
    RewardBaseline(trials=1.0).check("task.baseline")
    assert RewardBaseline().mode == "per_stimulus" and RewardBaseline().trials == 10.0


def test_normalisation_rescales_each_neurons_incoming_weights():
    w = np.array([1.0, 3.0, 2.0, 0.0, 0.0])
    post = np.array([0, 0, 1, 2, 2])
    np.testing.assert_allclose(incoming_sums(w, post, 4), [4.0, 2.0, 0.0, 0.0])
    out = normalize(w, post, 4, 8.0)
    np.testing.assert_allclose(out, [2.0, 6.0, 8.0, 0.0, 0.0])  # a neuron with sum 0 is left alone
    assert incoming_sums(np.array([1.0]), np.array([0]), 3).shape == (3,)
    # sums below 1 are rescaled too (only a sum of exactly 0 is left alone)
    np.testing.assert_allclose(normalize(np.array([0.2, 0.3]), np.array([0, 0]), 1, 1.0), [0.4, 0.6])
    np.testing.assert_allclose(normalize(np.array([0.25]), np.array([1]), 2, 2.0), [2.0])


def test_diehl_cook_rule_reads_its_traces_before_resetting_them():
    """Pre at 10, 30, 31 ms, post at 15, 25 ms, simulated: the potentiation at a post spike is
    nu_post * pre * post2 with post2 from before this spike, the depression at a pre spike is
    nu_pre * post1; every trace is reset to 1 at its own spike (Diehl & Cook 2015)."""
    from snnlearn.pairing import protocol_model, run_spike_trains, weight_changes

    spec = protocol_model({"dc": {"name": "diehl_cook", "w_max": 1.0}}, w_init=0.5, dt="1 ms")
    rule = spec.synapses["dc"].rule
    tp, t1, t2 = (float(getattr(rule, k) / ms) for k in ("tau_pre", "tau_post1", "tau_post2"))
    pre, post = [np.array([10.0, 30.0, 31.0])], [np.array([15.0, 25.0])]
    dw = weight_changes(run_spike_trains(spec, pre, post, backend="runtime"))["dc"][0]
    expected = rule.nu_post * np.exp(-15 / tp) * np.exp(-10 / t2) - rule.nu_pre * (np.exp(-5 / t1) + np.exp(-6 / t1))
    assert dw == pytest.approx(expected, rel=1e-9, abs=1e-15)
    assert rule.nu_post * np.exp(-15 / tp) * np.exp(-10 / t2) > 1e-4  # the potentiation is there


@pytest.mark.parametrize(
    ("name", "interaction", "bump"),
    [("mstdp", "all_to_all", "+= 1"), ("mstdp", "nearest", "= 1"), ("da_stdp", "nearest", "= 1")],
)
def test_reward_modulated_rules_bump_their_traces_by_the_interaction(name, interaction, bump):
    rule = make_rule({"name": name, "interaction": interaction}, "r")
    assert f"apre {bump}" in rule.on_pre().splitlines()[-1]
    assert f"apost {bump}" in rule.on_post().splitlines()[-1]


def test_dopamine_group_is_shared_and_refuses_a_conflict():
    from types import SimpleNamespace

    from brian2 import NeuronGroup

    from snnlearn.rules.reward import DOPAMINE, dopamine_group

    added = []
    built = SimpleNamespace(groups={}, spec=SimpleNamespace(dt=0.5 * ms), add=added.append)
    group = dopamine_group(built, 200 * ms)
    assert group.name == DOPAMINE and built.groups[DOPAMINE] is group and added == [group]
    assert group.namespace["tau_d"] == 200 * ms and float(group.dt / ms) == 0.5 and len(group) == 1
    assert dopamine_group(built, 200 * ms) is group and added == [group]  # made once, then shared
    with pytest.raises(ConfigError) as info:
        dopamine_group(built, 100 * ms, field="synapses.s.rule.tau_d")
    assert info.value.field == "synapses.s.rule.tau_d"
    assert info.value.problem == "100. ms differs from the 200. ms of another reward-modulated synapse"
    assert info.value.allowed == "all synapses share one dopamine signal: give them one tau_d"
    for other in (NeuronGroup(1, "v : 1", name=f"{DOPAMINE}_x"), NeuronGroup(1, "DA : 1", name=f"{DOPAMINE}_y")):
        with pytest.raises(ConfigError) as info:
            dopamine_group(SimpleNamespace(groups={DOPAMINE: other}), 200 * ms)
        assert (info.value.field, info.value.problem, info.value.allowed) == (
            f"groups.{DOPAMINE}",
            "this name is used by the shared dopamine signal",
            "rename the group",
        )

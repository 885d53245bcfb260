"""Choosing rules in model files: one-line errors for bad names and values, documented parameters,
and every rule on the standalone backend."""

from __future__ import annotations

import importlib
import re

import numpy as np
import pytest

from snnlearn.errors import ConfigError
from snnlearn.pairing import protocol_model, run_spike_trains
from snnlearn.rules import RULES, make_rule
from snnlearn.spec import parse_model


def model(rule=None, *, post_kind="spikes", effect=None):
    synapse = {"pre": "pre", "post": "post", "connect": "one_to_one"}
    if rule is not None:
        synapse["rule"] = rule
    if effect is not None:
        synapse["effect"] = effect
    post = {"kind": "spikes", "n": 2} if post_kind == "spikes" else {"neuron": "lif_current", "n": 2}
    return {
        "name": "m",
        "groups": {"pre": {"kind": "spikes", "n": 2}, "post": post},
        "synapses": {"s": synapse},
    }


def error_of(raw) -> str:
    with pytest.raises(ConfigError) as info:
        parse_model(raw)
    message = str(info.value)
    assert "\n" not in message
    return message


#: the spike-timing, Hebbian and homeostasis-paired rules (reward-modulated ones are tested apart)
LOCAL_RULES = ("stdp_additive", "stdp_multiplicative", "triplet", "diehl_cook", "oja", "bcm")


def test_all_rules_are_registered():
    assert set(LOCAL_RULES) <= set(RULES)


def test_unknown_rule_lists_the_available_ones():
    message = error_of(model({"name": "hebb"}))
    assert message.startswith("synapses.s.rule.name: unknown rule 'hebb'; allowed: ")
    assert all(name in message for name in RULES)
    assert error_of(model({"tau_plus": "20 ms"})).startswith("synapses.s.rule.name: missing; allowed: ")


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        (
            {"name": "triplet", "tau_y": "40"},
            "synapses.s.rule.tau_y: '40' has the wrong unit; expected a quantity in s",
        ),
        (
            {"name": "stdp_additive", "taup": "20 ms"},
            "synapses.s.rule.taup: unknown parameter; allowed: a_minus, ",
        ),
        (
            {"name": "stdp_multiplicative", "mu": 2.0},
            "synapses.s.rule.mu: 2.0 is above 1; expected 0 <= mu <= 1",
        ),
        (
            {"name": "diehl_cook", "nu_pre": -1.0},
            "synapses.s.rule.nu_pre: -1.0 is negative; expected a value >= 0",
        ),
        ({"name": "bcm", "eta": "1e-7 s"}, "synapses.s.rule.eta: '1e-7 s' has the wrong unit"),
        (
            {"name": "stdp_additive", "interaction": "nearest_spike"},
            "synapses.s.rule.interaction: unknown value 'nearest_spike'; allowed: all_to_all, nearest",
        ),
    ],
)
def test_bad_parameters_are_one_line_errors(rule, expected):
    assert error_of(model(rule)).startswith(expected)


def test_spikes_groups_receive_only_plasticity():
    assert parse_model(model({"name": "triplet"})).synapses["s"].effect == ""
    assert "give a rule and no effect" in error_of(model(None))
    assert "give a rule and no effect" in error_of(model({"name": "oja"}, effect="v_post += w"))
    assert error_of(model({"name": "oja"}, post_kind="neurons")).startswith("synapses.s.effect: missing")


@pytest.mark.parametrize("name", LOCAL_RULES)
def test_each_rule_documents_every_parameter_and_its_reference(name):
    rule = RULES[name]
    doc = importlib.import_module(rule.__module__).__doc__
    table_names = set(re.findall(r"^(\w+)\s{2,}", doc, flags=re.MULTILINE))
    assert set(rule.field_names()) <= table_names, f"{name}: parameters missing from the table"
    assert rule.reference and "References" in doc or "Reference" in doc
    make_rule({"name": name}, "rule")  # the defaults are valid


def random_trains(rng, n, duration_ms, count):
    return [np.sort(rng.choice(np.arange(1, duration_ms), size=count, replace=False)).astype(float) for _ in range(n)]


@pytest.mark.standalone
def test_every_rule_gives_the_same_weights_in_runtime_and_standalone():
    rng = np.random.default_rng(1)
    spec = protocol_model({name: {"name": name, "w_max": 2.0} for name in LOCAL_RULES}, w_init=0.5)
    pre, post = random_trains(rng, 8, 1000, 30), random_trains(rng, 8, 1000, 30)
    runtime = run_spike_trains(spec, pre, post, backend="runtime")
    standalone = run_spike_trains(spec, pre, post, backend="standalone")
    for name in LOCAL_RULES:
        np.testing.assert_allclose(standalone.weights[name], runtime.weights[name], rtol=1e-9, err_msg=name)
        assert not np.allclose(runtime.weights[name], 0.5), f"{name} did not learn"

"""Model files and --set overrides: every field is checked, every error names the field."""

from __future__ import annotations

import copy

import numpy as np
import pytest
from brian2 import Hz, ms, mV

from snnlearn.errors import ConfigError
from snnlearn.experiment import models_dir
from snnlearn.overrides import apply_to_model, apply_to_params, parse_assignments, parse_value
from snnlearn.spec import load_model_dict, parse_model

SONG = load_model_dict(models_dir() / "song2000.toml")


def with_change(key: str, value):
    return apply_to_model(SONG, key, value)


def error_of(raw) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        parse_model(raw)
    return info.value


def test_song2000_parses_into_units():
    spec = parse_model(SONG)
    assert spec.groups["inputs"].n == 1000
    assert spec.groups["inputs"].rate == 10 * Hz
    assert spec.groups["out"].neuron.v_threshold == -54 * mV
    rule = spec.synapses["feedforward"].rule
    assert rule.name == "stdp_additive" and rule.tau_plus == 20 * ms
    assert rule.a_minus / rule.a_plus == pytest.approx(1.05)
    assert spec.dt == 0.1 * ms


@pytest.mark.parametrize(
    ("key", "value", "field", "allowed"),
    [
        ("groups.inputs.rate", "20 mV", "groups.inputs.rate", "Hz"),
        ("groups.inputs.rate", "-5 Hz", "groups.inputs.rate", ">= 0 Hz"),
        ("groups.inputs.rate", "fast", "groups.inputs.rate", "quantity"),
        ("groups.inputs.n", -3, "groups.inputs.n", "1 <= n"),
        ("groups.inputs.n", 2.5, "groups.inputs.n", "integer"),
        ("groups.inputs.kind", "retina", "groups.inputs.kind", "poisson"),
        ("groups.out.neuron", "hodgkin", "groups.out.neuron", "lif_conductance"),
        ("groups.out.params.tau_m", "-20 ms", "groups.out.params.tau_m", "> 0"),
        ("groups.out.params.tau_m", "inf ms", "groups.out.params.tau_m", "finite"),
        ("groups.out.params.tau_x", "20 ms", "groups.out.params.tau_x", "tau_m"),
        ("groups.out.params.v_reset", "-50 mV", "groups.out.params.v_reset", "v_reset < v_threshold"),
        ("synapses.feedforward.pre", "nowhere", "synapses.feedforward.pre", "inputs"),
        ("synapses.feedforward.post", "inputs", "synapses.feedforward.post", "neurons"),
        ("synapses.feedforward.effect", "I_syn_post += w*nA", "synapses.feedforward.effect", "g_e_post"),
        ("synapses.feedforward.effect", "x = w", "synapses.feedforward.effect", "g_e_post"),
        ("synapses.feedforward.rule.name", "magic", "synapses.feedforward.rule.name", "stdp_additive"),
        ("synapses.feedforward.rule.a_plus", "big", "synapses.feedforward.rule.a_plus", "number"),
        ("synapses.feedforward.rule.tau_plus", 20, "synapses.feedforward.rule.tau_plus", "ms"),
        ("synapses.feedforward.rule.interaction", "some", "synapses.feedforward.rule.interaction", "nearest"),
        ("synapses.feedforward.connect", "sometimes", "synapses.feedforward.connect", "one_to_one"),
        ("synapses.feedforward.connect", {"p": 1.5}, "synapses.feedforward.connect.p", "0 <= p <= 1"),
        ("synapses.feedforward.w_init", 3.0, "synapses.feedforward.w_init", "w <= 1.0"),
        ("synapses.feedforward.delay", "-1 ms", "synapses.feedforward.delay", ">= 0 ms"),
        ("synapses.feedforward.colour", "red", "synapses.feedforward.colour", "effect"),
        ("simulation.dt", "0 ms", "simulation.dt", "dt <= 10 ms"),
        ("groups.inputs", 5, "groups.inputs", "table"),
        ("speed", 3, "model.speed", "groups"),
    ],
)
def test_each_bad_field_is_named_with_what_is_allowed(key, value, field, allowed):
    err = error_of(with_change(key, value))
    assert err.field == field
    assert allowed in str(err)


def test_missing_sections_and_bad_names():
    raw = copy.deepcopy(SONG)
    del raw["groups"]
    assert error_of(raw).field == "groups"
    raw = with_change("synapses.inputs", dict(SONG["synapses"]["inhibition"]))
    assert "also a group" in str(error_of(raw))
    raw = apply_to_model(SONG, "groups.1bad", {"kind": "poisson", "n": 3})
    assert error_of(raw).field == "groups.1bad"


def test_set_values_are_read_as_toml_or_strings():
    assert parse_value("0.004") == 0.004
    assert parse_value("20 Hz") == "20 Hz"
    assert parse_value("10,20,40") == [10, 20, 40]
    assert parse_value("none,dense") == ["none", "dense"]
    assert parse_value("true") is True
    assert parse_assignments(["a.b=1"]) == [("a.b", 1)]
    with pytest.raises(ConfigError, match="KEY=VALUE"):
        parse_assignments(["novalue"])


def test_set_on_experiment_params_checks_name_and_type():
    defaults = {"duration": 10 * ms, "rates": [1.0, 2.0], "data": {"path": ""}}
    assert apply_to_params(defaults, "duration", "2 s")["duration"] == 2000 * ms
    assert apply_to_params(defaults, "rates", [5, 6])["rates"] == [5.0, 6.0]
    assert apply_to_params(defaults, "data.path", "x")["data"]["path"] == "x"
    with pytest.raises(ConfigError, match="duration: .* wrong unit"):
        apply_to_params(defaults, "duration", "2 mV")
    with pytest.raises(ConfigError) as info:
        apply_to_params(defaults, "durration", 1)
    assert "allowed:" in str(info.value) and "duration" in str(info.value)


def test_set_overrides_reach_the_spec():
    spec = parse_model(with_change("synapses.feedforward.rule.a_plus", 0.004))
    assert spec.synapses["feedforward"].rule.a_plus == 0.004
    spec = parse_model(with_change("groups.inputs.rate", "20 Hz"))
    assert spec.groups["inputs"].rate == 20 * Hz


def test_normalization_is_checked():
    raw = with_change("synapses.feedforward.normalize", {"total": -1.0})
    assert error_of(raw).field == "synapses.feedforward.normalize.total"
    spec = parse_model(with_change("synapses.feedforward.normalize", {"total": 78.0, "period": "350 ms"}))
    assert spec.synapses["feedforward"].normalize.period == 350 * ms


def test_per_synapse_uniform_delays_are_parsed_built_and_checked():
    from brian2 import ms

    from snnlearn.build import build_network
    from snnlearn.engine import backend_session

    raw = {
        "name": "delays",
        "groups": {"a": {"kind": "poisson", "n": 20, "rate": "10 Hz"}, "b": {"neuron": "lif_current", "n": 5}},
        "synapses": {
            "ab": {"pre": "a", "post": "b", "effect": "v_post += 0 * mV", "delay": {"uniform": ["0 ms", "10 ms"]}}
        },
    }
    spec = parse_model(raw)
    assert spec.synapses["ab"].delay == (0 * ms, 10 * ms)
    with backend_session("runtime", 3):
        delays = np.asarray(build_network(spec).synapses["ab"].delay[:] / ms)
    assert delays.size == 100 and 0 <= delays.min() and delays.max() <= 10 and delays.std() > 2  # uniform: 2.9
    for bad, field in (
        ({"uniform": ["5 ms"]}, "synapses.ab.delay.uniform"),
        ({"uniform": ["5 ms", "1 ms"]}, "synapses.ab.delay.uniform"),
        ({"normal": ["5 ms", "1 ms"]}, "synapses.ab.delay"),
        ("-1 ms", "synapses.ab.delay"),
    ):
        raw["synapses"]["ab"]["delay"] = bad
        with pytest.raises(ConfigError, match=f"^{field}"):
            parse_model(raw)

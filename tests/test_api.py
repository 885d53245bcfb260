"""The Python API: the library's rules and neuron models on a user's own Brian2 groups."""

from __future__ import annotations

import doctest

import brian2 as b2
import numpy as np
import pytest

import snnlearn
import snnlearn.api
from snnlearn.errors import ConfigError
from snnlearn.rules import RULES


@pytest.fixture(autouse=True)
def numpy_target():
    b2.start_scope()
    b2.prefs.codegen.target = "numpy"
    yield
    b2.prefs.codegen.target = "auto"


def test_the_docstring_examples_run():
    result = doctest.testmod(
        snnlearn.api, extraglobs={"snnlearn": snnlearn}, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    )
    assert result.attempted > 5 and result.failed == 0


@pytest.mark.parametrize("name", sorted(RULES))
def test_every_rule_learns_on_user_groups(name):
    inputs = b2.PoissonGroup(20, rates=40 * b2.Hz)
    out = snnlearn.neuron_group("lif_conductance", 2)
    extra = {}
    if name in ("da_stdp", "mstdp", "mstdpet"):
        extra["dopamine"] = (b2.NeuronGroup(1, "DA : 1"), "DA")
        extra["dopamine"][0].DA = 1.0
    syn = snnlearn.plastic_synapses(inputs, out, name, on_pre="g_e_post += 0.2 * w", **extra)
    syn.connect()
    syn.w = 0.5
    net = b2.Network(inputs, out, syn, *([extra["dopamine"][0]] if extra else []))
    net.run(200 * b2.ms)
    w = np.asarray(syn.w[:])
    assert np.isfinite(w).all() and (w >= 0).all()
    assert not np.allclose(w, 0.5), f"{name}: no weight changed"


def test_rule_code_builds_synapses_by_hand():
    code = snnlearn.rule("stdp_multiplicative", tau_plus=16.8 * b2.ms, mu=0.5)
    assert code.namespace["tau_plus"] == 16.8 * b2.ms and code.namespace["mu"] == 0.5
    assert code.model.splitlines()[0] == "w : 1"
    pre, post = b2.SpikeGeneratorGroup(1, [0], [1] * b2.ms), b2.NeuronGroup(1, "v : 1", threshold="t > 5*ms")
    syn = b2.Synapses(
        pre,
        post,
        model=code.model,
        on_pre="v_post += w\n" + code.on_pre,
        on_post=code.on_post,
        namespace=code.namespace,
        method="exact",
    )
    syn.connect()
    syn.w = 0.5
    b2.run(6 * b2.ms)
    assert syn.w[0] > 0.5  # pre at 1 ms, post from 5 ms: potentiation


def test_reward_rule_code_names_its_update():
    code = snnlearn.rule("da_stdp")
    assert code.needs_modulator and "DA : 1 (linked)" in code.model
    assert code.update.startswith("w = clip(") and code.update_period == 10 * b2.ms


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda g: snnlearn.rule("nope"), "rule: unknown rule 'nope'; allowed: "),
        (
            lambda g: snnlearn.rule("stdp_additive", tau_plus="20 mV"),
            "stdp_additive.tau_plus: '20 mV' has the wrong unit",
        ),
        (lambda g: snnlearn.rule("stdp_additive", tau_pluss="20 ms"), "stdp_additive.tau_pluss: unknown parameter"),
        (lambda g: snnlearn.rule("stdp_additive", a_plus=-1.0), "stdp_additive.a_plus: -1.0 is negative"),
        (
            lambda g: snnlearn.plastic_synapses(g[0], g[1], "stdp_additive", on_pre="g_e_post += w"),
            "on_pre: the target out has no variable 'g_e'; allowed: ",
        ),
        (lambda g: snnlearn.plastic_synapses(g[0], g[1], "mstdp"), "dopamine: missing: mstdp is modulated"),
        (lambda g: snnlearn.plastic_synapses(g[0], g[1], "oja", dopamine=(g[1], "v")), "dopamine: oja reads no"),
        (
            lambda g: snnlearn.plastic_synapses(g[0], g[1], "mstdp", dopamine=(g[1], "DA")),
            "dopamine: out has no variable 'DA'",
        ),
        (lambda g: snnlearn.neuron_group("lif", 3), "model: unknown neuron model 'lif'; allowed: "),
        (lambda g: snnlearn.neuron_group("lif_current", 0), "n: got 0; expected an integer >= 1"),
        (lambda g: snnlearn.neuron_group("lif_current", 2, tau_m=20), "lif_current.tau_m: 20 has no unit"),
    ],
)
def test_bad_input_is_one_line_naming_it(call, message):
    groups = (b2.PoissonGroup(3, 5 * b2.Hz, name="inputs"), b2.NeuronGroup(2, "v : 1", name="out"))
    with pytest.raises(ConfigError) as info:
        call(groups)
    text = str(info.value)
    assert "\n" not in text and text.startswith(message), text


def test_neuron_group_uses_the_model_and_its_initial_values():
    group = snnlearn.neuron_group("adaptive_lif", 4, theta_plus="0.1 mV")
    assert group.namespace["theta_plus"] == 0.1 * b2.mV
    assert np.allclose(group.theta[:] / b2.mV, 20.0) and group.adapting[:] == 1.0

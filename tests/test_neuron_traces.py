"""Postsynaptic traces kept once per neuron (``post_traces = "neuron"``) against the paper's
per-synapse event-driven traces: the same spikes and weights on both backends, and a clear error
where the neuron form cannot be built."""

from __future__ import annotations

import numpy as np
import pytest
from brian2 import mV, prefs

import snnlearn
from snnlearn.build import build_network
from snnlearn.engine import backend_session
from snnlearn.errors import ConfigError
from snnlearn.experiment import models_dir
from snnlearn.overrides import apply_to_model
from snnlearn.spec import load_model_dict, parse_model
from snnlearn.tasks.digits import EXCITATORY, FEEDFORWARD, DigitPresenter, Protocol, fit_model

PROTOCOL = Protocol.from_mapping(
    {"max_intensity": 4.0, "t_present": "100 ms", "t_rest": "50 ms", "pixel_rate": "300 Hz"}, "protocol"
)
IMAGES = np.random.default_rng(3).random((10, 16))
RULE = f"synapses.{FEEDFORWARD}.rule"


def _spec(post_traces: str, nu_post: float = 0.2):
    raw = load_model_dict(models_dir() / "diehl_cook_2015.toml")
    raw = apply_to_model(raw, f"{RULE}.post_traces", post_traces)
    raw = apply_to_model(raw, f"{RULE}.nu_pre", 0.005)  # strong depression, so that post1 matters
    raw = apply_to_model(raw, f"{RULE}.nu_post", nu_post)
    return fit_model(raw, 16, 4, PROTOCOL)


def _train(post_traces: str, backend: str, nu_post: float = 0.2):
    with backend_session(backend, 7, key=f"test-neuron-traces-{post_traces}") as build_dir:
        if backend == "runtime":
            prefs.codegen.target = "numpy"
        presenter = DigitPresenter(_spec(post_traces, nu_post), PROTOCOL, 3, backend=backend, build_dir=build_dir)
        initial, _ = presenter.initial_state()
        shown = presenter.present(IMAGES, learn=True)
        weights = np.asarray(presenter.session.get(presenter.feedforward, "w"))
        theta = np.asarray(presenter.session.get(presenter.excitatory, "theta") / mV)
    return shown.counts, initial, weights, theta


@pytest.mark.parametrize("backend", ["runtime", "standalone"])
def test_traces_on_the_neuron_give_the_per_synapse_rule_s_spikes_and_weights(backend):
    counts, initial, weights, theta = _train("synapse", backend)
    counts_n, initial_n, weights_n, theta_n = _train("neuron", backend)
    np.testing.assert_array_equal(initial_n, initial)
    assert counts.sum() > 30  # the excitatory neurons fire, so both traces are read many times
    np.testing.assert_array_equal(counts_n, counts)
    np.testing.assert_allclose(weights_n, weights, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(theta_n, theta)
    assert np.abs(weights - initial).max() > 0.05  # learning moved the weights


def test_the_neuron_traces_are_read_before_a_spike_of_the_same_step_resets_them():
    """Potentiation reads post2 from before the postsynaptic spike: with it read after the reset
    (post2 = 1) every pairing would potentiate by nu_post * pre, and the weights would differ."""
    with backend_session("runtime", 7, key="test-neuron-traces-order"):
        prefs.codegen.target = "numpy"
        net = build_network(_spec("neuron"), record_spikes=[EXCITATORY])
    group = net.groups[EXCITATORY]
    assert "post1 = 1" in group.event_codes["spike"] and "post2 = 1" in group.event_codes["spike"]
    decays = [obj for obj in group.contained_objects if obj.name.endswith("_decay")]
    assert {obj.when for obj in decays} == {"start"}
    assert sorted(obj.abstract_code.strip() for obj in decays) == [
        f"post1 = post1 * {float(np.exp(-0.5 / 20))!r}",
        f"post2 = post2 * {float(np.exp(-0.5 / 40))!r}",
    ]
    assert net.synapses[FEEDFORWARD].event_driven is None  # post1, post2 on the neuron; t_arrival is a time
    assert np.all(np.asarray(net.synapses[FEEDFORWARD].t_arrival) == -1e6)  # no arrival yet: a trace of exactly 0


def test_neuron_traces_refuse_a_target_without_neurons_and_hand_built_synapses():
    raw = load_model_dict(models_dir() / "diehl_cook_2015.toml")
    with pytest.raises(ConfigError, match="post_traces.*'synapse'"):
        snnlearn.rule("diehl_cook", post_traces="neuron")
    with pytest.raises(ConfigError, match=f"{RULE}.post_traces: unknown value 'both'; allowed: neuron, synapse"):
        parse_model(apply_to_model(raw, f"{RULE}.post_traces", "both"))
    onto_inputs = {
        "name": "onto_inputs",
        "groups": {"a": {"kind": "poisson", "n": 2, "rate": "5 Hz"}, "b": {"kind": "spikes", "n": 2}},
        "synapses": {"ab": {"pre": "a", "post": "b", "rule": {"name": "diehl_cook", "post_traces": "neuron"}}},
    }
    with pytest.raises(ConfigError, match="synapses.ab.rule.post_traces: the target b is not a group of neurons"):
        build_network(parse_model(onto_inputs))

"""planned_synapse_count: the number of synapses a connection rule fixes, as Brian2 then builds them."""

from __future__ import annotations

import pytest

from snnlearn.build import build_network, planned_synapse_count
from snnlearn.engine import backend_session
from snnlearn.spec import parse_model


@pytest.mark.parametrize(
    ("connect", "expected"),
    [
        ("all", 5 * 7),
        ("one_to_one", 5),
        ("all_but_self", 5 * 7 - 5),
        ({"j": "k for k in sample(N_post, size=3)"}, 5 * 3),
        ({"j": " k for k in sample( N_post , size = 2 ) "}, 5 * 2),
        ({"p": 0.5}, None),
        ({"condition": "i > j"}, None),
        ({"j": "k for k in sample(N_post, p=0.5)"}, None),
    ],
)
def test_planned_count_matches_what_brian2_builds(connect, expected):
    raw = {
        "name": "counts",
        "groups": {"a": {"kind": "poisson", "n": 5, "rate": "1 Hz"}, "b": {"neuron": "lif_current", "n": 7}},
        "synapses": {"s": {"pre": "a", "post": "b", "connect": connect, "effect": "v_post += 0 * mV"}},
    }
    spec = parse_model(raw)
    assert planned_synapse_count(spec, "s") == expected
    if expected is not None:
        with backend_session("runtime", 1):
            assert len(build_network(spec, record_spikes=False).synapses["s"]) == expected

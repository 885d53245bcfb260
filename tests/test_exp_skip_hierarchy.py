"""skip_hierarchy --quick: where the five most important sources of last-layer neurons sit."""

from __future__ import annotations

import json

import pytest

from snnlearn.experiment import run_experiment


@pytest.fixture(scope="module")
def metrics(tmp_path_factory):
    run = run_experiment("skip_hierarchy", quick=True, out=tmp_path_factory.mktemp("s") / "run")
    assert (run / "top5_diagram.png").is_file() and (run / "top5_histogram.png").is_file()
    return json.loads((run / "metrics.json").read_text())


def test_fractions_are_a_distribution_over_earlier_layers(metrics):
    last = metrics["params"]["hidden_layers"]
    for skip, fractions in metrics["top5_fraction_by_layer"].items():
        assert len(fractions) == last - 1
        assert sum(fractions) == pytest.approx(1.0)
        assert fractions[0] == metrics["top5_first_layer_fraction"][skip]
        assert fractions[-1] == metrics["top5_previous_layer_fraction"][skip]
        distance = sum(f * (last - k) for k, f in enumerate(fractions, start=1))
        assert distance == pytest.approx(metrics["mean_layer_distance_top5"][skip])


def test_skips_move_the_top_sources_away_from_the_previous_layer(metrics):
    initial = metrics["at_initialisation"]
    chance = metrics["chance_fraction_per_layer"]
    # Before training, the plain network's top sources sit mostly in the previous layer, and
    # both skip modes pull them further back.
    assert initial["top5_previous_layer_fraction"]["none"] > 1.5 * chance
    assert "Without skips, at initialisation, the previous layer dominates" in metrics["finding"]
    distance = initial["mean_layer_distance_top5"]
    first_at_init = initial["top5_first_layer_fraction"]
    for skip in ("residual", "dense"):
        assert distance[skip] > distance["none"]
        assert first_at_init[skip] > first_at_init["none"]
    # After training, dense skips make the first layer the most common source.
    first = metrics["top5_first_layer_fraction"]
    assert first["dense"] > first["none"]
    assert first["dense"] == max(metrics["top5_fraction_by_layer"]["dense"])


def test_residual_top_sources_are_mostly_the_identity_path(metrics):
    """With residual skips, h_k[j] reaches h_last[j] with a derivative of 1 plus the branches':
    the same-index neurons fill most of the top 5, at initialisation and after training, while
    without an identity path (none, dense) same-index sources are as rare as chance makes them."""
    width, k = metrics["params"]["width"], metrics["params"]["top_k"]
    for when in (metrics["at_initialisation"], metrics):
        identity = when["top5_identity_path_fraction"]
        assert identity["residual"] > 0.4
        for skip in ("none", "dense"):
            assert identity[skip] < 3 / width + 0.1  # chance: 1 / width per source
            assert identity["residual"] > 3 * identity[skip]
    assert k == 5

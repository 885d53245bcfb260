"""The memory estimate: counted from the network's sizes, refused above the memory available with
the estimate in one ``error: memory:`` line before anything is written; the package's own
models and experiments pass."""

from __future__ import annotations

import re

import pytest

from snnlearn import cli, footprint
from snnlearn.errors import ConfigError
from snnlearn.experiment import available_experiments, available_models, check_run, models_dir
from snnlearn.spec import load_model_dict, parse_model

GiB = 2**30


def spec_of(name: str, **sizes: int):
    raw = load_model_dict(models_dir() / f"{name}.toml")
    for group, n in sizes.items():
        raw["groups"][group]["n"] = n
    return parse_model(raw)


def test_synapses_are_counted_from_the_connection_rule():
    assert footprint.synapse_count({}, 30, 40) == 1200
    assert footprint.synapse_count({"p": 0.5}, 30, 40) == 600
    assert footprint.synapse_count({"j": "i"}, 30, 40) == 30
    assert footprint.synapse_count({"condition": "i != j"}, 40, 40) == 1560
    assert footprint.synapse_count({"j": "k for k in sample(N_post, size=80)"}, 320, 400) == 320 * 80
    assert footprint.synapse_count({"condition": "i // 10 != j // 10"}, 40, 40) == 0  # unknown: a lower bound


def test_the_estimate_counts_neurons_synapses_their_variables_and_a_second_copy():
    spec = spec_of("song2000")
    estimate = footprint.estimate(spec)
    items = {item.what: item for item in estimate.items}
    ff = items["synapses feedforward"]
    assert ff.count == spec.groups["inputs"].n * spec.groups["out"].n
    # indices (16 B), w and the rule's two traces, lastupdate (8 B each), two spike-queue pathways (4 B each)
    assert ff.each == 16 + 8 * 4 + 4 * 2
    state = sum(i.total for w, i in items.items() if not w.startswith("second copy"))
    assert items["second copy of the state (checkpoint or read-back)"].total == state
    assert estimate.total == 2 * state
    recorded = footprint.estimate(spec, [footprint.monitor("weights", 1000, 1, 200)])
    assert recorded.total == estimate.total + 200 * 1001 * 8


def test_a_network_of_1e5_by_1e5_synapses_is_refused_before_anything_is_written(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    status = cli.main(
        [
            "run",
            "song2000",
            "--quick",
            "--set",
            "groups.inputs.n=100000",
            "--set",
            "groups.out.n=100000",
            "--out",
            "run",
        ]
    )
    err = [line for line in capsys.readouterr().err.splitlines() if not line.startswith("warning:")]
    assert status == 2 and len(err) == 1, err
    assert re.match(
        r"^error: memory: song2000 needs at least [\d.]+ TiB \(.*synapses feedforward: 1e\+10 x 56 B"
        r" = .* is available; make the network smaller",
        err[0],
    ), err[0]
    assert list(tmp_path.iterdir()) == []


def test_the_limit_is_the_memory_available_and_jobs_at_once_multiply_it():
    estimate = footprint.estimate(spec_of("diehl_cook_2015"))
    footprint.check(estimate, available=int(estimate.total) + 1)
    with pytest.raises(ConfigError, match=r"^memory: this run needs at least .* but 1 KiB is available"):
        footprint.check(estimate, available=1024)
    with pytest.raises(ConfigError, match="needs 4 jobs at once x at least .*or give fewer --workers"):
        footprint.check(estimate, available=int(estimate.total * 3), copies=4)
    assert 0 < footprint.available_bytes()


@pytest.mark.parametrize("name", available_models())
def test_every_model_file_needs_less_than_a_gibibyte(name):
    assert footprint.estimate(spec_of(name)).total < GiB


@pytest.mark.parametrize("name", available_experiments())
def test_every_experiment_passes_the_check_quick_and_full(name):
    check_run(name, quick=True)  # the memory estimate included: none raises
    try:
        check_run(name, quick=False)
    except ConfigError as exc:  # a full run of the MNIST experiments needs the data set here
        if exc.field != "data.path":
            raise


def test_sizes_in_binary_units():
    assert footprint.size(512) == "512 B"
    assert footprint.size(3 * 2**20) == "3 MiB"
    assert footprint.size(1.5 * 2**40) == "1.5 TiB"


def test_what_an_experiment_records_over_its_duration_counts():
    """song2000 declares its weight samples (one per sample_dt at every rate): a long run of a wide
    network is refused for them, while its model alone would fit."""
    module, _, ctx = check_run("song2000", quick=True)
    items = {item.what: item for item in module.recorded(ctx)}
    assert items["weight samples"].count == (12 + 12) and items["weight samples"].each == (1000 + 1) * 8
    sets = ["groups.inputs.n=1000000", "duration=4000000 s"]
    with pytest.raises(ConfigError, match=r"^memory: song2000 needs at least [\d.]+ TiB \(weight samples: 3\.5e\+05 x"):
        check_run("song2000", sets=sets)
    assert (
        footprint.estimate(
            parse_model(
                ctx.model.raw
                | {"groups": ctx.model.raw["groups"] | {"inputs": ctx.model.raw["groups"]["inputs"] | {"n": 1000000}}}
            )
        ).total
        < 2 * GiB
    )

"""The comparison report, built on synthetic job folders: only ``--out`` and its jobs, every image
it names exists there, captions say what each image is, per-seed values beside intervals (none
from fewer than 3 seeds, never clipped), curves on a log axis with mean and band, and examples to
criterion computed as the experiments compute them."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
from matplotlib.collections import PolyCollection

from snnlearn import compare, report
from snnlearn.criterion import examples_to_criterion, running_accuracy, trials_to_criterion
from snnlearn.plots import plt
from snnlearn.protocols import choice
from snnlearn.sweep import Job, job_name

EPOCHS = [0, 1, 2, 4]


def figure_png(path: Path, title: str) -> None:
    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, 1])
    ax.set(title=title, xlabel="epoch", ylabel="test accuracy")
    fig.savefig(path)
    plt.close(fig)


def weight_transport_job(folder: Path, seed: int, final: float) -> None:
    folder.mkdir(parents=True)
    curve = [0.1, 0.5, 0.7, final]
    (folder / "metrics.json").write_text(
        json.dumps(
            {
                "experiment": "weight_transport",
                "seed": seed,
                "wall_time_s": 2.0,
                "peak_memory_mb": 100.0,
                "train_examples": 700,
                "test_accuracy_by_learner": {"one_hidden": {"backprop": final}},
                "learning_curves": {"one_hidden": {"backprop": {"epoch": EPOCHS, "test_accuracy": curve}}},
            }
        )
    )
    figure_png(folder / "learning_curves.png", "backprop, one hidden layer")
    (folder / "figures.json").write_text(json.dumps({"learning_curves.png": "test accuracy against epoch"}))


def reward_choice_job(folder: Path, seed: int, rewarded: np.ndarray) -> None:
    folder.mkdir(parents=True)
    window = 10
    blocks = rewarded[: len(rewarded) // window * window].reshape(-1, window).mean(axis=1).tolist()
    (folder / "metrics.json").write_text(
        json.dumps(
            {
                "experiment": "reward_choice",
                "seed": seed,
                "wall_time_s": 1.0,
                "params": {"curve_window": window},
                "accuracy_by_rule": {"mstdpet": {"none": float(rewarded[-window:].mean())}},
                "learning_curve_by_rule": {"mstdpet": {"none": blocks}},
                "chance_accuracy": 0.25,
                "trials_to_80pct_by_rule": {"mstdpet": {"none": trials_to_criterion(rewarded, window, 0.8)}},
            }
        )
    )
    np.savez(folder / "learning.npz", mstdpet_none_rewarded=rewarded)
    figure_png(folder / "selectivity.png", "selectivity")  # no figures.json: caption from the file name


@pytest.fixture
def comparison(tmp_path, monkeypatch):
    """A comparison folder with backprop (3 seeds, one at 1.0) and rstdp (2 seeds), and an unrelated
    complete run under ./results that the report must not show."""
    monkeypatch.chdir(tmp_path)
    decoy = tmp_path / "results" / "diehl_cook" / "old-run"
    decoy.mkdir(parents=True)
    (decoy / "metrics.json").write_text(json.dumps({"experiment": "diehl_cook", "seed": 1}))
    figure_png(decoy / "decoy_figure.png", "old")
    table = [x for x in compare.learners(30, "digits") if x.name in ("backprop", "rstdp")]
    out = tmp_path / "cmp"
    rng = np.random.default_rng(0)
    outcomes = {s: (rng.random(200) < np.linspace(0.3, 0.95, 200)).astype(float) for s in (0, 1)}
    jobs: dict[str, list[Job]] = {}
    for learner in table:
        jobs[learner.name] = []
        for seed in (0, 1, 2) if learner.name == "backprop" else (0, 1):
            folder = out / "jobs" / job_name(learner.experiment, learner.sets, seed)
            if learner.name == "backprop":
                weight_transport_job(folder, seed, [0.98, 0.99, 1.0][seed])
            else:
                reward_choice_job(folder, seed, outcomes[seed])
            jobs[learner.name].append(Job(learner.experiment, learner.sets, seed, True, str(folder)))
    rows = compare.summarise(table, jobs, compare.CRITERIA)
    text = report.write_report(out, table, compare.read_results(table, jobs), rows, compare.CRITERIA)
    return out, table, jobs, rows, text, outcomes


class Images(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.sources: list[str] = []
        self.captions: list[str] = []
        self._in_caption = False

    def handle_starttag(self, tag, attrs):
        if tag == "img":
            self.sources.append(dict(attrs)["src"])
        self._in_caption = tag == "figcaption"

    def handle_data(self, data):
        if self._in_caption:
            self.captions.append(data)
            self._in_caption = False


def test_every_image_the_report_names_exists_in_out_and_nothing_else_is_shown(comparison):
    out, table, *_ = comparison
    page = (out / "report.html").read_text()
    parser = Images()
    parser.feed(page)
    assert parser.sources, "the report shows no image"
    for src in parser.sources:
        assert not src.startswith(("/", "data:", "..")), src
        assert (out / src).is_file(), src
    assert report.CURVES_FILE in parser.sources
    assert sum("learning_curves.png" in s for s in parser.sources) == 1  # the first seed's job figures only
    assert "decoy" not in page and "results/" not in page and "diehl_cook" not in page


def test_each_image_is_captioned_with_experiment_learner_seeds_and_content(comparison):
    out, *_ = comparison
    parser = Images()
    parser.feed((out / "report.html").read_text())
    captions = dict(zip(parser.sources, parser.captions, strict=True))
    job_curve = next(c for s, c in captions.items() if s.endswith("learning_curves.png"))
    assert job_curve.startswith("weight_transport / backprop, seed 0 (one of 3 finished seeds")
    assert job_curve.endswith("test accuracy against epoch")  # from the job's figures.json
    selectivity = next(c for s, c in captions.items() if s.endswith("selectivity.png"))
    assert "reward_choice / rstdp, seed 0 (one of 2 finished seeds" in selectivity
    assert selectivity.endswith(": selectivity")  # no figures.json: the file name
    curves = captions[report.CURVES_FILE]
    assert "backprop, rstdp" in curves and "weight_transport" in curves and "log axis" in curves
    assert "2/3 seeds per learner" in curves


def test_per_seed_values_beside_an_interval_only_from_three_seeds_and_never_clipped(comparison):
    _, _, _, rows, text, _ = comparison
    by = {r["learner"]: r for r in rows}
    bp, rstdp = by["backprop"], by["rstdp"]
    assert bp["accuracy_by_seed"] == "0.98 0.99 1"
    assert bp["accuracy_ci95_high"] > 1.0  # a t-interval over 3 values near 1 reaches above it: not clipped
    assert rstdp["seeds"] == 2 and rstdp["accuracy_ci95_low"] is None and rstdp["accuracy_ci95_high"] is None
    bp_line = next(line for line in text.splitlines() if "| backprop |" in line)
    assert "seeds: 0.98, 0.99, 1" in bp_line and f"[{bp['accuracy_ci95_low']:.3f}, " in bp_line
    assert f"{bp['accuracy_ci95_high']:.3f}]" in bp_line and "extends beyond [0, 1]; not clipped" in bp_line
    rstdp_line = next(line for line in text.splitlines() if "| rstdp |" in line)
    assert "no interval from 2 seeds" in rstdp_line and "CI" not in rstdp_line.split("|")[4]


def test_examples_to_criterion_are_the_experiments_own(comparison):
    out, _, jobs, rows, _, outcomes = comparison
    rstdp = next(r for r in rows if r["learner"] == "rstdp")
    own = [
        json.loads((Path(j.folder) / "metrics.json").read_text())["trials_to_80pct_by_rule"]["mstdpet"]["none"]
        for j in jobs["rstdp"]
    ]
    assert own == [choice.trials_to_criterion(outcomes[s], 10, 0.8) for s in (0, 1)]
    assert rstdp["examples_to_criterion_by_seed"] == " ".join("-" if n is None else f"{n:g}" for n in own)
    bp = next(r for r in rows if r["learner"] == "backprop")
    assert bp["examples_to_criterion_by_seed"] == "2800 2800 2800"  # epoch 4 x 700 images: first >= 0.8


def test_curves_are_on_a_log_axis_with_the_mean_and_its_band(comparison):
    _, table, jobs, *_ = comparison
    results = compare.read_results(table, jobs)
    fig, _ = report.curves_figure(table, results, compare.CRITERIA)
    digits, choice_ax = fig.axes
    assert digits.get_xscale() == "log" and choice_ax.get_xscale() == "log"
    mean = next(line for line in digits.lines if line.get_label().startswith("backprop (mean of 3 seeds)"))
    np.testing.assert_allclose(mean.get_xdata(), [700, 1400, 2800])  # epoch 0 (0 examples) is not drawn
    np.testing.assert_allclose(mean.get_ydata(), [0.5, 0.7, np.mean([0.98, 0.99, 1.0])])
    assert any(isinstance(c, PolyCollection) and "95% CI" in c.get_label() for c in digits.collections)
    assert any(isinstance(c, PolyCollection) and "range" in c.get_label() for c in choice_ax.collections)
    labels = [line.get_label() for line in choice_ax.lines]
    assert "chance (0.25)" in labels and "criterion (0.8)" in labels
    plt.close(fig)


def test_one_definition_of_examples_to_criterion():
    assert examples_to_criterion([(0, 0.1), (100, 0.79), (200, 0.8), (300, 0.9)], 0.8) == 200
    assert examples_to_criterion([(0, 0.1), (100, 0.5)], 0.8) is None
    outcomes = [0, 1, 1, 0, 1, 1, 1, 1]
    assert running_accuracy(outcomes, 4) == [(4.0, 0.5), (5.0, 0.75), (6.0, 0.75), (7.0, 0.75), (8.0, 1.0)]
    assert trials_to_criterion(outcomes, 4, 0.75) == 5 and trials_to_criterion(outcomes, 4, 1.01) is None
    assert choice.trials_to_criterion is trials_to_criterion  # what reward_choice and reward_scaling use
    assert running_accuracy([1, 0], 3) == []

"""The figures are tested for content, not pixels: labelled axes with units, the reference lines a
figure promises (each with a legend entry), and as many points as the time course samples.

Each figure function is called with small synthetic data (milliseconds each); the experiments'
own quick runs check that they call them.
"""

from __future__ import annotations

import re

import matplotlib.pyplot as plt
import numpy as np
import pytest

from snnlearn import plots
from snnlearn import plotstyle as ps
from snnlearn.figures import learning, plasticity, recurrent

UNIT = re.compile(r"\(.+\)")


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def visible_axes(fig):
    return [ax for ax in fig.axes if ax.get_visible() and (ax.lines or ax.collections or ax.patches)]


def assert_units(fig, x: bool = True):
    """Every drawn panel has a y label with a unit in brackets; x labels on the bottom row too."""
    for ax in visible_axes(fig):
        label = ax.get_ylabel()
        if label:
            assert UNIT.search(label), label
        if x and ax.get_xlabel():
            assert UNIT.search(ax.get_xlabel()), ax.get_xlabel()
    assert any(ax.get_ylabel() for ax in fig.axes) and any(ax.get_xlabel() for ax in fig.axes)


def line_with(fig, label: str):
    """The line (or errorbar container's line) whose legend label is ``label``."""
    for ax in fig.axes:
        for line in ax.lines:
            if line.get_label() == label:
                return line
        for container in ax.containers:
            if container.get_label() == label:
                return container
    raise AssertionError(f"no line labelled {label!r} in {ps.legend_labels(fig)}")


def integer_ticks(ax, which: str = "x") -> bool:
    axis = ax.xaxis if which == "x" else ax.yaxis
    low, high = ax.get_xlim() if which == "x" else ax.get_ylim()
    ticks = [t for t in axis.get_majorticklocs() if low <= t <= high]
    labels = [lbl.get_text() for lbl in axis.get_majorticklabels()]
    return bool(ticks) and all(float(t).is_integer() for t in ticks) and not any("^" in lbl for lbl in labels)


def test_style_sets_dpi_and_vector_formats(tmp_path):
    fig, axes = ps.figure()
    axes[0, 0].plot([0, 1], [0, 1])
    assert ps.DPI >= 150
    assert ps.save(fig, "pdf")[:4] == b"%PDF" and b"<svg" in ps.save(fig, "svg")[:400]
    png = ps.save(fig, "png")
    assert png[:4] == b"\x89PNG"


def test_savefig_writes_vector_copies_and_the_quick_caption(tmp_path, monkeypatch):
    from snnlearn.experiment import RunContext

    ctx = RunContext(
        name="x",
        seed=1,
        quick=True,
        backend="runtime",
        out_dir=tmp_path,
        params={},
        quick_overrides={"duration": "2 s"},
    )
    fig, axes = ps.figure()
    axes[0, 0].plot([0, 1], [0, 1])
    monkeypatch.setenv("SNNLEARN_FIGURES", "svg")
    ctx.savefig(fig, "f.png", note="dt coarser", formats=("pdf",))
    assert {p.name for p in tmp_path.iterdir()} == {"f.png", "f.pdf", "f.svg", "figures.json"}
    caption = " ".join(t.get_text() for t in fig.texts).replace("\n", " ")
    assert "duration = 2 s" in caption and "dt coarser" in caption and "--quick" in caption


def test_bad_figure_format_is_a_config_error(monkeypatch):
    from snnlearn import config
    from snnlearn.errors import ConfigError

    monkeypatch.setenv("SNNLEARN_FIGURES", "jpeg")
    with pytest.raises(ConfigError, match="SNNLEARN_FIGURES"):
        config.figure_formats()


def test_count_axes_have_integer_ticks_also_on_log_axes():
    fig, axes = ps.figure(1, 2)
    axes[0, 0].plot([1, 2, 4, 8, 16], [1, 2, 3, 4, 5])
    ps.count_axis(axes[0, 0], "x", [1, 2, 4, 8, 16], log=True)
    axes[0, 1].plot([0, 7.5], [0, 1])
    ps.count_axis(axes[0, 1], "x")
    fig.canvas.draw()
    assert integer_ticks(axes[0, 0]) and integer_ticks(axes[0, 1])
    assert [t.get_text() for t in axes[0, 0].get_xticklabels()] == ["1", "2", "4", "8", "16"]


def test_bytes_are_written_with_binary_prefixes():
    assert ps.format_bytes(512) == "512 B"
    assert ps.format_bytes(1536) == "1.5 KiB"
    assert ps.format_bytes(3 * 2**20) == "3 MiB"


def test_log_interval_is_symmetric_in_log_space():
    mean, low, high = ps.log_interval([1.0, 10.0, 100.0])
    assert mean == pytest.approx(10.0)
    assert low * high == pytest.approx(mean**2)  # symmetric around the geometric mean
    assert low > 0  # an interval computed on the values would go below 0 here


def test_accuracy_curves_draw_chance_and_criterion():
    xs = [0, 100, 200, 300]
    fig = learning.accuracy_curves(
        {"backprop": (xs, [0.1, 0.5, 0.8, 0.9]), "node_perturbation": (xs, [0.1] * 4)},
        "training examples seen (count)",
        chance=0.1,
        criterion=0.8,
    )
    assert {"chance (0.1)", "criterion (0.8)", "backprop"} <= set(ps.legend_labels(fig))
    assert len(line_with(fig, "backprop").get_xdata()) == len(xs)
    assert_units(fig)


def _curves(learners, epochs=5):
    return {
        net: {
            name: {"epoch": list(range(epochs + 1)), "test_accuracy": list(np.linspace(0.1, 0.95, epochs + 1))}
            for name in learners
        }
        for net in ("one_hidden", "deep")
    }


def test_weight_transport_curves_show_the_paper_and_the_gap_with_its_sign():
    fig = learning.error_curves(
        _curves(["backprop", "feedback_alignment"]),
        paper={"backprop": 2.4, "feedback_alignment": 2.1},
        paper_text="Lillicrap 2016",
        target_error=7.0,
        notes={"one_hidden": "FA 0.5 points higher"},
    )
    labels = ps.legend_labels(fig)
    assert "Lillicrap 2016: backprop 2.4%" in labels and "chance (90%)" in labels and "target (7% error)" in labels
    assert any("points higher" in t.get_text() for ax in fig.axes for t in ax.texts)
    assert_units(fig)


def test_alignment_has_a_panel_per_hidden_layer_and_the_90_degree_line():
    angles = {
        "deep": {
            name: {"epoch": [0, 0.5, 1, 2], **{f"hidden_layer_{k}": [90, 70, 50, 40] for k in (1, 2, 3)}}
            for name in ("backprop", "feedback_alignment")
        },
        "one_hidden": {"feedback_alignment": {"epoch": [0, 1, 2], "hidden_layer_1": [90, 60, 40]}},
    }
    fig = learning.alignment_angles(angles)
    assert len(visible_axes(fig)) == 4
    assert "90 deg: unrelated to the gradient" in ps.legend_labels(fig)
    assert_units(fig)


def test_adversarial_grid_states_the_attack_direction_finding():
    eps = [0.0, 0.1, 0.2]
    curves = {
        "fgsm": {
            "white_box": {"backprop": [0.9, 0.2, 0.0], "feedback_alignment": [0.9, 0.3, 0.1]},
            "feedback_path": {"feedback_alignment": [0.9, 0.85, 0.8]},
        }
    }
    notes = {("fgsm", "feedback_path"): "an ineffective attack direction, not robustness"}
    fig = learning.attack_grid(eps, curves, ("white_box", "feedback_path"), notes=notes)
    assert "chance (0.1)" in ps.legend_labels(fig)
    markers = {line.get_marker() for line in fig.axes[0].lines if not line.get_label().startswith("chance")}
    assert len(markers) == 2  # coinciding learners stay distinguishable
    assert any("not robustness" in t.get_text() for t in fig.axes[1].texts)
    assert_units(fig)


def test_vanishing_gradient_figures():
    at_init = {"sigmoid": {1: [0.3], 2: [0.06, 0.3], 4: [0.003, 0.017, 0.07, 0.28]}, "relu_he": {1: [1.0], 2: [1, 1]}}
    nielsen = {2: [0.07, 0.31], 3: [0.012, 0.060, 0.283], 4: [0.003, 0.017, 0.070, 0.285]}
    fig = learning.norms_per_layer(at_init, nielsen)
    styles = {(line_with(fig, f"Nielsen ch. 5, {d} hidden").get_linestyle()) for d in nielsen}
    assert len(styles) == 3  # one style, and one legend entry, per depth
    fig = learning.ratio_against_depth({"sigmoid": {1: 1.0, 2: 0.2, 4: 0.01}}, {2: 0.23, 3: 0.04, 4: 0.0105})
    assert "Nielsen ch. 5 (sigmoid)" in ps.legend_labels(fig) and "1: no vanishing" in ps.legend_labels(fig)
    assert any(t.get_text() == "0.0105" for t in fig.axes[0].texts)
    fig.canvas.draw()
    assert integer_ticks(fig.axes[0])
    assert_units(fig)
    during = {
        "sigmoid": {"depth": 4, "epoch": list(range(11)), "norms": np.ones((11, 4)).tolist(), "accuracy": [0.1] * 11}
    }
    fig = learning.training_norms(during, chance=0.1)
    assert len(line_with(fig, "test accuracy").get_xdata()) == 11 == len(line_with(fig, "hidden layer 1").get_xdata())
    assert "chance (0.1)" in ps.legend_labels(fig)
    assert_units(fig)


def test_threshold_learning_labels_the_norm_it_draws():
    h = {
        "epoch": [0, 1, 2],
        "test_accuracy": [0.1, 0.5, 0.7],
        "train_loss": [2.3, 1.0, 0.5],
        "hidden_grad_norm": [np.nan, 0.1, 0.05],
    }
    fig = learning.threshold_learning({"sigmoid": h, "step": {**h, "hidden_grad_norm": [np.nan, 0.0, 0.0]}}, 0.1)
    assert "Frobenius" in fig.axes[2].get_ylabel() and "chance (0.1)" in ps.legend_labels(fig)
    assert_units(fig)
    fig = learning.staircase(np.linspace(0.1, 2, 20), np.repeat([0, 1, 2, 3], 5).astype(float))
    assert_units(fig)


def test_memory_figure_writes_bytes_with_binary_prefixes():
    data = {"measured": {10: 1000, 100: 10000, 1000: 100000}, "formula": {10: 900, 100: 9000, 1000: 90000}}
    fig = learning.memory_scaling(
        [(data, "time steps T", "t", (("measured", "m", "measured"), ("formula", "formula", "theory")))]
    )
    fig.canvas.draw()
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert any("KiB" in lbl for lbl in labels) and "formula" in ps.legend_labels(fig)
    assert integer_ticks(fig.axes[0])
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == ["10", "100", "1,000"]


def test_top_sources_histogram_has_chance():
    s = {"top5_fraction_by_layer": [0.2, 0.3, 0.5]}
    fig = learning.top_sources_histogram({"none": s}, {"none": s}, 4, 5)
    assert "chance (1/3)" in ps.legend_labels(fig)
    assert_units(fig)


def test_stdp_window_draws_bi_and_poo():
    lags = np.arange(-50, 51, 10.0)
    dw = np.where(lags > 0, 0.005 * np.exp(-lags / 20), -0.005 * np.exp(lags / 20))
    fitted = {"a_plus": 0.005, "tau_plus_ms": 20.0, "a_minus": 0.005, "tau_minus_ms": 20.0}
    bi_poo = {"a_plus": 0.777, "a_minus": 0.273, "tau_plus_ms": 16.8, "tau_minus_ms": 33.7, "n_pairings": 60}
    fig = plasticity.stdp_window(lags, dw, fitted, "stdp_additive", dw * 60 / 0.5, bi_poo, "Bi & Poo 2001 fit")
    assert any(lbl.startswith("Bi & Poo 2001 fit") for lbl in ps.legend_labels(fig))
    assert len(line_with(fig, "measured (one synapse per dt)").get_xdata()) == len(lags)
    assert_units(fig)


def test_frequency_dependence_has_error_bars_and_rmse():
    freqs, lags = [0.1, 10.0, 20.0], [10.0, -10.0]
    data = {10.0: {0.1: -0.04, 10.0: 0.14, 20.0: 0.29}, -10.0: {0.1: -0.29, 10.0: -0.41, 20.0: -0.34}}
    sem = {10.0: {0.1: 0.05, 10.0: 0.1, 20.0: 0.14}, -10.0: {0.1: 0.08, 10.0: 0.11, 20.0: 0.1}}
    fig = plasticity.frequency_dependence(
        freqs, lags, {"triplet": np.zeros((2, 3))}, data, sem, {"triplet": 0.123}, "Sjostrom et al. 2001", "title"
    )
    assert "triplet (rmse 0.123)" in ps.legend_labels(fig)
    bars = line_with(fig, "Sjostrom et al. 2001 (mean +- s.e.m.)")
    assert bars.has_yerr and len(bars.lines[0].get_xdata()) == 3
    assert_units(fig)


def test_oja_and_bcm_draw_their_fixed_points_with_theta_on_its_own_axis():
    samples = np.arange(0, 1000, 100)
    fig = plasticity.oja(samples, np.linspace(0.5, 1, 10), np.linspace(0.2, 1, 10))
    assert len(line_with(fig, "|w|").get_xdata()) == len(samples)
    assert any("fixed point" in lbl for lbl in ps.legend_labels(fig))
    fig = plasticity.bcm(samples, np.ones((10, 4)), np.ones(10), 4.0, 4)
    top, bottom = fig.axes
    assert "theta" in bottom.get_ylabel() and "theta" not in top.get_ylabel()
    assert sum("fixed point" in lbl for lbl in ps.legend_labels(fig)) == 2
    assert len(line_with(fig, "threshold theta").get_xdata()) == len(samples)
    assert_units(fig)


def test_homeostasis_time_course_shares_the_rate_scale_and_starts_at_zero():
    t = np.arange(1, 9) - 0.5
    rates = {"adaptive": np.full((8, 5), 5.0), "control": np.linspace(1, 30, 40).reshape(8, 5)}
    theta_t = np.arange(9.0)
    fig = plasticity.homeostasis_time(
        t, rates, theta_t, np.zeros((9, 5)), np.arange(1, 9.0), {"adaptive, low": np.ones(8)}, (0.5, 1.5)
    )
    assert fig.axes[0].get_ylim() == fig.axes[1].get_ylim()
    assert fig.axes[2].lines[0].get_xdata()[0] == 0 and len(fig.axes[2].lines[0].get_xdata()) == 9
    assert len(fig.axes[0].lines[-1].get_xdata()) == 8
    assert_units(fig)
    fig = plasticity.raster_windows(
        {"inputs": (np.array([0, 3]), np.array([0.1, 1.5]), 10), "exc": (np.array([1]), np.array([0.2]), 4)},
        [(0, 1), (1, 2)],
    )
    assert fig.axes[0].get_ylim() == (-0.5, 9.5)  # every neuron on the axis
    assert_units(fig)
    fig = plasticity.rate_spread(t, {"adaptive": [0.3] * 8}, np.full(8, 0.2))
    assert any("Poisson" in lbl for lbl in ps.legend_labels(fig))
    fig = plasticity.weight_sums(np.full(5, 4.0), 4.0)
    assert "normalisation total (4)" in ps.legend_labels(fig)
    assert_units(fig)


def test_library_raster_puts_every_neuron_on_the_axis():
    fig = plots.raster({"out": (np.zeros(3, dtype=int), np.array([0.1, 0.2, 0.3]))}, sizes={"out": 1})
    assert fig.axes[0].get_ylim() == (-0.5, 0.5)
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == ["0"]


def test_recurrent_memory_and_curves():
    fig = recurrent.memory_against_steps({"bptt": {50: 4096, 100: 8192, 200: 16384}}, 4)
    fig.canvas.draw()
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == ["50", "100", "200"]
    runs = [{"curve": [(0, 0.5), (16, 0.6), (32, 0.7)]}] * 2
    fig = recurrent.cue_learning_curves({"eprop": {"50.0": runs}}, [50.0])
    assert "chance (0.5)" in ps.legend_labels(fig) and "eprop (mean of 2)" in ps.legend_labels(fig)
    assert len(line_with(fig, "eprop (mean of 2)").get_xdata()) == 3
    assert_units(fig)


def test_trials_to_criterion_marks_what_was_not_reached():
    fig = learning.trials_to_criterion(
        {"mstdpet": [120, None], "stdp": [60, 70]}, [160, 640], {"mstdpet": None, "stdp": 0.1}, 3000, 0.8
    )
    labels = ps.legend_labels(fig)
    assert "trials run (3,000): x = not reached" in labels and "mstdpet (-), not reached at 1 size(s)" in labels
    fig.canvas.draw()
    assert integer_ticks(fig.axes[0], "x") and all("^" not in t.get_text() for t in fig.axes[0].get_yticklabels())
    assert_units(fig)


def test_digit_presentation_raster_covers_the_slot_and_every_neuron():
    groups = {
        "inputs": (np.array([0, 63, 5]), np.array([0.01, 0.2, 0.34])),
        "excitatory": (np.array([3, 3]), np.array([0.1, 0.12])),
        "inhibitory": (np.array([3]), np.array([0.101])),
    }
    fig = plots.presentation_raster(groups, {"inputs": 64, "excitatory": 100, "inhibitory": 100}, 0.5, 0.35)
    axes = [ax for ax in fig.axes if ax.lines]
    assert [ax.get_ylim() for ax in axes] == [(-0.5, 63.5), (-0.5, 99.5), (-0.5, 99.5)]
    assert axes[-1].get_xlim() == (0.0, 500.0)  # the whole slot, in ms, rest included
    assert "rest (no input)" in ps.legend_labels(fig)
    assert_units(fig)


def test_digit_training_state_has_a_sample_per_point_and_units():
    theta = np.linspace(20, 30, 12)[:, None] + np.zeros((12, 5))
    fig = plots.training_state(np.arange(12) * 20.0, theta, np.random.default_rng(0).uniform(0, 0.2, (12, 50)), 1.0)
    median = [line for line in fig.axes[0].lines if line.get_label() == "median"][0]
    assert len(median.get_xdata()) == 12
    assert_units(fig)


def test_digit_accuracy_curve_draws_every_control_the_paper_and_chance():
    controls = {"control_kmeans": 0.96, "control_random_weights": 0.25}
    fig = plots.accuracy_with_controls([100, 200], [0.5, 0.7], controls, paper=(0.829, "paper 0.829"))
    labels = ps.legend_labels(fig)
    assert any(label.startswith("kmeans") for label in labels) and any("random weights" in x for x in labels)
    assert "paper 0.829" in labels and "chance 0.1" in labels and len(labels) == 5
    assert_units(fig)


def test_curve_points_scored_with_a_smaller_readout_are_marked_apart():
    controls = {"control_kmeans": 0.95}
    fig = plots.accuracy_with_controls(
        [100, 200, 300], [0.5, 0.6, 0.8], controls, readouts=("curve point (200 images)", "final (all images)")
    )
    labels = ps.legend_labels(fig)
    assert "network, curve point (200 images)" in labels and "network, final (all images)" in labels
    hollow, filled = fig.axes[0].lines[1:3]
    assert hollow.get_markerfacecolor() == "white" and len(hollow.get_xdata()) == 2
    assert filled.get_markerfacecolor() != "white" and list(filled.get_xdata()) == [300]


def test_a_close_up_shows_the_final_accuracy_among_the_controls_near_it():
    controls = {"control_kmeans": 0.943, "control_online_kmeans": 0.924, "control_random_weights": 0.42}
    fig = plots.accuracy_with_controls([100, 200], [0.85, 0.938], controls)
    full, close = fig.axes
    low, high = close.get_ylim()
    assert low < 0.924 and 0.943 < high and high - low < 0.1  # the three top values, 0.42 left out
    assert len(ps.legend_labels(fig)) == 5  # one legend, no entry twice
    assert full.get_ylim() == (0, 1)
    assert_units(fig)
    single = plots.accuracy_with_controls([100], [0.3], {"control_kmeans": 0.95})
    assert len(single.axes) == 1  # nothing near the top to compare: no close-up
    far = plots.accuracy_with_controls([100], [0.7], {"control_kmeans": 0.95, "control_online_kmeans": 0.91})
    assert len(far.axes) == 1  # the controls close together, the network far below: no close-up

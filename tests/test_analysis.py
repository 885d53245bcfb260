"""Analysis helpers against hand-computed values."""

from __future__ import annotations

import math

import numpy as np
import pytest

from snnlearn.analysis import (
    additive_stdp_peak_width,
    assign_labels,
    bimodality,
    lower_peak_width,
    mean_confidence_interval,
    mean_rate,
    predict_by_assignment,
    rate_over_time,
    spike_counts,
)


def test_bimodality_counts_weights_within_a_tenth_of_either_bound():
    w = np.array([0.0, 0.05, 0.5, 0.95, 0.85]) * 2.0  # w_max 2: the edges are 0.2 and 1.8
    assert bimodality(w, 2.0) == pytest.approx(3 / 5)


def test_lower_peak_width_recovers_an_exponential_pile_at_zero():
    rng = np.random.default_rng(0)
    w = np.concatenate([rng.exponential(0.05, 20_000), rng.uniform(0.9, 1.0, 20_000)])
    assert lower_peak_width(np.clip(w, 0, 1), 1.0) == pytest.approx(0.05, rel=0.03)


def test_additive_stdp_peak_width_is_diffusion_over_drift():
    # Song et al. (2000): A+ 0.005, A- 0.00525, tau 20 ms -> (A+^2 + A-^2) / (4 (A- - A+))
    assert additive_stdp_peak_width(0.005, 0.00525, 0.02, 0.02) == pytest.approx(0.0525625)
    assert math.isinf(additive_stdp_peak_width(0.00525, 0.005, 0.02, 0.02))  # no net depression


def test_mean_confidence_interval_is_the_student_t_interval():
    mean, low, high = mean_confidence_interval([1.0, 2.0, 3.0])
    half = 4.302652729911275 / math.sqrt(3)  # t(0.975, 2 dof) x sd 1 / sqrt(3)
    assert (mean, low, high) == pytest.approx((2.0, 2.0 - half, 2.0 + half))
    one = mean_confidence_interval([0.7])
    assert one[0] == 0.7 and math.isnan(one[1]) and math.isnan(one[2])


def test_bimodality_edges_are_strict_and_scale_with_w_max():
    # exactly at an edge does not count; the edge is a fraction of w_max
    w = np.array([0.1, 0.9, 0.0999, 0.9001, 0.5])
    assert bimodality(w, 1.0) == pytest.approx(2 / 5)
    assert bimodality(w * 3.0, 3.0) == pytest.approx(2 / 5)
    assert bimodality(w, 1.0, edge=0.2) == pytest.approx(4 / 5)
    assert bimodality(np.array([0.15, 0.85]), 1.0, edge=0.2) == 1.0


def test_lower_peak_width_uses_only_the_weights_below_the_cutoff():
    rng = np.random.default_rng(1)
    low = np.clip(rng.exponential(0.04, 20_000), 0, 0.3)
    # weights above the cutoff (any number, anywhere) do not change the fit
    a = lower_peak_width(np.concatenate([low, np.full(5000, 0.31)]), 1.0)
    b = lower_peak_width(np.concatenate([low, np.full(50, 0.99)]), 1.0)
    assert a == pytest.approx(b) == pytest.approx(0.04, rel=0.05)
    # in units of w_max, and with the truncation at the cutoff taken into account
    assert lower_peak_width(low * 2.0, 2.0) == pytest.approx(a)
    wide = np.clip(rng.exponential(0.2, 50_000), 0, None)
    assert lower_peak_width(wide[wide < 0.3], 1.0) == pytest.approx(0.2, rel=0.08)
    assert lower_peak_width(wide[wide < 0.5], 1.0, cutoff=0.5) == pytest.approx(0.2, rel=0.08)
    assert math.isnan(lower_peak_width(np.full(9, 0.01), 1.0))
    assert not math.isnan(lower_peak_width(np.linspace(0.001, 0.1, 10), 1.0))


def test_additive_stdp_peak_width_weights_each_side_by_its_time_constant():
    # unequal time constants: (A+^2 t+ + A-^2 t-) / (4 (A- t- - A+ t+))
    expected = (0.004**2 * 0.0168 + 0.003**2 * 0.0337) / (4 * (0.003 * 0.0337 - 0.004 * 0.0168))
    assert additive_stdp_peak_width(0.004, 0.003, 0.0168, 0.0337) == pytest.approx(expected)
    assert math.isinf(additive_stdp_peak_width(0.005, 0.005, 0.02, 0.02))  # balanced: no drift


def test_mean_confidence_interval_level_and_width():
    values = [1.0, 2.0, 4.0, 7.0]
    mean, low, high = mean_confidence_interval(values, 0.9)
    sd = float(np.std(values, ddof=1))
    half = 2.3533634348018264 * sd / 2  # t(0.95, 3 dof) x sd / sqrt(4)
    assert (mean, low, high) == pytest.approx((3.5, 3.5 - half, 3.5 + half))
    assert mean_confidence_interval(values)[2] > high  # 95% is wider than 90%
    assert mean_confidence_interval([2.0, 2.0]) == (2.0, 2.0, 2.0)


def test_mean_rate_and_rate_over_time():
    assert mean_rate(30, 3, 2.0) == 5.0
    centres, rates = rate_over_time(np.array([0.05, 0.15, 0.16, 0.95]), 2, 1.0, 0.1)
    np.testing.assert_allclose(centres, np.arange(0.05, 1.0, 0.1))
    assert len(rates) == 10
    np.testing.assert_allclose(rates, np.array([1, 2, 0, 0, 0, 0, 0, 0, 0, 1]) / (2 * 0.1))
    _, rates = rate_over_time(np.array([0.1, 0.25]), 1, 0.3, 0.15)
    np.testing.assert_allclose(rates, [1 / 0.15, 1 / 0.15])


def test_spike_counts_per_window_and_neuron():
    counts = spike_counts(np.array([0, 1, 1, 2, 0]), np.array([0.0, 0.1, 0.35, 0.6, 0.99]), 3, 2, 0.5)
    assert counts.dtype == np.int64 and counts.shape == (2, 3)
    assert counts.tolist() == [[1, 2, 0], [1, 0, 1]]
    # a spike at or after the last window's end counts in the last window
    assert spike_counts(np.array([1]), np.array([5.0]), 2, 2, 0.5).tolist() == [[0, 0], [0, 1]]
    assert spike_counts(np.array([1]), np.array([0.5]), 2, 3, 0.5).tolist() == [[0, 0], [0, 1], [0, 0]]


def test_assign_labels_and_predict_by_assignment():
    counts = np.array([[5, 0, 1], [4, 1, 0], [0, 6, 1], [1, 0, 9]])
    labels = np.array([0, 0, 1, 2])
    assignments = assign_labels(counts, labels, 4)
    assert assignments.tolist() == [0, 1, 2]  # class 3 has no example: never the best
    # neuron 0's mean response to class 0 is 4.5; a neuron that never fired gets no class (-1)
    assert assign_labels(np.array([[0, 2]]), np.array([1]), 3).tolist() == [-1, 1]
    predictions = predict_by_assignment(np.array([[9, 0, 0], [0, 1, 3], [0, 0, 0]]), assignments, 4)
    assert predictions.tolist() == [0, 2, -1]  # a silent presentation gets no prediction (wrong)
    # classes without an assigned neuron are never predicted (score -1 < any mean count)
    assert predict_by_assignment(np.array([[0, 1]]), np.array([2, 2]), 3).tolist() == [2]
    # the mean, not the sum, of a class's neurons
    two = predict_by_assignment(np.array([[3, 3, 5]]), np.array([0, 0, 1]), 2)
    assert two.tolist() == [1]

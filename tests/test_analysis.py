"""Analysis helpers against hand-computed values."""

from __future__ import annotations

import math

import numpy as np
import pytest

from snnlearn.analysis import additive_stdp_peak_width, bimodality, lower_peak_width, mean_confidence_interval


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

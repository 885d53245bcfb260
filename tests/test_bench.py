"""``snnlearn bench``: the scaling fit, the table and the figure from bench rows (no timing is
asserted: speed is measured by running the benchmark, never by a test)."""

from __future__ import annotations

import numpy as np
import pytest

from snnlearn import bench, plotstyle


def _rows():
    sizes = [100, 400, 1600]
    rows = [
        bench._row(
            "diehl_cook",
            data="digits",
            n_inputs=64,
            n_excitatory=n,
            train_images_per_second=1000 / (0.5 * n**0.8),
            infer_images_per_second=1000 / (0.1 * n),
            runtime_loop_images_per_second=1000 / (20 * n**1.2),
            presentations_per_image=1.5,
            ratio_vs_runtime_loop=40 * n**0.4,
        )
        for n in sizes
    ]
    rows.append(
        bench._row(
            "distal_reward",
            n_neurons=1000,
            ms_per_simulated_second=70.0,
            runtime_loop_ms_per_simulated_second=450.0,
            ratio_vs_runtime_loop=6.4,
        )
    )
    return rows


def test_the_fitted_exponent_recovers_a_power_law_and_needs_two_sizes():
    sizes = [100, 400, 1600]
    assert bench.fitted_exponent(sizes, [3 * n**1.7 for n in sizes]) == pytest.approx(1.7)
    assert bench.fitted_exponent(sizes, [5.0, 5.0, 5.0]) == pytest.approx(0.0, abs=1e-12)
    assert bench.fitted_exponent([1000], [70.0]) is None


def test_series_turn_rates_into_costs_per_image_and_keep_distal_costs():
    curves = {name: (sizes, cost, unit) for name, sizes, cost, unit in bench.series(_rows())}
    sizes, cost, unit = curves["digits: training"]
    assert unit == "ms per image" and sizes == [100, 400, 1600]
    np.testing.assert_allclose(cost, [0.5 * n**0.8 for n in sizes])
    assert bench.fitted_exponent(*curves["digits: training, runtime loop"][:2]) == pytest.approx(1.2)
    assert curves["distal reward: runtime loop"] == ([1000], [450.0], "ms per simulated second")


def test_table_and_figure_show_every_row_and_each_series_exponent():
    rows = _rows()
    text = bench.table(rows)
    assert len(text.splitlines()) == 2 + len(rows)
    assert "| distal_reward | - | 1,000 | - | - | - | 70 | 450 ms per s | 6.4x |" in text
    fig = bench.scaling_figure(rows)
    labels = plotstyle.legend_labels(fig)
    assert "digits: training (exponent 0.80)" in labels
    assert "digits: frozen inference (exponent 1.00)" in labels
    assert "distal reward: engine" in labels  # one size: no exponent
    assert all(ax.get_yscale() == "log" for ax in fig.axes)


def test_every_row_has_every_column():
    rows = _rows()
    assert {frozenset(r) for r in rows} == {frozenset(rows[0])}
    assert {"train_images_per_second", "ms_per_simulated_second", "peak_memory_mb", "machine"} <= set(rows[0])


def test_distal_sets_split_four_to_one_in_two_chunks():
    assert bench.distal_sets(10000, 20.0)[:4] == [
        "groups.exc.n=8000",
        "groups.inh.n=2000",
        "duration=20.0 s",
        "chunk=10.0 s",
    ]

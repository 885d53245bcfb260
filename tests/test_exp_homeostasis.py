"""homeostasis --quick: the adaptive threshold narrows the spread of rates; sums are kept."""

from __future__ import annotations

import json

from snnlearn.experiment import run_experiment


def test_rates_gather_and_weight_sums_hold(run_dir):
    m = json.loads(
        (
            run_experiment("homeostasis", quick=True, backend="runtime", out=run_dir)
            / "metrics.json"
        ).read_text()
    )
    assert m["rate_cv_final"] < 0.6 * m["rate_cv_control_final"]
    assert m["fraction_in_band"] > m["fraction_in_band_control"]
    assert m["rate_mean_final_hz"] > 0
    assert m["weight_sum_error"] < 0.05
    assert (run_dir / "rate_spread.png").is_file()

"""triplet_frequency --quick: the triplet rule fits Sjostrom et al. (2001); the pair rule cannot."""

from __future__ import annotations

import json

from snnlearn.experiment import run_experiment


def test_triplet_rule_reproduces_the_frequency_dependence(run_dir):
    m = json.loads(
        (
            run_experiment("triplet_frequency", quick=True, backend="runtime", out=run_dir)
            / "metrics.json"
        ).read_text()
    )
    assert m["frequencies_hz"] == [0.1, 10.0, 20.0, 40.0, 50.0]
    for triplet in ("triplet", "triplet_nearest"):
        minus10 = m["dw_by_frequency"][triplet]["-10 ms"]
        assert (
            minus10[0] < 0 and minus10[3] > 0 and minus10[4] > 0
        )  # LTD at 0.1 Hz, LTP at 40-50 Hz
        assert m["rmse_vs_sjostrom"][triplet] < 0.16
        assert m["ltp_at_minus_10ms_high_frequency"][triplet]
    assert max(m["dw_by_frequency"]["pair"]["-10 ms"]) < 0
    assert not m["ltp_at_minus_10ms_high_frequency"]["pair"]
    assert m["rmse_vs_sjostrom"]["pair"] > 2 * m["rmse_vs_sjostrom"]["triplet"]
    assert (run_dir / "frequency.png").is_file()

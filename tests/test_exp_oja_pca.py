"""oja_pca --quick: Oja's rule finds the unit first principal component; BCM becomes selective."""

from __future__ import annotations

import json

import pytest

from snnlearn.experiment import run_experiment


def test_oja_and_bcm(run_dir):
    m = json.loads((run_experiment("oja_pca", quick=True, out=run_dir) / "metrics.json").read_text())
    assert m["cosine_to_pc1"] >= 0.99
    assert m["weight_norm"] == pytest.approx(1.0, abs=0.05)
    assert m["bcm_selectivity"] >= 0.9 * m["bcm_selectivity_max"]
    assert sum(r > 0.1 * max(m["bcm_responses"]) for r in m["bcm_responses"]) == 1
    assert (run_dir / "oja.png").is_file() and (run_dir / "bcm.png").is_file()

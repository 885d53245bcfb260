"""homeostasis --quick: the adaptive threshold narrows the spread of rates; sums are kept; the chunk length
changes nothing; a chunk that does not divide the run is refused."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from snnlearn.errors import ConfigError
from snnlearn.experiment import run_experiment
from snnlearn.results import WALL_CLOCK_METRICS


def test_rates_gather_and_weight_sums_hold(run_dir):
    m = json.loads(
        (run_experiment("homeostasis", quick=True, backend="runtime", out=run_dir) / "metrics.json").read_text()
    )
    assert m["rate_cv_final"] < 0.6 * m["rate_cv_control_final"]
    assert m["fraction_in_band"] > m["fraction_in_band_control"]
    assert m["rate_mean_final_hz"] > 0
    assert m["weight_sum_error"] < 0.05
    # the initial spread is that of the unadapted network (control's first window), wider than at the end
    assert m["rate_cv_initial"] > m["rate_cv_final"]
    for figure in ("rate_spread.png", "time_course.png", "raster.png", "weight_sums.png"):
        assert (run_dir / figure).is_file(), figure


TIMING = WALL_CLOCK_METRICS | {"params", "model"}
SMALL = ["groups.inputs.n=20", "groups.exc.n=8", "duration=2s", "sample_dt=1s", "final_window=1s"]


def _result(run) -> tuple[dict, dict]:
    metrics = json.loads((run / "metrics.json").read_text())
    return {k: v for k, v in metrics.items() if k not in TIMING}, dict(np.load(run / "homeostasis.npz"))


@pytest.mark.parametrize("backend", ["runtime", pytest.param("standalone", marks=pytest.mark.standalone)])
def test_the_chunk_length_does_not_change_the_result(tmp_path, backend):
    """Thresholds, traces, membranes and the input streams carry over: both conditions in 8 chunks
    of 250 ms give the same rates, thresholds, weights and metrics as in 2 chunks of 1 s."""
    one = run_experiment("homeostasis", quick=True, backend=backend, sets=[*SMALL, "chunk=1s"], out=tmp_path / "1s")
    short = run_experiment(
        "homeostasis", quick=True, backend=backend, sets=[*SMALL, "chunk=250ms"], out=tmp_path / "250ms"
    )
    (m1, a1), (m4, a4) = _result(one), _result(short)
    assert m1["rate_mean_final_hz"] > 0 and m1["simulated_seconds"] == 4.0
    assert m1 == m4
    assert a1.keys() == a4.keys()
    for key in a1:
        np.testing.assert_array_equal(a1[key], a4[key], err_msg=key)
    np.testing.assert_array_equal(a1["times_s"], [1.0, 2.0])  # the sampling grid, not the chunks


@pytest.mark.parametrize(
    ("sets", "message"),
    [
        (["chunk=3s"], "chunk: 3. s does not divide the duration (16. s) into whole parts"),
        (["chunk=4s"], "chunk: 4. s does not divide sample_dt (2. s) into whole parts"),
        (["final_window=3s"], "final_window: 3. s is not a whole number of samples of 2. s within 16. s"),
    ],
)
def test_a_chunk_or_window_off_the_grid_is_refused_before_anything_runs(tmp_path, sets, message):
    with pytest.raises(ConfigError, match="^" + re.escape(message)):
        run_experiment("homeostasis", quick=True, backend="runtime", sets=sets, out=tmp_path / "run")
    assert not (tmp_path / "run").exists()

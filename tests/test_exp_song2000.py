"""song2000 on the session: the chunk length changes nothing; bad sampling grids are refused."""

from __future__ import annotations

import json

import numpy as np
import pytest

from snnlearn.errors import ConfigError
from snnlearn.experiment import run_experiment
from snnlearn.results import WALL_CLOCK_METRICS

SHORT = [
    "duration=4 s",
    "sample_dt=2 s",
    "rate_window=2 s",
    "input_rates=[40.0]",
    "raster_seconds=1.0",
    "groups.inputs.n=100",
]


def test_the_chunk_length_changes_no_metric_and_no_array(tmp_path):
    runs = {
        c: run_experiment(
            "song2000", quick=True, backend="runtime", sets=[*SHORT, f"chunk={c} s"], out=tmp_path / f"c{c}"
        )
        for c in (1, 2)
    }
    metrics = {c: json.loads((r / "metrics.json").read_text()) for c, r in runs.items()}
    skip = WALL_CLOCK_METRICS | {"params", "provenance"}
    assert {k: v for k, v in metrics[1].items() if k not in skip} == {
        k: v for k, v in metrics[2].items() if k not in skip
    }
    for name in ("weights.npz", "spikes.npz"):
        a, b = np.load(runs[1] / name), np.load(runs[2] / name)
        assert a.files == b.files
        for key in a.files:
            np.testing.assert_array_equal(a[key], b[key], err_msg=f"{name}:{key}")
    assert len(np.load(runs[1] / "weights.npz")["times_s"]) == 2  # one sample per sample_dt


@pytest.mark.parametrize(
    ("sets", "message"),
    [
        (["chunk=3 s"], "^chunk: 3. s does not divide sample_dt \\(2. s\\)"),
        (["chunk=1 s", "sample_dt=3 s"], "^sample_dt: 3. s does not divide the duration \\(4. s\\)"),
    ],
)
def test_a_chunk_or_sampling_grid_that_does_not_fit_is_refused(tmp_path, sets, message):
    with pytest.raises(ConfigError, match=message):
        run_experiment("song2000", quick=True, sets=[*SHORT, *sets], out=tmp_path / "run")
    assert not (tmp_path / "run").exists()

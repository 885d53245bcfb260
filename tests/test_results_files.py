"""Result files are written atomically and get the mode a plain ``open()`` would give them."""

from __future__ import annotations

import os
import stat

import numpy as np
import pytest

from snnlearn.results import atomic_save_npz, atomic_write_bytes, atomic_write_csv, atomic_write_json, current_umask


@pytest.fixture
def umask():
    """Set the process umask for one test and restore it afterwards."""
    saved = os.umask(0o022)
    os.umask(saved)
    yield lambda mask: os.umask(mask)
    os.umask(saved)


def mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.parametrize(("mask", "expected"), [(0o022, 0o644), (0o002, 0o664), (0o077, 0o600), (0o027, 0o640)])
def test_new_result_files_follow_the_umask(tmp_path, umask, mask, expected):
    umask(mask)
    assert current_umask() == mask
    written = [
        atomic_write_bytes(tmp_path / "a.bin", b"x"),
        atomic_write_json(tmp_path / "m.json", {"a": 1}),
        atomic_write_csv(tmp_path / "t.csv", [{"a": 1}]),
        atomic_save_npz(tmp_path / "c.npz", w=np.zeros(2)),
    ]
    for path in written:
        assert mode(path) == expected, path
        (tmp_path / "plain").unlink(missing_ok=True)
        with open(tmp_path / "plain", "w"):
            pass
        assert mode(path) == mode(tmp_path / "plain")  # the same as open() gives
    assert not list(tmp_path.glob(".*.tmp"))


def test_a_replaced_file_keeps_its_mode(tmp_path, umask):
    umask(0o022)
    path = tmp_path / "metrics.json"
    path.write_text("{}")
    path.chmod(0o640)
    atomic_write_json(path, {"a": 2})
    assert mode(path) == 0o640 and path.read_text().strip().endswith("}")


def test_a_failed_write_leaves_no_temporary_file(tmp_path):
    with pytest.raises(TypeError):
        atomic_write_bytes(tmp_path / "x", object())  # not bytes: fails inside the write
    assert list(tmp_path.iterdir()) == []


def test_interval_checkpoint_writes_when_forced_or_due_and_refuses_a_bad_interval(tmp_path):
    from snnlearn.errors import ConfigError
    from snnlearn.results import IntervalCheckpoint, load_checkpoint

    built: list[int] = []

    def arrays():
        built.append(1)
        return {"x": np.arange(len(built))}

    path = tmp_path / "checkpoint.npz"
    hourly = IntervalCheckpoint(path, 3600)
    assert hourly.save(arrays) is False and not path.exists() and not built  # not due: nothing built
    assert hourly.save(arrays, force=True) is True and load_checkpoint(path)["x"].tolist() == [0]
    always = IntervalCheckpoint(path, 0)
    assert always.save(arrays) and always.save(arrays) and load_checkpoint(path)["x"].tolist() == [0, 1, 2]
    for bad in (-1, 1e9, True, "60"):
        with pytest.raises(ConfigError, match="checkpoint_seconds: .* out of range; expected seconds from 0 to 86400"):
            IntervalCheckpoint.check(bad)

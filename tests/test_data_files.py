"""Data files are verified: IDX magic, sizes against the data, complete gzip streams; each failure is
one ConfigError naming the file. The embedded digits honour ``data.train``/``data.test``."""

from __future__ import annotations

import gzip
import struct
from pathlib import Path

import numpy as np
import pytest

from snnlearn import cli
from snnlearn.data import load_dataset, load_embedded_digits, parse_range, read_idx
from snnlearn.errors import ConfigError

IMAGES, LABELS = "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"


def idx_bytes(array: np.ndarray) -> bytes:
    array = np.asarray(array, dtype=np.uint8)
    return struct.pack(">HBB", 0, 0x08, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape) + array.tobytes()


def write_mnist(folder: Path, n: int = 20, compress: bool = True, side: int = 4) -> Path:
    """A tiny t10k-only MNIST folder: n images of side x side pixels and their labels."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    for stem, array in ((IMAGES, rng.integers(0, 256, (n, side, side))), (LABELS, np.arange(n) % 10)):
        data = idx_bytes(array)
        if compress:
            (folder / f"{stem}.gz").write_bytes(gzip.compress(data))
        else:
            (folder / stem).write_bytes(data)
    return folder


@pytest.mark.parametrize("compress", [True, False])
def test_valid_files_are_read(tmp_path, compress):
    data = load_dataset(str(write_mnist(tmp_path / "m", compress=compress)), "0:15", "15:20")
    assert data.x_train.shape == (15, 16) and data.x_test.shape == (5, 16) and data.shape == (4, 4)
    assert data.y_test.tolist() == [5, 6, 7, 8, 9] and 0 <= data.x_train.min() and data.x_train.max() <= 1


def test_read_idx_gives_the_array_of_the_header(tmp_path):
    array = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    (tmp_path / "a").write_bytes(idx_bytes(array))
    (tmp_path / "a.gz").write_bytes(gzip.compress(idx_bytes(array)))
    assert np.array_equal(read_idx(tmp_path / "a"), array) and np.array_equal(read_idx(tmp_path / "a.gz"), array)


GOOD = idx_bytes(np.zeros((3, 2, 2)))


def damage(kind: str) -> tuple[bytes, str]:
    """File contents (already as on disk, compressed or not) and the expected problem text."""
    gz = gzip.compress(GOOD)
    return {
        "empty": (b"", "too short for an IDX header"),
        "three bytes": (b"\x00\x00\x08", "too short for an IDX header"),
        "bad magic": (b"PK\x03\x04" + GOOD[4:], "not an unsigned-byte IDX file"),
        "float idx": (b"\x00\x00\x0d\x03" + GOOD[4:], "not an unsigned-byte IDX file"),
        "zero dimensions": (b"\x00\x00\x08\x00", "not an unsigned-byte IDX file"),
        "header cut": (GOOD[:9], "the header ends after 9 bytes"),
        "truncated data": (GOOD[:-3], "is truncated"),
        "extra data": (GOOD + b"\x00", "has data after the end"),
        "wrong dims": (GOOD[:4] + struct.pack(">3I", 30, 2, 2) + GOOD[16:], "is truncated"),
        "huge dims": (GOOD[:4] + struct.pack(">3I", 2**31, 2**31, 2) + GOOD[16:], "more than the"),
        "truncated gzip": (gz[:-6], "gzip stream is truncated"),
        "gzip cut in header": (gz[:12], "gzip stream is truncated"),
        "not gzip": (GOOD, "corrupt gzip data"),
        "bad crc": (gz[:-8] + bytes([gz[-8] ^ 0xFF]) + gz[-7:], "corrupt gzip data"),
        "corrupt deflate": (gz[:10] + b"\xff" * (len(gz) - 18) + gz[-8:], "corrupt gzip data"),
    }[kind]


COMPRESSED = {"truncated gzip", "gzip cut in header", "not gzip", "bad crc", "corrupt deflate"}
KINDS = [
    "empty",
    "three bytes",
    "bad magic",
    "float idx",
    "zero dimensions",
    "header cut",
    "truncated data",
    "extra data",
    "wrong dims",
    "huge dims",
    *sorted(COMPRESSED),
]


@pytest.mark.parametrize("kind", KINDS)
def test_a_damaged_file_is_one_error_naming_it(tmp_path, kind):
    content, problem = damage(kind)
    path = tmp_path / (f"{IMAGES}.gz" if kind in COMPRESSED else IMAGES)
    path.write_bytes(content)
    with pytest.raises(ConfigError) as info:
        read_idx(path)
    assert info.value.field == "data.path" and str(path) in info.value.problem
    assert problem in info.value.problem, info.value.problem
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("kind", ["empty", "truncated gzip", "bad crc", "wrong dims"])
def test_a_damaged_data_set_stops_the_run_with_one_line_and_nothing_written(tmp_path, monkeypatch, capsys, kind):
    folder = write_mnist(tmp_path / "mnist")
    content, _ = damage(kind)
    target = folder / f"{IMAGES}.gz"
    target.write_bytes(content if kind in COMPRESSED else gzip.compress(content))
    monkeypatch.chdir(tmp_path)
    status = cli.main(
        ["run", "diehl_cook", "--quick", "--backend", "runtime", "--set", f"data.path={folder}", "--out", "run"]
    )
    err = [line for line in capsys.readouterr().err.splitlines() if not line.startswith("warning:")]
    assert status == 2 and len(err) == 1, err
    assert err[0].startswith(f"error: data.path: {target}: ")
    assert not (tmp_path / "run").exists() and not (tmp_path / "results").exists()


def test_images_and_labels_must_belong_together(tmp_path):
    folder = write_mnist(tmp_path / "m", n=20)
    (folder / f"{LABELS}.gz").write_bytes(gzip.compress(idx_bytes(np.arange(19) % 10)))
    with pytest.raises(ConfigError, match="19 labels for 20 images"):
        load_dataset(str(folder), "0:10", "10:19")
    (folder / f"{LABELS}.gz").write_bytes(gzip.compress(idx_bytes(np.full(20, 12))))
    with pytest.raises(ConfigError, match="a label is 12"):
        load_dataset(str(folder), "0:10", "10:20")
    (folder / f"{IMAGES}.gz").write_bytes(gzip.compress(idx_bytes(np.zeros(20))))
    with pytest.raises(ConfigError, match=r"holds an array of shape \(20,\)"):
        load_dataset(str(folder), "0:10", "10:20")


@pytest.mark.parametrize(
    ("text", "n", "expected"),
    [
        ("0:8000", 10000, slice(0, 8000)),
        (":", 5, slice(0, 5)),
        ("3:", 5, slice(3, 5)),
        (" :2 ", 5, slice(0, 2)),
    ],
)
def test_ranges_are_read(text, n, expected):
    assert parse_range(text, n, "data.train") == expected


@pytest.mark.parametrize("text", ["0:8000", "5:5", "7:3", "-1:4", "a:b", "1:2:3", "0-10", "", "1e3:", 5, None])
def test_bad_or_out_of_range_ranges_are_refused(text):
    with pytest.raises(ConfigError) as info:
        parse_range(text, 1000, "data.test")
    assert info.value.field == "data.test"


def test_embedded_digits_take_their_whole_split_for_the_defaults():
    whole = load_embedded_digits()
    for data in (
        load_dataset("digits"),
        load_dataset("digits", "0:8000", "8000:10000"),
        load_dataset("digits", ":", ":"),
    ):
        assert data.split == whole.split == "sklearn digits, stratified 75%/25% (seed 0)"
        assert np.array_equal(data.x_train, whole.x_train) and np.array_equal(data.y_test, whole.y_test)
    assert (len(whole.y_train), len(whole.y_test)) == (1347, 450)


def test_embedded_digits_honour_train_and_test_ranges():
    whole = load_embedded_digits()
    data = load_dataset("digits", "100:400", "0:50")
    assert np.array_equal(data.x_train, whole.x_train[100:400]) and np.array_equal(data.y_train, whole.y_train[100:400])
    assert np.array_equal(data.x_test, whole.x_test[:50]) and len(data.y_test) == 50
    assert "train[100:400] / test[0:50]" in data.split
    only_train = load_dataset("digits", "0:500")  # test keeps its default: the whole test part
    assert len(only_train.y_train) == 500 and len(only_train.y_test) == 450


@pytest.mark.parametrize(
    ("train", "test", "field"),
    [
        ("0:2000", "8000:10000", "data.train"),
        ("0:100", "0:451", "data.test"),
        ("0:100", "9000:10000", "data.test"),
        ("x", "8000:10000", "data.train"),
        ("10:10", ":", "data.train"),
    ],
)
def test_embedded_digits_refuse_ranges_outside_their_split(train, test, field):
    with pytest.raises(ConfigError) as info:
        load_dataset("digits", train, test)
    assert info.value.field == field


def test_embedded_range_outside_the_split_is_exit_2_before_anything_is_written(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    status = cli.main(
        ["run", "diehl_cook", "--quick", "--backend", "runtime", "--set", "data.train=0:5000", "--out", "run"]
    )
    err = [line for line in capsys.readouterr().err.splitlines() if not line.startswith("warning:")]
    assert status == 2 and err == [
        "error: data.train: range '0:5000' is outside 0:1347 or empty; expected 0 <= START < STOP <= 1347"
    ]
    assert list(tmp_path.iterdir()) == []

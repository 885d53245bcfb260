"""Digit data sets: scikit-learn's embedded 8x8 digits (the default) and MNIST from IDX files.

``load_digits_dataset(path=None, train="0:8000", test="8000:10000")`` returns a
:class:`Dataset` with images scaled to [0, 1] as flat float arrays, integer labels and the image
shape. With no path (and no ``SNNLEARN_DATA``), the embedded digits are split by a fixed,
stratified shuffle. With a folder of MNIST IDX files (gzip or raw), the full MNIST (train and
t10k files) gives the official split; the test files alone (as in ``../shared/data/mnist``) are
split by index ranges, which are recorded in the run's metrics.
"""

from __future__ import annotations

import gzip
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import ConfigError

MNIST_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}


@dataclass(frozen=True)
class Dataset:
    """Train and test images in [0, 1], flat (n, pixels), with labels and the image shape."""

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    shape: tuple[int, int]
    split: str

    @property
    def n_pixels(self) -> int:
        return int(np.prod(self.shape))

    def describe(self) -> dict:
        return {"dataset": self.name, "split": self.split, "train_examples": len(self.y_train),
                "test_examples": len(self.y_test), "image_shape": list(self.shape)}


def read_idx(path: Path) -> np.ndarray:
    """Read one IDX file (optionally gzip-compressed) into an array."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as handle:
        data = handle.read()
    zero, dtype_code, ndim = struct.unpack(">HBB", data[:4])
    if zero != 0 or dtype_code != 0x08:
        raise ConfigError("data.path", f"{path} is not an unsigned-byte IDX file", "give MNIST IDX files")
    shape = struct.unpack(f">{ndim}I", data[4:4 + 4 * ndim])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(shape)


def _find(folder: Path, stem: str) -> Path | None:
    for candidate in (folder / f"{stem}.gz", folder / stem):
        if candidate.is_file():
            return candidate
    return None


def parse_range(text: str, n: int, field: str) -> slice:
    """Read ``"START:STOP"`` (either may be empty) as a slice within ``n`` items."""
    try:
        start_text, stop_text = text.split(":")
        start = int(start_text) if start_text else 0
        stop = int(stop_text) if stop_text else n
    except ValueError:
        raise ConfigError(field, f"cannot read {text!r}", "expected START:STOP, e.g. 0:8000") from None
    if not 0 <= start < stop <= n:
        raise ConfigError(field, f"range {text!r} is outside 0:{n}", f"expected 0 <= START < STOP <= {n}")
    return slice(start, stop)


def load_mnist(folder: Path, train: str = "0:8000", test: str = "8000:10000") -> Dataset:
    """MNIST from a folder; with only the t10k files, ``train``/``test`` index that set."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ConfigError("data.path", f"{folder} is not a folder", "give a folder with MNIST IDX files")
    paths = {part: [_find(folder, stem) for stem in stems] for part, stems in MNIST_FILES.items()}
    if None in paths["test"]:
        missing = [s for s, p in zip(MNIST_FILES["test"], paths["test"], strict=True) if p is None]
        raise ConfigError("data.path", f"{missing[0]}(.gz) not found in {folder.resolve()}",
                          "give a folder with the MNIST IDX files")
    x_t10k, y_t10k = (read_idx(p) for p in paths["test"])
    if None not in paths["train"]:
        x_train, y_train = (read_idx(p) for p in paths["train"])
        parts = (x_train[parse_range(train, len(y_train), "data.train")],
                 y_train[parse_range(train, len(y_train), "data.train")],
                 x_t10k[parse_range(test, len(y_t10k), "data.test")],
                 y_t10k[parse_range(test, len(y_t10k), "data.test")])
        split = f"mnist train[{train}] / t10k[{test}]"
    else:
        tr, te = parse_range(train, len(y_t10k), "data.train"), parse_range(test, len(y_t10k), "data.test")
        if tr.start < te.stop and te.start < tr.stop:
            raise ConfigError("data.test", f"{test} overlaps data.train {train}", "use disjoint ranges")
        parts = (x_t10k[tr], y_t10k[tr], x_t10k[te], y_t10k[te])
        split = f"t10k[{train}] / t10k[{test}]"
    xs = [p.reshape(len(p), -1).astype(np.float64) / 255.0 if i % 2 == 0 else p.astype(np.int64)
          for i, p in enumerate(parts)]
    return Dataset("mnist", xs[0], xs[1], xs[2], xs[3], (28, 28), split)


def load_embedded_digits(test_fraction: float = 0.25, seed: int = 0) -> Dataset:
    """scikit-learn's 1797 8x8 digits, scaled to [0, 1], split by a fixed stratified shuffle."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    x = digits.data / 16.0
    x_train, x_test, y_train, y_test = train_test_split(
        x, digits.target, test_size=test_fraction, random_state=seed, stratify=digits.target)
    return Dataset("digits", x_train, y_train.astype(np.int64), x_test, y_test.astype(np.int64),
                   (8, 8), f"sklearn digits, stratified {1 - test_fraction:.0%}/{test_fraction:.0%} (seed {seed})")


def load_dataset(path: str | None = None, train: str = "0:8000", test: str = "8000:10000") -> Dataset:
    """The embedded digits, or MNIST from ``path`` (or the ``SNNLEARN_DATA`` environment variable).

    ``path`` may be ``"digits"`` (embedded), ``""``/None (``SNNLEARN_DATA`` if set, else embedded)
    or a folder of MNIST IDX files.
    """
    from . import config

    if path in (None, "", "auto"):
        path = config.data_path() or "digits"
    if path == "digits":
        return load_embedded_digits()
    return load_mnist(Path(path), train, test)

"""Digit data sets: scikit-learn's embedded 8x8 digits (the default) and MNIST from IDX files.

``load_dataset(path=None, train="0:8000", test="8000:10000")`` returns a
:class:`Dataset` with images scaled to [0, 1] as flat float arrays, integer labels and the image
shape. With no path (and no ``SNNLEARN_DATA``), the embedded digits are split by a fixed,
stratified shuffle, and ``train``/``test`` select ranges of its two parts (the defaults: all of
each). With a folder of MNIST IDX files (gzip or raw), the full MNIST (train and t10k files)
gives the official split; the test files alone (as in ``../shared/data/mnist``) are split by
index ranges, which are recorded in the run's metrics. IDX files are verified (magic number,
sizes against the data, a complete gzip stream) and a damaged one is a ``ConfigError`` naming it.
"""

from __future__ import annotations

import gzip
import math
import re
import struct
import zlib
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
        """Pixels per image (the product of ``shape``)."""
        return int(np.prod(self.shape))

    def describe(self) -> dict:
        """The data set as recorded in a run's metrics: name, split, example counts and image shape."""
        return {
            "dataset": self.name,
            "split": self.split,
            "train_examples": len(self.y_train),
            "test_examples": len(self.y_test),
            "image_shape": list(self.shape),
        }


IDX_UBYTE = 0x08
#: Largest IDX payload read (MNIST's biggest file holds 47 MB): a bound against gzip bombs.
MAX_IDX_BYTES = 1 << 30
_CORRUPT = "give complete MNIST IDX files (gzip or raw); download them again if they are damaged"


def read_idx(path: Path, field: str = "data.path") -> np.ndarray:
    """Read one IDX file (gzip-compressed when its name ends in ``.gz``) into an array, verified.

    The header must be an IDX magic number for unsigned bytes (``00 00 08 NDIM``, 1 <= NDIM <= 4)
    followed by NDIM big-endian sizes; the data must hold exactly the product of the sizes in
    bytes, and a gzip file must be one complete stream (its length and CRC are checked at its
    end). The payload is read up to the size the header states, at most ``MAX_IDX_BYTES``.

    Raises
    ------
    ConfigError
        Naming ``field`` and the file: unreadable, not gzip, truncated or corrupt gzip, bad magic
        number, or a size that does not match the header, instead of ``EOFError``,
        ``zlib.error``, ``gzip.BadGzipFile`` or ``struct.error``.
    """
    path = Path(path)

    def refuse(problem: str) -> ConfigError:
        return ConfigError(field, f"{path}: {problem}", _CORRUPT)

    try:
        with gzip.open(path, "rb") if path.suffix == ".gz" else open(path, "rb") as handle:
            header = handle.read(4)
            if len(header) < 4:
                raise refuse(f"{len(header)} bytes is too short for an IDX header (4 bytes and the sizes)")
            zero, dtype_code, ndim = struct.unpack(">HBB", header)
            if zero != 0 or dtype_code != IDX_UBYTE or not 1 <= ndim <= 4:
                raise refuse(
                    f"not an unsigned-byte IDX file (magic number {header.hex()}, "
                    "expected 000008 and 1 to 4 dimensions)"
                )
            sizes = handle.read(4 * ndim)
            if len(sizes) < 4 * ndim:
                raise refuse(f"the header ends after {4 + len(sizes)} bytes; {ndim} dimensions need {4 + 4 * ndim}")
            shape = struct.unpack(f">{ndim}I", sizes)
            expected = math.prod(shape)
            if expected > MAX_IDX_BYTES:
                raise refuse(
                    f"its header claims {' x '.join(map(str, shape))} = {expected} bytes, more than the "
                    f"{MAX_IDX_BYTES} read at most"
                )
            data = handle.read(expected + 1)  # one more byte: extra data, and the end of a gzip stream
    except ConfigError:
        raise
    except EOFError:
        raise refuse("the gzip stream is truncated (it ends before its end marker)") from None
    except (gzip.BadGzipFile, zlib.error) as exc:
        raise refuse(f"corrupt gzip data ({exc})") from None
    except OSError as exc:
        raise ConfigError(field, f"{path} cannot be read ({exc.strerror or exc})", _CORRUPT) from None
    if len(data) != expected:
        what = "is truncated" if len(data) < expected else "has data after the end its header states"
        raise refuse(
            f"{what}: the header gives {' x '.join(map(str, shape))} = {expected} bytes, "
            f"the file holds {len(data) if len(data) <= expected else 'more'}"
        )
    return np.frombuffer(data, dtype=np.uint8).reshape(shape)


def _find(folder: Path, stem: str) -> Path | None:
    for candidate in (folder / f"{stem}.gz", folder / stem):
        if candidate.is_file():
            return candidate
    return None


_RANGE = re.compile(r"^\s*(\d*)\s*:\s*(\d*)\s*$", re.ASCII)


def parse_range(text: str, n: int, field: str) -> slice:
    """Read ``"START:STOP"`` (either may be empty: ``":"`` is everything) as a slice within ``n`` items.

    Raises
    ------
    ConfigError
        Naming ``field``, when the text is not two non-negative integers around a colon, or the
        range is empty or reaches past ``n``.
    """
    match = _RANGE.match(text) if isinstance(text, str) else None
    if match is None:
        raise ConfigError(
            field,
            f"cannot read {text!r} as a range",
            "expected START:STOP, e.g. 0:8000 (either may be left out: 100: or :500 or :)",
        )
    start = int(match.group(1)) if match.group(1) else 0
    stop = int(match.group(2)) if match.group(2) else n
    if not 0 <= start < stop <= n:
        raise ConfigError(field, f"range {text!r} is outside 0:{n} or empty", f"expected 0 <= START < STOP <= {n}")
    return slice(start, stop)


def _read_pair(images_path: Path, labels_path: Path) -> tuple[np.ndarray, np.ndarray]:
    """An IDX images file (n x rows x cols) and its labels file (n digits 0-9), checked together."""
    images, labels = read_idx(images_path), read_idx(labels_path)
    if images.ndim != 3 or min(images.shape) < 1:
        raise ConfigError(
            "data.path",
            f"{images_path}: holds an array of shape {images.shape}",
            "expected images: an IDX file of n x rows x columns bytes",
        )
    if labels.ndim != 1:
        raise ConfigError(
            "data.path",
            f"{labels_path}: holds an array of shape {labels.shape}",
            "expected labels: an IDX file of n bytes",
        )
    if len(labels) != len(images):
        raise ConfigError(
            "data.path",
            f"{labels_path}: {len(labels)} labels for {len(images)} images in {images_path.name}",
            "give the labels file that belongs to the images",
        )
    if labels.max() > 9:
        raise ConfigError("data.path", f"{labels_path}: a label is {labels.max()}", "expected digits 0 to 9")
    return images, labels


def load_mnist(folder: Path, train: str = "0:8000", test: str = "8000:10000") -> Dataset:
    """MNIST from a folder; with only the t10k files, ``train``/``test`` index that set.

    Every file is verified (:func:`read_idx`); a damaged or mismatched one is a ConfigError
    naming it.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise ConfigError("data.path", f"{folder} is not a folder", "give a folder with MNIST IDX files")
    paths = {part: [_find(folder, stem) for stem in stems] for part, stems in MNIST_FILES.items()}
    if None in paths["test"]:
        missing = [s for s, p in zip(MNIST_FILES["test"], paths["test"], strict=True) if p is None]
        raise ConfigError(
            "data.path", f"{missing[0]}(.gz) not found in {folder.resolve()}", "give a folder with the MNIST IDX files"
        )
    test_paths = [p for p in paths["test"] if p is not None]
    train_paths = [p for p in paths["train"] if p is not None]
    x_t10k, y_t10k = _read_pair(test_paths[0], test_paths[1])
    if len(train_paths) == 2:
        x_train, y_train = _read_pair(train_paths[0], train_paths[1])
        if x_train.shape[1:] != x_t10k.shape[1:]:
            raise ConfigError(
                "data.path",
                f"{paths['train'][0]}: images of {x_train.shape[1:]} pixels, but "
                f"{x_t10k.shape[1:]} in {test_paths[0].name}",
                "give one data set's files",
            )
        tr, te = parse_range(train, len(y_train), "data.train"), parse_range(test, len(y_t10k), "data.test")
        parts = (x_train[tr], y_train[tr], x_t10k[te], y_t10k[te])
        split = f"mnist train[{train}] / t10k[{test}]"
    else:
        tr, te = parse_range(train, len(y_t10k), "data.train"), parse_range(test, len(y_t10k), "data.test")
        if tr.start < te.stop and te.start < tr.stop:
            raise ConfigError("data.test", f"{test} overlaps data.train {train}", "use disjoint ranges")
        parts = (x_t10k[tr], y_t10k[tr], x_t10k[te], y_t10k[te])
        split = f"t10k[{train}] / t10k[{test}]"
    xs = [
        p.reshape(len(p), -1).astype(np.float64) / 255.0 if i % 2 == 0 else p.astype(np.int64)
        for i, p in enumerate(parts)
    ]
    return Dataset("mnist", xs[0], xs[1], xs[2], xs[3], (int(x_t10k.shape[1]), int(x_t10k.shape[2])), split)


#: The default ranges of ``data.train``/``data.test``: MNIST's t10k split (8,000 / 2,000 images).
#: For the embedded digits, whose split is smaller, they mean the whole train / test part.
DEFAULT_TRAIN, DEFAULT_TEST = "0:8000", "8000:10000"


def load_embedded_digits(test_fraction: float = 0.25, seed: int = 0, train: str = ":", test: str = ":") -> Dataset:
    """scikit-learn's 1797 8x8 digits, scaled to [0, 1], split by a fixed stratified shuffle.

    The shuffle gives 1,347 training and 450 test images (with the default ``test_fraction``);
    ``train`` and ``test`` (``"START:STOP"``, see :func:`parse_range`) then select a range of
    each part, so they index the stratified training and test parts, not the 1,797 images.
    ``":"`` (the default) takes a whole part; a range past its end is a ConfigError.
    """
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    x = digits.data / 16.0
    x_train, x_test, y_train, y_test = train_test_split(
        x, digits.target, test_size=test_fraction, random_state=seed, stratify=digits.target
    )
    tr, te = parse_range(train, len(y_train), "data.train"), parse_range(test, len(y_test), "data.test")
    split = f"sklearn digits, stratified {1 - test_fraction:.0%}/{test_fraction:.0%} (seed {seed})"
    if (tr.start, tr.stop, te.start, te.stop) != (0, len(y_train), 0, len(y_test)):
        split += f", train[{tr.start}:{tr.stop}] / test[{te.start}:{te.stop}]"
    return Dataset(
        "digits", x_train[tr], y_train[tr].astype(np.int64), x_test[te], y_test[te].astype(np.int64), (8, 8), split
    )


def load_dataset(path: str | None = None, train: str = DEFAULT_TRAIN, test: str = DEFAULT_TEST) -> Dataset:
    """The embedded digits, or MNIST from ``path`` (or the ``SNNLEARN_DATA`` environment variable).

    ``path`` may be ``"digits"`` (embedded), ``""``/None (``SNNLEARN_DATA`` if set, else embedded)
    or a folder of MNIST IDX files.

    ``train`` and ``test`` are ``"START:STOP"`` ranges (:func:`parse_range`). For MNIST they index
    the train and t10k files (or, with only the t10k files, both index t10k and must not
    overlap). For the embedded digits they index its own stratified training part (1,347 images)
    and test part (450 images); the defaults, ``"0:8000"`` and ``"8000:10000"``, name MNIST's
    t10k split and stand for the whole part there, so an experiment's defaults work on both data
    sets. Any other range must lie within the part, e.g. ``data.train=0:500`` trains on the first
    500 training images; ``":"`` is the whole part on either data set.
    """
    from . import config

    if path in (None, "", "auto"):
        path = config.data_path() or "digits"
    if path == "digits":
        return load_embedded_digits(
            train=":" if train == DEFAULT_TRAIN else train, test=":" if test == DEFAULT_TEST else test
        )
    return load_mnist(Path(path), train, test)

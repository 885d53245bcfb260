"""Online training by presentation (Diehl & Cook 2015), cut into passes at the curve points.

The paradigm of unsupervised image learning: each training image is shown for ``t_present``,
followed by ``t_rest`` of silence, again and brighter while it drew fewer than ``min_spikes``
(:class:`~snnlearn.tasks.digits.DigitPresenter`), with learning on. :func:`train_in_passes`
shows a stream of images as consecutive passes that end exactly at the accuracy curve's points,
keeps the network's weights and thresholds at each of them (the start included: the
random-weights control), samples theta and weights during training for a figure, and writes
checkpoints from which a killed run resumes to the same result:

- at most one per ``checkpoint_seconds`` of wall time (0: after every chunk), always at a curve
  point and at the end (:class:`~snnlearn.results.IntervalCheckpoint`); a checkpoint carries the
  whole run so far, so a write after every chunk would make a long run's cost grow with the
  square of its length;
- what a checkpoint holds: the session's state (every variable, spikes in flight, random
  streams), the pass's progress, the samples and snapshots so far and the training clock.

Every evaluation runs afterwards on frozen copies of the snapshots
(:func:`~snnlearn.tasks.frozen.score_frozen`), so training is not interrupted by it and its
cost is reported apart.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from brian2 import mV, second

from ..engine import backend_session
from ..progress import Progress
from ..results import IntervalCheckpoint, load_checkpoint
from ..spec import ModelSpec
from ..tasks.digits import DigitPresenter, Protocol, TrainingTrack, pack_progress, unpack_progress
from ..tasks.frozen import Snapshots


@dataclass
class Training:
    """What :func:`train_in_passes` leaves: snapshots at the curve points and the costs."""

    snapshots: Snapshots  # weights and theta at 0, at each curve point and at the end
    track: TrainingTrack  # theta and weight samples during training
    train_seconds: float  # wall time of the training chunks (compilation and checkpoints excluded)
    compile_seconds: float


def curve_bounds(n_total: int, curve_points: int) -> list[int]:
    """Where the passes end: ``curve_points`` evenly spaced points, then the end of training."""
    return [0, *(int(n_total * (k + 1) / (curve_points + 1)) for k in range(curve_points)), n_total]


def training_stream(n_train: int, total: int, rng: np.random.Generator) -> np.ndarray:
    """Indices of the training examples in presentation order: a new permutation each epoch."""
    epochs = -(-total // n_train)
    return np.concatenate([rng.permutation(n_train) for _ in range(epochs)])[:total]


def train_in_passes(
    spec: ModelSpec,
    protocol: Protocol,
    images: np.ndarray,
    order: np.ndarray,
    bounds: list[int],
    *,
    backend: str,
    seed: int,
    key: str,
    pixel_rate,
    slots_per_chunk: int,
    track_every: int,
    checkpoint: Path,
    checkpoint_seconds: float,
    log: Callable[[str], None] = lambda message: None,
) -> Training:
    """Train on ``images[order]`` (``order`` from :func:`training_stream`; indexed a pass at a
    time, never copied whole) in passes ending at ``bounds`` (from :func:`curve_bounds`),
    resuming from ``checkpoint`` if it exists.

    The build is cached under ``key``; ``log`` receives one line when the run resumes.
    """
    n_total = bounds[-1]
    with backend_session(backend, seed, key=key) as build_dir:
        presenter = DigitPresenter(
            spec,
            protocol,
            slots_per_chunk,
            backend=backend,
            build_dir=build_dir,
            pixel_rate=pixel_rate,
            track_every=track_every,
        )
        session = presenter.session
        compile_s = session.compile()
        clock: dict = {"train": 0.0, "last": time.perf_counter(), "segment": 0}
        writer = IntervalCheckpoint(checkpoint, checkpoint_seconds)
        progress, track, snapshots = None, TrainingTrack(), Snapshots()

        def snapshot(examples: int) -> None:
            snapshots.add(
                examples, session.get(presenter.feedforward, "w"), session.get(presenter.excitatory, "theta") / mV
            )

        if checkpoint.is_file():
            saved = load_checkpoint(checkpoint)
            track, snapshots = TrainingTrack.from_arrays(saved), Snapshots.from_arrays(saved)
            session.load_state(saved)
            progress = unpack_progress(saved)
            clock.update(train=float(saved["train_seconds"]), segment=int(saved["segment"]))
            log(f"resuming at example {bounds[clock['segment']] + progress['done']} (chunk {session.chunks_run})")
        else:  # the random-weights control: the initial weights, scored frozen after training
            snapshots.add(0, *presenter.initial_state())
        done = bounds[clock["segment"]] + (progress["done"] if progress else 0)
        bar = Progress(n_total, "training examples", start=done)

        def after_chunk(progress: dict) -> None:
            now = time.perf_counter()
            clock["train"] += now - clock["last"]
            seen = bounds[clock["segment"]] + progress["done"]
            track.add(presenter.tracked(), bounds[clock["segment"]])
            if not snapshots.delays_s.size:  # drawn by a standalone program: known after its first run
                snapshots.delays_s = np.asarray(session.get(presenter.feedforward, "delay") / second)
            if at_bound := seen == bounds[clock["segment"] + 1]:  # a curve point's weights (or the final ones)
                snapshot(seen)
            writer.save(
                lambda: {
                    "train_seconds": np.array(clock["train"]),
                    "segment": np.array(clock["segment"]),
                    **pack_progress(progress),
                    **track.arrays(),
                    **snapshots.arrays(),
                    **session.state(),
                },
                force=at_bound,
            )
            bar.update(seen, f"({seen / max(clock['train'], 1e-9):.1f} images/s)")
            clock["last"] = time.perf_counter()

        while clock["segment"] < len(bounds) - 1:
            lo, hi = bounds[clock["segment"]], bounds[clock["segment"] + 1]
            if hi > lo:
                presenter.present(
                    images[order[lo:hi]], learn=True, collect=False, on_chunk=after_chunk, progress=progress
                )
            progress = None
            if len(snapshots.examples) < clock["segment"] + 2:  # an empty segment
                snapshot(hi)
            clock["segment"] += 1
            clock["last"] = time.perf_counter()
    return Training(snapshots, track, clock["train"], compile_s)

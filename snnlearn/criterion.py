"""Examples to criterion: one definition for every experiment and the comparison.

A learning curve is a sequence of measurements ``(examples seen, accuracy)``. The examples to
criterion are the examples seen at the **first measurement whose accuracy reaches the
criterion** (``>=``), or None when none does (:func:`examples_to_criterion`); its resolution is
that of the curve (a curve evaluated every 1000 examples cannot say 450).

For a task scored trial by trial (rewarded or not), the accuracy measured after ``n`` trials is
the fraction correct over the last ``window`` trials (:func:`running_accuracy`, defined from
``n = window`` on); so trials to criterion (:func:`trials_to_criterion`) is the same definition
applied to that curve. ``reward_choice`` and ``reward_scaling`` (through
:mod:`snnlearn.protocols.choice`), ``estimator_digits``, the rate training's
:func:`~snnlearn.ratenet.train.epochs_to_target` and ``snnlearn compare`` use these functions.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

Curve = list[tuple[float, float]]


def examples_to_criterion(curve: Iterable[tuple[float, float]], criterion: float) -> float | None:
    """The examples seen at the first point of ``curve`` (pairs ``(examples, accuracy)``, in
    order of examples) whose accuracy is at least ``criterion``; None if no point is."""
    return next((n for n, accuracy in curve if accuracy >= criterion), None)


def running_accuracy(outcomes: Sequence[float] | np.ndarray, window: int) -> Curve:
    """The learning curve of trial outcomes (1 correct, 0 not): after each trial ``n >= window``,
    the fraction correct over trials ``n - window + 1 .. n``."""
    if window < 1:
        raise ValueError(f"window must be >= 1, got {window}")
    values = np.asarray(outcomes, dtype=float)
    if len(values) < window:
        return []
    running = np.convolve(values, np.ones(window) / window, mode="valid")
    return [(float(window + k), float(a)) for k, a in enumerate(running)]


def trials_to_criterion(outcomes: Sequence[float] | np.ndarray, window: int, criterion: float) -> int | None:
    """The first trial (1-based count of trials seen) at which the fraction correct over the
    last ``window`` trials reaches ``criterion``; None if it never does."""
    reached = examples_to_criterion(running_accuracy(outcomes, window), criterion)
    return None if reached is None else int(reached)

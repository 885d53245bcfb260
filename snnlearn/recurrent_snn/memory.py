"""What each learner of the recurrent spiking network must store, against the trial's length ``T``.

Measured with :func:`snnlearn.ratenet.diagnostics.peak_allocated_bytes` (tracemalloc, NumPy
buffers included): the peak of memory allocated during one update, relative to before it, on
trials of increasing length. BPTT keeps the spikes and pseudo-derivatives of every step (linear
in ``T``); e-prop in its online trace form keeps traces of a fixed size (flat in ``T``);
truncated BPTT keeps one chunk; node perturbation here stores the noise of the whole trial
(its eligibility could be accumulated online instead, as in the Brian2 reward rules).
The slopes are fitted as bytes per step (a straight line) and as a log-log exponent.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np

from ..ratenet.diagnostics import linear_slope, peak_allocated_bytes
from ..ratenet.learner import Learner
from ..ratenet.losses import Loss
from ..ratenet.variance import loglog_slope
from .network import SpikingArchitecture, init_params


def memory_against_steps(
    arch: SpikingArchitecture,
    learners: dict[str, Learner],
    steps: Iterable[int],
    batch: int,
    loss: Loss,
    rng: np.random.Generator,
    rate: float = 0.02,
) -> dict[str, dict[int, int]]:
    """``{learner: {T: peak bytes of one update}}`` on random input spikes (``rate`` per step and
    channel) with the decision window at the end of every trial."""
    params = init_params(arch, rng)
    out: dict[str, dict[int, int]] = {name: {} for name in learners}
    for t in steps:
        x = (rng.random((t, batch, arch.n_in)) < rate).astype(float)
        labels = rng.integers(0, arch.n_out, batch)
        for name, learner in learners.items():
            _, out[name][t] = peak_allocated_bytes(learner.update, arch, params, x, labels, loss, rng)
    return out


def slopes(curve: Mapping[float, float]) -> dict[str, float | None]:
    """Bytes per step of a straight-line fit, and the log-log exponent (1 linear, 0 flat)."""
    return {"bytes_per_step": linear_slope(curve), "loglog": loglog_slope(list(curve), list(curve.values()))}


def memory_learners(truncation: int) -> dict[str, Learner]:
    """The learners whose memory is measured: BPTT, e-prop (symmetric and random) in the online
    trace form, truncated BPTT at ``truncation`` steps, node perturbation."""
    from ..ratenet.learner import make_learner

    return {
        "surrogate_bptt": make_learner("surrogate_bptt"),
        "eprop": make_learner("eprop", online=True),
        "eprop_random": make_learner("eprop_random", online=True, rng=np.random.default_rng(0)),
        f"truncated_bptt_{truncation}": make_learner("truncated_bptt", truncation=truncation),
        "reward_node_perturbation": make_learner("reward_node_perturbation"),
    }

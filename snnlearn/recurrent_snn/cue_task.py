"""The cue-accumulation task of Bellec et al. (2020), Nat Commun 11:3625 (Fig. 3; Methods).

Forty input channels in four populations of ten: left cues, right cues, the recall cue and
background noise. A trial shows ``n_cues`` cues, each ``cue_ms`` of ``cue_rate`` Hz on the left
or the right population followed by ``gap_ms`` of silence, then a ``delay_ms`` delay, then the
recall cue for ``recall_ms``; the background population fires at ``noise_rate`` Hz throughout.
The answer is the side that showed more cues (``n_cues`` is odd), given during the recall
window. The longer the delay, the longer the network must hold the count.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import ConfigError

Array = np.ndarray


@dataclass(frozen=True)
class CueTask:
    """Timing (ms) and rates (Hz) of cue-accumulation trials; ``n_per_group`` channels per population."""

    n_cues: int = 7
    cue_ms: float = 100.0
    gap_ms: float = 50.0
    delay_ms: float = 300.0
    recall_ms: float = 150.0
    cue_rate: float = 40.0
    noise_rate: float = 10.0
    n_per_group: int = 10
    dt: float = 1.0

    def __post_init__(self) -> None:
        if self.n_cues < 1 or self.n_cues % 2 == 0:
            raise ConfigError("task.n_cues", f"got {self.n_cues}", "an odd number >= 1 (a majority exists)")
        if min(self.cue_ms, self.recall_ms, self.dt) <= 0 or min(self.gap_ms, self.delay_ms) < 0:
            raise ConfigError("task", "durations must be positive (gap and delay >= 0)", "e.g. cue_ms = 100")

    def steps(self, ms: float) -> int:
        """The number of time steps of ``ms`` milliseconds (rounded to the nearest step of ``dt``)."""
        return int(round(ms / self.dt))

    @property
    def n_in(self) -> int:
        """Input channels: four populations (left, right, recall, noise) of ``n_per_group``."""
        return 4 * self.n_per_group

    @property
    def n_recall(self) -> int:
        """Steps of the recall window, the trial's last, in which the answer is given."""
        return self.steps(self.recall_ms)

    @property
    def cue_end(self) -> int:
        """The step at which the last cue's gap ends and the delay begins."""
        return self.n_cues * self.steps(self.cue_ms + self.gap_ms)

    @property
    def n_steps(self) -> int:
        """Steps of a whole trial: cues and gaps, delay, recall."""
        return self.cue_end + self.steps(self.delay_ms) + self.n_recall

    def sample(self, batch: int, rng: np.random.Generator) -> tuple[Array, Array, Array]:
        """``(x, labels, sides)``: spikes (T, batch, 40) as floats, labels (batch,) with 0 = left,
        and the side of every cue (batch, n_cues)."""
        sides = rng.integers(0, 2, (batch, self.n_cues))
        labels = (sides.sum(axis=1) > self.n_cues // 2).astype(int)
        rate = np.zeros((self.n_steps, batch, self.n_in))
        k = self.n_per_group
        period, on = self.steps(self.cue_ms + self.gap_ms), self.steps(self.cue_ms)
        for c in range(self.n_cues):
            start = c * period
            for side in (0, 1):
                rate[start : start + on, sides[:, c] == side, side * k : (side + 1) * k] = self.cue_rate
        rate[-self.n_recall :, :, 2 * k : 3 * k] = self.cue_rate
        rate[:, :, 3 * k :] = self.noise_rate
        x = (rng.random(rate.shape) < rate * self.dt * 1e-3).astype(float)
        return x, labels, sides

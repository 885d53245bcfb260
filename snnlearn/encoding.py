"""Turning values (pixel intensities in [0, 1]) into spikes.

- Rate coding: each value sets the rate of a Poisson process, ``rate = value * max_rate``
  (Diehl & Cook 2015 use pixel/8 Hz for pixels 0..255 times an intensity of 2, i.e. at most
  63.75 Hz). In a network the rates drive a ``PoissonGroup`` (or a ``TimedArray`` of rates
  for a sequence of examples); :func:`poisson_spike_trains` draws the same process in NumPy.
- Latency coding: a stronger value fires earlier, once. ``linear``: t = t_max (1 - value);
  ``log`` (Gollisch & Meister 2008 style, as in snnTorch): t = tau ln(value / (value - threshold)).
  Values at or below ``threshold`` do not fire.
"""

from __future__ import annotations

import numpy as np
from brian2 import Hz, ms, second
from brian2.units.fundamentalunits import Quantity

from .errors import ConfigError, one_of

LATENCY_KINDS = ("linear", "log")


def _as_values(values: np.ndarray, field: str) -> np.ndarray:
    values = np.asarray(values, dtype=float)
    if not np.all(np.isfinite(values)) or values.min(initial=0) < 0 or values.max(initial=0) > 1:
        raise ConfigError(field, "values must be finite and within [0, 1]", "scale inputs to [0, 1]")
    return values


def rates(values: np.ndarray, max_rate: Quantity = 63.75 * Hz) -> Quantity:
    """Poisson rates for values in [0, 1]: ``value * max_rate``."""
    return _as_values(values, "values") * max_rate


def poisson_spike_trains(
    values: np.ndarray, duration: Quantity, max_rate: Quantity, rng: np.random.Generator, dt: Quantity = 0.1 * ms
) -> tuple[np.ndarray, Quantity]:
    """Draw Poisson spikes (one Bernoulli trial per time step) for each value.

    Returns ``(indices, times)`` sorted by time, ready for a ``SpikeGeneratorGroup``.
    """
    p = np.asarray(rates(values, max_rate) * dt)
    n_steps = int(round(float(duration / dt)))
    steps, indices = np.nonzero(rng.random((n_steps, p.size)) < p.ravel()[None, :])
    return indices, steps * dt


def latency_times(
    values: np.ndarray, t_max: Quantity = 50 * ms, kind: str = "linear", tau: Quantity = 5 * ms, threshold: float = 0.01
) -> tuple[np.ndarray, Quantity]:
    """First-spike times for values in [0, 1] (one spike per value above ``threshold``).

    Returns ``(indices, times)`` sorted by time; larger values spike earlier.
    """
    if kind not in LATENCY_KINDS:
        raise ConfigError("kind", f"unknown latency code {kind!r}", one_of(LATENCY_KINDS))
    values = _as_values(values, "values").ravel()
    indices = np.flatnonzero(values > threshold)
    x = values[indices]
    if kind == "linear":
        times = np.asarray(t_max / second) * (1.0 - x)
    else:
        with np.errstate(divide="ignore"):
            times = np.asarray(tau / second) * np.log(x / (x - threshold))
        times = np.minimum(times, float(t_max / second))
    order = np.argsort(times, kind="stable")
    return indices[order], times[order] * second

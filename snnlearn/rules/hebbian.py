"""Rate-based Hebbian rules: Oja's rule (normalised Hebb, finds the first principal component)
and BCM (Hebb with a sliding threshold, develops selectivity).

Both rules are written once as equations on rates ``x_i`` (input ``i``) and ``y`` (output):

- Oja (1982):  ``dw_i/dt = eta * y * (x_i - y * w_i)``; for zero-mean inputs with covariance
  ``C`` and a linear neuron ``y = w . x``, w converges to the unit-norm principal eigenvector
  of ``C`` (the ``- y**2 w`` term is the first-order effect of renormalising ``|w|`` to 1).
- BCM (Bienenstock, Cooper & Munro 1982): ``dw_i/dt = eta * x_i * y * (y - theta)`` with a
  sliding threshold, the running average of ``y**2 / y0``: ``tau_theta dtheta/dt = y**2 / y0 -
  theta`` (Intrator & Cooper 1992; BCM's original threshold was a power of the average of y).
  Activity above theta potentiates, below it depresses; theta grows faster than y, which
  stabilises the rule, and a neuron shown several input patterns ends up responding to one of
  them only (selectivity).

Two forms, one set of equations:

- the **rate form**, :func:`oja_step` and :func:`bcm_step`: one Euler step of the equations
  above on a rate vector (time in samples, ``eta`` per sample); NumPy, used by the ``oja_pca``
  experiment;
- the **spiking form**, the Brian2 rules ``oja`` and ``bcm``: rates are estimated by traces
  (``x_rate`` jumps by ``1/tau_rate`` at each presynaptic spike and decays with ``tau_rate``,
  so its mean is the presynaptic rate in Hz; ``y_rate`` likewise at postsynaptic spikes), and
  the postsynaptic spike train stands for one factor ``y``: at each postsynaptic spike

  - ``oja``: ``w += eta * (x_rate - y_rate * w)``,
  - ``bcm``: ``w += eta * x_rate * (y_rate - theta_m)``, then ``theta_m += y_rate / (tau_theta
    * y0)``, the threshold ``theta_m`` decaying with ``tau_theta`` (so that its mean is the
    average of y**2 / y0; named as BCM's modification threshold, apart from a neuron's
    ``theta``);

  so that the mean drift is the rate equation (the traces are read before the spike's own
  bump, so a Poisson neuron's ``y_rate`` is unbiased). The postsynaptic traces are kept in each
  synapse (all synapses of a neuron hold the same values), so the rules need nothing from the
  neuron model and run on any synapses, in runtime and standalone mode alike. Weights are
  clipped to [0, w_max]: the spiking form learns non-negative (excitatory) weights, so Oja's
  rule finds the principal component only when it is non-negative (positively correlated
  inputs), and BCM's selectivity is limited by the overlap of the patterns (the rate form
  takes signed weights by default). Rates are in Hz, so ``eta`` is in seconds (Oja) or seconds
  squared (BCM).

``oja``:

==============  =========  ===========================================================
parameter       default    meaning
==============  =========  ===========================================================
tau_rate        100 ms     time constant of the rate traces x_rate, y_rate
eta             1e-05 s    learning rate (weight change per postsynaptic spike per Hz)
w_max           1.0        upper weight bound
==============  =========  ===========================================================

``bcm``:

==============  =========  ===========================================================
parameter       default    meaning
==============  =========  ===========================================================
tau_rate        50 ms      time constant of the rate traces x_rate, y_rate
tau_theta       2 s        time constant of the sliding threshold theta
y0              10 Hz      scale of the threshold: theta is the average of y**2 / y0
eta             1e-07 s^2  learning rate (weight change per postsynaptic spike per Hz^2)
w_max           1.0        upper weight bound
==============  =========  ===========================================================

References: Oja (1982) J Math Biol 15:267; Bienenstock, Cooper & Munro (1982) J Neurosci
2:32; Intrator & Cooper (1992) Neural Netw 5:3; Dayan & Abbott (2001) Theoretical
Neuroscience, ch. 8; Law & Cooper (1994) PNAS 91:7797.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from brian2 import Hz, ms, second

from ..params import param
from .base import Rule, lines


def oja_step(w: np.ndarray, x: np.ndarray, eta: float) -> np.ndarray:
    """One step of Oja's rule for a linear neuron ``y = w . x``: returns the new weights."""
    y = float(w @ x)
    return w + eta * y * (x - y * w)


def bcm_step(
    w: np.ndarray,
    theta: float,
    x: np.ndarray,
    eta: float,
    tau_theta: float,
    y0: float,
    w_min: float = -np.inf,
    w_max: float = np.inf,
) -> tuple[np.ndarray, float, float]:
    """One step of BCM for a rectified linear neuron ``y = max(w . x, 0)``.

    The weights move with the threshold from *before* this step (as the spiking form reads
    theta before the spike's contribution); ``tau_theta`` is in steps. Weights are clipped to
    [w_min, w_max] (signed by default). Returns (new weights, new threshold, this step's output).
    """
    y = max(float(w @ x), 0.0)
    w = np.clip(w + eta * x * y * (y - theta), w_min, w_max)
    return w, theta + (y * y / y0 - theta) / tau_theta, y


_RATE_TRACES = """
dx_rate/dt = -x_rate / tau_rate : Hz (event-driven)
dy_rate/dt = -y_rate / tau_rate : Hz (event-driven)
"""


@dataclass(frozen=True)
class OjaRule(Rule):
    """Oja's rule on spike trains: rate traces, weight change at each postsynaptic spike."""

    name: ClassVar[str] = "oja"
    reference: ClassVar[str] = "Oja (1982) J Math Biol 15:267"
    tau_rate: object = param(100 * ms, "time constant of the rate traces", positive=True)
    eta: object = param(1e-5 * second, "learning rate", nonnegative=True)
    w_max: float = param(1.0, "upper weight bound", positive=True)

    def model(self) -> str:
        return _RATE_TRACES

    def on_pre(self) -> str:
        return "x_rate += 1 / tau_rate"

    def on_post(self) -> str:
        return lines("w = clip(w + eta * (x_rate - y_rate * w), 0, w_max)", "y_rate += 1 / tau_rate")


@dataclass(frozen=True)
class BCMRule(Rule):
    """BCM on spike trains: rate traces and a sliding threshold driven by postsynaptic spikes."""

    name: ClassVar[str] = "bcm"
    reference: ClassVar[str] = "Bienenstock, Cooper & Munro (1982) J Neurosci 2:32"
    tau_rate: object = param(50 * ms, "time constant of the rate traces", positive=True)
    tau_theta: object = param(2 * second, "time constant of the sliding threshold", positive=True)
    y0: object = param(10 * Hz, "scale of the threshold (theta: average of y**2 / y0)", positive=True)
    eta: object = param(1e-7 * second**2, "learning rate", nonnegative=True)
    w_max: float = param(1.0, "upper weight bound", positive=True)

    def model(self) -> str:
        return _RATE_TRACES + "dtheta_m/dt = -theta_m / tau_theta : Hz (event-driven)\n"

    def on_pre(self) -> str:
        return "x_rate += 1 / tau_rate"

    def on_post(self) -> str:
        return lines(
            "w = clip(w + eta * x_rate * (y_rate - theta_m), 0, w_max)",
            "theta_m += y_rate / (tau_theta * y0)",
            "y_rate += 1 / tau_rate",
        )

"""Neuron models with a hard threshold and reset, as Brian2 equations with units.

Each model is a frozen parameter set (:class:`~snnlearn.params.Params`) that yields the Brian2
``model`` equations, ``threshold``, ``reset``, ``refractory`` period and initial values; the
builder turns it into a ``NeuronGroup``. Synapses act on a model's *input variables*
(``g_e``/``g_i`` for conductances, ``I_syn`` for a current, ``v`` for a voltage kick); the
spike is the non-differentiable event ``v > threshold`` followed by an instantaneous reset.

=====================  ======================================================================
name                   equations
=====================  ======================================================================
``lif_current``        tau_m dv/dt = v_rest - v + r_m (I_syn + I_ext);  dI_syn/dt = -I_syn/tau_syn
``lif_conductance``    tau_m dv/dt = v_rest - v + g_e (e_e - v) + g_i (e_i - v) + v_ext;
                       dg/dt = -g/tau (conductances in units of the leak conductance)
``adaptive_lif``       as ``lif_conductance`` with threshold v > v_threshold + theta - theta_offset;
                       theta += theta_plus * adapting on each spike, dtheta/dt = -theta/tau_theta
``izhikevich``         dv/dt = (0.04 v^2/mV + 5 v + 140 mV - u + I_syn + I_ext)/ms  (u, I in mV);
                       du/dt = a (b v - u); v >= v_peak: v = c, u += d;  dI_syn/dt = -I_syn/tau_syn
=====================  ======================================================================

References: Gerstner et al., *Neuronal Dynamics* (2014), ch. 1 (LIF); Song, Miller & Abbott
(2000) (conductance LIF); Diehl & Cook (2015) Front Comput Neurosci 9:99 (adaptive threshold);
Izhikevich (2003) IEEE TNN 14:1569 (Izhikevich model).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from brian2 import Mohm, ms, mV

from .errors import ConfigError, one_of
from .params import Params, param


@dataclass(frozen=True)
class NeuronModel(Params):
    """A neuron model: equations with units, a hard threshold and a reset."""

    name: ClassVar[str] = ""
    #: Variables a synaptic effect may change (``<var>_post += ...``).
    input_variables: ClassVar[tuple[str, ...]] = ()
    method: ClassVar[str] = "exact"

    def equations(self) -> str:
        """The Brian2 ``model`` equations of the neuron, with units.

        They declare the membrane potential ``v``, the model's :attr:`input_variables` and any
        external drive (``I_ext``, ``v_ext``) an experiment may set; parameters are referred to by
        the names of :meth:`~snnlearn.params.Params.namespace`. The base class has none and raises
        ``NotImplementedError``.

        Returns
        -------
        str
            Brian2 equations, one per line.
        """
        raise NotImplementedError

    @property
    def threshold(self) -> str:
        """The Brian2 threshold condition, the hard (non-differentiable) spike event; default ``v > v_threshold``."""
        return "v > v_threshold"

    @property
    def reset(self) -> str:
        """The Brian2 reset statements run at each spike; default ``v = v_reset``."""
        return "v = v_reset"

    @property
    def refractory(self):
        """The refractory period (``t_ref``, a Brian2 quantity; 0 ms for a model without one)."""
        return getattr(self, "t_ref", 0 * ms)

    def initial(self) -> dict[str, str | float]:
        """Initial values as Brian2 expressions (evaluated in the group's namespace)."""
        return {"v": "v_rest"}


@dataclass(frozen=True)
class LIFCurrent(NeuronModel):
    """Leaky integrate-and-fire with an exponentially decaying synaptic current."""

    name: ClassVar[str] = "lif_current"
    input_variables: ClassVar[tuple[str, ...]] = ("I_syn", "v")
    tau_m: object = param(20 * ms, "membrane time constant", positive=True)
    v_rest: object = param(-70 * mV, "resting potential")
    v_reset: object = param(-70 * mV, "reset potential")
    v_threshold: object = param(-50 * mV, "firing threshold")
    r_m: object = param(100 * Mohm, "membrane resistance", positive=True)
    tau_syn: object = param(5 * ms, "synaptic current time constant", positive=True)
    t_ref: object = param(2 * ms, "refractory period", nonnegative=True)

    def equations(self) -> str:
        return """
        dv/dt = (v_rest - v + r_m * (I_syn + I_ext)) / tau_m : volt (unless refractory)
        dI_syn/dt = -I_syn / tau_syn : amp
        I_ext : amp
        """

    def check(self, field: str) -> None:
        _check_threshold(self, field)


@dataclass(frozen=True)
class LIFConductance(NeuronModel):
    """Conductance-based LIF (Song, Miller & Abbott 2000): g_e, g_i relative to the leak."""

    name: ClassVar[str] = "lif_conductance"
    input_variables: ClassVar[tuple[str, ...]] = ("g_e", "g_i", "v")
    method: ClassVar[str] = "exponential_euler"  # exact for v while the conductances are constant
    tau_m: object = param(20 * ms, "membrane time constant", positive=True)
    v_rest: object = param(-70 * mV, "resting (leak reversal) potential")
    v_reset: object = param(-60 * mV, "reset potential")
    v_threshold: object = param(-54 * mV, "firing threshold")
    e_e: object = param(0 * mV, "excitatory reversal potential")
    e_i: object = param(-70 * mV, "inhibitory reversal potential")
    tau_e: object = param(5 * ms, "excitatory conductance time constant", positive=True)
    tau_i: object = param(5 * ms, "inhibitory conductance time constant", positive=True)
    t_ref: object = param(0 * ms, "refractory period", nonnegative=True)

    _membrane: ClassVar[str] = """
        dv/dt = (v_rest - v + g_e * (e_e - v) + g_i * (e_i - v) + v_ext) / tau_m : volt (unless refractory)
        dg_e/dt = -g_e / tau_e : 1
        dg_i/dt = -g_i / tau_i : 1
        v_ext : volt
        """

    def equations(self) -> str:
        return self._membrane

    def check(self, field: str) -> None:
        _check_threshold(self, field)


@dataclass(frozen=True)
class AdaptiveLIF(LIFConductance):
    """Conductance LIF whose threshold rises by theta_plus at each spike and decays slowly.

    Homeostasis of Diehl & Cook (2015): a neuron that fires a lot becomes harder to excite.
    The shared variable ``adapting`` (1 while learning, 0 at test time) freezes theta without
    recompiling a standalone program.
    """

    name: ClassVar[str] = "adaptive_lif"
    # defaults: the excitatory neurons of Diehl & Cook (2015)
    tau_m: object = param(100 * ms, "membrane time constant", positive=True)
    v_rest: object = param(-65 * mV, "resting (leak reversal) potential")
    v_reset: object = param(-65 * mV, "reset potential")
    v_threshold: object = param(-52 * mV, "firing threshold before adaptation")
    e_i: object = param(-100 * mV, "inhibitory reversal potential")
    tau_e: object = param(1 * ms, "excitatory conductance time constant", positive=True)
    tau_i: object = param(2 * ms, "inhibitory conductance time constant", positive=True)
    t_ref: object = param(5 * ms, "refractory period", nonnegative=True)
    theta_plus: object = param(0.05 * mV, "threshold increment per spike", nonnegative=True)
    tau_theta: object = param(1e7 * ms, "threshold decay time constant", positive=True)
    theta_offset: object = param(20 * mV, "offset subtracted from the threshold (Diehl & Cook)")
    theta_init: object = param(20 * mV, "initial theta (20 mV = offset: starts at v_threshold)")

    def equations(self) -> str:
        return (
            self._membrane
            + """
        dtheta/dt = -adapting * theta / tau_theta : volt
        adapting : 1 (shared)
        """
        )

    @property
    def threshold(self) -> str:
        return "v > v_threshold + theta - theta_offset"

    @property
    def reset(self) -> str:
        return "v = v_reset; theta += adapting * theta_plus"

    def initial(self) -> dict[str, str | float]:
        return {"v": "v_rest", "theta": "theta_init", "adapting": 1.0}


@dataclass(frozen=True)
class Izhikevich(NeuronModel):
    """Izhikevich (2003) simple model; the default parameters are a regular-spiking cell."""

    name: ClassVar[str] = "izhikevich"
    input_variables: ClassVar[tuple[str, ...]] = ("I_syn", "v")
    method: ClassVar[str] = "euler"
    a: object = param(0.02 / ms, "recovery rate", positive=True)
    b: object = param(0.2, "recovery sensitivity")
    c: object = param(-65 * mV, "reset potential")
    d: object = param(8 * mV, "recovery jump per spike")
    v_peak: object = param(30 * mV, "spike cut-off")
    tau_syn: object = param(1 * ms, "decay of the synaptic input (1 ms step input in the 2007 code)", positive=True)

    def equations(self) -> str:
        return """
        dv/dt = (0.04 * v**2 / mV + 5 * v + 140 * mV - u + I_syn + I_ext) / ms : volt
        du/dt = a * (b * v - u) : volt
        dI_syn/dt = -I_syn / tau_syn : volt
        I_ext : volt
        """

    @property
    def threshold(self) -> str:
        return "v >= v_peak"

    @property
    def reset(self) -> str:
        return "v = c; u += d"

    def initial(self) -> dict[str, str | float]:
        return {"v": "c", "u": "b * c"}


NEURONS: dict[str, type[NeuronModel]] = {m.name: m for m in (LIFCurrent, LIFConductance, AdaptiveLIF, Izhikevich)}


def make_neuron(name: str, params: dict | None, field: str) -> NeuronModel:
    """Look up a neuron model by name and check its parameters."""
    if name not in NEURONS:
        raise ConfigError(field, f"unknown neuron model {name!r}", one_of(NEURONS))
    return NEURONS[name].from_mapping(params, f"{field.rsplit('.', 1)[0]}.params")


def _check_threshold(model: Any, field: str) -> None:
    if not model.v_reset < model.v_threshold:
        raise ConfigError(
            f"{field}.v_reset",
            f"{model.v_reset} is not below v_threshold {model.v_threshold}",
            "expected v_reset < v_threshold",
        )


__all__ = ["NEURONS", "NeuronModel", "LIFCurrent", "LIFConductance", "AdaptiveLIF", "Izhikevich", "make_neuron"]

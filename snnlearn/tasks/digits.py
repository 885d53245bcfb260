"""Presenting digit images to a spiking network, the Diehl & Cook (2015) way, inside Brian2.

Each example occupies a *slot*: ``t_present`` (350 ms) of Poisson input at
``rate = pixel * pixel_rate * intensity`` (``pixel`` in [0, 1]; 255/8 Hz per unit of intensity,
so intensity 2 gives at most 63.75 Hz), then ``t_rest`` (150 ms) of silence. If the excitatory
neurons fire fewer than ``min_spikes`` times during a presentation, the same example is shown
again in the next slot with the intensity raised by 1.

The whole schedule runs inside one Brian2 run per chunk of slots, so that a compiled standalone
program trains on a chunk without Python in the loop:

- a one-neuron *controller* group holds the current example index, its intensity, the spike
  count of the running presentation and the start time of the slot; a ``run_regularly`` at
  every slot start applies the repeat rule;
- the input group is a Poisson source whose rate reads the example's pixels from a
  ``TimedArray`` (one row per example, indexed through a fake time axis) and the controller's
  variables through linked variables;
- every excitatory spike during a presentation adds 1 to the controller's count (a synapse,
  so the cost is per spike, not per time step);
- the controller's state is recorded once per slot; Python later reconstructs which slot was
  each example's final presentation.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from brian2 import Hz, NeuronGroup, StateMonitor, Synapses, TimedArray, linked_var, ms, second

from ..build import BuiltNetwork, build_network
from ..engine import ChunkRunner
from ..overrides import apply_to_model
from ..params import Params, param
from ..spec import ModelSpec, parse_model

INPUT, EXCITATORY, FEEDFORWARD = "inputs", "excitatory", "input_excitatory"


@dataclass(frozen=True)
class Protocol(Params):
    """Timing and intensity of the presentation protocol (Diehl & Cook 2015)."""

    t_present: object = param(350 * ms, "presentation of one example", positive=True)
    t_rest: object = param(150 * ms, "silence between examples", positive=True)
    pixel_rate: object = param(255 / 8 * Hz, "Poisson rate of a full pixel per unit intensity", positive=True)
    base_intensity: float = param(2.0, "intensity of a first presentation", positive=True)
    max_intensity: float = param(32.0, "no repeat above this intensity (blank images)", positive=True)
    min_spikes: int = param(5, "fewer excitatory spikes than this: show again, brighter", nonnegative=True)

    @property
    def slot(self):
        return self.t_present + self.t_rest


def fit_model(raw: dict, n_pixels: int, n_excitatory: int, protocol: Protocol, source=None) -> ModelSpec:
    """A Diehl & Cook model file sized for the data and the number of excitatory neurons.

    The normalisation total scales with the number of inputs (the paper's 78 for 784 pixels,
    a mean weight of about 0.1), and normalisation happens at the start of every slot.
    """
    norm = f"synapses.{FEEDFORWARD}.normalize"
    total = float(raw["synapses"][FEEDFORWARD].get("normalize", {}).get("total", 78.0))
    if raw["groups"][INPUT]["n"] != n_pixels:
        total *= n_pixels / raw["groups"][INPUT]["n"]
    for key, value in {f"groups.{INPUT}.n": n_pixels, f"groups.{EXCITATORY}.n": n_excitatory,
                       "groups.inhibitory.n": n_excitatory, f"{norm}.total": total,
                       f"{norm}.period": f"{float(protocol.slot / ms)!r} ms"}.items():
        raw = apply_to_model(raw, key, value)
    return parse_model(raw, source=source)


@dataclass
class Presentation:
    """Responses to a sequence of examples: one row per example, in order."""

    counts: np.ndarray        # (examples, excitatory neurons) spikes of the final presentation
    intensities: np.ndarray   # intensity of the final presentation
    slots_used: int


@dataclass
class ChunkResponses:
    final_slots: list[int]
    counts: np.ndarray
    intensities: np.ndarray
    next_intensity: float


class DigitPresenter:
    """A Diehl & Cook network wired to a presentation controller, run chunk by chunk."""

    def __init__(self, spec: ModelSpec, protocol: Protocol, slots_per_chunk: int, *, backend: str,
                 seed: int, build_dir=None) -> None:
        self.spec, self.protocol, self.n_slots = spec, protocol, slots_per_chunk
        self.n_in = spec.groups[INPUT].n
        self.n_exc = spec.groups[EXCITATORY].n
        p = protocol
        self.stimulus = TimedArray(np.zeros((slots_per_chunk, self.n_in)), dt=1 * ms, name="stimulus")
        self.controller = NeuronGroup(1, """
            example : 1
            intensity : 1
            count : 1
            slot_start : second
            """, name="controller", dt=spec.dt)
        self.controller.intensity = p.base_intensity
        self.controller.run_regularly(f"""
            first = int(t < {float(p.slot / ms) / 2!r} * ms)
            repeat = (1 - first) * int(count < {p.min_spikes}) * int(intensity < {p.max_intensity!r})
            example = example + (1 - first) * (1 - repeat)
            brighter = repeat * (intensity + 1) + (1 - repeat) * {p.base_intensity!r}
            intensity = first * intensity + (1 - first) * brighter
            count = 0
            slot_start = t
            """, dt=p.slot, when="start", order=-10, name="controller_slot")
        namespace = {"stimulus": self.stimulus, "pixel_rate": p.pixel_rate, "t_present": p.t_present}
        self.inputs = NeuronGroup(self.n_in, """
            rate = stimulus(example * ms, i) * pixel_rate * intensity * int(t - slot_start < t_present) : Hz
            example : 1 (linked)
            intensity : 1 (linked)
            slot_start : second (linked)
            """, threshold="rate > 0 * Hz and rand() < rate * dt", name=INPUT, dt=spec.dt, namespace=namespace)
        index = np.zeros(self.n_in, dtype=int)
        for var in ("example", "intensity", "slot_start"):
            setattr(self.inputs, var, linked_var(self.controller, var, index=index))
        self.net: BuiltNetwork = build_network(spec, record_spikes=[EXCITATORY], replace={INPUT: self.inputs})
        exc = self.net.groups[EXCITATORY]
        self.counter = Synapses(exc, self.controller, on_pre="count_post += int(t - slot_start_post < t_present)",
                                namespace=namespace, name="spike_counter", dt=spec.dt)
        self.counter.connect()
        self.slot_log = StateMonitor(self.controller, ["example", "intensity"], record=0, dt=p.slot,
                                     when="start", order=-9, name="slot_log")
        self.net.add(self.controller, self.counter, self.slot_log)
        self.feedforward = self.net.synapses[FEEDFORWARD]
        self.runner = ChunkRunner(self.net.network, slots_per_chunk * p.slot, backend=backend, seed=seed,
                                  carry=[(self.feedforward, "w"), (exc, "theta")], build_dir=build_dir)

    @property
    def excitatory(self):
        return self.net.groups[EXCITATORY]

    def run_chunk(self, images: np.ndarray, index: int, *, learn: bool, intensity: float) -> ChunkResponses:
        """Present up to ``slots_per_chunk`` images (rows in [0, 1]) starting at ``intensity``."""
        p = self.protocol
        rows = np.zeros((self.n_slots, self.n_in))
        rows[:len(images)] = images
        if len(images) < self.n_slots:  # pad with the last image; its responses are not used
            rows[len(images):] = images[-1]
        flag = 1.0 if learn else 0.0
        self.runner.run(index, {self.stimulus: rows, (self.controller, "intensity"): intensity,
                                (self.feedforward, "plastic"): flag, (self.excitatory, "adapting"): flag})
        examples = np.round(self.slot_log.example[0]).astype(int)
        intensities = np.asarray(self.slot_log.intensity[0])
        spikes = self.net.spikes[EXCITATORY]
        t = np.asarray(spikes.t[:] / second)
        slot_s, present_s = float(p.slot / second), float(p.t_present / second)
        slot_of = np.minimum((t // slot_s).astype(int), self.n_slots - 1)
        in_presentation = (t - slot_of * slot_s) < present_s
        counts = np.zeros((self.n_slots, self.n_exc), dtype=np.int64)
        np.add.at(counts, (slot_of[in_presentation], np.asarray(spikes.i[:])[in_presentation]), 1)
        finals = [s for s in range(self.n_slots - 1) if examples[s + 1] != examples[s]]
        last = self.n_slots - 1
        repeat_pending = counts[last].sum() < p.min_spikes and intensities[last] < p.max_intensity
        if not repeat_pending:
            finals.append(last)
        finals = [s for s in finals if examples[s] < len(images)]
        return ChunkResponses(finals, counts[finals], intensities[finals],
                              float(intensities[last] + 1) if repeat_pending else p.base_intensity)

    def present(self, images: np.ndarray, first_index: int, *, learn: bool, on_chunk=None) -> Presentation:
        """Show every image once (with repeats as needed), chunk after chunk."""
        position, chunk, intensity = 0, 0, self.protocol.base_intensity
        counts, intensities, slots = [], [], 0
        while position < len(images):
            result = self.run_chunk(images[position:position + self.n_slots], first_index + chunk,
                                    learn=learn, intensity=intensity)
            counts.append(result.counts)
            intensities.append(result.intensities)
            position += len(result.final_slots)
            intensity = result.next_intensity
            slots += self.n_slots
            chunk += 1
            if on_chunk is not None:
                on_chunk(position)
        return Presentation(np.concatenate(counts)[:len(images)], np.concatenate(intensities)[:len(images)], slots)

"""Evaluating a trained Diehl & Cook network cheaply: K frozen copies that each show their own images.

Label assignment and testing show thousands of images to a network whose weights and thresholds
no longer change. :class:`FrozenCopies` builds that network once *without* plasticity code
(no STDP traces, no normalisation: :func:`snnlearn.build.frozen_equations`) and *K times side by
side* in one Brian2 network (block-diagonal synapses, :func:`snnlearn.build.block_connect`), so
one time step advances K independent presentations and the per-step cost of the simulator is
shared by K images.

Each copy has its own controller neuron and so its own repeat rule (Diehl & Cook 2015: an image
drawing fewer than ``min_spikes`` excitatory spikes is shown again, brighter, in the next slot) and
its own queue of images: copy ``c`` shows images ``c, c + K, c + 2K, ...`` of the pass one after
the other, with the rest period between them, exactly as the single network does. The copies share
nothing but the random stream, so an image's response has the same distribution as in a
one-network pass (each copy's first image starts from the resting state; in a one-network pass
only the first image of the pass does). A pass stops itself at the start of the slot after its
last copy has finished (:func:`snnlearn.session.stop_if`, checked at the end of the first step
of a slot, once the copies' controllers have moved on).

The per-synapse input delays are the trained network's (fixed when the copies are built), the
weights and thresholds those of the state being scored, set before each pass; every pass starts
from the same initial state and random stream, so its result depends only on the weights,
thresholds and images.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from brian2 import NeuronGroup, StateMonitor, Synapses, TimedArray, linked_var, ms, mV, second

from ..build import build_network, planned_synapse_count
from ..errors import ConfigError
from ..results import SampleLists
from ..session import Session, stop_if
from ..spec import ModelSpec
from .digits import EXCITATORY, FEEDFORWARD, INPUT, Presentation, Protocol, presentation_inputs

#: synapses the K copies may hold in all, every pathway counted. More copies share the
#: simulator's per-step cost among more images, until their synapse arrays no longer fit the
#: processor's caches: measured on 2 cores (frozen images/s, MNIST 784 x 100: K = 4 323, 11 302,
#: 22 249, 45 188; 784 x 400: K = 1 81, 2 93, 4 93, 8 65; digits 64 x 100: K = 16 308, 32 315,
#: 64 284), the best K holds 0.35-1 million synapses.
SYNAPSE_BUDGET = 1_000_000
#: the most copies (beyond this the per-step cost is no longer the simulator's overhead)
MAX_COPIES = 32


def synapses_per_copy(spec: ModelSpec) -> int:
    """Every synapse of one copy of the network (all pathways; each connection rule of a Diehl &
    Cook model fixes its count)."""
    counts = [planned_synapse_count(spec, name) for name in spec.synapses]
    if any(count is None for count in counts):
        raise ConfigError(
            "synapses", "a pathway's synapse count depends on a random draw", "all, one_to_one or all_but_self"
        )
    return int(sum(c for c in counts if c is not None))


def copies_for(n_synapses: int, n_images: int, limit: int = MAX_COPIES) -> int:
    """How many copies to simulate side by side: at most ``limit``, at most one per image, and
    no more than :data:`SYNAPSE_BUDGET` synapses in all (at least 1)."""
    return int(max(1, min(limit, n_images, SYNAPSE_BUDGET // max(n_synapses, 1))))


@dataclass(frozen=True)
class FrozenState:
    """What a frozen pass needs of a trained network: input weights (inputs x neurons, as the
    feedforward synapses store them, presynaptic-major) and thresholds theta (mV)."""

    weights: np.ndarray
    theta_mV: np.ndarray


class FrozenCopies:
    """K frozen copies of a Diehl & Cook network on one :class:`~snnlearn.session.Session`.

    Parameters
    ----------
    spec
        The model as trained (sizes for one copy).
    protocol
        The presentation protocol (slot, intensity, repeat rule).
    copies
        K, the number of copies (:func:`copies_for`).
    capacity
        The most images one pass shows (the stimulus table is compiled with this many rows).
    delays_s
        The trained network's input delays in seconds, one per input synapse (presynaptic-major).
    slots_per_chunk
        Slots per compiled run; a pass ends by itself, so this changes nothing but the number of
        launches of a standalone program.
    """

    def __init__(
        self,
        spec: ModelSpec,
        protocol: Protocol,
        copies: int,
        capacity: int,
        *,
        delays_s: np.ndarray,
        backend: str,
        build_dir=None,
        pixel_rate=None,
        slots_per_chunk: int = 64,
    ) -> None:
        self.spec, self.protocol, self.copies, self.capacity = spec, protocol, copies, capacity
        self.n_in, self.n_exc = spec.groups[INPUT].n, spec.groups[EXCITATORY].n
        p, k = protocol, copies
        self.stimulus = TimedArray(np.zeros((capacity, self.n_in)), dt=1 * ms, name="frozen_stimulus")
        self.controller = NeuronGroup(
            k,
            """
            example : 1       # this copy's images shown so far (its next image is copy + K * example)
            n_examples : 1    # this copy's images in the pass
            intensity : 1
            count : 1
            slot_start : second
            fresh : 1
            """,
            name="frozen_controller",
            dt=spec.dt,
        )
        self.controller.intensity = p.base_intensity
        self.controller.fresh = 1
        self.controller.run_regularly(
            p.repeat_rule(),
            dt=p.slot,
            when="start",
            order=-10,
            name="frozen_controller_slot",
        )
        # one neuron that knows how many copies have finished (a summed variable: K synapses per step)
        self.master = NeuronGroup(
            1,
            "finished : 1\nstopped : 1",
            name="frozen_master",
            dt=spec.dt,
            namespace={"stop_if": stop_if(), "n_copies": float(k)},
        )
        self.finished = Synapses(
            self.controller,
            self.master,
            "finished_post = int(example_pre >= n_examples_pre) : 1 (summed)",
            name="frozen_finished",
            dt=spec.dt,
        )
        self.finished.connect()
        self.master.run_regularly(
            "stopped = stop_if(int(finished >= n_copies))", dt=p.slot, when="end", name="frozen_stop"
        )
        namespace = {
            "stimulus": self.stimulus,
            "pixel_rate": pixel_rate if pixel_rate is not None else p.pixel_rate,
            "t_present": p.t_present,
            "n_copies": float(k),
        }
        self.inputs = presentation_inputs(
            k * self.n_in,
            "stimulus((copy + n_copies * example) * ms, pixel) * pixel_rate * intensity * int(example < n_examples)",
            p,
            """
            copy : 1 (constant)
            pixel : integer (constant)
            example : 1 (linked)
            n_examples : 1 (linked)
            intensity : 1 (linked)
            """,
            name=INPUT,
            dt=spec.dt,
            namespace=namespace,
        )
        copy_of_input = np.repeat(np.arange(k), self.n_in)
        self.inputs.copy = copy_of_input
        self.inputs.pixel = np.tile(np.arange(self.n_in), k)
        for var in ("example", "n_examples", "intensity"):
            setattr(self.inputs, var, linked_var(self.controller, var, index=copy_of_input))
        self.net = build_network(spec, record_spikes=[EXCITATORY], replace={INPUT: self.inputs}, copies=k, frozen=True)
        exc = self.net.groups[EXCITATORY]
        exc.adapting = 0.0  # thresholds frozen
        # the trained network's input delays, in every copy (part of the program's data, not of its code)
        self.net.synapses[FEEDFORWARD].delay = np.tile(np.asarray(delays_s, dtype=float), k) * second
        self.counter = Synapses(
            exc,
            self.controller,
            on_pre="count_post += int(t - slot_start_post < t_present)",
            namespace=namespace,
            name="frozen_spike_counter",
            dt=spec.dt,
        )
        self.counter.connect(j=f"i // {self.n_exc}")
        self.slot_log = StateMonitor(
            self.controller, ["example", "intensity"], record=True, dt=p.slot, when="start", order=-8, name="frozen_log"
        )
        self.net.add(self.controller, self.master, self.finished, self.counter, self.slot_log)
        self.feedforward = self.net.synapses[FEEDFORWARD]
        self.session = Session(self.net.network, backend=backend, chunk=slots_per_chunk * p.slot, build_dir=build_dir)

    def present(self, images: np.ndarray, state: FrozenState) -> Presentation:
        """Show every image (with repeats as needed) to a copy of the frozen network with ``state``
        loaded; the responses are in the images' order, as :meth:`DigitPresenter.present` gives them."""
        n, k, session = len(images), self.copies, self.session
        if n > self.capacity:
            raise ValueError(f"{n} images, but the frozen copies were built for at most {self.capacity}")
        session.reset()
        rows = np.zeros((self.capacity, self.n_in))
        rows[:n] = images
        session.set_timed(self.stimulus, rows)
        session.set(self.controller, "n_examples", np.array([len(range(c, n, k)) for c in range(k)], dtype=float))
        session.set(self.feedforward, "w", np.tile(np.asarray(state.weights, dtype=float).ravel(), k))
        session.set(self.net.groups[EXCITATORY], "theta", np.tile(np.asarray(state.theta_mV, dtype=float), k) * mV)
        slot_t, examples, intensities, spike_i, spike_t = [], [], [], [], []
        stopped = False
        while not stopped:
            stopped = session.run()
            t, example = session.samples(self.slot_log, "example")
            slot_t.append(t)
            examples.append(example)
            intensities.append(session.samples(self.slot_log, "intensity")[1])
            i, ts = session.spikes(self.net.spikes[EXCITATORY])
            spike_i.append(i)
            spike_t.append(ts)
        return self._responses(
            n,
            np.concatenate(slot_t),
            np.concatenate(examples, axis=1),
            np.concatenate(intensities, axis=1),
            np.concatenate(spike_i),
            np.concatenate(spike_t),
        )

    def _responses(self, n, slot_t, examples, intensities, spike_i, spike_t) -> Presentation:
        """Each image's spike counts during its final presentation, from the slot log and spikes."""
        k, slot_s = self.copies, float(self.protocol.slot / second)
        present_s = float(self.protocol.t_present / second)
        counts = np.zeros((n, self.n_exc), dtype=np.int64)
        final_intensity = np.zeros(n)
        slot_index = np.rint(slot_t / slot_s).astype(np.int64)
        spike_slot = np.floor(spike_t / slot_s + 1e-9).astype(np.int64)
        presenting = (spike_t - spike_slot * slot_s) < present_s
        copy_of_spike, neuron = np.divmod(spike_i, self.n_exc)
        slots_used = 0
        for c in range(k):
            shown = np.rint(examples[c]).astype(np.int64)
            images_of_copy = np.arange(c, n, k)
            last: dict[int, int] = {}  # this copy's image -> its final slot (a later slot shows it again)
            for slot, local in zip(slot_index, shown, strict=True):
                if local < len(images_of_copy):
                    last[int(local)] = int(slot)
            slots_used += int(np.sum(shown < len(images_of_copy)))
            mine = (copy_of_spike == c) & presenting
            by_slot = {int(s): neuron[mine & (spike_slot == s)] for s in np.unique(spike_slot[mine])}
            position = {int(s): j for j, s in enumerate(slot_index)}
            for local, slot in last.items():
                image = int(images_of_copy[local])
                counts[image] = np.bincount(by_slot.get(slot, np.array([], dtype=np.int64)), minlength=self.n_exc)
                final_intensity[image] = intensities[c][position[slot]]
        return Presentation(counts, final_intensity, slots_used)


def score(frozen: FrozenCopies, state: FrozenState, data, n_assign: int, n_test: int) -> dict:
    """Diehl & Cook's readout of a frozen network in one pass: the first ``n_assign`` training
    images assign each neuron the class it responds to most (neurons that never fire get none),
    then each of the first ``n_test`` test images is classified by the class whose neurons respond
    most on average. Test labels are used for the accuracy only; ``seconds`` is the pass's wall time."""
    from ..analysis import assign_labels, predict_by_assignment

    started = time.perf_counter()
    images = np.concatenate([data.x_train[:n_assign], data.x_test[:n_test]])
    counts = frozen.present(images, state).counts
    train_counts, test_counts = counts[:n_assign], counts[n_assign:]
    assignments = assign_labels(train_counts, data.y_train[:n_assign], 10)
    predicted = predict_by_assignment(test_counts, assignments, 10)
    return {
        "assignments": assignments,
        "train_counts": train_counts,
        "test_counts": test_counts,
        "predicted": predicted,
        "accuracy": float(np.mean(predicted == data.y_test[:n_test])),
        "seconds": time.perf_counter() - started,
    }


def score_frozen(
    spec: ModelSpec,
    protocol: Protocol,
    pixel_rate,
    data,
    passes: list[tuple[FrozenState, int, int]],
    delays_s: np.ndarray,
    *,
    backend: str,
    seed: int,
) -> tuple[list[dict], float]:
    """Score several trained states of one network, each ``(state, n_assign, n_test)`` by
    :func:`score`, on one compiled frozen program (its own cached build); returns the scores in
    order and the seconds spent compiling it."""
    from ..engine import backend_session

    capacity = max(n_assign + n_test for _, n_assign, n_test in passes)
    copies = copies_for(synapses_per_copy(spec), capacity)
    key = f"diehl_cook-frozen-{spec.groups[INPUT].n}x{spec.groups[EXCITATORY].n}x{copies}-{capacity}"
    with backend_session(backend, seed, key=key) as build_dir:
        frozen = FrozenCopies(
            spec,
            protocol,
            copies,
            capacity,
            delays_s=delays_s,
            backend=backend,
            build_dir=build_dir,
            pixel_rate=pixel_rate,
        )
        compile_s = frozen.session.compile()
        return [score(frozen, state, data, n_assign, n_test) for state, n_assign, n_test in passes], compile_s


class Snapshots(SampleLists):
    """Weights and thresholds of a network at chosen points of its training (for frozen scoring
    afterwards), carried in checkpoints: :meth:`arrays` / :meth:`from_arrays`, with the input
    delays (fixed for the whole run)."""

    prefix, fields = "snapshot", ("examples", "w", "theta_mV")
    examples: list[float]
    w: list[np.ndarray]
    theta_mV: list[np.ndarray]

    def __init__(self) -> None:
        super().__init__()
        self.delays_s = np.zeros(0)

    def add(self, examples: int, weights: np.ndarray, theta_mV: np.ndarray) -> None:
        """Keep the weights (presynaptic-major) and thresholds (mV) after ``examples`` examples."""
        self.examples.append(int(examples))
        self.w.append(np.asarray(weights, dtype=float).ravel().copy())
        self.theta_mV.append(np.asarray(theta_mV, dtype=float).copy())

    def states(self) -> list[FrozenState]:
        """The snapshots as :class:`FrozenState` records, in the order they were taken."""
        return [FrozenState(w, theta) for w, theta in zip(self.w, self.theta_mV, strict=True)]

    def arrays(self) -> dict[str, np.ndarray]:
        """The snapshots as arrays for a checkpoint: examples, weights, thresholds (mV) and input delays (s)."""
        return {**super().arrays(), "snapshot_delays_s": np.asarray(self.delays_s, dtype=float)}

    @classmethod
    def from_arrays(cls, saved) -> Snapshots:
        """Snapshots read back from :meth:`arrays`' output."""
        snapshots = super().from_arrays(saved)
        snapshots.delays_s = np.asarray(saved.get("snapshot_delays_s", np.zeros(0)), dtype=float)
        return snapshots

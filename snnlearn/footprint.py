"""Memory a run needs, estimated from the network's sizes before anything is built.

:func:`estimate` counts what Brian2 must hold for a :class:`~snnlearn.spec.ModelSpec`: every
neuron's state variables, every synapse's indices, weight, rule variables and spike-queue
entries, one more copy of that state (a checkpoint, or the arrays a standalone program hands
back), and what the experiment says it records (a list of :class:`Item` from its optional
``recorded(ctx)``: monitors over a duration). The counts are lower bounds (Brian2's own
overheads and temporary arrays come on top), so a run this refuses could never have finished.

:func:`check` refuses an estimate above the memory available now (``error: memory: ...``)
before a folder is made or a cluster started; ``run``, ``sweep``, ``compare`` and ``bench``
call it through :func:`snnlearn.experiment.check_run` or directly.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from .errors import ConfigError

#: bytes of a double, and of the int32 indices Brian2 keeps
FLOAT, INDEX = 8, 4
#: a synapse's pre and post index, and its entries of N_incoming / N_outgoing
SYNAPSE_INDICES = 4 * INDEX


@dataclass(frozen=True)
class Item:
    """``count`` things of ``each`` bytes, named ``what`` (e.g. ``synapses ee``)."""

    what: str
    count: float
    each: float

    @property
    def total(self) -> float:
        """Bytes of the item: ``count`` x ``each``."""
        return self.count * self.each


@dataclass(frozen=True)
class Footprint:
    """The estimated memory of one run: its items and their sum (bytes)."""

    items: tuple[Item, ...]

    @property
    def total(self) -> float:
        """Bytes of all items together."""
        return float(sum(item.total for item in self.items))

    def largest(self, n: int = 2) -> list[Item]:
        """The ``n`` largest items (what a message names)."""
        return sorted(self.items, key=lambda item: item.total, reverse=True)[:n]

    def describe(self) -> str:
        """``about 298 GiB (synapses ff: 1e+10 x 32 B = 298 GiB, ...)``."""
        parts = [
            f"{item.what}: {size(item.total)}"
            if item.count == 1
            else f"{item.what}: {item.count:.3g} x {item.each:.0f} B = {size(item.total)}"
            for item in self.largest(3)
        ]
        return f"at least {size(self.total)} ({'; '.join(parts)})"


def size(n_bytes: float) -> str:
    """Bytes in binary units: ``512 B``, ``3.2 MiB``, ``298 GiB``."""
    value = float(n_bytes)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if value < 1024 or unit == "PiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.3g} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


def state_variables(equations: str) -> int:
    """The per-element (not shared) variables declared in Brian2 ``equations``: every line
    with a ``: unit`` declaration except ``(shared)`` ones."""
    declarations = [line.split("#", 1)[0] for line in equations.splitlines()]
    return sum(1 for code in declarations if ":" in code and "(shared)" not in code)


_SAMPLE = re.compile(r"sample\(\s*N_post\s*,\s*size\s*=\s*(\d+)\s*\)")


def synapse_count(connect: Mapping[str, Any], n_pre: int, n_post: int) -> float:
    """How many synapses a connection rule makes, as a lower bound: ``all`` n_pre x n_post,
    a probability p times that, ``one_to_one`` the smaller size, ``j = "k for k in
    sample(N_post, size=K)"`` n_pre x K; an arbitrary condition could keep none (0)."""
    p = float(connect.get("p", 1.0))
    condition = connect.get("condition")
    j = connect.get("j")
    if j is not None:
        if j == "i":
            return float(min(n_pre, n_post)) * p
        sampled = _SAMPLE.search(str(j))
        return float(n_pre * int(sampled.group(1))) * p if sampled else 0.0
    if condition is None:
        return float(n_pre) * n_post * p
    if condition.replace(" ", "") == "i!=j":
        return float(n_pre * n_post - min(n_pre, n_post)) * p
    return 0.0


def estimate(spec: Any, recorded: Iterable[Item] = ()) -> Footprint:
    """The memory a run of ``spec`` (a :class:`~snnlearn.spec.ModelSpec`) needs at least.

    Neurons: 8 B per state variable, plus ``lastspike`` and an index. Synapses: their indices
    (16 B), the weight and each rule variable (8 B), ``lastupdate`` where a trace is event-driven, and 4 B
    per pathway (``on_pre``, ``on_post``) in its spike queue. The state is counted twice (the run
    and one checkpoint or read-back copy). ``recorded``: what the experiment's monitors keep.
    """
    from .build import synapse_equations

    items = []
    state = 0.0
    for g in spec.groups.values():
        n_vars = state_variables(g.neuron.equations()) + 1 if g.neuron else 1  # + lastspike, or the rates
        item = Item(f"neurons {g.name}", g.n, n_vars * FLOAT + INDEX)
        items.append(item)
        state += item.total
    for s in spec.synapses.values():
        eqs = synapse_equations(s)
        n_vars = state_variables(eqs["model"]) + int("event-driven" in eqs["model"])  # + lastupdate
        pathways = 1 + bool(eqs["on_post"])
        count = synapse_count(s.connect, spec.groups[s.pre].n, spec.groups[s.post].n)
        item = Item(f"synapses {s.name}", count, SYNAPSE_INDICES + n_vars * FLOAT + pathways * INDEX)
        items.append(item)
        state += item.total
    items.append(Item("second copy of the state (checkpoint or read-back)", 1, state))
    items.extend(recorded)
    return Footprint(tuple(items))


def monitor(what: str, n_recorded: int, n_variables: int, samples: float) -> Item:
    """A state monitor: ``samples`` samples of ``n_variables`` values of ``n_recorded`` elements
    (and the sample times)."""
    return Item(what, float(samples), (n_recorded * n_variables + 1) * FLOAT)


def available_bytes() -> int:
    """Memory available to a new process now (psutil's ``available``: free plus reclaimable)."""
    import psutil

    return int(psutil.virtual_memory().available)


def check(footprint: Footprint, available: int | None = None, copies: int = 1, what: str = "this run") -> None:
    """Refuse ``copies`` runs of ``footprint`` at once when they need more than ``available``
    bytes (default: the memory available now), with the estimate in the message."""
    free = available_bytes() if available is None else available
    need = footprint.total * copies
    if need > free:
        times = f"{copies} jobs at once x " if copies > 1 else ""
        raise ConfigError(
            "memory",
            f"{what} needs {times}{footprint.describe()}, but {size(free)} is available",
            "make the network smaller (fewer neurons or synapses), record less, or run where "
            "there is more memory" + (" (or give fewer --workers)" if copies > 1 else ""),
        )

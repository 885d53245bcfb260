"""``snnlearn init DIR``: a commented model file and an experiment script to start from.

``DIR/NAME_model.toml`` declares a small network (Poisson inputs onto one conductance LIF
neuron, additive STDP), with every field explained; ``DIR/NAME.py`` runs it in chunks, saves
weights and spikes the way :func:`snnlearn.load_run` and ``snnlearn export`` read them, and
returns metrics. ``snnlearn run DIR/NAME.py --quick`` runs it at once. Existing files are never
overwritten.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from .errors import ConfigError
from .spec import _IDENTIFIER

MODEL_TEMPLATE = """\
# A model file: the network, its parameters with units, and the paper it follows.
# Check it with:  snnlearn check {model_file}
# Every value can be overridden at run time: --set groups.inputs.n=200 --set synapses.feedforward.rule.a_plus=0.01
name = "{name}"
reference = "Song, Miller & Abbott (2000) Nat Neurosci 3:919 (a smaller version)"

[simulation]
dt = "0.1 ms"                  # the integration time step
# dt_reason = "..."            # why, if dt is above a tenth of a time constant on purpose (said in the warning)

# Groups: Poisson inputs ("poisson"), spike generators ("spikes") or neurons (a neuron model).
[groups.inputs]
kind = "poisson"
n = 200
rate = "15 Hz"

[groups.out]
neuron = "lif_conductance"     # lif_current, lif_conductance, adaptive_lif or izhikevich
n = 1
# any of the model's parameters; the others keep their defaults (see the docs' neuron pages)
params = {{ tau_m = "20 ms", v_rest = "-70 mV", v_reset = "-60 mV", v_threshold = "-54 mV" }}

# Synapses: pre and post groups, a connection rule, the synaptic effect and a plasticity rule.
[synapses.feedforward]
pre = "inputs"
post = "out"
connect = "all"                # "all", "one_to_one", "all_but_self" or {{ p = 0.1 }}
effect = "g_e_post += g_max * w"   # what a presynaptic spike does to the target; w in [0, w_max]
params = {{ g_max = 0.05 }}
w_init = "rand()"              # initial weights: a number or a Brian2 expression
# the rule and its parameters (snnlearn docs: one page per rule); try "stdp_multiplicative", "triplet"
rule = {{ name = "stdp_additive", tau_plus = "20 ms", tau_minus = "20 ms", a_plus = 0.01, a_minus = 0.0105 }}
"""

EXPERIMENT_TEMPLATE = '''\
"""{name}: does additive STDP push the weights of a small network towards its bounds?

Run it with ``snnlearn run {script} --quick`` (seconds) or without ``--quick``; change the
network in ``{model_file}`` or with ``--set``. The first line of this docstring is the
one-line description; the rest says what the experiment reproduces and what it should reach.
"""

from __future__ import annotations

import numpy as np
from brian2 import second

from snnlearn.analysis import bimodality
from snnlearn.build import build_network
from snnlearn.cli import script_main
from snnlearn.engine import backend_session
from snnlearn.experiment import RunContext
from snnlearn.session import Session, chunk_count, run_in_chunks

MODEL = "{model_file}"            # a name in the package's models/ or a path beside this script
BACKEND = "runtime"               # or "standalone" (compiled C++, faster for long runs)
PARAMS = {{                        # every entry can be changed with --set KEY=VALUE
    "duration": 60 * second,
    "chunk": 10 * second,         # one compiled run; weights saved (and checkpointed) after each
}}
QUICK = {{"duration": 2 * second, "chunk": 1 * second}}   # what --quick changes


def check(ctx: RunContext) -> None:
    """Cross-field checks, before anything runs: raise ConfigError(field, problem, allowed)."""
    chunk_count(ctx.params["duration"], ctx.params["chunk"])  # the chunk must divide the duration


def run(ctx: RunContext) -> dict:
    """Simulate, save arrays and figures into ctx.out_dir, return the metrics."""
    p, spec = ctx.params, ctx.model
    n_chunks = chunk_count(p["duration"], p["chunk"])
    chunk_s = float(p["chunk"] / second)
    with backend_session(ctx.backend, ctx.seed, key="{name}") as build_dir:
        net = build_network(spec, record_spikes=["inputs", "out"])
        synapses, out = net.synapses["feedforward"], net.spikes["out"]
        # the session carries the whole state from chunk to chunk: the result does not depend on it
        session = Session(net.network, backend=ctx.backend, chunk=p["chunk"], build_dir=build_dir)
        session.compile()

        def record(k: int) -> dict:
            return {{"w": session.get(synapses, "w"), "out_t": session.spikes(out)[1]}}

        records = run_in_chunks(session, n_chunks, record, checkpoint=ctx.path("checkpoint.npz"))
    weights = np.stack(records["w"])
    out_t = np.concatenate(records["out_t"])
    # the conventions load_run and snnlearn export read: times_s + trajectories, <group>_i / <group>_t
    ctx.save_arrays("weights.npz", times_s=chunk_s * np.arange(1, n_chunks + 1), weights=weights)
    ctx.save_arrays("spikes.npz", out_i=np.zeros(len(out_t), dtype=int), out_t=out_t)
    w_max = spec.synapses["feedforward"].rule.w_max
    return {{
        "weight_mean_final": float(weights[-1].mean()),
        "weight_bimodality": bimodality(weights[-1], w_max),
        "output_rate_hz": len(out_t) / (n_chunks * chunk_s),
    }}


if __name__ == "__main__":
    script_main(__file__)
'''


def write_templates(folder: str | Path, name: str = "my_experiment") -> list[Path]:
    """Write ``NAME.py`` and ``NAME_model.toml`` into ``folder`` (created if missing).

    Parameters
    ----------
    folder
        Where to write them.
    name
        The experiment's name (a Python identifier); its runs are filed under it.

    Returns
    -------
    list of Path
        The two files written.

    Raises
    ------
    ConfigError
        A bad name, or a file that already exists (nothing is written then).
    """
    if not isinstance(name, str) or not _IDENTIFIER.match(name):
        raise ConfigError("--name", f"{name!r} is not a valid name", "letters, digits and _, starting with a letter")
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise ConfigError("DIR", f"{folder} is not a folder", "give a new or existing folder")
    script, model = folder / f"{name}.py", folder / f"{name}_model.toml"
    for path in (script, model):
        if path.exists():
            raise ConfigError("DIR", f"{path} exists", "give another folder or --name")
    folder.mkdir(parents=True, exist_ok=True)
    fields = {"name": name, "model_file": model.name, "script": str(script)}
    model.write_text(MODEL_TEMPLATE.format(**fields))
    script.write_text(EXPERIMENT_TEMPLATE.format(**fields))
    return [model, script]


def _configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("dir", metavar="DIR", help="folder to write the two files into (created if missing)")
    p.add_argument("--name", default="my_experiment", help="the experiment's name (default my_experiment)")


def cmd_init(args: argparse.Namespace) -> int:
    """write a commented model file and an experiment template to start from"""
    for path in write_templates(args.dir, args.name):
        print(path)
    print(f"next: snnlearn run {Path(args.dir) / (args.name + '.py')} --quick")
    return 0


COMMANDS = [("init", _configure, cmd_init)]

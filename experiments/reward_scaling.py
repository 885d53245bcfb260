"""Trials to criterion of spiking learning rules as the network grows: reward against unsupervised.

The spiking counterpart of ``rl_variance``: reward-based learning estimates the gradient from a
scalar reward, so its learning time should grow with the number of plastic synapses, while a
rule whose per-synapse update depends on its own pre- and postsynaptic spikes does not pay that
price. Measured: ``trials_to_criterion_by_n`` per rule against the number of plastic
synapses, as the input neurons and the output populations k grow together:

- the reward-modulated rules (``da_stdp``, ``mstdp``, ``mstdpet``, with the per-stimulus reward
  baseline) on the choice task of ``reward_choice``, run by :mod:`snnlearn.protocols.choice` (sub-folders
  ``spiking/reward_choice_<inputs>x<k>``): trials until ``criterion`` of the last
  ``curve_window`` trials are rewarded. The synaptic efficacy J is scaled by
  ``efficacy_inputs`` / inputs so that a pattern drives the outputs equally at every size;
- unsupervised STDP with adaptive thresholds (Diehl & Cook 2015, ``stdp_adaptive_threshold``),
  whose per-synapse update depends on its own pre- and postsynaptic spikes only, on the same
  patterns: trials until, for ``criterion`` of the patterns, some neuron's weights point to the
  pattern (cosine >= ``prototype_cosine``; random initial weights are near 0.6). (Its
  behaviour cannot be scored like the reward task's: with post-hoc labels even random weights
  tell a few patterns apart.)

A rule that does not reach the criterion within ``trials`` is ``null``.

Metrics, the two criteria apart: ``trials_to_reward_criterion_by_n`` (reward rules: rewarded
fraction) and ``trials_to_prototype_criterion_by_n`` (the unsupervised rule: prototypes), each
rule -> size label -> trials; their log-log slopes against the number of synapses
(``trials_to_criterion_slope_by_rule``), the sizes, the
unsupervised rule's curves (``unsupervised_patterns_learned_by_n``), the backend and
``spiking_half_wall_seconds`` (wall time: the standalone programs run in child processes).
Figure: trials to criterion against the number of synapses. About half an hour on 2 cores.
"""

from __future__ import annotations

import copy
import time

import numpy as np
from brian2 import ms, mV

from snnlearn.cli import script_main
from snnlearn.criterion import examples_to_criterion
from snnlearn.engine import backend_session, resolve_backend
from snnlearn.errors import ConfigError
from snnlearn.experiment import RunContext, models_dir
from snnlearn.figures.learning import trials_to_criterion as trials_figure
from snnlearn.overrides import apply_to_model
from snnlearn.params import parse_quantity
from snnlearn.protocols.choice import DEFAULTS, check_params, run_choice
from snnlearn.protocols.choice import trials_to_criterion as choice_trials_to_criterion
from snnlearn.protocols.unsupervised import fraction_with_prototype
from snnlearn.ratenet.variance import loglog_slope
from snnlearn.results import atomic_write_json
from snnlearn.spec import load_model_dict, parse_model
from snnlearn.tasks.digits import FEEDFORWARD, DigitPresenter, Protocol, fit_model
from snnlearn.tasks.reward import ChoiceTask

#: the unsupervised local rule
UNSUPERVISED = "stdp_adaptive_threshold"

PARAMS = {
    "sizes": [[40, 2], [60, 3], [80, 4], [160, 8]],  # (input neurons, populations k)
    "population_size": 5,  # output neurons per population
    "pattern_fraction": 0.5,  # fraction of the inputs a pattern drives
    "efficacy_inputs": 40,  # inputs at which the model's J applies (scaled as 1/inputs)
    "rules": ["da_stdp", "mstdp", "mstdpet"],
    "baseline": "per_stimulus",  # reward baseline of the reward-modulated rules
    "trials": 1000,  # trials run per rule and size (criterion not reached: null)
    "trials_per_chunk": 100,
    "criterion": 0.8,  # fraction correct over curve_window trials
    "curve_window": 50,
    # the unsupervised network: Diehl & Cook's, with potentiation five times the paper's and
    # at least 20 spikes per presentation, so that it learns within hundreds of trials
    "unsupervised_protocol": {"t_present": 350 * ms, "t_rest": 150 * ms, "min_spikes": 20, "match_paper": False},
    "unsupervised_rule": {"nu_post": 0.05},
    "unsupervised_total": 10.0,  # sum of a neuron's input weights (the paper's 78 / 784 x 100)
    "prototype_cosine": 0.8,  # weights this close to a pattern count as learned
    "slots_per_chunk": 25,  # presentations per compiled run (the criterion's resolution)
}

QUICK = {"sizes": [[40, 2]], "trials": 300, "rules": ["mstdpet"]}


def check(ctx: RunContext) -> None:
    sp = ctx.params
    Protocol.from_mapping(sp["unsupervised_protocol"], "unsupervised_protocol")
    if sp["trials"] % sp["slots_per_chunk"]:
        raise ConfigError(
            "trials",
            f"{sp['trials']} is not a multiple of slots_per_chunk ({sp['slots_per_chunk']})",
            "expected whole chunks",
        )
    for size in sp["sizes"]:
        if len(size) != 2:
            raise ConfigError("sizes", f"got {size}", "expected [n_inputs, k] pairs")
        check_params(reward_context(ctx, *size, ctx.backend).params)


def spiking_backend(ctx: RunContext) -> str:
    """The backend asked for on the command line, else standalone (the reward task's own
    default) when a compiler is there."""
    return ctx.backend if ctx.backend_explicit else resolve_backend("standalone", explicit=False)


def size_label(n_inputs: int, k: int) -> str:
    return f"{n_inputs}x{k}"


def reward_context(ctx: RunContext, n_inputs: int, k: int, backend: str) -> RunContext:
    """A ``reward_choice`` run of this size, in a sub-folder of this run."""
    params = copy.deepcopy(DEFAULTS)
    sp = ctx.params
    params.update(
        n_inputs=n_inputs,
        n_patterns=k,
        population_size=sp["population_size"],
        pattern_fraction=sp["pattern_fraction"],
        trials=sp["trials"],
        trials_per_chunk=sp["trials_per_chunk"],
        rules=sp["rules"],
        baselines=[sp["baseline"]],
        criterion=sp["criterion"],
        curve_window=sp["curve_window"],
    )
    return RunContext(
        name="reward_choice",
        seed=ctx.seed,
        quick=ctx.quick,
        backend=backend,
        out_dir=ctx.path(f"spiking/reward_choice_{size_label(n_inputs, k)}"),
        params=params,
        model=reward_model(n_inputs, sp["efficacy_inputs"]),
        backend_explicit=True,
    )


def reward_model(n_inputs: int, efficacy_inputs: int):
    """The choice task's model (``models/reward_choice.toml``) with its synaptic efficacy ``J``
    scaled by ``efficacy_inputs / n_inputs``: a pattern (a fixed fraction of the inputs) then
    drives the outputs as much at every size as at ``efficacy_inputs`` inputs with the file's J."""
    path = models_dir() / "reward_choice.toml"
    raw = load_model_dict(path)
    key = "synapses.feedforward.params.J"
    efficacy = parse_quantity(raw["synapses"]["feedforward"]["params"]["J"], mV, key)
    scaled = efficacy * efficacy_inputs / n_inputs
    return parse_model(apply_to_model(raw, key, f"{float(scaled / mV)!r} mV"), source=path)


def reward_rules_trials(ctx: RunContext, n_inputs: int, k: int, backend: str) -> dict[str, int | None]:
    """Trials to criterion of each reward-modulated rule on the choice task at this size, run by
    the choice protocol (:mod:`snnlearn.protocols.choice`)."""
    sub = reward_context(ctx, n_inputs, k, backend)
    sub.out_dir.mkdir(parents=True, exist_ok=True)
    check_params(sub.params)
    results = run_choice(sub)["results"]
    baseline, p = ctx.params["baseline"], sub.params
    trials = {
        rule: choice_trials_to_criterion(results[rule][baseline]["rewarded"], p["curve_window"], p["criterion"])
        for rule in ctx.params["rules"]
    }
    atomic_write_json(sub.path("metrics.json"), {"trials_to_criterion": trials, "baseline": baseline})
    return trials


def unsupervised_trials(ctx: RunContext, n_inputs: int, k: int, backend: str) -> tuple[int | None, list[list[float]]]:
    """Trials to criterion of STDP with adaptive thresholds (Diehl & Cook 2015, no reward) on
    the reward task's patterns: each trial presents one pattern (its inputs on, the others
    silent; shown again brighter after too few spikes, which counts as another trial) to
    ``k x population_size`` competing neurons. The criterion: for a fraction ``criterion`` of
    the patterns some neuron's weights point to the pattern (cosine >= ``prototype_cosine``),
    checked after every ``slots_per_chunk`` patterns (a pass each). Returns it and the (trials,
    fraction of patterns learned) curve."""
    sp = ctx.params
    task = ChoiceTask.from_params(reward_context(ctx, n_inputs, k, backend).params)
    patterns = task.make_patterns(np.random.default_rng(ctx.seed))  # as the reward runs draw them
    labels = task.schedule(np.random.default_rng([ctx.seed, n_inputs, k]), sp["trials"]).astype(int)
    protocol = Protocol.from_mapping(sp["unsupervised_protocol"], "unsupervised_protocol")
    raw = load_model_dict(models_dir() / "diehl_cook_2015.toml")
    overrides = {f"synapses.{FEEDFORWARD}.rule.{key}": v for key, v in sp["unsupervised_rule"].items()}
    # the same total weight onto a neuron at every size: a pattern drives it equally
    overrides.update({"groups.inputs.n": n_inputs, f"synapses.{FEEDFORWARD}.normalize.total": sp["unsupervised_total"]})
    for key, value in overrides.items():
        raw = apply_to_model(raw, key, value)
    spec = fit_model(raw, n_inputs, k * sp["population_size"], protocol)
    every = sp["slots_per_chunk"]
    curve: list[list[float]] = [[0, 0.0]]
    with backend_session(backend, ctx.seed, key=f"reward_scaling-stdp-{n_inputs}x{k}") as build_dir:
        presenter = DigitPresenter(spec, protocol, every, backend=backend, build_dir=build_dir)
        position, used = 0, 0
        while used < sp["trials"]:  # passes of `every` patterns, the weights checked after each
            shown = presenter.present(patterns[labels[position : position + every]], learn=True, collect=False)
            position, used = position + every, used + shown.slots_used
            w = np.asarray(presenter.session.get(presenter.feedforward, "w")).reshape(n_inputs, -1)
            curve.append([used, fraction_with_prototype(w, patterns, sp["prototype_cosine"])])
    reached = examples_to_criterion(curve, sp["criterion"])
    return None if reached is None else int(reached), curve


def spiking_half(ctx: RunContext) -> dict:
    """Trials to criterion against the number of plastic synapses: reward-modulated rules on
    ``reward_choice`` beside unsupervised STDP with adaptive thresholds."""
    sp = ctx.params
    backend = spiking_backend(ctx)
    by_rule: dict[str, dict[str, int | None]] = {}
    sizes, synapses, curves = {}, [], {}
    for n_inputs, k in sp["sizes"]:
        label = size_label(n_inputs, k)
        n_synapses = n_inputs * k * sp["population_size"]
        sizes[label] = {"n_inputs": n_inputs, "n_patterns": k, "plastic_synapses": n_synapses}
        synapses.append(n_synapses)
        for rule, trials in reward_rules_trials(ctx, n_inputs, k, backend).items():
            by_rule.setdefault(rule, {})[label] = trials
        trials, curves[label] = unsupervised_trials(ctx, n_inputs, k, backend)
        by_rule.setdefault(UNSUPERVISED, {})[label] = trials
        ctx.log(
            f"spiking {label} ({n_synapses} synapses): trials to criterion "
            + ", ".join(f"{rule} {by_n[label]}" for rule, by_n in by_rule.items())
        )
    slopes = {rule: loglog_slope(synapses, list(by_n.values())) for rule, by_n in by_rule.items()}
    ctx.savefig(
        trials_figure(
            {rule: list(by_n.values()) for rule, by_n in by_rule.items()},
            synapses,
            slopes,
            sp["trials"],
            sp["criterion"],
        ),
        "trials_to_criterion.png",
        note="Sizes: "
        + ", ".join(f"{k} ({s['plastic_synapses']:,} synapses)" for k, s in sizes.items())
        + ". Reward rules: the last curve_window trials rewarded; STDP: patterns with a prototype.",
    )
    return {
        "trials_to_reward_criterion_by_n": {r: by_n for r, by_n in by_rule.items() if r != UNSUPERVISED},
        "trials_to_prototype_criterion_by_n": {UNSUPERVISED: by_rule[UNSUPERVISED]},
        "trials_to_criterion_slope_by_rule": slopes,
        "trials_to_criterion_censored_at": sp["trials"],
        "spiking_sizes": sizes,
        "unsupervised_patterns_learned_by_n": curves,
        "spiking_backend": backend,
    }


def run(ctx: RunContext) -> dict:
    started = time.perf_counter()  # wall time: the standalone programs run in child processes
    metrics = spiking_half(ctx)
    metrics["spiking_half_wall_seconds"] = round(time.perf_counter() - started, 1)
    return metrics


if __name__ == "__main__":
    script_main(__file__)

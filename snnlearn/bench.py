"""``snnlearn bench diehl_cook``: training speed of the compiled chunked engine against a plain loop.

Both sides train the same Diehl & Cook network (models/diehl_cook_2015.toml, 784 inputs by
default) on the same images with the full protocol (350 ms + 150 ms at dt 0.5 ms, normalisation
before every example, the repeat rule):

- *chunked standalone*: compiled once, a whole chunk of examples driven from a TimedArray inside
  one run (snnlearn.tasks.digits);
- *runtime loop*: the straightforward Brian2 script, one ``run()`` per presentation and per rest
  on the runtime target (Cython), with normalisation and the repeat rule in Python.

- *frozen inference*: the trained-network evaluation of the experiments, K frozen copies without
  plasticity code (snnlearn.tasks.frozen), on the network's initial weights.

It prints images per second for each (median of ``--repeats`` timings, after a warm-up that
absorbs compilation), presentations per image (the repeat rule) and the ratio of the chunked
engine to the runtime loop, measured in the same process; ``--out DIR`` also writes them to
``DIR/bench.json`` (one flat record), with the peak memory of the process.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import time
from pathlib import Path
from typing import Any

import numpy as np
from brian2 import Hz

from .data import load_dataset
from .errors import ConfigError
from .experiment import models_dir
from .overrides import apply_to_model
from .results import atomic_write_bytes
from .spec import load_model_dict, parse_model
from .tasks.digits import EXCITATORY, FEEDFORWARD, INPUT, DigitPresenter, Protocol, fit_model


def diehl_cook_spec(n_pixels: int, n_excitatory: int, protocol: Protocol | None = None):
    """The Diehl & Cook model file sized for ``n_pixels`` inputs and ``n_excitatory`` neurons."""
    raw = load_model_dict(models_dir() / "diehl_cook_2015.toml")
    return fit_model(raw, n_pixels, n_excitatory, protocol or Protocol())


def chunked_standalone(spec, images: np.ndarray, repeats: int, seed: int) -> tuple[list[float], float, float]:
    """Images/s of the compiled chunked engine, one chunk of ``len(images)`` per repeat; the
    compile seconds; presentations per image (the repeat rule shows faint images again)."""
    from .engine import backend_session

    with backend_session(
        "standalone", seed, key=f"bench-diehl_cook-{spec.groups[INPUT].n}x{spec.groups[EXCITATORY].n}x{len(images)}"
    ) as build_dir:
        presenter = DigitPresenter(spec, Protocol(), len(images), backend="standalone", build_dir=build_dir)
        compile_seconds = presenter.session.compile()
        presenter.present(images, learn=True, collect=False)  # warm-up: file caches
        rates, slots = [], 0
        for _ in range(repeats):
            started = time.perf_counter()
            slots += presenter.present(images, learn=True, collect=False).slots_used
            rates.append(len(images) / (time.perf_counter() - started))
    return rates, compile_seconds, slots / (repeats * len(images))


def frozen_inference(spec, images: np.ndarray, repeats: int, seed: int) -> tuple[list[float], int]:
    """Images/s of frozen evaluation on K copies (:mod:`snnlearn.tasks.frozen`), the network's
    initial weights (uniform as the model's ``w_init``) and thresholds, delays uniform in 0-10 ms;
    returns the timings and K."""
    from .engine import backend_session
    from .tasks.frozen import FrozenCopies, FrozenState, copies_for

    n_in, n_exc = spec.groups[INPUT].n, spec.groups[EXCITATORY].n
    rng = np.random.default_rng(seed)
    copies = copies_for(n_in * n_exc, len(images))
    state = FrozenState((rng.random(n_in * n_exc) + 0.01) * 0.3, np.full(n_exc, 20.0))
    key = f"bench-frozen-{n_in}x{n_exc}x{copies}-{len(images)}"
    with backend_session("standalone", seed, key=key) as build_dir:
        frozen = FrozenCopies(
            spec, Protocol(), copies, len(images), delays_s=rng.random(n_in * n_exc) * 0.01,
            backend="standalone", build_dir=build_dir,
        )  # fmt: skip
        frozen.session.compile()
        frozen.present(images, state)  # warm-up: file caches
        rates = []
        for _ in range(repeats):
            started = time.perf_counter()
            frozen.present(images, state)
            rates.append(len(images) / (time.perf_counter() - started))
    return rates, copies


def runtime_loop(spec, images: np.ndarray, repeats: int, seed: int) -> list[float]:
    """Images/s of the straightforward per-example runtime loop (Cython target)."""
    from .build import build_network
    from .engine import backend_session

    protocol = Protocol()
    total = spec.synapses[FEEDFORWARD].normalize.total
    unnormalised = apply_to_model(
        spec.raw,
        f"synapses.{FEEDFORWARD}",
        {k: v for k, v in spec.raw["synapses"][FEEDFORWARD].items() if k != "normalize"},
    )
    with backend_session("runtime", seed):
        net = build_network(parse_model(unnormalised), record_spikes=[EXCITATORY])
        inputs, synapses, spikes = net.groups[INPUT], net.synapses[FEEDFORWARD], net.spikes[EXCITATORY]
        n_in, n_exc = spec.groups[INPUT].n, spec.groups[EXCITATORY].n

        def train_one(image: np.ndarray) -> None:
            intensity = protocol.base_intensity
            while True:
                w = np.asarray(synapses.w[:]).reshape(n_in, n_exc)
                synapses.w[:] = (w * (total / w.sum(axis=0))).ravel()
                before = spikes.num_spikes
                inputs.rates = image * float(protocol.pixel_rate / Hz) * intensity * Hz
                net.network.run(protocol.t_present, namespace={})
                inputs.rates = 0 * Hz
                net.network.run(protocol.t_rest, namespace={})
                if spikes.num_spikes - before >= protocol.min_spikes or intensity >= protocol.max_intensity:
                    return
                intensity += 1

        train_one(images[0])  # warm-up: Cython compilation
        rates = []
        for _ in range(repeats):
            started = time.perf_counter()
            for image in images:
                train_one(image)
            rates.append(len(images) / (time.perf_counter() - started))
    return rates


def configure(parser: argparse.ArgumentParser) -> None:
    """The arguments of ``snnlearn bench``: what to benchmark, the data, the sizes and ``--out``.

    Parameters
    ----------
    parser : argparse.ArgumentParser
        The subcommand's parser, to which the arguments are added (nothing is checked here:
        :func:`check_bench` does that before anything runs).
    """
    parser.add_argument("name", choices=["diehl_cook"], help="what to benchmark")
    parser.add_argument(
        "--data", default="../shared/data/mnist", help="MNIST folder, or 'digits' for the embedded 8x8 digits"
    )
    parser.add_argument("--n-excitatory", type=int, default=400)
    parser.add_argument("--chunk", type=int, default=100, help="examples per compiled run")
    parser.add_argument("--loop-examples", type=int, default=10, help="examples per runtime-loop timing")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", default=None, help="folder for bench.json (created if missing)")


def check_bench(args: argparse.Namespace) -> tuple[Any, Any]:
    """Every check before the benchmark compiles or runs anything: the sizes, the seed, the data
    set (enough training images for ``--chunk`` and ``--loop-examples``), the network's memory
    estimate and a C++ compiler for the standalone side. Returns the data set and the model."""
    from . import footprint
    from .engine import resolve_backend
    from .experiment import check_seed

    for name in ("n_excitatory", "chunk", "loop_examples", "repeats"):
        if getattr(args, name) < 1:
            raise ConfigError(f"--{name.replace('_', '-')}", "must be >= 1", "give a positive integer")
    check_seed(args.seed)
    data = load_dataset(args.data)
    for name in ("chunk", "loop_examples"):
        if getattr(args, name) > len(data.x_train):
            raise ConfigError(
                f"--{name.replace('_', '-')}",
                f"{getattr(args, name)} is more than the {len(data.x_train)} training images of {args.data}",
                f"expected at most {len(data.x_train)}",
            )
    spec = diehl_cook_spec(data.n_pixels, args.n_excitatory)
    footprint.check(footprint.estimate(spec), what="the benchmarked network")
    resolve_backend("standalone", explicit=True)  # no compiler: one line now, not after the runtime side
    return data, spec


def bench(args) -> int:
    """Benchmark training speed (compiled chunks against the plain runtime loop) and frozen inference."""
    data, spec = check_bench(args)
    images = data.x_train[: args.chunk]
    chunked, compile_seconds, presentations = chunked_standalone(spec, images, args.repeats, args.seed)
    inference, copies = frozen_inference(spec, images, args.repeats, args.seed)
    loop = runtime_loop(spec, data.x_train[: args.loop_examples], args.repeats, args.seed)
    fast, slow, infer = statistics.median(chunked), statistics.median(loop), statistics.median(inference)
    print(
        f"Diehl & Cook training, {data.n_pixels} inputs x {args.n_excitatory} excitatory neurons, "
        f"350 + 150 ms per example at dt {spec.dt}"
    )
    print(
        f"  chunked standalone : {fast:7.2f} images/s  (median of {args.repeats}: "
        f"{', '.join(f'{r:.2f}' for r in chunked)}; compiled once in {compile_seconds:.0f} s; "
        f"{presentations:.2f} presentations per image)"
    )
    print(
        f"  runtime loop       : {slow:7.2f} images/s  (median of {args.repeats}: "
        f"{', '.join(f'{r:.2f}' for r in loop)})"
    )
    print(f"  ratio              : {fast / slow:7.1f}x")
    print(
        f"  frozen inference   : {infer:7.2f} images/s  ({copies} copies; median of {args.repeats}: "
        f"{', '.join(f'{r:.2f}' for r in inference)})"
    )
    if args.out:
        record = {
            "workload": "diehl_cook",
            "data": data.name,
            "n_inputs": int(data.n_pixels),
            "n_excitatory": int(args.n_excitatory),
            "train_images_per_second": fast,
            "infer_images_per_second": infer,
            "presentations_per_image": presentations,
            "runtime_loop_images_per_second": slow,
            "ratio_vs_runtime_loop": fast / slow,
            "compile_seconds": compile_seconds,
            "frozen_copies": copies,
            "peak_memory_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "repeats": args.repeats,
        }
        folder = Path(args.out)
        folder.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(folder / "bench.json", (json.dumps([record], indent=1) + "\n").encode())
        print(f"  written: {folder / 'bench.json'}")
    return 0


COMMANDS = [("bench", configure, bench)]

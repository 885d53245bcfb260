"""``snnlearn bench``: the one place for speed, with the straightforward Brian2 loop beside each number.

``snnlearn bench diehl_cook`` measures, for each data set and network size (default MNIST and the
embedded digits, 100, 400 and 1600 excitatory neurons), training and frozen inference.
Both sides of the training comparison train the same Diehl & Cook network (models/diehl_cook_2015.toml, 784 inputs by
default) on the same images with the full protocol (350 ms + 150 ms at dt 0.5 ms, normalisation
before every example, the repeat rule):

- *chunked standalone*: compiled once, a whole chunk of examples driven from a TimedArray inside
  one run (snnlearn.tasks.digits);
- *runtime loop*: the straightforward Brian2 script, one ``run()`` per presentation and per rest
  on the runtime target (Cython), with normalisation and the repeat rule in Python.

- *frozen inference*: the trained-network evaluation of the experiments, K frozen copies without
  plasticity code (snnlearn.tasks.frozen), on the network's initial weights.

Each row reports images per second (median of ``--repeats`` timings, after a warm-up that
absorbs compilation), presentations per image (the repeat rule) and the ratio of the chunked
engine to the runtime loop, measured in the same process.

``snnlearn bench distal_reward`` runs the ``distal_reward`` experiment (Izhikevich 2007, both of
its conditions) at 1,000 and 10,000 neurons (4:1 excitatory to inhibitory, the paper's 100
synapses per neuron) for ``--seconds`` of simulated time on the compiled engine, and for a
tenth of that (at least 4 s) on the runtime target (the straightforward loop), and reports wall milliseconds
per simulated second of each (the simulation alone: the build and the figures are timed apart).

Every row runs in a fresh process, so its ``peak_memory_mb`` (the process and the standalone
program it ran) is its own. ``--out DIR`` writes ``bench.json`` (one flat record per row),
``bench.md`` (the table) and ``bench.png`` (cost against the number of synapses, log-log, with
the exponent of a power law fitted to each series). ``--quick`` runs a reduced set: the digits
at 100 neurons and the distal reward network at 1,000 neurons.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
from brian2 import Hz, second

from . import logs
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
    from .tasks.frozen import FrozenCopies, FrozenState, copies_for, synapses_per_copy

    n_in, n_exc = spec.groups[INPUT].n, spec.groups[EXCITATORY].n
    rng = np.random.default_rng(seed)
    copies = copies_for(synapses_per_copy(spec), len(images))
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


#: what a full run measures, and what ``--quick`` keeps
FULL_DATA, QUICK_DATA = ("../shared/data/mnist", "digits"), ("digits",)
FULL_SIZES = {"diehl_cook": (100, 400, 1600), "distal_reward": (1000, 10000)}
QUICK_SIZES = {"diehl_cook": (100,), "distal_reward": (1000,)}
#: the smallest distal reward network: 4:1 excitatory to inhibitory, and each excitatory neuron
#: draws 80 excitatory and 20 inhibitory targets without replacement
DISTAL_MIN_NEURONS = 125
COLUMNS = (
    "train_images_per_second",
    "infer_images_per_second",
    "presentations_per_image",
    "runtime_loop_images_per_second",
    "ms_per_simulated_second",
    "runtime_loop_ms_per_simulated_second",
    "ratio_vs_runtime_loop",
    "compile_seconds",
    "peak_memory_mb",
    "runtime_loop_peak_memory_mb",
)


def configure(parser: argparse.ArgumentParser) -> None:
    """The arguments of ``snnlearn bench``: what to benchmark, the data, the sizes and ``--out``.

    Parameters
    ----------
    parser : argparse.ArgumentParser
        The subcommand's parser, to which the arguments are added (nothing is checked here:
        :func:`check_bench` does that before anything runs).
    """
    parser.add_argument("name", choices=["diehl_cook", "distal_reward", "all"], help="what to benchmark")
    parser.add_argument(
        "--data",
        default=None,
        help="diehl_cook: comma-separated data sets, MNIST folders or 'digits' (default: "
        f"{','.join(FULL_DATA)}; --quick: digits)",
    )
    parser.add_argument(
        "--sizes",
        default=None,
        help="comma-separated sizes: excitatory neurons for diehl_cook (default 100,400,1600), "
        "neurons for distal_reward (default 1000,10000); --quick: the smallest",
    )
    parser.add_argument("--quick", action="store_true", help="a reduced set (digits at 100 neurons, distal at 1000)")
    parser.add_argument("--chunk", type=int, default=100, help="examples per compiled run (diehl_cook)")
    parser.add_argument("--loop-examples", type=int, default=10, help="examples per runtime-loop timing (diehl_cook)")
    parser.add_argument("--repeats", type=int, default=3, help="timings per row (diehl_cook), the median reported")
    parser.add_argument("--seconds", type=int, default=20, help="simulated seconds per condition (distal_reward)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", default=None, help="folder for bench.json, bench.md, bench.png (created if missing)")


def _sizes(text: str | None, default: Sequence[int], low: int) -> tuple[int, ...]:
    if text is None:
        return tuple(default)
    try:
        sizes = tuple(int(v) for v in text.split(","))
    except ValueError:
        raise ConfigError("--sizes", f"got {text!r}", "expected comma-separated integers, e.g. 100,400") from None
    if not sizes or min(sizes) < low:
        raise ConfigError("--sizes", f"got {text!r}", f"expected integers >= {low}")
    return sizes


def check_bench(args: argparse.Namespace) -> dict[str, Any]:
    """Every check before the benchmark compiles or runs anything: the sizes, the seed, the data
    sets (enough training images for ``--chunk`` and ``--loop-examples``), each network's memory
    estimate and a C++ compiler. Returns the plan: ``{"diehl_cook": [(data path, size), ...],
    "distal_reward": [size, ...]}``."""
    from . import footprint
    from .engine import resolve_backend
    from .experiment import check_seed

    for name in ("chunk", "loop_examples", "repeats", "seconds"):
        if getattr(args, name) < 1:
            raise ConfigError(f"--{name.replace('_', '-')}", "must be >= 1", "give a positive integer")
    if args.seconds % 2 or args.seconds < 4:
        raise ConfigError(
            "--seconds", f"got {args.seconds}", "expected an even number >= 4 (two chunks; rewards arrive 1-3 s late)"
        )
    check_seed(args.seed)
    sizes_of = QUICK_SIZES if args.quick else FULL_SIZES
    plan: dict[str, Any] = {"diehl_cook": [], "distal_reward": []}
    if args.name in ("diehl_cook", "all"):
        sizes = _sizes(args.sizes if args.name == "diehl_cook" else None, sizes_of["diehl_cook"], 1)
        for path in args.data.split(",") if args.data else (QUICK_DATA if args.quick else FULL_DATA):
            data = load_dataset(path)
            for name in ("chunk", "loop_examples"):
                if getattr(args, name) > len(data.x_train):
                    raise ConfigError(
                        f"--{name.replace('_', '-')}",
                        f"{getattr(args, name)} is more than the {len(data.x_train)} training images of {path}",
                        f"expected at most {len(data.x_train)}",
                    )
            for n in sizes:
                footprint.check(footprint.estimate(diehl_cook_spec(data.n_pixels, n)), what="the benchmarked network")
                plan["diehl_cook"].append((path, n))
    if args.name in ("distal_reward", "all"):
        plan["distal_reward"] = list(
            _sizes(args.sizes if args.name == "distal_reward" else None, sizes_of["distal_reward"], DISTAL_MIN_NEURONS)
        )
    resolve_backend("standalone", explicit=True)  # no compiler: one line now, not after the runtime side
    return plan


def in_fresh_process(function: Callable[..., dict], *args: Any) -> dict:
    """``function(*args)`` in a new Python process (spawned), so that the peak memory it reports
    is its own and no Brian2 device state carries over from the row before; it carries on this
    process's messages (level, warnings already shown)."""
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(1, mp_context=context, initializer=logs.carry_on, initargs=logs.handed_on()) as pool:
        return pool.submit(function, *args).result()


def diehl_cook_engine(path: str, n_exc: int, chunk: int, repeats: int, seed: int) -> dict:
    """Training and frozen inference of one Diehl & Cook size on the compiled engine."""
    from .experiment import peak_memory_mb

    data = load_dataset(path)
    spec = diehl_cook_spec(data.n_pixels, n_exc)
    images = data.x_train[:chunk]
    chunked, compile_seconds, presentations = chunked_standalone(spec, images, repeats, seed)
    inference, copies = frozen_inference(spec, images, repeats, seed)
    train = statistics.median(chunked)
    slot_s = float(Protocol().slot / second)
    return {
        "train_images_per_second": train,
        "train_timings": chunked,
        "infer_images_per_second": statistics.median(inference),
        "infer_timings": inference,
        "presentations_per_image": presentations,
        "ms_per_simulated_second": 1000 / (train * presentations * slot_s),
        "compile_seconds": compile_seconds,
        "frozen_copies": copies,
        "peak_memory_mb": peak_memory_mb(),
    }


def diehl_cook_loop(path: str, n_exc: int, examples: int, repeats: int, seed: int) -> dict:
    """The straightforward runtime loop at one Diehl & Cook size."""
    from .experiment import peak_memory_mb

    data = load_dataset(path)
    loop = runtime_loop(diehl_cook_spec(data.n_pixels, n_exc), data.x_train[:examples], repeats, seed)
    return {"runtime_loop_images_per_second": statistics.median(loop), "loop_timings": loop, "peak": peak_memory_mb()}


def distal_sets(n: int, seconds: float) -> list[str]:
    """The ``--set`` assignments of the ``distal_reward`` experiment at ``n`` neurons (4:1) for
    ``seconds`` of simulated time per condition in two chunks (the paper's reward delays)."""
    n_exc = n * 4 // 5
    return [
        f"groups.exc.n={n_exc}",
        f"groups.inh.n={n - n_exc}",
        f"duration={seconds!r} s",
        f"chunk={seconds / 2!r} s",
        f"stats_dt={seconds / 2!r} s",
        f"detail_seconds={min(12.0, seconds)!r}",
        f"raster_seconds={min(1.0, seconds)!r} s",
    ]


def distal_run(n: int, seconds: float, backend: str, seed: int) -> dict:
    """Wall ms per simulated second of the ``distal_reward`` experiment (both conditions) at
    ``n`` neurons on ``backend``; the build and the figures are not counted."""
    from .experiment import peak_memory_mb, run_experiment

    with tempfile.TemporaryDirectory(prefix="snnlearn-bench-") as folder:
        out = run_experiment(
            "distal_reward", seed=seed, backend=backend, sets=distal_sets(n, seconds), out=Path(folder) / "run"
        )
        metrics = json.loads((out / "metrics.json").read_text())
    return {
        "ms_per_simulated_second": 1000 * metrics["simulation_seconds"] / (2 * metrics["simulated_seconds"]),
        "compile_seconds": metrics["compile_seconds"],
        "peak_memory_mb": peak_memory_mb(),
    }


def _row(workload: str, **fields: Any) -> dict[str, Any]:
    """One flat record: every column present (None where it does not apply), the machine."""
    return {
        "workload": workload,
        **{key: None for key in ("data", "n_inputs", "n_excitatory", "n_neurons", "n_synapses", *COLUMNS)},
        **fields,
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.system()}",
    }


def bench_diehl_cook(path: str, n_exc: int, args: argparse.Namespace) -> dict:
    """One Diehl & Cook row: the engine and the runtime loop, each in a fresh process."""
    data = load_dataset(path)
    engine = in_fresh_process(diehl_cook_engine, path, n_exc, args.chunk, args.repeats, args.seed)
    loop = in_fresh_process(diehl_cook_loop, path, n_exc, args.loop_examples, args.repeats, args.seed)
    n_in = int(data.n_pixels)
    return _row(
        "diehl_cook",
        data=data.name,
        n_inputs=n_in,
        n_excitatory=n_exc,
        n_neurons=n_in + 2 * n_exc,
        n_synapses=n_in * n_exc + n_exc + n_exc * (n_exc - 1),
        **{k: v for k, v in engine.items() if not k.endswith("_timings")},
        runtime_loop_images_per_second=loop["runtime_loop_images_per_second"],
        ratio_vs_runtime_loop=engine["train_images_per_second"] / loop["runtime_loop_images_per_second"],
        runtime_loop_peak_memory_mb=loop["peak"],
        repeats=args.repeats,
    )


def bench_distal(n: int, args: argparse.Namespace) -> dict:
    """One distal reward row: ``--seconds`` on the engine, a tenth (at least 4 s) on the runtime loop."""
    engine = in_fresh_process(distal_run, n, float(args.seconds), "standalone", args.seed)
    loop_seconds = max(4.0, args.seconds / 10)
    in_fresh_process(distal_run, n, 4.0, "runtime", args.seed)  # warm-up: compiles the Cython code objects
    loop = in_fresh_process(distal_run, n, loop_seconds, "runtime", args.seed)
    return _row(
        "distal_reward",
        n_neurons=n,
        n_synapses=n * 100,
        ms_per_simulated_second=engine["ms_per_simulated_second"],
        runtime_loop_ms_per_simulated_second=loop["ms_per_simulated_second"],
        ratio_vs_runtime_loop=loop["ms_per_simulated_second"] / engine["ms_per_simulated_second"],
        compile_seconds=engine["compile_seconds"],
        peak_memory_mb=engine["peak_memory_mb"],
        runtime_loop_peak_memory_mb=loop["peak_memory_mb"],
        simulated_seconds=2 * args.seconds,
        runtime_loop_simulated_seconds=2 * loop_seconds,
    )


def fitted_exponent(sizes: Sequence[float], costs: Sequence[float]) -> float | None:
    """The exponent b of ``cost = a * size ** b``, least squares on log-log axes (None for fewer
    than two sizes)."""
    if len(set(sizes)) < 2:
        return None
    return float(np.polyfit(np.log(sizes), np.log(costs), 1)[0])


def series(rows: Sequence[dict]) -> list[tuple[str, list[float], list[float], str]]:
    """The cost curves of the scaling figure: (label, sizes, cost, unit) per workload, data set
    and side (engine, frozen inference, runtime loop); cost in ms per image or per simulated second."""
    out = []
    for data in sorted({r["data"] for r in rows if r["workload"] == "diehl_cook"}):
        these = sorted((r for r in rows if r["data"] == data), key=lambda r: r["n_excitatory"])
        sizes = [r["n_excitatory"] for r in these]
        for side, key in (
            ("training", "train_images_per_second"),
            ("frozen inference", "infer_images_per_second"),
            ("training, runtime loop", "runtime_loop_images_per_second"),
        ):
            out.append((f"{data}: {side}", sizes, [1000 / r[key] for r in these], "ms per image"))
    distal = sorted((r for r in rows if r["workload"] == "distal_reward"), key=lambda r: r["n_neurons"])
    if distal:
        sizes = [r["n_neurons"] for r in distal]
        for side, key in (
            ("engine", "ms_per_simulated_second"),
            ("runtime loop", "runtime_loop_ms_per_simulated_second"),
        ):
            out.append((f"distal reward: {side}", sizes, [r[key] for r in distal], "ms per simulated second"))
    return out


def scaling_figure(rows: Sequence[dict]):
    """Cost against network size, log-log, one panel per workload, each series with its fitted exponent."""
    from . import plotstyle

    curves = series(rows)
    panels = [unit for unit in ("ms per image", "ms per simulated second") if any(c[3] == unit for c in curves)]
    fig, axes = plotstyle.figure(1, len(panels), panel=(5.2, 3.8))
    for ax, unit in zip(axes[0], panels, strict=True):
        these = [c for c in curves if c[3] == unit]
        groups = sorted({name.split(": ")[0] for name, *_ in these})
        sides = list(dict.fromkeys(name.split(": ")[1] for name, *_ in these))
        for name, sizes, cost, _ in these:
            group, side = name.split(": ")
            style = plotstyle.curve_style(sides.index(side))  # colour and marker: engine, inference, loop
            style["ls"] = ("-", "--", ":")[groups.index(group) % 3]  # line: the data set
            b = fitted_exponent(sizes, cost)
            ax.plot(sizes, cost, label=f"{name} (exponent {b:.2f})" if b is not None else name, **style)
        ax.set_yscale("log")
        plotstyle.count_axis(ax, "x", sorted({s for c in these for s in c[1]}), log=True)
        ax.set_xlabel("excitatory neurons" if unit == "ms per image" else "neurons")
        ax.set_ylabel(plotstyle.label("wall time", unit))
        ax.set_title("Diehl & Cook (2015)" if unit == "ms per image" else "distal reward (Izhikevich 2007)")
        ax.legend(fontsize="x-small")
    plotstyle.caption(fig, f"{rows[0]['machine']}; exponent b of a fitted power law cost = a * size^b")
    return fig


def table(rows: Sequence[dict]) -> str:
    """The rows as a Markdown table (the README's performance table)."""
    head = (
        "| workload | data | size | train img/s | frozen img/s | presentations/img | ms per simulated s "
        "| runtime loop | engine / loop | build s | peak MB |"
    )
    lines_ = [head, "|" + "---|" * head.count(" | ") + "---|"]

    def f(value: Any, digits: int = 1) -> str:
        return "-" if value is None else f"{value:,.{digits}f}"

    for r in rows:
        size = r["n_excitatory"] if r["workload"] == "diehl_cook" else r["n_neurons"]
        loop = (
            f"{f(r['runtime_loop_images_per_second'], 2)} img/s"
            if r["workload"] == "diehl_cook"
            else f"{f(r['runtime_loop_ms_per_simulated_second'], 0)} ms per s"
        )
        lines_.append(
            f"| {r['workload']} | {r['data'] or '-'} | {size:,} | {f(r['train_images_per_second'])} | "
            f"{f(r['infer_images_per_second'])} | {f(r['presentations_per_image'], 2)} | "
            f"{f(r['ms_per_simulated_second'], 0)} | {loop} | {f(r['ratio_vs_runtime_loop'])}x | "
            f"{f(r['compile_seconds'], 0)} | {f(r['peak_memory_mb'], 0)} |"
        )
    return "\n".join(lines_) + "\n"


def bench(args) -> int:
    """Run the benchmark rows (each in a fresh process), print the table, write ``--out``."""
    plan = check_bench(args)
    rows = []
    for path, n_exc in plan["diehl_cook"]:
        print(f"diehl_cook, {path}, {n_exc} excitatory neurons ...", flush=True)
        rows.append(bench_diehl_cook(path, n_exc, args))
    for n in plan["distal_reward"]:
        print(f"distal_reward, {n} neurons ...", flush=True)
        rows.append(bench_distal(n, args))
    print(table(rows), end="")
    for name, sizes, cost, unit in series(rows):
        b = fitted_exponent(sizes, cost)
        if b is not None:
            print(f"  {name}: {unit} ~ size^{b:.2f}")
    if args.out:
        from . import plotstyle

        folder = Path(args.out)
        folder.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(folder / "bench.json", (json.dumps(rows, indent=1) + "\n").encode())
        atomic_write_bytes(folder / "bench.md", table(rows).encode())
        atomic_write_bytes(folder / "bench.png", plotstyle.save(scaling_figure(rows)))
        print(f"  written: {folder / 'bench.json'}, bench.md, bench.png")
    return 0


COMMANDS = [("bench", configure, bench)]

"""The ``snnlearn`` command: list, run, check (and the commands later modules register).

Registered through :data:`COMMAND_MODULES`: bench, sweep, compare, export (NWB) and init.

Bad input never shows a traceback: it exits with status 2 and one line ``error: <field>: ...``,
before anything is simulated or written. ``-v`` adds debug lines, ``-q`` leaves warnings and
errors only (no progress), ``-qq`` errors only; either goes before or after the subcommand
(:mod:`snnlearn.logs`).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from .errors import ConfigError, one_of
from .session import NumericalError, StandaloneBuildError


class _Parser(argparse.ArgumentParser):
    """argparse that reports a usage error as one ``error:`` line (exit 2)."""

    def error(self, message: str):  # noqa: D401 - argparse API
        raise ConfigError(self.prog, message)


def _add_run_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--quick", action="store_true", help="reduced run (for tests and a first look)")
    p.add_argument("--seed", type=int, default=None, help="seed of every random draw (default 1)")
    p.add_argument("--out", help="run folder (default results/NAME/<time>-s<seed>-<id>)")
    p.add_argument(
        "--backend", help="runtime (Cython/NumPy) or standalone (compiled C++); cuda is refused with the reason"
    )
    p.add_argument(
        "--set",
        dest="sets",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a model or experiment parameter by dotted name (repeatable)",
    )
    p.add_argument("--model", help="run on this model file instead of the experiment's own")
    p.add_argument("--resume", metavar="DIR", help="continue an unfinished run from its last checkpoint")


def cmd_list(args) -> int:
    """``snnlearn list``: print every experiment and model file with its one-line description.

    Experiments are described by the first line of their docstring, model files by their
    ``reference``. Returns the exit status, 0.
    """
    from .experiment import available_experiments, available_models, describe, load_experiment, models_dir
    from .spec import load_model_dict

    print("experiments:")
    for name in available_experiments():
        print(f"  {name:22s} {describe(load_experiment(name))}")
    print("models:")
    for name in available_models():
        raw = load_model_dict(models_dir() / f"{name}.toml", "model")
        print(f"  {name:22s} {raw.get('reference', '')}")
    return 0


def _experiment_help(name: str) -> int:
    from .experiment import load_experiment

    module = load_experiment(name)
    print(
        f"usage: snnlearn run {name} [--quick] [--seed N] [--out DIR] [--backend runtime|standalone]"
        " [--set KEY=VALUE ...] [--model FILE] [--resume DIR]\n"
    )
    print((module.__doc__ or "").strip())
    print("\nparameters (--set KEY=VALUE):")
    print(json.dumps(getattr(module, "PARAMS", {}), indent=2, default=str))
    if getattr(module, "MODEL", None):
        from .experiment import model_path

        print(f"\nmodel: {model_path(module, module.MODEL)} (its keys are set the same way, e.g. groups.NAME.n=10)")
    return 0


def _run_help(parser: argparse.ArgumentParser) -> int:
    """``snnlearn run --help`` without a name: the options, and the experiments to name."""
    from .experiment import available_experiments, describe, load_experiment

    print(parser.format_help().rstrip())
    print("\nexperiments (snnlearn run NAME --help shows one's paper, targets and parameters):")
    for name in available_experiments():
        print(f"  {name:22s} {describe(load_experiment(name))}")
    return 0


def cmd_run(args) -> int:
    """``snnlearn run``: run one experiment (or resume a run) with the parsed options.

    Every input is checked by :func:`snnlearn.experiment.run_experiment` before anything is
    written.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed ``run`` options (``name``, ``seed``, ``quick``, ``backend``, ``sets``, ``model``,
        ``out``, ``resume``).

    Returns
    -------
    int
        The exit status, 0; a run that fails raises instead (turned into a status by :func:`main`).

    Raises
    ------
    ConfigError
        When neither an experiment nor ``--resume`` is given.
    """
    from .experiment import available_experiments, run_experiment

    if args.name is None and args.resume is None:
        raise ConfigError("experiment", "no experiment named (snnlearn run NAME)", one_of(available_experiments()))
    run_experiment(
        args.name,
        seed=args.seed,
        quick=args.quick,
        backend=args.backend,
        sets=args.sets,
        model_file=args.model,
        out=args.out,
        resume=args.resume,
    )
    return 0


def cmd_check(args) -> int:
    """``snnlearn check FILE``: validate a model file, with its ``--set`` overrides, and print it.

    Prints the parsed model's summary and its memory estimate; nothing is built or simulated.
    A bad file raises :class:`~snnlearn.errors.ConfigError` naming the field. Returns the exit
    status, 0.
    """
    from .overrides import apply_to_model, parse_assignments
    from .spec import load_model_dict, parse_model

    raw = load_model_dict(args.file, "FILE")
    for key, value in parse_assignments(args.sets):
        raw = apply_to_model(raw, key, value)
    from . import footprint

    spec = parse_model(raw, source=args.file)
    print(spec.summary())
    print(f"  memory: {footprint.estimate(spec).describe()}")
    return 0


#: Modules that add subcommands: each defines ``COMMANDS = [(name, configure(parser), handler(args))]``.
COMMAND_MODULES = ("snnlearn.bench", "snnlearn.sweep", "snnlearn.compare", "snnlearn.nwb", "snnlearn.scaffold")


def _add_verbosity(p: argparse.ArgumentParser, default: object) -> None:
    """``-v``/``-q`` (counted); on a subcommand their default is SUPPRESS so the main one stands."""
    p.add_argument("-v", "--verbose", action="count", default=default, help="more messages (debug lines)")
    p.add_argument(
        "-q",
        "--quiet",
        action="count",
        default=default,
        help="fewer messages: -q warnings and errors only, no progress; -qq errors only",
    )


def build_parser() -> argparse.ArgumentParser:
    """The ``snnlearn`` argument parser with every subcommand.

    ``list``, ``run`` and ``check`` are defined here; the commands of :data:`COMMAND_MODULES` that
    can be imported are added after them, each with the first line of its handler's docstring as
    its help. Every (sub)parser reports a usage error as a :class:`~snnlearn.errors.ConfigError`
    rather than exiting, so that :func:`main` prints it as one ``error:`` line.
    """
    parser = _Parser(prog="snnlearn", description=__doc__.splitlines()[0])
    _add_verbosity(parser, 0)
    quiet = _Parser(add_help=False)
    _add_verbosity(quiet, argparse.SUPPRESS)
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    sub.add_parser("list", help="list experiments and model files", parents=[quiet]).set_defaults(func=cmd_list)
    run = sub.add_parser("run", help="run experiments/NAME.py", add_help=False, parents=[quiet])
    run.add_argument("name", nargs="?", help="the experiment (snnlearn list names them)")
    run.add_argument(
        "-h",
        "--help",
        action="store_true",
        help="show this help; with NAME, the experiment's paper, targets and parameters",
    )
    _add_run_options(run)
    run.set_defaults(func=cmd_run, parser=run)
    check = sub.add_parser("check", help="validate a model file and print what it builds", parents=[quiet])
    check.add_argument("file")
    check.add_argument("--set", dest="sets", action="append", default=[], metavar="KEY=VALUE")
    check.set_defaults(func=cmd_check)
    for name, (configure, handler) in _extra_commands().items():
        p = sub.add_parser(name, help=(handler.__doc__ or "").strip().splitlines()[0], parents=[quiet])
        configure(p)
        p.set_defaults(func=handler)
    return parser


def _extra_commands() -> dict[str, tuple[Callable, Callable]]:
    import importlib

    commands = {}
    for module_name in COMMAND_MODULES:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            continue
        for name, configure, handler in getattr(module, "COMMANDS", ()):
            commands[name] = (configure, handler)
    return commands


def main(argv: Sequence[str] | None = None) -> int:
    """The ``snnlearn`` command: returns its exit status (2 for bad input, 1 for a failed run)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    from . import logs

    level = logs.LOGGER.level
    try:
        with logs.once():
            from .config import check_environment

            check_environment()
            args = build_parser().parse_args(argv)
            logs.configure(args.verbose - args.quiet)
            if getattr(args, "help", False):
                return _experiment_help(args.name) if args.name is not None else _run_help(args.parser)
            return args.func(args)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except (NumericalError, StandaloneBuildError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    finally:
        logs.LOGGER.setLevel(level)


def script_main(path: str) -> None:
    """Entry point for ``python experiments/NAME.py [options]`` (the same as ``snnlearn run NAME``)."""
    raise SystemExit(main(["run", Path(path).stem, *sys.argv[1:]]))


if __name__ == "__main__":
    raise SystemExit(main())

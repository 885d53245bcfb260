"""Messages and progress: the logging module's levels (-v/-q), warnings once with context, the
Diehl & Cook time step explained once, progress bars on a terminal and sparse lines elsewhere."""

from __future__ import annotations

import logging

import pytest

from snnlearn import bench, cli, logs
from snnlearn.errors import warn
from snnlearn.experiment import models_dir
from snnlearn.progress import Progress
from snnlearn.spec import load_model_dict, parse_model


@pytest.fixture(autouse=True)
def default_level():
    yield
    logs.configure(0)


def test_a_warning_is_shown_once_inside_a_command_and_every_time_outside(capsys):
    with logs.once():
        warn("the same thing")
        warn("the same thing")
        warn("another thing")
    assert capsys.readouterr().err.splitlines() == ["warning: the same thing", "warning: another thing"]
    warn("the same thing")
    warn("the same thing")
    assert capsys.readouterr().err.count("warning: the same thing") == 2


def test_diehl_cook_time_step_is_explained_once_however_often_the_model_is_parsed(capsys):
    raw = load_model_dict(models_dir() / "diehl_cook_2015.toml")
    with logs.once():
        for _ in range(3):
            parse_model(raw)
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert err[0].startswith("warning: model diehl_cook_2015: simulation.dt = 0.5 ms is more than a tenth of ")
    assert "kept because it is the paper's step" in err[0] and "may be inaccurate" not in err[0]


@pytest.mark.parametrize(
    ("verbosity", "shown"),
    [
        (-2, ["error"]),
        (-1, ["warning", "error"]),
        (0, ["info", "warning", "error"]),
        (1, ["debug", "info", "warning", "error"]),
    ],
)
def test_levels(capsys, verbosity, shown):
    logs.configure(verbosity)
    logs.debug("d")
    logs.info("i")
    logs.warning("w")
    logs.LOGGER.error("e")
    expected = {"debug": "debug: d", "info": "i", "warning": "warning: w", "error": "error: e"}
    assert capsys.readouterr().err.splitlines() == [expected[k] for k in shown]


def test_verbosity_flags_go_before_or_after_the_subcommand():
    parser = cli.build_parser()
    for argv, expected in (
        (["-q", "list"], (0, 1)),
        (["list", "-qq"], (0, 2)),
        (["-v", "run", "x"], (1, 0)),
        (["run", "x", "-v"], (1, 0)),
    ):
        args = parser.parse_args(argv)
        assert (args.verbose, args.quiet) == expected, argv


def test_quiet_command_shows_no_information_and_leaves_the_level_as_it_was(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert cli.main(["-q", "run", "song2000", "--quick", "--backend", "gpu"]) == 2
    assert logs.LOGGER.level == logging.INFO
    assert capsys.readouterr().err.startswith("error: --backend")


def test_progress_off_a_terminal_is_sparse_and_never_a_raw_dict(capsys):
    short = Progress(10, "chunks")
    for k in range(1, 11):
        short.update(k)
    assert capsys.readouterr().err == ""  # a loop shorter than `every` seconds says nothing
    every = Progress(3, "chunks", every=0.0)
    for k in range(1, 4):
        every.update(k, "(9.5 images/s)")
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 3 and lines[-1].startswith("  chunks: 3/3 in ") and lines[-1].endswith("(9.5 images/s)")
    logs.configure(-1)
    quiet = Progress(3, "chunks", every=0.0)
    quiet.update(3)
    assert capsys.readouterr().err == ""
    assert logs.mapping({"backprop": 0.01, "feedback_alignment": 0.003}) == "backprop 0.01, feedback_alignment 0.003"


def test_progress_on_a_terminal_is_a_tqdm_bar(monkeypatch):
    from snnlearn import progress as progress_module

    monkeypatch.setattr(progress_module, "interactive", lambda: True)
    with Progress(5, "training examples", start=2, delay=0) as bar:
        assert bar.bar is not None and bar.bar.n == 2
        bar.update(4, "(3 images/s)")
        assert bar.bar.n == 4 and "3 images/s" in str(bar.bar)
        bar.update(5)
        assert bar.bar is None  # closed when the loop ends
    logs.configure(-1)
    assert Progress(5, "x").bar is None  # -q: no bar


def test_brian2_repeats_are_dropped_inside_a_command():
    from brian2.utils.logger import BrianLogger

    logs.watch_brian2()
    logs.watch_brian2()
    handler = BrianLogger.console_handler
    assert sum(isinstance(f, type(logs._ONCE)) for f in handler.filters) == 1
    record = logging.LogRecord("brian2.monitors", logging.WARNING, "", 0, "Cannot check the indices", None, None)
    with logs.once():
        assert [all(f.filter(record) for f in handler.filters) for _ in range(2)] == [True, False]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--chunk", "100000"], "error: --chunk: 100000 is more than the 1347 training images of digits"),
        (["--loop-examples", "5000"], "error: --loop-examples: 5000 is more than the 1347 training images"),
        (["--sizes", "3000000"], "error: memory: the benchmarked network needs at least "),
        (["--sizes", "100,x"], "error: --sizes: got '100,x'; expected comma-separated integers"),
    ],
)
def test_bench_checks_everything_before_it_compiles(tmp_path, monkeypatch, capsys, args, message):
    def never(*a, **k):
        raise AssertionError("the benchmark started before its arguments were checked")

    monkeypatch.setattr(bench, "chunked_standalone", never)
    monkeypatch.chdir(tmp_path)
    assert cli.main(["bench", "diehl_cook", "--data", "digits", *args]) == 2
    err = [line for line in capsys.readouterr().err.splitlines() if not line.startswith("warning:")]
    assert len(err) == 1 and err[0].startswith(message), err
    assert list(tmp_path.iterdir()) == []


def test_brian2_silent_hides_only_the_named_message_and_only_while_open():
    import brian2  # noqa: F401 - configures Brian2's loggers

    shown: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            shown.append(record.getMessage())

    collect, brian_logger = Collect(), logging.getLogger("brian2")
    brian_logger.addHandler(collect)
    try:
        hidden = logging.getLogger("brian2.monitors.statemonitor.cannot_check_statemonitor_indices")
        other = logging.getLogger("brian2.monitors.statemonitor.some_other_message")
        with logs.brian2_silent("cannot_check_statemonitor_indices"):
            hidden.warning("first message")
            other.warning("second message")
        hidden.warning("third message")
    finally:
        brian_logger.removeHandler(collect)
    assert shown == ["second message", "third message"]


def test_a_worker_process_does_not_repeat_a_warning_its_command_gave(capfd):
    """``snnlearn bench`` runs each row in a spawned process: the model's time-step warning, said
    once by the command, is not said again by every row (the level carries over too)."""
    with logs.once():
        warn("said by the command")
        bench.in_fresh_process(warn, "said by the command")
        bench.in_fresh_process(warn, "new in the worker")
        logs.configure(-2)
        bench.in_fresh_process(warn, "hidden by -qq")
    err = capfd.readouterr().err
    assert err.count("warning: said by the command") == 1
    assert err.count("warning: new in the worker") == 1
    assert "hidden by -qq" not in err

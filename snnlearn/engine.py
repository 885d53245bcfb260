"""Backends: which Brian2 device builds and runs a network, and where compiled programs live.

- ``runtime``: Brian2's runtime target (Cython when a compiler works, else NumPy;
  ``SNNLEARN_CODEGEN`` overrides);
- ``standalone``: ``cpp_standalone``, generated and compiled once per network into a cached,
  locked build folder (``SNNLEARN_BUILD_DIR``), then re-run by :class:`snnlearn.session.Session`,
  which carries the whole state from run to run.

:func:`backend_session` selects the device for building one network and resets it afterwards;
:func:`resolve_backend` falls back from standalone to runtime (one warning) without a compiler.
"""

from __future__ import annotations

import contextlib
import fcntl
import gc
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import brian2
from brian2 import device, prefs, set_device

from . import config
from .errors import ConfigError, warn


def compiler_available() -> bool:
    """True when a C++ compiler is on the PATH (needed by Cython and standalone)."""
    return shutil.which(os.environ.get("CXX", "g++")) is not None or shutil.which("c++") is not None


def resolve_backend(name: str, explicit: bool) -> str:
    """Fall back from standalone to runtime (one warning) when no compiler is there.

    When standalone was asked for explicitly, that is an error instead.
    """
    if name == "standalone" and not compiler_available():
        if explicit:
            raise ConfigError(
                "--backend",
                "standalone needs a C++ compiler and none was found (g++/c++)",
                "install one or use --backend runtime",
            )
        warn("no C++ compiler found: running on the runtime backend (NumPy) instead of standalone")
        return "runtime"
    return name


#: brian2cuda releases and the one Brian2 version each requires (their metadata pins it exactly)
BRIAN2CUDA_PINS = {"1.0a6": "2.7.1", "1.0a7": "2.8.0", "1.0b1": "2.10.1"}


def check_cuda() -> None:
    """Refuse ``--backend cuda`` with one line saying why, before anything is built.

    A GPU backend would run Brian2's ``cuda_standalone`` device from the brian2cuda package.
    Every brian2cuda release pins one Brian2 version (:data:`BRIAN2CUDA_PINS`) and none pins
    this project's Brian2 (2.9.0, the last for Python 3.11 with ``numpy<2.4``), so the package
    cannot be installed beside it; the session's exact state carry (spikes in flight, random
    streams) has also not been ported to that device. The error names what is missing.
    """
    import importlib.util

    import brian2

    if importlib.util.find_spec("brian2cuda") is None:
        pins = ", ".join(f"{release} needs Brian2 {version}" for release, version in BRIAN2CUDA_PINS.items())
        raise ConfigError(
            "--backend",
            f"cuda needs the brian2cuda package, which is not installed; no release fits Brian2 "
            f"{brian2.__version__} ({pins})",
            "use --backend standalone (compiled C++) or runtime",
        )
    raise ConfigError(
        "--backend",
        "cuda: brian2cuda is installed, but snnlearn's sessions (state carried across chunks) run on "
        "runtime and cpp_standalone only",
        "use --backend standalone (compiled C++) or runtime",
    )


def codegen_target() -> str:
    """Brian2's ``auto`` (Cython when it compiles, else NumPy); ``SNNLEARN_CODEGEN`` overrides."""
    forced = config.codegen_target()
    if forced and forced != "auto":
        return forced
    return "auto" if compiler_available() else "numpy"


def default_build_root() -> Path:
    """Where standalone builds are cached: ``SNNLEARN_BUILD_DIR`` or ``~/.cache/snnlearn/standalone``.

    See :func:`snnlearn.config.build_root`, which refuses a path that exists and is not a folder.
    """
    return config.build_root()


#: Brian2's default flag that keeps ``exp`` a scalar libm call (-ffast-math implies finite math only)
FINITE_MATH_OFF = "-fno-finite-math-only"
#: GCC vectorises a loop over arrays it cannot prove distinct only after run-time overlap checks,
#: at most 10 by default; a neuron update touching 8 arrays needs more, so its loop stayed scalar
ALIAS_CHECKS = "--param=vect-max-version-for-alias-checks=200"


#: linked with -ffast-math, the program starts with denormal numbers flushed to zero (FTZ/DAZ)
LINK_FLAGS = ("-ffast-math",)


def compile_flags(brian_flags: list[str]) -> list[str]:
    """The C++ flags of a standalone build: Brian2's, without ``-fno-finite-math-only``, with
    :data:`ALIAS_CHECKS`.

    With finite math, GCC vectorises ``exp`` (glibc's libmvec) in the per-neuron and per-synapse
    loops: the exponential-Euler membrane update and event-driven traces. Neither Brian2's
    generated code nor this project's NaN check relies on NaN or infinity tests inside the C++
    (the check reads the arrays in Python after each run), which ``tests/test_engine.py`` checks.
    A neuron update reads and writes about 8 arrays (``v``, ``g_e``, ``g_i``, ``theta``,
    ``lastspike``, ...); GCC vectorises its loop only when allowed more run-time overlap checks
    than its default 10: the Diehl & Cook excitatory update calls the scalar ``exp`` without
    :data:`ALIAS_CHECKS` and glibc's vector ``exp`` (8 lanes with AVX-512) with it (tested).
    """
    return [flag for flag in brian_flags if flag != FINITE_MATH_OFF] + [ALIAS_CHECKS]


@contextlib.contextmanager
def backend_session(backend: str, seed: int, *, key: str = "network") -> Iterator[Path | None]:
    """Select the Brian2 device for building and running one network, then reset it.

    ``key`` names the standalone build folder (one per network layout, reused across runs so
    that ``make`` recompiles nothing that did not change); concurrent runs with the same key
    get separate folders. Yields that folder (None for runtime).
    """
    # Objects of an earlier network in this process keep their names until collected; collect
    # them so that this network's generated code has the same names (and compiled objects can be
    # reused from the build folder).
    gc.collect()
    brian2.seed(seed)
    if backend == "runtime":
        set_device("runtime")
        prefs.codegen.target = codegen_target()
        try:
            yield None
        finally:
            prefs.codegen.target = "auto"
        return
    with _locked_build_dir(key) as directory:
        set_device("cpp_standalone", build_on_run=False, directory=str(directory))
        prefs.devices.cpp_standalone.openmp_threads = 0  # OpenMP was slower on 2 cores
        flags, link_flags = list(prefs.codegen.cpp.extra_compile_args_gcc), list(prefs.codegen.cpp.extra_link_args)
        prefs.codegen.cpp.extra_compile_args_gcc = compile_flags(flags)
        prefs.codegen.cpp.extra_link_args = [*link_flags, *LINK_FLAGS]
        # Brian2's default is an unbounded ``make -j``: dozens of compilers at once on a small machine
        prefs.devices.cpp_standalone.extra_make_args_unix = [f"-j{os.cpu_count() or 2}"]
        try:
            brian2.seed(seed)
            yield directory
        finally:
            prefs.codegen.cpp.extra_compile_args_gcc = flags
            prefs.codegen.cpp.extra_link_args = link_flags
            device.reinit()
            device.activate()
            set_device("runtime")


@contextlib.contextmanager
def _locked_build_dir(key: str) -> Iterator[Path]:
    root = default_build_root()
    root.mkdir(parents=True, exist_ok=True)
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in key)
    for attempt in range(64):
        directory = root / (safe if attempt == 0 else f"{safe}.{attempt}")
        directory.mkdir(exist_ok=True)
        handle = open(directory / ".lock", "w")  # noqa: SIM115 - held for the whole session
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            continue
        try:
            yield directory
        finally:
            handle.close()
        return
    raise RuntimeError(f"no free standalone build folder for {key} under {root}")

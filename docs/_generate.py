"""Write the generated pages of the documentation: one per rule, neuron model and experiment.

Called by ``conf.py`` at the start of every build, so the pages always follow the code: a rule's
page shows its docstring, its Brian2 code with the default parameters and a parameter table
read from the rule's dataclass fields (default, unit, constraint, meaning); a neuron model's page
the same for :data:`snnlearn.neurons.NEURONS`; an experiment's page its docstring (the question
and what it reproduces), the command that runs it, its parameters, its model file, and the figures
and headline metrics of a ``--quick`` run kept in ``docs/figures/NAME/`` (written by
``docs/make_figures.py``). The comparison page shows the table and learning curves of a quick
``snnlearn compare`` kept in ``docs/figures/compare/``.
"""

from __future__ import annotations

import dataclasses
import inspect
import io
import json
import re
import sys
from pathlib import Path

from brian2.units.fundamentalunits import DIMENSIONLESS, Quantity, get_dimensions

HERE = Path(__file__).resolve().parent
OUT = HERE / "generated"
#: the committed results the pages show: ``NAME/`` per experiment and ``compare/`` (make_figures.py)
FIGURES = HERE / "figures"
COMPARE = "compare"
REGENERATE = "python docs/make_figures.py"


def _title(text: str, under: str = "=") -> str:
    return f"{text}\n{under * len(text)}\n"


def _indent(text: str, by: str = "   ") -> str:
    return "\n".join(by + line if line.strip() else "" for line in text.splitlines())


def _code(text: str, language: str = "text", strip: bool = False) -> str:
    text = "\n".join(line.strip() for line in text.splitlines() if line.strip()) if strip else inspect.cleandoc(text)
    return f".. code-block:: {language}\n\n{_indent(text)}\n"


def _unit(value) -> str:
    if isinstance(value, Quantity) and get_dimensions(value) is not DIMENSIONLESS:
        return str(value.get_best_unit())
    if isinstance(value, bool):
        return "true / false"
    if isinstance(value, str):
        return "text"
    return "1"


def _constraint(meta) -> str:
    if meta.get("choices"):
        return "one of " + ", ".join(f"``{c}``" for c in meta["choices"])
    if meta.get("positive"):
        return "> 0"
    if meta.get("nonnegative"):
        return ">= 0"
    return ""


def _cell(text: str) -> str:
    return text if text else " "


def parameter_table(cls) -> str:
    """A list-table of a Params class's fields: name, default, unit, constraint, meaning."""
    rows = ["name", "default", "unit", "allowed", "meaning"]
    lines = [".. list-table::", "   :header-rows: 1", "   :widths: 15 15 10 20 40", ""]
    lines += [f"   {'*' if i == 0 else ' '} - {h}" for i, h in enumerate(rows)]
    for f in dataclasses.fields(cls):
        meta = f.metadata
        default = meta.get("default", f.default)
        cells = [f"``{f.name}``", f"``{default!s}``", _unit(default), _constraint(meta), meta.get("doc", "")]
        lines += [f"   {'*' if i == 0 else ' '} - {_cell(c)}" for i, c in enumerate(cells)]
    return "\n".join(lines) + "\n"


_SPHINX_ROLE = re.compile(r":[a-z:]+:`([^`]*)`")


def _prose(text: str) -> str:
    """A docstring as reStructuredText when docutils reads it cleanly, else as a literal block.

    Docstrings are written for readers of the code first; one that is not valid reST (``|x|``
    read as a substitution, a ragged table) is shown verbatim rather than failing the build.
    """
    import docutils.core

    probe = _SPHINX_ROLE.sub(r"``\1``", text)  # Sphinx roles are unknown to plain docutils
    stream = io.StringIO()
    try:
        docutils.core.publish_doctree(
            probe, settings_overrides={"report_level": 2, "halt_level": 5, "warning_stream": stream}
        )
    except Exception:
        return _code(text)
    return _code(text) if stream.getvalue().strip() else text + "\n"


def _first_line(doc: str | None) -> str:
    return inspect.cleandoc(doc or "").split("\n\n")[0].replace("\n", " ")


def rule_page(name: str, cls) -> str:
    from snnlearn.api import code_of
    from snnlearn.rules import make_rule

    rule = make_rule({"name": name}, name)
    code = code_of(rule)
    module = sys.modules[cls.__module__]
    parts = [
        f".. _rule-{name}:\n",
        _title(f"{name}"),
        _first_line(cls.__doc__) + "\n",
        f":Reference: {cls.reference}",
        f":Class: ``{cls.__module__}.{cls.__qualname__}``",
        f":Module: :mod:`{cls.__module__}`\n",
        _title("Equations", "-"),
        "The rule's Brian2 code with its default parameters; the builder composes it with the synapse's "
        "effect (``on_pre`` = effect + the rule's presynaptic statements):\n",
        "``model``\n",
        _code(code.model, strip=True),
        "``on_pre``\n",
        _code(code.on_pre or "(nothing)", strip=True),
        "``on_post``\n",
        _code(code.on_post or "(nothing)", strip=True),
    ]
    if code.update:
        parts += [f"Every ``update_period`` ({code.update_period}):\n", _code(code.update)]
    parts += [
        _title("Parameters", "-"),
        parameter_table(cls),
        _title("Use", "-"),
        "On your own Brian2 groups (see :doc:`../../tutorial`):\n",
        _code(_usage(name, code.needs_modulator), "python"),
        "In a model file, in a ``[synapses.NAME]`` table:\n",
        _code(f'rule = {{ name = "{name}" }}   # plus any parameter, e.g. a_plus = 0.01', "toml"),
        _title("Description", "-"),
        _prose(inspect.cleandoc(module.__doc__ or "")),
    ]
    return "\n".join(parts)


def _usage(name: str, modulated: bool) -> str:
    extra = ', dopamine=(reward, "DA")' if modulated else ""
    return (
        f'syn = snnlearn.plastic_synapses(inputs, neurons, "{name}", on_pre="g_e_post += 0.05 * w"{extra})\n'
        "syn.connect()\nsyn.w = 0.5"
    )


def neuron_page(name: str, cls) -> str:
    model = cls()
    parts = [
        f".. _neuron-{name}:\n",
        _title(name),
        _first_line(cls.__doc__) + "\n",
        f":Class: ``{cls.__module__}.{cls.__qualname__}``",
        f":Input variables: {', '.join(f'``{v}``' for v in cls.input_variables)}",
        f":Integration: ``{cls.method}``\n",
        _title("Equations", "-"),
        _code(model.equations(), strip=True),
        f"Threshold ``{model.threshold}``; reset ``{model.reset}``; refractory period "
        f"``{model.refractory}``; initial values "
        + ", ".join(f"``{k} = {v}``" for k, v in model.initial().items())
        + ".\n",
        _title("Parameters", "-"),
        parameter_table(cls),
        _title("Use", "-"),
        _code(f'group = snnlearn.neuron_group("{name}", 10)   # any parameter as a keyword', "python"),
        "In a model file:\n",
        _code(f'[groups.NAME]\nneuron = "{name}"\nn = 10\nparams = {{ }}', "toml"),
    ]
    doc = inspect.cleandoc(cls.__doc__ or "").split("\n\n", 1)
    if len(doc) > 1:
        parts += [_title("Description", "-"), _prose(doc[1])]
    return "\n".join(parts)


_REST_SPECIAL = re.compile(r"([\\`*_|<>\[\]])")
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_|<>\[\]#])")


def escape_rest(text: str) -> str:
    """``text`` with reStructuredText's inline markup characters backslash-escaped (shown as typed)."""
    return _REST_SPECIAL.sub(r"\\\1", " ".join(text.split()))


def escape_markdown(text: str) -> str:
    """``text`` with Markdown's inline markup characters backslash-escaped (shown as typed)."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", " ".join(text.split()))


def read_json(path: Path) -> dict:
    """A JSON object from ``path``; {} when the file is missing, unreadable or not an object."""
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def format_value(value) -> str:
    """A metric's value for a table: 4 significant digits for a float, true/false for a bool, none."""
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def metrics_table(metrics: dict) -> str:
    """A list-table of a run's headline metrics (name, value)."""
    lines = [".. list-table::", "   :header-rows: 1", "   :widths: 50 50", "", "   * - metric", "     - value"]
    for key, value in metrics.items():
        lines += [f"   * - ``{key}``", f"     - {_cell(escape_rest(format_value(value)))}"]
    return "\n".join(lines) + "\n"


def figure_paths(text: str) -> list[str]:
    """The image paths of a page's ``figure`` directives (reST or MyST), as written.

    A path starting with ``/`` is relative to the documentation's folder (``docs/``).
    """
    return re.findall(r"^\s*(?:\.\. figure::|```\{figure\})\s+(\S+)\s*$", text, flags=re.MULTILINE)


def _provenance(source: dict) -> str:
    """``at commit X (snnlearn V, backend B, T s)`` of a ``source.json``."""
    commit = source.get("git_commit")
    where = f"at commit ``{commit[:12]}``" if commit else "outside a git checkout"
    if source.get("git_dirty"):
        where += " with uncommitted changes"
    details = [f"snnlearn {source['version']}" if source.get("version") else ""]
    details += [f"backend {source['backend']}" if source.get("backend") else ""]
    details += [f"{source['wall_time_s']:g} s" if isinstance(source.get("wall_time_s"), int | float) else ""]
    details = [d for d in details if d]
    return f"{where} ({', '.join(details)})" if details else where


def _no_figures(name: str, source: dict) -> str:
    """What an experiment page says when no figures of it are committed."""
    if source.get("status") == "failed":
        return (
            f"No figures of this experiment are committed: its last quick run (``{source.get('command', '')}``, "
            f"{_provenance(source)}) failed:\n\n{_code(str(source.get('error', 'no message')))}\n"
            f"``{REGENERATE} {name}`` runs it again.\n"
        )
    return f"No figures of this experiment are committed yet; ``{REGENERATE} {name}`` makes them.\n"


def figures_section(name: str, figures: Path = FIGURES) -> str:
    """The figures and headline metrics of an experiment's committed ``--quick`` run.

    Parameters
    ----------
    name
        The experiment.
    figures
        The folder holding one folder of results per experiment.

    Returns
    -------
    str
        reST: a note on the run that made them (command, seed, commit) and how to regenerate
        them, each figure with its caption, and the metrics; or a note that there are none.
    """
    folder = figures / name
    source = read_json(folder / "source.json")
    captions = read_json(folder / "figures.json")
    parts = [_title("Figures of a quick run", "-")]
    if source.get("status") != "ok" or not captions:
        return "\n".join([*parts, _no_figures(name, source)])
    parts.append(
        f"These figures and numbers come from a ``--quick`` run, reduced so that it takes seconds to "
        f"minutes: they show what the experiment computes, not the full reproduction's results. "
        f"Command: ``{source.get('command', f'snnlearn run {name} --quick')}`` {_provenance(source)}. "
        f"Regenerate them with ``{REGENERATE} {name}``.\n"
    )
    for file, caption in captions.items():
        alt = " ".join(str(caption).split()) or file
        parts.append(f".. figure:: /figures/{name}/{file}\n   :alt: {alt}\n\n   {escape_rest(alt)}\n")
    metrics = read_json(folder / "metrics.json")
    if metrics:
        parts += [
            _title("Headline metrics of the quick run", "-"),
            "The scalar results of that run's ``metrics.json`` (a dict of them under dotted names; curves, "
            "intervals and per-seed lists are left out):\n",
            metrics_table(metrics),
        ]
    return "\n".join(parts)


def experiment_page(name: str) -> str:
    from snnlearn.experiment import describe, load_experiment, models_dir
    from snnlearn.results import to_jsonable

    module = load_experiment(name)
    doc = inspect.cleandoc(module.__doc__ or "")
    rest = doc.split("\n", 1)[1].strip() if "\n" in doc else ""
    parts = [
        f".. _experiment-{name}:\n",
        _title(name),
        f"**{describe(module)}**\n",
        _title("Run it", "-"),
        _code(
            f"snnlearn run {name} --quick      # reduced, seconds to minutes\n"
            f"snnlearn run {name}              # the full reproduction\n"
            f"snnlearn run {name} --help       # paper, targets and parameters",
            "bash",
        ),
        _prose(rest),
        figures_section(name),
        _title("Parameters", "-"),
        "Defaults (``--set KEY=VALUE`` overrides any of them):\n",
        _code(json.dumps(to_jsonable(getattr(module, "PARAMS", {})), indent=2), "json"),
    ]
    quick = getattr(module, "QUICK", None)
    if quick:
        parts += ["``--quick`` sets:\n", _code(json.dumps(to_jsonable(quick), indent=2), "json")]
    model = getattr(module, "MODEL", None)
    if model:
        path = models_dir() / f"{model}.toml"
        parts += [
            _title("Model file", "-"),
            f"``models/{model}.toml`` (``--model FILE`` swaps it):\n",
            _code(path.read_text(), "toml"),
        ]
    return "\n".join(parts)


def _index(title: str, intro: str, folder: str, names: list[str]) -> str:
    entries = "\n".join(f"   {folder}/{n}" for n in names)
    return f"{_title(title)}\n{intro}\n\n.. toctree::\n   :maxdepth: 1\n\n{entries}\n"


def _comparison_origin(source: dict) -> str:
    """How the committed comparison was made and how to make it again (MyST)."""
    seeds = source.get("seeds", "0-1")
    command = source.get("command", f"snnlearn compare --quick --seeds {seeds} --out DIR")
    commit = source.get("git_commit")
    at = f" at commit `{commit[:12]}`" if commit else ""
    return (
        f"The table below comes from the quick setting (`--quick`: small networks and short training, so its "
        f"numbers are not those of the full runs), with seeds {seeds}: `{command}`{at}. Regenerate it with "
        f"`{REGENERATE} --compare --no-experiments`, which runs `snnlearn compare --quick --seeds {seeds}` and "
        "copies its `comparison.md` and figure into `docs/figures/compare/`; `snnlearn compare` without "
        "`--quick` runs the full comparison (5 seeds).\n"
    )


def comparison_page(figures: Path = FIGURES) -> str:
    """The comparison page (MyST Markdown): the committed quick comparison's table and figure.

    Parameters
    ----------
    figures
        The folder holding ``compare/`` (``comparison.md``, ``accuracy_vs_examples.png``,
        ``figures.json``, ``source.json``).

    Returns
    -------
    str
        The page: how the table was produced and how to regenerate it, the table, the figure;
        or a note that no comparison is committed.
    """
    folder = figures / COMPARE
    source = read_json(folder / "source.json")
    table = folder / "comparison.md"
    parts = [
        "# Learning rules compared\n",
        "Every learning rule of the project on shared tasks (digits, reward-driven choice, cue accumulation), "
        "side by side: accuracy per seed, examples to criterion and what each rule needs (weight transport, "
        "a global error, a reward), made by `snnlearn compare` ({mod}`snnlearn.compare`, "
        "{mod}`snnlearn.report`).\n",
    ]
    if not table.is_file():
        parts.append(f"No comparison is committed yet; `{REGENERATE} --compare --no-experiments` makes one.\n")
        return "\n".join(parts)
    parts.append(_comparison_origin(source))
    parts.append(table.read_text().strip() + "\n")
    for file, caption in read_json(folder / "figures.json").items():
        alt = " ".join(str(caption).split()) or file
        parts.append(f"```{{figure}} /figures/{COMPARE}/{file}\n:alt: {alt}\n\n{escape_markdown(alt)}\n```\n")
    return "\n".join(parts)


def pages() -> dict[str, str]:
    """Every generated page: ``{path relative to docs/generated: text}``."""
    from snnlearn import neurons
    from snnlearn.experiment import available_experiments
    from snnlearn.neurons import NEURONS
    from snnlearn.rules import RULES

    texts = {}
    for name, cls in sorted(RULES.items()):
        texts[f"rules/{name}.rst"] = rule_page(name, cls)
    for name, cls in NEURONS.items():
        texts[f"neurons/{name}.rst"] = neuron_page(name, cls)
    experiments = available_experiments()
    for name in experiments:
        texts[f"experiments/{name}.rst"] = experiment_page(name)
    texts["rules.rst"] = _index(
        "Plasticity rules",
        "Each rule is defined once (:mod:`snnlearn.rules`) and works "
        "on any synapses: in a model file or through :func:`snnlearn.plastic_synapses`.",
        "rules",
        sorted(RULES),
    )
    texts["neurons.rst"] = _index(
        "Neuron models", _prose(inspect.cleandoc(neurons.__doc__ or "")), "neurons", list(NEURONS)
    )
    texts["experiments.rst"] = _index(
        "Experiments",
        "One script per question; each writes figures and ``metrics.json`` into ``results/NAME/RUN/``. "
        "Each page shows the figures and headline metrics of a ``--quick`` run of its experiment "
        f"(``{REGENERATE}`` regenerates them).",
        "experiments",
        experiments,
    )
    texts["comparison.md"] = comparison_page()
    return texts


def generate(out: Path = OUT) -> int:
    """Write every generated page into ``out``; returns how many.

    Parameters
    ----------
    out
        The folder of the generated pages (``docs/generated``).

    Returns
    -------
    int
        The number of pages.
    """
    texts = pages()
    for relative, text in texts.items():
        path = out / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.is_file() or path.read_text() != text:  # unchanged pages keep Sphinx's cache valid
            path.write_text(text)
    return len(texts)


if __name__ == "__main__":
    print(generate(), "pages written to", OUT)

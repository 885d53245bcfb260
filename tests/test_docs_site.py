"""The documentation site's generated pages: every experiment has one, their figures exist, the
comparison page has its table (no experiment is run; the pages are generated in memory)."""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
FIGURES = DOCS / "figures"


def _load_generator():
    spec = importlib.util.spec_from_file_location("docs_generate", DOCS / "_generate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def generator():
    return _load_generator()


@pytest.fixture(scope="module")
def pages(generator):
    return generator.pages()


def _image(page: str, path: str) -> Path:
    """Where a figure path of a generated page points (``/x`` is relative to docs/)."""
    if path.startswith("/"):
        return DOCS / path.lstrip("/")
    return (DOCS / "generated" / page).parent / path


def test_every_experiment_has_a_page(pages):
    experiments = sorted(p.stem for p in (ROOT / "experiments").glob("*.py") if not p.name.startswith("_"))
    assert len(experiments) >= 18
    assert [name for name in experiments if f"experiments/{name}.rst" not in pages] == []
    index = pages["experiments.rst"]
    assert [name for name in experiments if f"experiments/{name}\n" not in index] == []


def test_every_referenced_figure_exists(pages, generator):
    referenced = {page: generator.figure_paths(text) for page, text in pages.items()}
    missing = [(page, path) for page, paths in referenced.items() for path in paths if not _image(page, path).is_file()]
    assert missing == []
    assert sum(map(len, referenced.values())) > 0, "no page shows a figure"


def test_every_committed_figure_is_listed_and_shown(pages, generator):
    shown = {_image(page, path).resolve() for page, text in pages.items() for path in generator.figure_paths(text)}
    for folder in sorted(p for p in FIGURES.iterdir() if p.is_dir()):
        captions = json.loads((folder / "figures.json").read_text()) if (folder / "figures.json").is_file() else {}
        pngs = sorted(p.name for p in folder.glob("*.png"))
        assert sorted(captions) == pngs, folder.name
        assert [p for p in pngs if (folder / p).resolve() not in shown] == [], folder.name
        source = json.loads((folder / "source.json").read_text())
        assert source["quick"] is True and "--quick" in source["command"], folder.name


def test_experiment_without_figures_gets_a_note(generator, tmp_path):
    text = generator.figures_section("stdp_window", figures=tmp_path)
    assert "No figures of this experiment are committed" in text
    assert generator.figure_paths(text) == []
    (tmp_path / "stdp_window").mkdir()
    failed = {"status": "failed", "command": "snnlearn run stdp_window --quick", "error": "it broke", "quick": True}
    (tmp_path / "stdp_window" / "source.json").write_text(json.dumps(failed))
    assert "it broke" in generator.figures_section("stdp_window", figures=tmp_path)


def test_comparison_page_has_a_table(pages):
    assert "generated/comparison" in (DOCS / "index.md").read_text()
    page = pages["comparison.md"]
    assert "snnlearn compare --quick --seeds" in page
    rows = [line for line in page.splitlines() if line.startswith("|")]
    assert len(rows) >= 3, "a header, a separator and at least one row"
    assert re.fullmatch(r"\|(-+\|)+", rows[1].replace(" ", ""))
    assert (FIGURES / "compare" / "comparison.md").is_file()


def test_captions_are_escaped(generator):
    text = generator.escape_rest("a_b *c* `d` |e|")
    assert text == r"a\_b \*c\* \`d\` \|e\|"

"""What each saved figure of a run shows, in words, for captions (``figures.json``).

:meth:`snnlearn.experiment.RunContext.savefig` records, for every PNG, the figure's titles and
axis labels (:func:`describe_figure`) in the run folder's ``figures.json``; the comparison
report (:mod:`snnlearn.report`) captions each image with it (:func:`read_captions`). A run
written before this existed has no ``figures.json``: its captions fall back to the file name.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .results import atomic_write_json

CAPTIONS_FILE = "figures.json"


def describe_figure(fig: Any) -> str:
    """``suptitle: title (y against x); title (y against x)`` of a matplotlib figure."""
    parts = []
    suptitle = getattr(fig, "_suptitle", None)
    head = suptitle.get_text().strip() if suptitle is not None else ""
    for ax in fig.get_axes():
        if getattr(ax, "_colorbar", None) is not None:
            continue  # a colour bar's label belongs to its panel
        title, x, y = (" ".join(text.split()) for text in (ax.get_title(), ax.get_xlabel(), ax.get_ylabel()))
        axes = f"{y} against {x}" if x and y else (y or x)
        if not (title or axes):
            continue  # a colour bar or an empty panel
        parts.append(f"{title} ({axes})" if title and axes else title or axes)
    text = "; ".join(dict.fromkeys(parts))  # panels that repeat one description once
    return f"{head}: {text}" if head and text else head or text


def record_figure(folder: Path, name: str, description: str) -> Path:
    """Add ``name: description`` to ``folder/figures.json`` (written atomically)."""
    captions = read_captions(folder)
    captions[name] = description
    return atomic_write_json(Path(folder) / CAPTIONS_FILE, captions)


def read_captions(folder: Path) -> dict[str, str]:
    """``{figure file name: what it shows}`` of a run folder ({} when it has none or it is unreadable)."""
    path = Path(folder) / CAPTIONS_FILE
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def caption_of(folder: Path, name: str) -> str:
    """What figure ``name`` of the run in ``folder`` shows (its file name in words if unrecorded)."""
    return read_captions(folder).get(name) or Path(name).stem.replace("_", " ")

"""MkDocs hook: list the Jupyter notebooks in examples/notebooks/ on the Notebooks page, at build time.

``docs/notebooks.md`` contains the marker ``<!-- notebooks -->``; it is replaced by one list item per
``examples/notebooks/*.ipynb`` (in file-name order) with the notebook's title, its first Markdown heading.
The page stays correct as notebooks are added or renamed, and says so when there are none yet.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

log = logging.getLogger("mkdocs.plugins.notebooks")

MARKER = "<!-- notebooks -->"


def _title(path: Path) -> str:
    try:
        cells = json.loads(path.read_text(encoding="utf-8")).get("cells", [])
    except (OSError, ValueError) as e:
        log.warning(f"notebooks: cannot read {path}: {e}")
        return path.stem
    for cell in cells:
        if cell.get("cell_type") == "markdown":
            source = cell.get("source", "")
            for line in source if isinstance(source, list) else source.splitlines():
                if line.lstrip().startswith("#"):
                    return line.strip().lstrip("#").strip()
    return path.stem


def notebook_list(folder: Path) -> str:
    notebooks = sorted(folder.glob("*.ipynb"))
    if not notebooks:
        return "*No notebooks yet: they will appear here as they are added to `examples/notebooks/`.*"
    return "\n".join(f"- `examples/notebooks/{p.name}`: {_title(p)}" for p in notebooks)


def on_page_markdown(markdown: str, page: Any, config: Any, **kwargs: Any) -> str:
    if MARKER not in markdown:
        return markdown
    root = Path(config.config_file_path).parent
    return markdown.replace(MARKER, notebook_list(root / "examples" / "notebooks"))

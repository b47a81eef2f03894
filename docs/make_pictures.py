"""Regenerate the pictures embedded in the docs (``docs/images/``).

Run from the repository root: ``python docs/make_pictures.py`` (all pictures) or ``python docs/make_pictures.py
graph_neuron`` (some). The graph pictures need Graphviz's ``dot`` program. Each picture is one function in
``PICTURES`` that writes one file; the pictures are small SVGs, committed with the docs.
"""

import runpy
import sys
from collections.abc import Callable
from pathlib import Path

import tinygrad_edu as tg

ROOT = Path(__file__).resolve().parents[1]
IMAGES = ROOT / "docs" / "images"
GRAPH_EXAMPLE = ROOT / "examples" / "visualize_graph.py"


def _graph_example() -> dict:
    """The neuron and the MLP loss of examples/visualize_graph.py: the docs show what the example draws."""
    return runpy.run_path(str(GRAPH_EXAMPLE))


def graph_neuron(out: Path) -> Path:
    neuron = _graph_example()["neuron"]()
    return tg.viz.save_graph(neuron, out / "graph_neuron.svg", show_backward_order=True)


def graph_mlp(out: Path) -> Path:
    loss = _graph_example()["mlp_loss"]()
    return tg.viz.save_graph(loss, out / "graph_mlp.svg", rankdir="TB")  # tall rather than very wide


def graph_mlp_collapsed(out: Path) -> Path:
    loss = _graph_example()["mlp_loss"]()
    return tg.viz.save_graph(loss, out / "graph_mlp_collapsed.svg", collapse_modules=True)


PICTURES: dict[str, Callable[[Path], Path]] = {
    "graph_neuron": graph_neuron,
    "graph_mlp": graph_mlp,
    "graph_mlp_collapsed": graph_mlp_collapsed,
}


def main(names: list[str] | None = None, out: Path = IMAGES) -> list[Path]:
    unknown = sorted(set(names or []) - set(PICTURES))
    if unknown:
        raise SystemExit(f"unknown picture(s) {unknown}; choose from {sorted(PICTURES)}")
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name in names or list(PICTURES):
        path = PICTURES[name](out)
        print(f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}: {path.stat().st_size / 1024:.0f} KB")
        written.append(path)
    return written


if __name__ == "__main__":
    main(sys.argv[1:])

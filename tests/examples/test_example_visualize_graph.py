"""examples/visualize_graph.py: writes the neuron, MLP and collapsed-MLP pictures (SVG, or DOT without Graphviz)."""

import runpy
import shutil
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "visualize_graph.py"


def read(path: Path) -> str:
    return path.read_text(encoding="utf-8").replace("&#45;", "-")  # dot writes minus signs as &#45; in SVG


def check_pictures(written: dict, suffix: str) -> None:
    assert sorted(written) == ["mlp", "mlp_collapsed", "neuron"]
    assert all(path.suffix == suffix and path.stat().st_size > 1000 for path in written.values())
    neuron = read(written["neuron"])
    # micrograd's neuron: o = tanh(2 * -3 + 0 * 1 + 6.8814) = 0.7071, do/dx1 = w1 (1 - o^2) = -1.5, do/dw1 = 1
    for text in ("data 0.7071", "grad -1.5", "grad 1", "backward #1", "tanh"):
        assert text in neuron, text
    mlp = read(written["mlp"])
    for text in ("layers.0.weight", "layers.2.bias", "crossentropy", "linear", "relu", "(16, 4) float32"):
        assert text in mlp, text
    collapsed = read(written["mlp_collapsed"])
    for text in ("Linear(4→8)", "ReLU", "Linear(8→3)", "MLP"):
        assert text in collapsed, text
    assert ">linear<" not in collapsed  # the op's label (the box's title is "Linear(4→8)")


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")
def test_example_writes_svg_pictures(tmp_path, capsys):
    written = runpy.run_path(str(EXAMPLE))["main"](tmp_path / "out")
    check_pictures(written, ".svg")
    assert all(path.read_text(encoding="utf-8").lstrip().startswith("<?xml") for path in written.values())
    assert "15 nodes" in capsys.readouterr().out  # the neuron: 10 tensors and 5 ops


def test_example_writes_dot_text_without_graphviz(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    written = runpy.run_path(str(EXAMPLE))["main"](tmp_path / "out")
    check_pictures(written, ".dot")
    assert all(path.read_text(encoding="utf-8").startswith("digraph") for path in written.values())
    assert "apt-get install graphviz" in capsys.readouterr().out

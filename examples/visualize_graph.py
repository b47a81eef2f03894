"""Draw computation graphs: a single neuron (micrograd's example) and the loss of a small MLP.

Run: ``python examples/visualize_graph.py [out_dir]`` (default ``graphs/``). Writes SVG files when
Graphviz's ``dot`` program is installed, otherwise the DOT text (``.dot`` files: render them later with
``dot -Tsvg file.dot -o file.svg`` or paste them into an online Graphviz viewer).

In Jupyter, ``tg.viz.draw_graph(loss)`` as the last line of a cell shows the picture inline.
"""

import shutil
import sys
from pathlib import Path

import numpy as np

import tinygrad_edu as tg


def neuron() -> tg.Tensor:
    """o = tanh(x1 w1 + x2 w2 + b), with every intermediate value named and its gradient kept."""
    x1 = tg.Tensor(2.0, requires_grad=True, name="x1")
    x2 = tg.Tensor(0.0, requires_grad=True, name="x2")
    w1 = tg.Tensor(-3.0, requires_grad=True, name="w1")
    w2 = tg.Tensor(1.0, requires_grad=True, name="w2")
    b = tg.Tensor(6.8813735870195432, requires_grad=True, name="b")
    x1w1 = x1 * w1
    x2w2 = x2 * w2
    s = x1w1 + x2w2
    n = s + b
    o = n.tanh()
    for t, name in ((x1w1, "x1*w1"), (x2w2, "x2*w2"), (s, "x1*w1 + x2*w2"), (n, "n"), (o, "o")):
        t.name = name
    tg.viz.retain_grads(o)  # intermediate tensors keep .grad too, so every box shows its gradient
    o.backward()
    return o


def mlp_loss(seed: int = 0) -> tg.Tensor:
    """Cross-entropy of an MLP(4 -> 8 -> 3) on 16 random samples, recorded with its module calls."""
    tg.manual_seed(seed)
    rng = np.random.default_rng(seed)
    model = tg.nn.MLP([4, 8, 3])
    X = tg.Tensor(rng.normal(size=(16, 4)), dtype=np.float32, name="X")
    y = rng.integers(0, 3, size=16)
    with tg.viz.trace_modules():  # remembers which module call made which tensor, for collapse_modules=True
        loss = tg.nn.functional.cross_entropy(model(X), y)
    loss.name = "loss"
    loss.backward()
    return loss


def main(out_dir: str | Path = "graphs") -> dict[str, Path]:
    """Write the three pictures into ``out_dir``; returns {picture name: file written}."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    suffix = ".svg" if shutil.which("dot") else ".dot"
    if suffix == ".dot":
        print("Graphviz's `dot` was not found: writing DOT text instead of SVG (" + tg.viz.INSTALL_HINT + ")")
    loss = mlp_loss()
    pictures = {
        "neuron": tg.viz.draw_graph(neuron(), show_backward_order=True),
        "mlp": tg.viz.draw_graph(loss),
        "mlp_collapsed": tg.viz.draw_graph(loss, collapse_modules=True),
    }
    written = {}
    for name, graph in pictures.items():
        written[name] = tg.viz.save_graph(graph, out / f"{name}{suffix}")
        print(f"{written[name]}: {graph.num_nodes} nodes")
    return written


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "graphs")

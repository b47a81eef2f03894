"""Pictures: the computation graph (graphviz) and training (matplotlib).

>>> import tinygrad_edu as tg
>>> w = tg.Tensor([1.0, 2.0], requires_grad=True, name="w")
>>> graph = tg.viz.draw_graph((w * w).sum())     # a graphviz.Digraph: shown inline in Jupyter
>>> tg.viz.save_graph(graph, "graph.svg")        # doctest: +SKIP

Training pictures (``plot_loss_curves``, ``plot_convergence``, ``plot_trajectories``, ``plot_lr_sweep``,
``plot_stability``, ``plot_parameter_updates``) take Histories from ``tg.train.fit`` or the Comparison from
``tg.train.compare`` and return a matplotlib Figure: ``fig.savefig("loss.png")``, or the last line of a
Jupyter cell. Curvature pictures (``plot_optimizer_paths``, ``plot_lr_bound``, ``plot_rate_vs_condition``,
``plot_hessian_spectrum``) show how the Hessian of the loss shapes what optimisers do.

The submodules are imported on first use (PEP 562 ``__getattr__``), so ``import tinygrad_edu`` loads neither
graphviz nor matplotlib: each is imported when a graph or a plot is first drawn.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .curvature import (
        optimizer_paths,
        plot_hessian_spectrum,
        plot_lr_bound,
        plot_optimizer_paths,
        plot_rate_vs_condition,
    )
    from .graph import (
        INSTALL_HINT,
        ComputationGraph,
        GraphvizNotFoundError,
        backward_order,
        draw_graph,
        retain_grads,
        save_graph,
        trace_modules,
    )
    from .plots import (
        CLOCKS,
        MATPLOTLIB_HINT,
        plot_convergence,
        plot_loss_curves,
        plot_lr_sweep,
        plot_parameter_updates,
        plot_stability,
        plot_trajectories,
    )

# public name -> submodule that defines it
_LAZY = {
    "draw_graph": "graph",
    "save_graph": "graph",
    "trace_modules": "graph",
    "retain_grads": "graph",
    "backward_order": "graph",
    "ComputationGraph": "graph",
    "GraphvizNotFoundError": "graph",
    "INSTALL_HINT": "graph",
    "plot_loss_curves": "plots",
    "plot_convergence": "plots",
    "plot_trajectories": "plots",
    "plot_lr_sweep": "plots",
    "plot_stability": "plots",
    "plot_parameter_updates": "plots",
    "CLOCKS": "plots",
    "MATPLOTLIB_HINT": "plots",
    "optimizer_paths": "curvature",
    "plot_optimizer_paths": "curvature",
    "plot_lr_bound": "curvature",
    "plot_rate_vs_condition": "curvature",
    "plot_hessian_spectrum": "curvature",
}

__all__ = [
    "draw_graph",
    "save_graph",
    "trace_modules",
    "retain_grads",
    "backward_order",
    "ComputationGraph",
    "GraphvizNotFoundError",
    "INSTALL_HINT",
    "plot_loss_curves",
    "plot_convergence",
    "plot_trajectories",
    "plot_lr_sweep",
    "plot_stability",
    "plot_parameter_updates",
    "CLOCKS",
    "MATPLOTLIB_HINT",
    "optimizer_paths",
    "plot_optimizer_paths",
    "plot_lr_bound",
    "plot_rate_vs_condition",
    "plot_hessian_spectrum",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value  # later look-ups skip this function
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))

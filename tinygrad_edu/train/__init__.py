r"""Training: the ``fit`` loop, stopping conditions, callbacks, ``History`` and ``compare``.

>>> import tinygrad_edu as tg
>>> X, y, _ = tg.data.make_linear_regression(64, 2, noise=0.1, seed=0)
>>> _ = tg.manual_seed(0)
>>> model = tg.nn.Linear(2, 1)
>>> history = tg.train.fit(model, tg.nn.functional.mse_loss, tg.optim.SGD(model.parameters(), lr=0.05),
...                        tg.data.DataLoader(X, y, batch_size=16, seed=0), epochs=3, progress=False)
>>> history.n_epochs, history.n_iterations, history.grad_evals[-1]     # 4 iterations of 16 samples per epoch
(3, 12, 192)
>>> history.stop_reason.code
'max_epochs'
"""

from .callbacks import Callback, LambdaCallback, PrintProgress
from .compare import Comparison, Config, Problem, compare
from .curvature import Curvature, curvature
from .fit import clip_grad_norm, fit, global_grad_norm
from .history import History, Milestone, StopReason
from .lr_bound import gd_errors, gd_rate, lr_sweep_losses
from .state import TrainState
from .stopping import (
    AllOf,
    AnyOf,
    Divergence,
    EarlyStopping,
    GradNormBelow,
    LossBelow,
    MaxEpochs,
    MaxIters,
    RelativeImprovementBelow,
    StopCondition,
    TimeBudget,
)

__all__ = [
    "fit",
    "History",
    "StopReason",
    "Milestone",
    "TrainState",
    "Callback",
    "LambdaCallback",
    "PrintProgress",
    "StopCondition",
    "AnyOf",
    "AllOf",
    "MaxEpochs",
    "MaxIters",
    "LossBelow",
    "RelativeImprovementBelow",
    "GradNormBelow",
    "EarlyStopping",
    "TimeBudget",
    "Divergence",
    "compare",
    "Config",
    "Problem",
    "Comparison",
    "curvature",
    "Curvature",
    "lr_sweep_losses",
    "gd_rate",
    "gd_errors",
    "global_grad_norm",
    "clip_grad_norm",
]

"""tinygrad_edu: learn, see and verify the mathematics of ML optimisation in code.

A reverse-mode autodiff micro-framework on numpy. ``Tensor`` records the computation graph of the
primitive ops applied to it; ``loss.backward()`` fills ``.grad`` by backpropagation; ``gradcheck`` verifies
gradients against finite differences.

>>> import tinygrad_edu as tg
>>> x = tg.Tensor([2.0], requires_grad=True)
>>> (x ** 3).sum().backward()
>>> x.grad
array([12.], dtype=float32)
"""

from . import anomaly, data, engine, func, gradcheck, metrics, nn, ops, optim, serialization, train, viz
from ._random import manual_seed
from .anomaly import detect_anomaly, is_anomaly_enabled, set_detect_anomaly
from .func import hessian, hvp, jacobian, jvp, vjp
from .ops import AxisError
from .serialization import load, load_checkpoint, save, save_checkpoint
from .tensor import (
    ReleasedTensor,
    Tensor,
    concatenate,
    diag,
    diagonal,
    dot,
    einsum,
    enable_grad,
    flip,
    get_default_dtype,
    grad,
    hypot,
    inner,
    is_grad_enabled,
    logaddexp,
    matmul,
    maximum,
    meshgrid,
    minimum,
    no_grad,
    outer,
    pad,
    roll,
    set_default_dtype,
    set_grad_enabled,
    split,
    stack,
    take_along_axis,
    tensordot,
    trace,
    tril,
    triu,
    where,
)

__version__ = "0.1.0"

__all__ = [
    "ReleasedTensor",
    "Tensor",
    "anomaly",
    "concatenate",
    "data",
    "detect_anomaly",
    "engine",
    "enable_grad",
    "func",
    "get_default_dtype",
    "grad",
    "gradcheck",
    "hessian",
    "hvp",
    "is_anomaly_enabled",
    "is_grad_enabled",
    "jacobian",
    "jvp",
    "load",
    "load_checkpoint",
    "manual_seed",
    "matmul",
    "maximum",
    "metrics",
    "minimum",
    "nn",
    "no_grad",
    "ops",
    "optim",
    "save",
    "save_checkpoint",
    "serialization",
    "set_default_dtype",
    "set_detect_anomaly",
    "set_grad_enabled",
    "stack",
    "train",
    "vjp",
    "viz",
    "where",
    "einsum",
    "outer",
    "tensordot",
    "inner",
    "dot",
    "trace",
    "diagonal",
    "diag",
    "tril",
    "triu",
    "split",
    "flip",
    "roll",
    "pad",
    "take_along_axis",
    "logaddexp",
    "hypot",
    "AxisError",
    "meshgrid",
]

"""The bad-input campaign for the core: Tensor, its factories and ops, backward and tg.grad, grad mode,
dtypes, seeds, gradient checking and anomaly mode. Each case names the argument, the value and the fix."""

import numpy as np
import pytest
from bad_input import BadInput, check, params

import tinygrad_edu as tg
from tinygrad_edu import gradcheck as gc

x = tg.Tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
v = tg.Tensor([1.0, 2.0])
x64 = tg.Tensor(np.array([0.5, -1.0]), requires_grad=True)


def square_sum(t: tg.Tensor) -> tg.Tensor:
    return (t * t).sum()


def released_backward_twice() -> None:
    loss = (x * 2.0).sum()
    loss.backward()
    loss.backward()


CASES = [
    # ---- construction and dtypes -----------------------------------------------------------------------
    BadInput("Tensor/str", lambda: tg.Tensor("abc"), TypeError, ("dtype <U3", "from str", "bool, integer and float")),
    BadInput("Tensor/ragged", lambda: tg.Tensor([[1, 2], [3]]), ValueError, ("from list", "must be rectangular")),
    BadInput("Tensor/object", lambda: tg.Tensor({"a": 1}), TypeError, ("from dict", "bool, integer and float")),
    BadInput("Tensor/complex", lambda: tg.Tensor(np.ones(2, complex)), TypeError, ("complex128", "float data")),
    BadInput(
        "Tensor/int-requires-grad",
        lambda: tg.Tensor(np.array([1, 2]), requires_grad=True),
        TypeError,
        ("int64", "only floating-point", "astype(np.float64)"),
    ),
    BadInput("astype/str", lambda: x.astype(str), TypeError, ("astype", "<U0", "np.float32")),
    BadInput("astype/complex", lambda: x.astype(complex), TypeError, ("astype", "complex128", "np.float64")),
    BadInput("astype/unknown", lambda: x.astype("bogus"), TypeError, ("astype", "'bogus'", "np.float32")),
    BadInput(
        "set_default_dtype/int",
        lambda: tg.set_default_dtype(np.int32),
        TypeError,
        ("default dtype", "int32", "float64"),
    ),
    # ---- factories -----------------------------------------------------------------------------------------
    BadInput("zeros/negative", lambda: tg.Tensor.zeros(-1), ValueError, ("non-negative integers", "(-1,)")),
    BadInput("randn/float", lambda: tg.Tensor.randn(2.5), ValueError, ("non-negative integers", "2.5")),
    BadInput("eye/negative", lambda: tg.Tensor.eye(-2), ValueError, ("non-negative integers", "-2")),
    BadInput("arange/zero-step", lambda: tg.Tensor.arange(0, 10, 0), ValueError, ("arange", "non-zero step")),
    BadInput("manual_seed/negative", lambda: tg.manual_seed(-1), ValueError, ("manual_seed", "non-negative", "-1")),
    BadInput("manual_seed/str", lambda: tg.manual_seed("a"), ValueError, ("manual_seed", "'a'")),
    # ---- operators and shapes ------------------------------------------------------------------------------
    BadInput("add/shapes", lambda: x + tg.Tensor([1.0, 2.0, 3.0]), ValueError, ("(2, 2) and (3,)", "reshape")),
    BadInput(
        "matmul/shapes", lambda: x @ tg.Tensor([1.0, 2.0, 3.0]), ValueError, ("(2, 2) @ (3,)", "must equal", "(3)")
    ),
    BadInput("maximum/shapes", lambda: x.maximum(tg.Tensor([1.0, 2.0, 3.0])), ValueError, ("maximum", "(2, 2)")),
    BadInput(
        "where/shapes", lambda: tg.where(np.array([True, False, True]), x, x), ValueError, ("where", "(3,)", "reshape")
    ),
    BadInput("operand/str", lambda: x ** "a", TypeError, ("operand type str", "a Python number")),
    BadInput("operand/dict", lambda: x * {}, TypeError, ("operand type dict", "numpy array")),
    BadInput("reshape/size", lambda: x.reshape(3, 3), ValueError, ("shape (2, 2)", "4 elements", "(3, 3)")),
    BadInput("transpose/not-permutation", lambda: x.transpose(0, 0), ValueError, ("(0, 0)", "not a permutation")),
    BadInput("swapaxes/range", lambda: x.swapaxes(0, 5), ValueError, ("axis 5", "out of range", "(2, 2)")),
    BadInput("expand/shape", lambda: x.expand(3, 3), ValueError, ("(2, 2)", "(3, 3)", "must match or be 1")),
    BadInput("getitem/float", lambda: x[1.5], IndexError, ("1.5", "only integers, slices")),
    BadInput("setitem", lambda: x.__setitem__(0, 1.0), TypeError, ("item assignment", "tg.where", ".data")),
    BadInput("concatenate/empty", lambda: tg.concatenate([]), ValueError, ("concatenate", "at least one tensor")),
    BadInput("stack/shapes", lambda: tg.stack([x, v]), ValueError, ("stack", "[(2, 2), (2,)]")),
    BadInput("item/many", lambda: x.item(), ValueError, ("exactly one element", "(2, 2)", ".sum()")),
    BadInput("bool/many", lambda: bool(x), ValueError, ("4 elements", "ambiguous", ".any()")),
    BadInput("len/0-d", lambda: len(tg.Tensor(1.0)), TypeError, ("len()", "0-d")),
    # ---- clip ----------------------------------------------------------------------------------------------
    BadInput("clip/nan-lo", lambda: x.clip(float("nan"), 1), ValueError, ("clip", "lo is NaN", "None for no bound")),
    BadInput("clip/nan-hi", lambda: x.clip(0, np.nan), ValueError, ("clip", "hi is NaN", "None for no bound")),
    BadInput("clip/lo-above-hi", lambda: x.clip(2, 1), ValueError, ("lo <= hi", "lo=2", "hi=1")),
    BadInput("clip/str", lambda: x.clip("a", 1), TypeError, ("clip", "lo must be a number", "'a'")),
    BadInput("clip/neither", lambda: x.clip(), ValueError, ("clip", "at least one of lo and hi")),
    # ---- axes and reductions -------------------------------------------------------------------------------
    BadInput("sum/float-axis", lambda: x.sum(axis=1.0), TypeError, ("axis must be an int", "1.0", "axis=(0, 1)")),
    BadInput("mean/str-axis", lambda: x.mean(axis="0"), TypeError, ("axis must be an int", "'0'")),
    BadInput("max/axis-range", lambda: x.max(axis=5), ValueError, ("axis 5", "out of range", "2 dimension")),
    BadInput("logsumexp/repeated", lambda: x.logsumexp(axis=(0, 0)), ValueError, ("repeated axis", "(0, 0)")),
    BadInput("sum/keepdims-str", lambda: x.sum(keepdims="yes"), TypeError, ("keepdims", "True or False", "'yes'")),
    BadInput("softmax/axis", lambda: x.softmax(axis=3), ValueError, ("axis 3", "out of range")),
    BadInput("sum/axis-0d", lambda: tg.Tensor(1.0).sum(axis=0), ValueError, ("axis 0", "out of range", "0 dimension")),
    BadInput("argmax/1-d", lambda: v.argmax(axis=1), ValueError, ("argmax", "axis 1", "shape (2,)", "axis=None")),
    BadInput("argmin/float-axis", lambda: v.argmin(axis=0.0), TypeError, ("argmin", "axis must be an int", "0.0")),
    # ---- backward and tg.grad ------------------------------------------------------------------------------
    BadInput(
        "backward/str-grad",
        lambda: (x * 2).backward(grad="abc"),
        TypeError,
        ("backward(grad=...)", "'abc'", "shape (2, 2)"),
    ),
    BadInput(
        "backward/grad-shape",
        lambda: (x * 2).backward(grad=np.ones(3)),
        ValueError,
        ("shape (3,)", "shape (2, 2)", "must be equal"),
    ),
    BadInput(
        "backward/non-scalar", lambda: (x * 2).backward(), RuntimeError, ("grad=", "shape (2, 2)", "y.sum().backward()")
    ),
    BadInput(
        "backward/no-grad-required", lambda: v.sum().backward(), RuntimeError, ("does not require grad", "no_grad()")
    ),
    BadInput(
        "backward/retain-graph-str",
        lambda: (x * 2).sum().backward(retain_graph="no"),
        TypeError,
        ("retain_graph", "True or False", "'no'"),
    ),
    BadInput("backward/twice", released_backward_twice, RuntimeError, ("second time", "retain_graph=True")),
    BadInput("grad/non-tensor-input", lambda: tg.grad((x * 2).sum(), [np.ones(2)]), ValueError, ("input 0", "ndarray")),
    BadInput(
        "grad/constant-input",
        lambda: tg.grad((x * v).sum(), [v]),
        ValueError,
        ("input 0", "requires_grad=False", "requires_grad=True"),
    ),
    BadInput("grad/outputs-array", lambda: tg.grad(np.ones(2), x), TypeError, ("outputs must be a Tensor", "ndarray")),
    BadInput("grad/inputs-dict", lambda: tg.grad((x * 2).sum(), {"x": x}), TypeError, ("inputs must be", "dict")),
    BadInput("retain_grad/constant", lambda: v.retain_grad(), RuntimeError, ("retain_grad()", "requires grad")),
    BadInput(
        "requires_grad_/non-leaf",
        lambda: (x * 2).requires_grad_(False),
        RuntimeError,
        ("only allowed on leaves", "detach"),
    ),
    # ---- grad mode and anomaly mode ------------------------------------------------------------------------
    BadInput("set_grad_enabled/str", lambda: tg.set_grad_enabled("yes"), TypeError, ("set_grad_enabled", "'yes'")),
    BadInput("set_detect_anomaly/str", lambda: tg.set_detect_anomaly("x"), TypeError, ("set_detect_anomaly", "'x'")),
    BadInput(
        "detect_anomaly/exit-without-enter",
        lambda: tg.detect_anomaly().__exit__(None, None, None),
        RuntimeError,
        ("without __enter__()", "with tg.detect_anomaly()"),
    ),
    # ---- gradient checking ---------------------------------------------------------------------------------
    BadInput("gradcheck/eps-zero", lambda: gc.gradcheck(square_sum, [x64], eps=0), ValueError, ("eps=0", "> 0")),
    BadInput(
        "gradcheck/eps-nan", lambda: gc.gradcheck(square_sum, [x64], eps=float("nan")), ValueError, ("eps=nan",) * 2
    ),
    BadInput(
        "gradcheck/atol-negative", lambda: gc.gradcheck(square_sum, [x64], atol=-1), ValueError, ("atol=-1", ">= 0")
    ),
    BadInput("gradcheck/rtol-str", lambda: gc.gradcheck(square_sum, [x64], rtol="1"), TypeError, ("rtol", "'1'")),
    BadInput("gradcheck/fn", lambda: gc.gradcheck("f", [x64]), TypeError, ("fn must be a function", "str")),
    BadInput(
        "gradcheck/no-grad-input",
        lambda: gc.gradcheck(square_sum, [tg.Tensor([1.0])]),
        ValueError,
        ("no input requires grad", "requires_grad=True"),
    ),
    BadInput(
        "gradcheck/returns-array",
        lambda: gc.gradcheck(lambda t: t.data, [x64]),
        TypeError,
        ("must return a Tensor", "ndarray"),
    ),
    BadInput(
        "numerical_grad/eps-negative",
        lambda: gc.numerical_grad(square_sum, [x64], eps=-1e-6),
        ValueError,
        ("eps=-1e-06", "> 0"),
    ),
    BadInput(
        "numerical_grad/grad-output-shape",
        lambda: gc.numerical_grad(lambda t: t * 2, [x64], grad_output=np.ones(3)),
        ValueError,
        ("grad_output has shape (3,)", "(2,)"),
    ),
    BadInput(
        "numerical_jacobian/eps-zero",
        lambda: gc.numerical_jacobian(square_sum, [x64], eps=0),
        ValueError,
        ("eps=0", "> 0"),
    ),
    BadInput("check_primitives/seed", lambda: gc.check_primitives(seed=-1), ValueError, ("seed", "-1")),
    BadInput("check_primitives/atol", lambda: gc.check_primitives(atol=float("inf")), ValueError, ("atol=inf", ">= 0")),
]


@pytest.mark.parametrize("case", params(CASES))
def test_bad_input(case: BadInput) -> None:
    check(case)

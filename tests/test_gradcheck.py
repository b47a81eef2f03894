"""Gradient verification: numerical_grad, gradcheck (full Jacobian and fast projection), its failure report,
dtype warnings, input hygiene, jacobian / numerical_jacobian and argument errors."""

import re
import warnings

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import Tensor
from tinygrad_edu.gradcheck import GradcheckError, gradcheck, jacobian, numerical_grad, numerical_jacobian
from tinygrad_edu.tensor import apply_op


class WrongExp(tg.ops.Exp):
    """exp with a deliberately wrong derivative (2 instead of e^x)."""

    def derivative(self, x, out):
        return 2


def wrong_exp(x):
    return apply_op(WrongExp(), x)


def f64(values):
    return Tensor(np.asarray(values, dtype=np.float64), requires_grad=True)


# --------------------------------------------------------------------------------------------------------
# numerical_grad
# --------------------------------------------------------------------------------------------------------


def test_numerical_grad_of_a_scalar_function():
    x = f64([0.5, -1.0, 2.0])
    (g,) = numerical_grad(lambda t: (t * t * t).sum(), [x])
    np.testing.assert_allclose(g, 3 * x.data**2, rtol=1e-8)
    assert g.dtype == np.float64
    assert g.shape == x.shape


def test_numerical_grad_of_several_inputs_with_a_constant():
    x = f64([[1.0, 2.0], [3.0, 4.0]])
    y = f64([[0.5, -0.5], [1.5, 2.0]])
    c = Tensor(np.array([[2.0, 3.0], [4.0, 5.0]]))
    gx, gy, gc = numerical_grad(lambda a, b, k: (a * b * k).sum(), [x, y, c])
    np.testing.assert_allclose(gx, y.data * c.data, rtol=1e-8)
    np.testing.assert_allclose(gy, x.data * c.data, rtol=1e-8)
    assert gc is None


def test_numerical_grad_accepts_a_single_tensor():
    x = f64([1.0, 2.0])
    (g,) = numerical_grad(lambda t: t.exp().sum(), x)
    np.testing.assert_allclose(g, np.exp(x.data), rtol=1e-8)


def test_numerical_grad_of_a_non_scalar_output_with_grad_output():
    x = f64([1.0, 2.0, 3.0])
    w = np.array([1.0, -2.0, 0.5])
    (g,) = numerical_grad(lambda t: t * t, [x], grad_output=w)
    np.testing.assert_allclose(g, 2 * x.data * w, rtol=1e-8)
    (ones,) = numerical_grad(lambda t: t * t, [x])  # default grad_output: ones
    np.testing.assert_allclose(ones, 2 * x.data, rtol=1e-8)


def test_numerical_grad_matches_matmul_vjp():
    rng = np.random.default_rng(0)
    a, b = f64(rng.standard_normal((2, 3))), f64(rng.standard_normal((3, 4)))
    gout = rng.standard_normal((2, 4))
    ga, gb = numerical_grad(lambda p, q: p @ q, [a, b], grad_output=gout)
    np.testing.assert_allclose(ga, gout @ b.data.T, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(gb, a.data.T @ gout, rtol=1e-7, atol=1e-9)


def test_numerical_grad_rejects_wrong_grad_output_shape():
    with pytest.raises(ValueError, match=r"grad_output has shape \(2,\) but the output has shape \(3,\)"):
        numerical_grad(lambda t: t * 2, [f64([1.0, 2.0, 3.0])], grad_output=np.ones(2))


def test_numerical_grad_works_on_transposed_input_data():
    # a transposed (Fortran-ordered) array is what users get from X.T; the perturbation must still reach it
    x = Tensor(np.arange(1.0, 7.0).reshape(2, 3).T, requires_grad=True)
    (g,) = numerical_grad(lambda t: (t * t).sum(), [x])
    np.testing.assert_allclose(g, 2 * x.data, rtol=1e-8)


# --------------------------------------------------------------------------------------------------------
# gradcheck on correct functions
# --------------------------------------------------------------------------------------------------------


def test_gradcheck_passes_simple_function():
    x = f64([0.5, -1.0])
    assert gradcheck(lambda t: (t.tanh() * t).sum(), [x]) is True


def test_gradcheck_passes_several_inputs_some_constant_non_scalar_output():
    rng = np.random.default_rng(1)
    a = f64(rng.standard_normal((2, 3)))
    b = f64(rng.standard_normal(3))
    c = Tensor(rng.standard_normal((2, 3)))  # constant
    assert gradcheck(lambda p, q, k: (p * q + k).sigmoid() * p, [a, b, c]) is True
    assert gradcheck(lambda p, q, k: p @ q.reshape(3, 1) * 2.0, [a, b, c]) is True


def test_gradcheck_accepts_non_tensor_inputs():
    x = f64([0.3, 0.7])
    assert gradcheck(lambda t, power: (t**power).sum(), [x, 3]) is True


def test_gradcheck_passes_when_output_ignores_an_input():
    x, unused = f64([1.0]), f64([2.0])
    assert gradcheck(lambda a, b: a * 3.0, [x, unused]) is True


def test_gradcheck_passes_with_transposed_input_data():
    x = Tensor(np.arange(1.0, 7.0).reshape(2, 3).T / 4, requires_grad=True)
    assert gradcheck(lambda t: (t * t).sum(), [x]) is True


# outputs that share memory with the input: the perturbation of the input must not change a saved output
VIEW_FNS = [
    pytest.param(lambda t: t.reshape(-1), id="reshape"),
    pytest.param(lambda t: t.T, id="T"),
    pytest.param(lambda t: t.transpose(1, 0), id="transpose"),
    pytest.param(lambda t: t[:, 1], id="slice"),
    pytest.param(lambda t: t.expand(3, 2, 3), id="expand"),
    pytest.param(lambda t: +t, id="pos"),
    pytest.param(lambda t: t, id="identity"),
]


@pytest.mark.parametrize("fn", VIEW_FNS)
def test_gradcheck_passes_functions_returning_views_of_the_input(fn):
    x = f64(np.arange(6.0).reshape(2, 3) / 4)
    assert gradcheck(fn, [x]) is True
    assert gradcheck(fn, [x], fast=True) is True


@pytest.mark.parametrize("fn", VIEW_FNS)
def test_numerical_grad_of_view_outputs_matches_backward(fn):
    x = f64(np.arange(6.0).reshape(2, 3) / 4)
    (numeric,) = numerical_grad(fn, [x])
    fn(x).sum().backward()
    assert np.abs(x.grad).sum() > 0
    np.testing.assert_allclose(numeric, x.grad, atol=1e-8)


# --------------------------------------------------------------------------------------------------------
# gradcheck on a wrong op: the report
# --------------------------------------------------------------------------------------------------------


def test_gradcheck_report_on_wrong_op():
    xs = np.array([0.5, -1.0, 1.5])
    x = Tensor(xs, requires_grad=True)
    with pytest.raises(GradcheckError) as info:
        gradcheck(wrong_exp, [x])
    msg = str(info.value)
    # the Jacobian is diagonal: analytic 2, numeric e^x; the largest excess is at x = 1.5, index 2
    abs_err = np.abs(2 - np.exp(xs))
    rel_err = abs_err / np.exp(xs)
    assert "gradcheck failed" in msg
    assert "FAIL input 0" in msg
    assert f"max abs error {abs_err.max():.3e}" in msg
    assert f"max rel error {rel_err.max():.3e}" in msg
    assert "worst at output index (2,), input index (2,)" in msg
    match = re.search(r"analytic (\S+), numeric (\S+)", msg)
    assert match is not None, msg
    assert float(match.group(1)) == 2.0
    assert float(match.group(2)) == pytest.approx(np.exp(1.5), rel=1e-8)


def test_gradcheck_report_names_the_failing_input_only():
    x = f64([0.5, 1.0])
    y = Tensor(np.array([[0.25, -0.5], [1.0, 0.1]]), requires_grad=True, name="bias")
    with pytest.raises(GradcheckError) as info:
        gradcheck(lambda a, b: a * b + wrong_exp(b), [x, y])
    msg = str(info.value)
    assert re.search(r"ok +input 0 \(shape \(2,\)\)", msg), msg
    assert "FAIL input 1 (shape (2, 2) 'bias')" in msg
    # analytic - numeric = 2 - e^b on the diagonal; it is largest at b = -0.5, index (0, 1)
    assert "worst at output index (0, 1), input index (0, 1)" in msg


def test_gradcheck_raise_exception_false_returns_false():
    assert gradcheck(wrong_exp, [f64([0.5, 1.0])], raise_exception=False) is False
    assert gradcheck(lambda t: t.exp(), [f64([0.5, 1.0])], raise_exception=False) is True


def test_gradcheck_error_is_a_runtime_error():
    assert issubclass(GradcheckError, RuntimeError)


def test_gradcheck_tolerances_decide():
    # backward is 1 + 1e-4 times too large: fails with a tight rtol, passes with a loose one
    class SlightlyOff(tg.ops.Mul):
        def vjp(self, g, out, a, b):
            ga, gb = super().vjp(g, out, a, b)
            return (None if ga is None else ga * (1 + 1e-4), None if gb is None else gb * (1 + 1e-4))

    x = f64([1.0, 2.0])
    fn = lambda t: apply_op(SlightlyOff(), t, 3.0)  # noqa: E731
    assert gradcheck(fn, [x], atol=0.0, rtol=1e-6, raise_exception=False) is False
    assert gradcheck(fn, [x], atol=0.0, rtol=1e-3) is True


# --------------------------------------------------------------------------------------------------------
# dtype warnings and input hygiene
# --------------------------------------------------------------------------------------------------------


def test_float32_inputs_warn_and_the_check_runs_in_float64():
    x = Tensor([0.5, -1.0, 2.0], requires_grad=True)  # float32
    with pytest.warns(UserWarning, match="float64") as record:
        # the tight tolerance only holds in float64: float32 finite differences would be off by ~1e-2
        assert gradcheck(lambda t: (t * t.exp()).sum(), [x], atol=1e-8, rtol=1e-6) is True
    assert "input 0 has dtype float32" in str(record[0].message)
    assert record[0].filename == __file__  # points at the caller


def test_float32_constant_inputs_do_not_warn():
    x = f64([1.0])
    c = Tensor([2.0])  # float32 but does not require grad
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert gradcheck(lambda a, b: a * b, [x, c]) is True


def test_float64_inputs_do_not_warn():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert gradcheck(lambda t: t.sigmoid().sum(), [f64([0.1, 0.2])]) is True
        assert gradcheck(lambda t: t.sigmoid().sum(), [f64([0.1, 0.2])], fast=True) is True


@pytest.mark.parametrize("fast", [False, True])
def test_users_inputs_are_unchanged(fast):
    x = Tensor(np.array([0.5, -1.0]), requires_grad=True)
    y = Tensor(np.array([[1.0], [2.0]], dtype=np.float32), requires_grad=True)
    x.grad = np.array([7.0, 8.0])
    x_before, y_before = x.data.copy(), y.data.copy()
    with pytest.warns(UserWarning):
        assert gradcheck(lambda a, b: (a * b).tanh(), [x, y], fast=fast) is True
    np.testing.assert_array_equal(x.data, x_before)
    np.testing.assert_array_equal(y.data, y_before)
    assert y.dtype == np.float32
    np.testing.assert_array_equal(x.grad, [7.0, 8.0])
    assert y.grad is None
    assert x.requires_grad and y.requires_grad


def test_user_inputs_unchanged_after_a_failed_check():
    x = f64([0.5, 1.0])
    before = x.data.copy()
    with pytest.raises(GradcheckError):
        gradcheck(wrong_exp, [x])
    np.testing.assert_array_equal(x.data, before)
    assert x.grad is None


# --------------------------------------------------------------------------------------------------------
# fast mode
# --------------------------------------------------------------------------------------------------------


def test_fast_mode_passes_correct_functions():
    rng = np.random.default_rng(2)
    a = f64(rng.standard_normal((3, 4)))
    b = f64(rng.standard_normal((4, 2)))
    assert gradcheck(lambda p, q: (p @ q).softmax(axis=-1), [a, b], fast=True) is True
    assert gradcheck(lambda p, q: (p @ q).tanh().sum(), [a, b], fast=True, seed=5) is True


def test_fast_mode_catches_the_wrong_op():
    x = f64([0.5, -1.0, 1.5])
    with pytest.raises(GradcheckError, match=r"random projection u\^T J v[\s\S]*FAIL input 0"):
        gradcheck(wrong_exp, [x], fast=True)
    assert gradcheck(wrong_exp, [x], fast=True, raise_exception=False) is False


def test_fast_mode_is_reproducible_by_seed():
    x = f64([0.5, -1.0, 1.5])
    messages = []
    for _ in range(2):
        with pytest.raises(GradcheckError) as info:
            gradcheck(wrong_exp, [x], fast=True, seed=3)
        messages.append(str(info.value))
    assert messages[0] == messages[1]


# --------------------------------------------------------------------------------------------------------
# jacobians
# --------------------------------------------------------------------------------------------------------


def test_jacobian_of_a_linear_map_is_the_matrix():
    A = np.array([[1.0, 2.0, 0.0], [0.0, -1.0, 3.0]])
    x = f64([0.1, 0.2, 0.3])
    (J,) = jacobian(lambda t: Tensor(A) @ t, [x])
    (N,) = numerical_jacobian(lambda t: Tensor(A) @ t, [x])
    assert J.shape == (2, 3)
    assert N.shape == (2, 3)
    np.testing.assert_allclose(J, A)
    np.testing.assert_allclose(N, A, atol=1e-8)


def test_jacobian_and_numerical_jacobian_agree_with_shapes_out_by_in():
    rng = np.random.default_rng(3)
    a = f64(rng.standard_normal((2, 3)))
    b = f64(rng.standard_normal((3,)))
    c = Tensor(rng.standard_normal((2, 3)))

    def fn(p, q, k):
        return (p * q + k).tanh()  # output shape (2, 3): 6 elements

    J = jacobian(fn, [a, b, c])
    N = numerical_jacobian(fn, [a, b, c])
    assert J[0].shape == N[0].shape == (6, 6)
    assert J[1].shape == N[1].shape == (6, 3)
    assert J[2] is None and N[2] is None
    np.testing.assert_allclose(J[0], N[0], atol=1e-8)
    np.testing.assert_allclose(J[1], N[1], atol=1e-8)
    # elementwise in p: the block is diagonal with entries (1 - tanh^2) * q
    t = np.tanh(a.data * b.data + c.data)
    np.testing.assert_allclose(np.diag(J[0]), ((1 - t * t) * b.data).ravel())


def test_jacobian_of_a_scalar_output_is_a_row():
    x = f64([1.0, 2.0])
    (J,) = jacobian(lambda t: (t * t).sum(), [x])
    assert J.shape == (1, 2)
    np.testing.assert_allclose(J, [[2.0, 4.0]])


def test_jacobian_leaves_grad_untouched():
    x = f64([1.0, 2.0])
    jacobian(lambda t: t * t, [x])
    assert x.grad is None


# --------------------------------------------------------------------------------------------------------
# argument errors
# --------------------------------------------------------------------------------------------------------

ALL_CHECKS = [
    pytest.param(lambda fn, xs: gradcheck(fn, xs), id="gradcheck"),
    pytest.param(lambda fn, xs: gradcheck(fn, xs, fast=True), id="gradcheck-fast"),
    pytest.param(lambda fn, xs: numerical_grad(fn, xs), id="numerical_grad"),
    pytest.param(lambda fn, xs: jacobian(fn, xs), id="jacobian"),
    pytest.param(lambda fn, xs: numerical_jacobian(fn, xs), id="numerical_jacobian"),
]


@pytest.mark.parametrize("check", ALL_CHECKS)
def test_no_input_requiring_grad_raises_value_error(check):
    with pytest.raises(ValueError, match="no input requires grad"):
        check(lambda t: t * 2, [Tensor(np.array([1.0, 2.0]))])


@pytest.mark.parametrize("check", ALL_CHECKS)
def test_function_returning_non_tensor_raises_type_error(check):
    with pytest.raises(TypeError, match="must return a Tensor, got ndarray"):
        check(lambda t: t.data * 2, [f64([1.0, 2.0])])


def test_check_primitives_covers_every_primitive_op_and_passes():
    """`tinygrad-edu gradcheck` runs these: every primitive of ops.py must be among them."""
    import inspect

    results = tg.gradcheck.check_primitives()
    primitives = {cls.__name__.lower() for cls in tg.ops.PRIMITIVES}
    bases = {tg.ops.Function, tg.ops.Primitive, tg.ops.Elementwise, tg.ops.Binary, tg.ops.Parametrized}
    bases |= {tg.ops.Reduction, tg.ops.Loss}
    concrete = {
        cls
        for _, cls in inspect.getmembers(tg.ops, inspect.isclass)
        if issubclass(cls, tg.ops.Function) and cls.__module__ == tg.ops.__name__ and cls not in bases
    }
    assert concrete <= set(tg.ops.PRIMITIVES)  # every op class of ops.py is a Primitive, so it is listed
    assert primitives <= {r.op for r in results}
    assert all(r.passed for r in results), [r for r in results if not r.passed]
    assert all(r.max_abs_error < 1e-6 for r in results)

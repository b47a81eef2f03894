"""Engine semantics of ``create_graph=True`` (PyTorch's): differentiable gradients in ``.grad`` and from
``tg.grad``, accumulation, retain_graph, optimisers stepping with a Tensor ``.grad``, Hessian-vector products,
``grad_outputs`` that require grad (the double-VJP trick), bad input, nested passes and threads, and the
release of second-order graphs.

The derivatives of each primitive are checked in ``test_second_order.py``; here the functions are simple
polynomials whose derivatives are written out by hand.
"""

import re
import threading

import numpy as np
import pytest
from test_backward import Cube  # y = x^3 with backward(grad) on numpy arrays only, no vjp

import tinygrad_edu as tg
from tinygrad_edu import Tensor
from tinygrad_edu.gradcheck import hessian_matrices
from tinygrad_edu.tensor import apply_op

RTOL, ATOL = 1e-10, 1e-12


def leaf(values, dtype=np.float64):
    return Tensor(np.asarray(values, dtype=dtype), requires_grad=True)


def cube_sum(x):
    """f = sum x^3: f' = 3x^2, f'' = 6x."""
    return (x**3).sum()


# --------------------------------------------------------------------------------------------------------
# .grad after backward(create_graph=True)
# --------------------------------------------------------------------------------------------------------


def test_grad_after_create_graph_backward_is_a_tensor_with_a_graph():
    x = leaf([0.5, -1.0, 2.0])
    cube_sum(x).backward(create_graph=True)
    assert isinstance(x.grad, Tensor)
    assert x.grad.requires_grad and x.grad.grad_fn is not None and not x.grad.is_leaf
    assert (x.grad.shape, x.grad.dtype) == (x.shape, x.dtype)
    np.testing.assert_allclose(x.grad.data, 3 * x.data**2, rtol=RTOL)
    (second,) = tg.grad(x.grad.sum(), x)  # differentiable again: d/dx sum 3x^2 = 6x
    np.testing.assert_allclose(second, 6 * x.data, rtol=RTOL)


def test_plain_backward_still_gives_a_numpy_grad():
    x = leaf([0.5, -1.0])
    cube_sum(x).backward()
    assert type(x.grad) is np.ndarray
    np.testing.assert_allclose(x.grad, 3 * x.data**2, rtol=RTOL)


def test_two_create_graph_backwards_accumulate_into_one_differentiable_sum():
    x = leaf([0.5, -1.0])
    cube_sum(x).backward(create_graph=True)
    (x**2).sum().backward(create_graph=True)
    assert isinstance(x.grad, Tensor) and x.grad.requires_grad
    np.testing.assert_allclose(x.grad.data, 3 * x.data**2 + 2 * x.data, rtol=RTOL)
    (second,) = tg.grad(x.grad.sum(), x)  # d/dx (3x^2 + 2x) = 6x + 2: both graphs are in the sum
    np.testing.assert_allclose(second, 6 * x.data + 2, rtol=RTOL)


def test_a_first_order_backward_after_a_create_graph_one_adds_its_values():
    x = leaf([0.5, -1.0])
    cube_sum(x).backward(create_graph=True)
    (x * 4).sum().backward()  # a plain pass: its array is added to the Tensor .grad
    np.testing.assert_allclose(np.asarray(x.grad.data), 3 * x.data**2 + 4, rtol=RTOL)


def test_backward_of_the_grad_itself_adds_the_hessian_vector_product_to_grad():
    # the documented recipe: (x.grad * v).sum().backward() accumulates H v into x.grad (here 3x^2 + 6x v)
    x, v = leaf([0.5, -1.0, 2.0]), np.array([1.0, 2.0, -1.0])
    cube_sum(x).backward(create_graph=True)
    (x.grad * Tensor(v)).sum().backward()
    np.testing.assert_allclose(np.asarray(x.grad.data), 3 * x.data**2 + 6 * x.data * v, rtol=RTOL)


def test_a_non_leaf_that_retains_grad_gets_a_tensor_grad_too():
    x = leaf([0.5, -1.0])
    h = (x * x).retain_grad()  # h = x^2; f = sum h^2 = sum x^4
    (h**2).sum().backward(create_graph=True)
    assert isinstance(h.grad, Tensor)
    np.testing.assert_allclose(h.grad.data, 2 * h.data, rtol=RTOL)  # df/dh = 2h
    np.testing.assert_allclose(x.grad.data, 4 * x.data**3, rtol=RTOL)
    (second,) = tg.grad(h.grad.sum(), x)  # d/dx sum 2 x^2 = 4x
    np.testing.assert_allclose(second, 4 * x.data, rtol=RTOL)


def test_float32_gradients_stay_float32_through_both_passes():
    x = leaf([0.5, -1.0], dtype=np.float32)
    (g,) = tg.grad(cube_sum(x), x, create_graph=True)
    (h,) = tg.grad(g.sum(), x)
    assert (g.dtype, h.dtype) == (np.float32, np.float32)
    np.testing.assert_allclose(h, 6 * x.data, rtol=1e-6)


# --------------------------------------------------------------------------------------------------------
# optimisers and zero_grad with a Tensor .grad
# --------------------------------------------------------------------------------------------------------


def test_sgd_steps_with_the_values_of_a_tensor_grad():
    w = leaf([1.0, -2.0])
    opt = tg.optim.SGD([w], lr=0.1, momentum=0.5)
    (w**2).sum().backward(create_graph=True)
    assert isinstance(w.grad, Tensor)
    opt.step()
    np.testing.assert_allclose(w.data, [1.0 - 0.1 * 2.0, -2.0 + 0.1 * 4.0], rtol=RTOL)  # w - lr * 2w
    assert w.is_leaf and w.requires_grad and type(w.data) is np.ndarray  # the step recorded no graph


def test_adam_steps_with_the_values_of_a_tensor_grad():
    w = leaf([1.0, -2.0])
    opt = tg.optim.Adam([w], lr=0.1)
    (w**2).sum().backward(create_graph=True)
    opt.step()
    g = np.array([2.0, -4.0])
    # first step: m_hat = g, v_hat = g^2, so the update is lr * g / (|g| + eps)
    np.testing.assert_allclose(w.data, np.array([1.0, -2.0]) - 0.1 * g / (np.abs(g) + 1e-8), rtol=RTOL)
    assert w.is_leaf and w.grad_fn is None


def test_zero_grad_without_set_to_none_replaces_a_tensor_grad_by_a_zero_array():
    model = tg.nn.Linear(2, 1, dtype=np.float64)
    opt = tg.optim.SGD(model.parameters(), lr=0.1)
    loss = (model(Tensor(np.array([[1.0, 2.0]]))) ** 2).sum()
    loss.backward(create_graph=True)
    assert all(isinstance(p.grad, Tensor) for p in model.parameters())
    opt.zero_grad(set_to_none=False)
    for p in model.parameters():
        assert type(p.grad) is np.ndarray and p.grad.shape == p.shape
        np.testing.assert_array_equal(p.grad, 0.0)
    loss = (model(Tensor(np.array([[1.0, 2.0]]))) ** 2).sum()
    loss.backward(create_graph=True)
    model.zero_grad(set_to_none=False)  # the Module's zero_grad does the same
    assert all(type(p.grad) is np.ndarray and not p.grad.any() for p in model.parameters())


# --------------------------------------------------------------------------------------------------------
# retain_graph, tg.grad's return types
# --------------------------------------------------------------------------------------------------------


def test_create_graph_implies_retain_graph():
    x = leaf([0.5, -1.0])
    y = cube_sum(x)
    y.backward(create_graph=True)
    y.backward()  # the same graph again (PyTorch: create_graph implies retain_graph)
    np.testing.assert_allclose(np.asarray(x.grad.data), 6 * x.data**2, rtol=RTOL)
    z = cube_sum(x)
    tg.grad(z, x, create_graph=True)
    (again,) = tg.grad(z, x)
    np.testing.assert_allclose(again, 3 * x.data**2, rtol=RTOL)


def test_without_create_graph_the_graph_is_released():
    x = leaf([0.5, -1.0])
    y = cube_sum(x)
    y.backward()
    with pytest.raises(RuntimeError, match="second time"):
        y.backward()


def test_tg_grad_returns_tensors_with_create_graph_and_arrays_without():
    x, y = leaf([0.5, -1.0]), leaf([2.0])
    out = (x * x).sum() * y.sum()
    gx, gy = tg.grad(out, [x, y], create_graph=True)
    assert isinstance(gx, Tensor) and isinstance(gy, Tensor)
    assert gx.requires_grad and gy.requires_grad
    np.testing.assert_allclose(gx.data, 2 * x.data * 2.0, rtol=RTOL)  # 2x y
    np.testing.assert_allclose(gy.data, [1.25], rtol=RTOL)  # sum x^2
    ax, ay = tg.grad(out, [x, y])
    assert type(ax) is np.ndarray and type(ay) is np.ndarray
    np.testing.assert_allclose(ax, gx.data, rtol=RTOL)
    np.testing.assert_allclose(ay, gy.data, rtol=RTOL)
    assert x.grad is None and y.grad is None  # tg.grad writes no .grad


def test_tg_grad_gives_none_for_an_unused_input_under_create_graph():
    x, unused = leaf([1.0]), leaf([2.0])
    gx, gu = tg.grad((x * 3).sum(), [x, unused], create_graph=True)
    assert gu is None
    np.testing.assert_array_equal(gx.data, [3.0])
    assert not gx.requires_grad  # 3 * ones: the gradient of a linear function is a constant


# --------------------------------------------------------------------------------------------------------
# Hessian-vector products (reverse over reverse)
# --------------------------------------------------------------------------------------------------------

_A = np.array([[4.0, 1.0, -0.5], [1.0, 3.0, 0.25], [-0.5, 0.25, 2.0]])  # symmetric
_B = np.array([0.5, -1.0, 2.0])


def hvp(loss_fn, params, vectors):
    """H v by reverse over reverse: the gradient with create_graph, then the gradient of <grad, v>."""
    grads = tg.grad(loss_fn(*params), params, create_graph=True)
    dot = sum((g * Tensor(v)).sum() for g, v in zip(grads, vectors, strict=True))
    return tg.grad(dot, params)


def test_hvp_of_a_quadratic_is_a_times_v():
    # f = 0.5 x^T A x + b^T x: grad = A x + b, H = A
    x_np, v = np.array([1.0, -2.0, 0.5]), np.array([0.3, 1.0, -2.0])

    def f(x):
        return 0.5 * (x * (Tensor(_A) @ x)).sum() + (Tensor(_B) * x).sum()

    x = leaf(x_np)
    (g,) = tg.grad(f(x), x, create_graph=True)
    np.testing.assert_allclose(g.data, _A @ x_np + _B, rtol=RTOL)
    (Hv,) = hvp(f, [leaf(x_np)], [v])
    np.testing.assert_allclose(Hv, _A @ v, rtol=RTOL)
    # the full Hessian, column by column: H e_j = A e_j
    H = np.stack([hvp(f, [leaf(x_np)], [e])[0] for e in np.eye(3)], axis=1)
    np.testing.assert_allclose(H, _A, rtol=RTOL, atol=ATOL)


def test_hvp_of_a_quadratic_with_a_non_symmetric_matrix_uses_its_symmetric_part():
    # f = 0.5 x^T M x has the Hessian (M + M^T) / 2
    M = np.array([[1.0, 2.0], [0.0, 3.0]])
    (Hv,) = hvp(lambda x: 0.5 * (x * (Tensor(M) @ x)).sum(), [leaf([1.0, 1.0])], [np.array([1.0, -1.0])])
    np.testing.assert_allclose(Hv, (M + M.T) / 2 @ np.array([1.0, -1.0]), rtol=RTOL)


def test_hvp_on_an_mlp_matches_finite_differences_of_the_gradient():
    tg.manual_seed(0)
    model = tg.nn.Sequential(tg.nn.Linear(3, 4, dtype=np.float64), tg.nn.Tanh(), tg.nn.Linear(4, 1, dtype=np.float64))
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((5, 3)), rng.standard_normal((5, 1))
    params = list(model.parameters())
    vectors = [rng.standard_normal(p.shape) for p in params]

    def loss_fn(*_):
        return tg.nn.functional.mse_loss(model(Tensor(X)), y)

    Hv = hvp(loss_fn, params, vectors)
    assert all(p.grad is None for p in params)  # tg.grad leaves .grad alone
    eps = 1e-6
    originals = [p.data.copy() for p in params]

    def gradient_at(sign):
        for p, p0, v in zip(params, originals, vectors, strict=True):
            p.data = p0 + sign * eps * v
        return tg.grad(loss_fn(), params)

    g_plus, g_minus = gradient_at(+1), gradient_at(-1)
    for p, p0 in zip(params, originals, strict=True):
        p.data = p0
    for h, gp, gm in zip(Hv, g_plus, g_minus, strict=True):
        np.testing.assert_allclose(h, (gp - gm) / (2 * eps), rtol=1e-5, atol=1e-8)
    # and H v is the full Hessian (by double backpropagation) times the joined v
    H, _ = hessian_matrices(lambda *ps: _mlp_loss(ps, X, y), [Tensor(p.data, requires_grad=True) for p in params])
    np.testing.assert_allclose(
        np.concatenate([h.ravel() for h in Hv]), H @ np.concatenate([v.ravel() for v in vectors])
    )


def _mlp_loss(ps, X, y):
    W1, b1, W2, b2 = ps
    hidden = (Tensor(X) @ W1.T + b1).tanh()
    return (((hidden @ W2.T + b2) - Tensor(y)) ** 2).mean()


# --------------------------------------------------------------------------------------------------------
# grad_outputs that require grad: the double-VJP trick
# --------------------------------------------------------------------------------------------------------


def test_differentiating_a_vjp_with_respect_to_its_vector_gives_the_jvp():
    # y = tanh(W x): J = diag(1 - y^2) W. The VJP g(v) = J^T v is linear in v, so d<g(v), u>/dv = J u
    rng = np.random.default_rng(1)
    W, x_np = rng.standard_normal((4, 3)), rng.standard_normal(3)
    u, v_np = rng.standard_normal(3), rng.standard_normal(4)
    x, v = leaf(x_np), leaf(v_np)
    y = (Tensor(W) @ x).tanh()
    J = np.diag(1 - np.tanh(W @ x_np) ** 2) @ W
    (vjp,) = tg.grad(y, x, grad_outputs=v, create_graph=True)
    np.testing.assert_allclose(vjp.data, J.T @ v_np, rtol=RTOL)
    assert vjp.requires_grad
    (jvp,) = tg.grad((vjp * Tensor(u)).sum(), v)
    np.testing.assert_allclose(jvp, J @ u, rtol=RTOL)


def test_backward_with_a_grad_that_requires_grad_makes_grad_depend_on_it():
    x, v = leaf([0.5, -1.0, 2.0]), leaf([1.0, 2.0, 3.0])
    (x * x).backward(grad=v, create_graph=True)  # x.grad = 2 x v
    np.testing.assert_allclose(x.grad.data, 2 * x.data * v.data, rtol=RTOL)
    gx, gv = tg.grad(x.grad.sum(), [x, v])
    np.testing.assert_allclose(gx, 2 * v.data, rtol=RTOL)
    np.testing.assert_allclose(gv, 2 * x.data, rtol=RTOL)


def test_a_constant_grad_output_gives_a_gradient_without_a_path_to_it():
    x = leaf([0.5, -1.0])
    (g,) = tg.grad(x * x, x, grad_outputs=np.array([1.0, 3.0]), create_graph=True)
    np.testing.assert_allclose(g.data, [1.0, -6.0], rtol=RTOL)  # 2 x v
    (h,) = tg.grad(g.sum(), x)
    np.testing.assert_allclose(h, [2.0, 6.0], rtol=RTOL)  # d/dx (2 x v) = 2 v


# --------------------------------------------------------------------------------------------------------
# bad input: clear errors
# --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("flag", ["yes", 1, None, np.array([True])], ids=repr)
def test_create_graph_must_be_a_bool(flag):
    x = leaf([1.0])
    with pytest.raises(TypeError, match=re.escape(f"backward: create_graph must be True or False, got {flag!r}")):
        (x * 2).sum().backward(create_graph=flag)
    with pytest.raises(TypeError, match=re.escape("grad(): create_graph must be True or False")):
        tg.grad((x * 2).sum(), x, create_graph=flag)
    assert x.grad is None


def test_create_graph_yes_says_how_to_fix_it():
    with pytest.raises(TypeError) as info:
        (leaf([1.0]) * 2).sum().backward(create_graph="yes")
    assert "instead of create_graph='yes', pass create_graph=True or create_graph=False" in str(info.value)


def test_integer_data_cannot_require_grad():
    with pytest.raises(TypeError, match="only floating-point tensors can require gradients, got dtype int64"):
        Tensor(np.array([1, 2]), requires_grad=True)


@pytest.mark.parametrize("kind", ["array", "tensor", "tensor requiring grad"])
def test_grad_of_the_wrong_shape_under_create_graph_names_both_shapes(kind):
    x = leaf([1.0, 2.0, 3.0])
    bad = np.ones((3, 1))
    if kind != "array":
        bad = Tensor(bad, requires_grad=kind == "tensor requiring grad")
    expected = "backward(grad=...) got a gradient of shape (3, 1) for a tensor of shape (3,); they must be equal"
    with pytest.raises(ValueError, match=re.escape(expected)):
        (x * x).backward(grad=bad, create_graph=True)
    with pytest.raises(ValueError, match=re.escape(expected)):
        tg.grad(x * x, x, grad_outputs=bad, create_graph=True)
    assert x.grad is None


def test_legacy_backward_only_function_with_create_graph_says_to_define_vjp():
    x = leaf([1.0, 2.0])
    y = apply_op(Cube(), x).sum()
    message = (
        "create_graph=True cannot differentiate the gradient of Cube: it defines backward(grad) on numpy "
        "arrays. Define vjp(self, grad, out, *inputs) instead"
    )
    with pytest.raises(RuntimeError, match=re.escape(message)):
        y.backward(create_graph=True)
    with pytest.raises(RuntimeError, match=re.escape(message)):
        tg.grad(apply_op(Cube(), x).sum(), x, create_graph=True)
    assert x.grad is None


def test_legacy_backward_only_function_still_works_on_the_first_order_path():
    x = leaf([1.0, 2.0])
    apply_op(Cube(), x).sum().backward()
    np.testing.assert_allclose(x.grad, [3.0, 12.0], rtol=RTOL)


# --------------------------------------------------------------------------------------------------------
# nested passes and threads
# --------------------------------------------------------------------------------------------------------


class CubeByInnerGrad(tg.ops.Function):
    """y = x^3 whose rule gets dy/dx = 3x^2 from a pass of its own: tg.grad inside another pass's rule.

    Under create_graph the inner pass is itself create_graph on the outer pass's Tensors, so the result stays
    differentiable; on the first-order path it runs on a fresh leaf (grad mode is off in a first-order pass)."""

    __slots__ = ()
    inner_passes = 0

    def forward(self, x):
        return x**3

    def vjp(self, grad, out, x):
        type(self).inner_passes += 1
        if isinstance(x, Tensor):  # create_graph: differentiable through the inner pass
            (d,) = tg.grad((x**3).sum(), x, create_graph=True)
        else:
            with tg.enable_grad():
                t = leaf(x)
                (d,) = tg.grad((t**3).sum(), t)
        return (grad * d,)


def test_tg_grad_inside_a_rule_works_on_both_paths():
    x_np = np.array([0.5, -1.0, 2.0])
    before = CubeByInnerGrad.inner_passes
    x = leaf(x_np)
    apply_op(CubeByInnerGrad(), x).sum().backward()
    np.testing.assert_allclose(x.grad, 3 * x_np**2, rtol=RTOL)
    x = leaf(x_np)
    (g,) = tg.grad(apply_op(CubeByInnerGrad(), x).sum(), x, create_graph=True)
    np.testing.assert_allclose(g.data, 3 * x_np**2, rtol=RTOL)
    (h,) = tg.grad(g.sum(), x)  # through the inner pass's graph: 6x
    np.testing.assert_allclose(h, 6 * x_np, rtol=RTOL)
    assert CubeByInnerGrad.inner_passes == before + 2
    analytic, numeric = hessian_matrices(lambda t: apply_op(CubeByInnerGrad(), t).sum(), [leaf(x_np)])
    np.testing.assert_allclose(analytic, np.diag(6 * x_np), rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(numeric, np.diag(6 * x_np), rtol=1e-6, atol=1e-6)


def test_tg_grad_inside_a_closure_during_a_backward_runs_on_its_own_graph():
    # a hook-like closure inside a create_graph pass starts a second-order pass of its own
    seen = []

    class Spy(tg.ops.Function):
        __slots__ = ()

        def forward(self, x):
            return np.asarray(x) * 2.0

        def vjp(self, grad, out, x):
            other = leaf([1.5])
            (g,) = tg.grad(cube_sum(other), other, create_graph=True)
            (h,) = tg.grad(g.sum(), other)
            seen.append((g.data.copy(), h.copy()))
            return (grad * 2.0,)

    x = leaf([1.0, 2.0])
    (apply_op(Spy(), x) ** 2).sum().backward(create_graph=True)  # f = sum (2x)^2: f' = 8x
    np.testing.assert_allclose(x.grad.data, 8 * x.data, rtol=RTOL)
    np.testing.assert_allclose(seen[0][0], [3 * 1.5**2], rtol=RTOL)
    np.testing.assert_allclose(seen[0][1], [6 * 1.5], rtol=RTOL)


def test_threads_computing_hvps_on_shared_parameters_get_the_right_answers():
    n_threads, rounds = 2, 20
    w_np = np.array([1.0, -2.0, 0.5])
    w = leaf(w_np)  # shared by both threads: a model's parameters
    vectors = [np.array([1.0, 0.0, -1.0]), np.array([0.5, 2.0, 1.0])]
    barrier = threading.Barrier(n_threads)
    results: dict[int, list] = {k: [] for k in range(n_threads)}
    errors: list[str] = []

    def loss(w):  # f = 0.5 w^T A w + sum w^3 / 3: H = A + diag(2w)
        return 0.5 * (w * (Tensor(_A) @ w)).sum() + (w**3).sum() / 3

    def worker(k):
        try:
            barrier.wait(5)
            for _ in range(rounds):
                results[k].append(hvp(loss, [w], [vectors[k]])[0])
        except Exception as err:  # pragma: no cover - reported below
            errors.append(repr(err))

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(n_threads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == []
    H = _A + np.diag(2 * w_np)
    for k in range(n_threads):
        assert len(results[k]) == rounds
        for r in results[k]:
            np.testing.assert_allclose(r, H @ vectors[k], rtol=RTOL)
    assert w.grad is None  # tg.grad wrote nothing into the shared leaf
    assert tg.is_grad_enabled()


# --------------------------------------------------------------------------------------------------------
# memory: second-order graphs are released like first-order ones
# --------------------------------------------------------------------------------------------------------


def test_a_plain_backward_releases_the_second_order_graph():
    x = leaf([0.5, -1.0])
    (g,) = tg.grad(cube_sum(x), x, create_graph=True)
    s = (g * g).sum()  # 9 sum x^4: ds/dx = 36 x^3
    s.backward()
    np.testing.assert_allclose(x.grad, 36 * x.data**3, rtol=RTOL)
    with pytest.raises(RuntimeError, match=r"second time.*retain_graph=True"):
        s.backward()
    np.testing.assert_allclose(x.grad, 36 * x.data**3, rtol=RTOL)  # the failed pass added nothing


def test_retain_graph_keeps_the_second_order_graph_for_another_pass():
    x = leaf([0.5, -1.0])
    (g,) = tg.grad(cube_sum(x), x, create_graph=True)
    s = (g * g).sum()
    s.backward(retain_graph=True)
    s.backward()
    np.testing.assert_allclose(x.grad, 2 * 36 * x.data**3, rtol=RTOL)


def test_the_first_order_graph_survives_a_create_graph_pass_and_its_release():
    # the create_graph pass retained the first graph. Pow's rule builds the gradient 3x^2 from x in new nodes,
    # so releasing that second-order graph leaves the first one usable. (A rule that reuses its output, such as
    # Exp's, puts first-order nodes on the second-order graph, and then releasing it frees them too, as in
    # PyTorch.)
    x = leaf([0.5, -1.0])
    y = cube_sum(x)
    (g,) = tg.grad(y, x, create_graph=True)
    g.sum().backward()  # releases what the second-order graph owns
    np.testing.assert_allclose(x.grad, 6 * x.data, rtol=RTOL)
    (again,) = tg.grad(y, x)  # the original graph
    np.testing.assert_allclose(again, 3 * x.data**2, rtol=RTOL)

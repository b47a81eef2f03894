"""Gradient parity with PyTorch, op by op, including its conventions at kinks and ties.

Skipped where torch is not installed (CI): torch is never a dependency. Run it locally with torch
installed (``pip install torch``) to check that every primitive's forward value and gradient equal PyTorch's.
"""

import numpy as np
import pytest

import tinygrad_edu as tg

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(0)


def _pair(*arrays):
    ours = [tg.Tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    return ours, theirs


# (name, our function, torch function, input arrays)
CASES = [
    ("add_broadcast", lambda a, b: a + b, lambda a, b: a + b, [RNG.normal(size=(3, 1)), RNG.normal(size=(4,))]),
    ("sub_scalar_left", lambda a: 2.0 - a, lambda a: 2.0 - a, [RNG.normal(size=(3,))]),
    ("mul_broadcast", lambda a, b: a * b, lambda a, b: a * b, [RNG.normal(size=(2, 3)), RNG.normal(size=(3,))]),
    ("div", lambda a, b: a / b, lambda a, b: a / b, [RNG.normal(size=(3,)), RNG.uniform(0.5, 2, size=(3,))]),
    ("pow_scalar", lambda a: a**3, lambda a: a**3, [RNG.normal(size=(4,))]),
    ("pow_zero_at_zero", lambda a: a**0, lambda a: a**0, [np.array([0.0, 1.0, -2.0])]),
    ("pow_tensor", lambda a, b: a**b, lambda a, b: a**b, [RNG.uniform(0.2, 2, (3,)), RNG.normal(size=(3,))]),
    ("pow_base_zero", lambda a, b: a**b, lambda a, b: a**b, [np.array([0.0, 0.0, 2.0]), np.array([2.0, 0.5, 1.0])]),
    ("rpow", lambda a: 2.0**a, lambda a: 2.0**a, [RNG.normal(size=(3,))]),
    ("exp", lambda a: a.exp(), lambda a: a.exp(), [RNG.normal(size=(3,))]),
    ("log", lambda a: a.log(), lambda a: a.log(), [RNG.uniform(0.2, 2, (3,))]),
    ("sqrt", lambda a: a.sqrt(), lambda a: a.sqrt(), [RNG.uniform(0.2, 2, (3,))]),
    ("abs_with_zero", lambda a: a.abs(), lambda a: a.abs(), [np.array([-1.0, 0.0, 2.0])]),
    ("relu_with_zero", lambda a: a.relu(), lambda a: a.relu(), [np.array([-1.0, 0.0, 2.0])]),
    ("sigmoid_extreme", lambda a: a.sigmoid(), lambda a: a.sigmoid(), [np.array([-1e4, -3.0, 0.0, 3.0, 1e4])]),
    ("tanh", lambda a: a.tanh(), lambda a: a.tanh(), [RNG.normal(size=(3,))]),
    ("clip_boundaries", lambda a: a.clip(-1, 1), lambda a: a.clamp(-1, 1), [np.array([-2.0, -1.0, 0.0, 1.0, 2.0])]),
    ("maximum_ties", tg.maximum, torch.maximum, [np.array([1.0, 2.0, 3.0]), np.array([1.0, 3.0, 2.0])]),
    ("minimum_ties", tg.minimum, torch.minimum, [np.array([1.0, 2.0, 3.0]), np.array([1.0, 3.0, 2.0])]),
    ("matmul_2d", lambda a, b: a @ b, lambda a, b: a @ b, [RNG.normal(size=(2, 3)), RNG.normal(size=(3, 4))]),
    ("matmul_1d_2d", lambda a, b: a @ b, lambda a, b: a @ b, [RNG.normal(size=(3,)), RNG.normal(size=(3, 4))]),
    ("matmul_2d_1d", lambda a, b: a @ b, lambda a, b: a @ b, [RNG.normal(size=(2, 3)), RNG.normal(size=(3,))]),
    ("matmul_1d_1d", lambda a, b: a @ b, lambda a, b: a @ b, [RNG.normal(size=(3,)), RNG.normal(size=(3,))]),
    (
        "matmul_batched_broadcast",
        lambda a, b: a @ b,
        lambda a, b: a @ b,
        [RNG.normal(size=(2, 1, 3, 4)), RNG.normal(size=(5, 4, 2))],
    ),
    ("sum_axis", lambda a: a.sum(axis=1), lambda a: a.sum(dim=1), [RNG.normal(size=(2, 3, 4))]),
    (
        "mean_axes",
        lambda a: a.mean(axis=(0, 2), keepdims=True),
        lambda a: a.mean(dim=(0, 2), keepdim=True),
        [RNG.normal(size=(2, 3, 4))],
    ),
    ("max_all_ties", lambda a: a.max(), lambda a: a.amax(), [np.array([[1.0, 3.0], [3.0, 0.0]])]),
    ("max_axis_ties", lambda a: a.max(axis=1), lambda a: a.amax(dim=1), [np.array([[1.0, 3.0, 3.0], [2.0, 0.0, 1.0]])]),
    ("min_axis", lambda a: a.min(axis=0), lambda a: a.amin(dim=0), [RNG.normal(size=(3, 4))]),
    (
        "logsumexp_large",
        lambda a: a.logsumexp(axis=1),
        lambda a: a.logsumexp(dim=1),
        [np.array([[1e4, 0.0, -1e4], [1.0, 2.0, 3.0]])],
    ),
    ("softmax_large", lambda a: a.softmax(axis=1), lambda a: a.softmax(dim=1), [np.array([[1e4, 0.0], [1.0, 2.0]])]),
    (
        "log_softmax_large",
        lambda a: a.log_softmax(axis=0),
        lambda a: a.log_softmax(dim=0),
        [np.array([[1e4, 0.0], [-1e4, 2.0]])],
    ),
    ("reshape", lambda a: a.reshape(3, -1), lambda a: a.reshape(3, -1), [RNG.normal(size=(2, 6))]),
    ("transpose_perm", lambda a: a.transpose(2, 0, 1), lambda a: a.permute(2, 0, 1), [RNG.normal(size=(2, 3, 4))]),
    ("expand", lambda a: a.expand(2, 3, 4), lambda a: a.expand(2, 3, 4), [RNG.normal(size=(3, 1))]),
    ("getitem_repeated", lambda a: a[[0, 0, 2]], lambda a: a[[0, 0, 2]], [RNG.normal(size=(3, 2))]),
    ("getitem_slices", lambda a: a[1:, ::2], lambda a: a[1:, ::2], [RNG.normal(size=(3, 4))]),
    (
        "concatenate",
        lambda a, b: tg.concatenate([a, b], axis=1),
        lambda a, b: torch.cat([a, b], dim=1),
        [RNG.normal(size=(2, 3)), RNG.normal(size=(2, 1))],
    ),
    (
        "stack",
        lambda a, b: tg.stack([a, b], axis=1),
        lambda a, b: torch.stack([a, b], dim=1),
        [RNG.normal(size=(2, 3)), RNG.normal(size=(2, 3))],
    ),
    (
        "where",
        lambda a, b: tg.where(a.data > 0, a, b),
        lambda a, b: torch.where(a > 0, a, b),
        [RNG.normal(size=(4,)), RNG.normal(size=(4,))],
    ),
]


@pytest.mark.parametrize(("name", "ours", "theirs", "arrays"), CASES, ids=[c[0] for c in CASES])
def test_forward_and_gradient_equal_pytorch(name, ours, theirs, arrays):
    (t_ours, t_theirs) = _pair(*arrays)
    y_ours, y_theirs = ours(*t_ours), theirs(*t_theirs)
    np.testing.assert_allclose(y_ours.data, y_theirs.detach().numpy(), rtol=1e-12, atol=1e-12)
    upstream = RNG.normal(size=y_ours.shape)
    y_ours.backward(grad=upstream)
    y_theirs.backward(torch.tensor(upstream))
    for mine, reference in zip(t_ours, t_theirs, strict=True):
        np.testing.assert_allclose(mine.grad, reference.grad.numpy(), rtol=1e-10, atol=1e-12)

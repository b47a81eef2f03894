"""Issue 18's constructors: ``Tensor.linspace``, ``Tensor.logspace``, ``Tensor.full_like``, ``Tensor.eye(n, m, k=)``
and ``tg.meshgrid``: numpy's values and conventions, the library's dtype rule, gradients through meshgrid, and
clear errors."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_edu as tg
from tinygrad_edu import Tensor
from tinygrad_edu.gradcheck import gradcheck

try:  # torch is optional (never a dependency): the parity test is skipped without it
    import torch
except ImportError:  # pragma: no cover - depends on the environment
    torch = None


@given(start=st.floats(-5, 5), stop=st.floats(-5, 5), num=st.integers(0, 20), endpoint=st.booleans())
def test_linspace_and_logspace_are_numpys(start: float, stop: float, num: int, endpoint: bool):
    t = Tensor.linspace(start, stop, num, endpoint=endpoint, dtype=np.float64)
    np.testing.assert_array_equal(t.numpy(), np.linspace(start, stop, num, endpoint=endpoint))
    log = Tensor.logspace(start, stop, num, endpoint=endpoint, base=2.0, dtype=np.float64)
    np.testing.assert_array_equal(log.numpy(), np.logspace(start, stop, num, endpoint=endpoint, base=2.0))


def test_constructors_follow_the_default_dtype_and_requires_grad():
    assert Tensor.linspace(0, 1, 5).dtype == np.float32  # the library's default dtype, as every factory
    assert Tensor.logspace(-3, 0, 4).tolist() == pytest.approx([0.001, 0.01, 0.1, 1.0])
    t = Tensor.linspace(0, 1, 3, requires_grad=True, name="grid")
    assert t.requires_grad and t.name == "grid" and t.grad is None
    like = Tensor.full_like(Tensor(np.zeros((2, 3), dtype=np.float64)), 7.5)
    assert like.shape == (2, 3) and like.dtype == np.float64 and np.all(like.numpy() == 7.5)
    assert Tensor.full_like([[1, 2]], 3.0, dtype=np.float32).dtype == np.float32


@pytest.mark.parametrize(("n", "m", "k"), [(3, None, 0), (3, 4, 1), (4, 3, -1), (2, 2, 5), (3, 5, -2)])
def test_eye_with_an_offset_diagonal(n, m, k):
    np.testing.assert_array_equal(Tensor.eye(n, m, k=k).numpy(), np.eye(n, m, k=k))
    assert Tensor.eye(n, m, np.float64).dtype == np.float64  # the third positional argument is still dtype


@pytest.mark.parametrize("indexing", ["xy", "ij"])
@pytest.mark.parametrize("sizes", [(3,), (3, 2), (2, 3, 4)])
def test_meshgrid_matches_numpy_and_its_gradient_sums_over_the_repeats(indexing, sizes):
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(n) for n in sizes]
    grids = tg.meshgrid(*[Tensor(a, requires_grad=True) for a in arrays], indexing=indexing)
    expected = np.meshgrid(*arrays, indexing=indexing)
    for g, e in zip(grids, expected, strict=True):
        np.testing.assert_array_equal(g.numpy(), e)
    leaves = [Tensor(a, requires_grad=True) for a in arrays]
    weights = [rng.standard_normal(e.shape) for e in expected]
    total = sum(
        ((g * w).sum() for g, w in zip(tg.meshgrid(*leaves, indexing=indexing), weights, strict=True)), Tensor(0.0)
    )
    total.backward()
    for i, leaf in enumerate(leaves):  # the adjoint of "repeat x_i along the other axes": sum over them
        axis = (1 - i if i < 2 else i) if indexing == "xy" and len(sizes) >= 2 else i
        other = tuple(a for a in range(len(sizes)) if a != axis)
        np.testing.assert_allclose(leaf.grad, weights[i].sum(axis=other), rtol=1e-12)
    assert gradcheck(lambda *ts: sum((g**2).sum() for g in tg.meshgrid(*ts, indexing=indexing)), leaves)


@pytest.mark.skipif(torch is None, reason="torch is not installed (it is never a dependency)")
def test_meshgrid_ij_is_pytorchs():
    a, b = np.arange(3.0), np.arange(4.0)
    ours = tg.meshgrid(Tensor(a), Tensor(b), indexing="ij")
    theirs = torch.meshgrid(torch.tensor(a), torch.tensor(b), indexing="ij")
    for o, t in zip(ours, theirs, strict=True):
        np.testing.assert_array_equal(o.numpy(), t.numpy())
    np.testing.assert_allclose(  # equal to rounding: torch fills the second half from the end
        Tensor.linspace(0, 1, 7, dtype=np.float64).numpy(),
        torch.linspace(0, 1, 7, dtype=torch.float64).numpy(),
        rtol=0,
        atol=1e-15,
    )


def test_bad_input_is_a_clear_error():
    with pytest.raises(ValueError, match=r"linspace: num \(the number of values\) must be an int >= 0, got -1"):
        Tensor.linspace(0, 1, -1)
    with pytest.raises(ValueError, match=r"logspace: num=2147483648 is more than the limit MAX_ARANGE"):
        Tensor.logspace(0, 1, 2**31)
    with pytest.raises(TypeError, match=r"eye: k \(the diagonal's offset\) must be an int, got 0.5"):
        Tensor.eye(3, k=0.5)
    with pytest.raises(ValueError, match=r"meshgrid: indexing must be 'xy' or 'ij', got 'xyz'"):
        tg.meshgrid(Tensor(np.ones(2)), indexing="xyz")
    with pytest.raises(ValueError, match=r"meshgrid: input 1 must be 1-D, got shape \(2, 2\)"):
        tg.meshgrid(Tensor(np.ones(2)), Tensor(np.ones((2, 2))))

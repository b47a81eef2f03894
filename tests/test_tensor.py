"""The Tensor class: construction and the dtype rule, attributes, conversions, repr, factories and seeding,
numpy interoperability and the Python protocol (comparisons, bool, len, iter, item assignment)."""

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import Tensor


@pytest.fixture
def float64_default():
    """Switch the default dtype to float64 for one test and always restore the previous one."""
    previous = tg.get_default_dtype()
    tg.set_default_dtype(np.float64)
    try:
        yield
    finally:
        tg.set_default_dtype(previous)


# --------------------------------------------------------------------------------------------------------
# construction and the dtype rule
# --------------------------------------------------------------------------------------------------------


def test_default_dtype_is_float32():
    assert tg.get_default_dtype() == np.float32


@pytest.mark.parametrize("value", [3, 2.5])
def test_python_scalar_becomes_0d_float32(value):
    t = Tensor(value)
    assert t.shape == ()
    assert t.ndim == 0
    assert t.dtype == np.float32
    assert t.item() == value


def test_nested_lists_become_float32_even_when_all_ints():
    t = Tensor([[1, 2, 3], [4, 5, 6]])
    assert t.shape == (2, 3)
    assert t.dtype == np.float32
    np.testing.assert_array_equal(t.data, [[1, 2, 3], [4, 5, 6]])


def test_python_bools_stay_boolean():
    t = Tensor([True, False])
    assert t.dtype == np.bool_
    assert t.tolist() == [True, False]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_numpy_float_arrays_keep_their_dtype(dtype):
    a = np.array([[1.5, -2.0]], dtype=dtype)
    t = Tensor(a)
    assert t.dtype == dtype
    np.testing.assert_array_equal(t.data, a)


@pytest.mark.parametrize(
    ("scalar", "dtype"),
    [(np.float32(1.5), np.float32), (np.float64(1.5), np.float64), (np.int64(3), np.int64)],
)
def test_numpy_scalars_keep_their_dtype(scalar, dtype):
    t = Tensor(scalar)
    assert t.shape == ()
    assert t.dtype == dtype
    assert t.item() == scalar


def test_dtype_argument_converts():
    t = Tensor([1, 2], dtype=np.float64)
    assert t.dtype == np.float64
    assert Tensor(np.array([1.5, 2.5]), dtype=np.float32).dtype == np.float32


def test_set_default_dtype_changes_python_data_but_not_numpy_arrays(float64_default):
    assert tg.get_default_dtype() == np.float64
    assert Tensor(1.0).dtype == np.float64
    assert Tensor([[1, 2]]).dtype == np.float64
    assert Tensor.zeros(2).dtype == np.float64
    assert Tensor(np.ones(2, dtype=np.float32)).dtype == np.float32


def test_default_dtype_is_restored_by_the_fixture():
    # runs after test_set_default_dtype_changes_python_data_but_not_numpy_arrays in file order
    assert Tensor([1.0]).dtype == np.float32


@pytest.mark.parametrize("bad", [np.int32, np.bool_, np.complex128])
def test_set_default_dtype_rejects_non_float(bad):
    with pytest.raises(TypeError, match="float16, float32 or float64"):
        tg.set_default_dtype(bad)
    assert tg.get_default_dtype() == np.float32


def test_integer_numpy_data_stays_integer():
    t = Tensor(np.array([1, 2, 3], dtype=np.int64))
    assert t.dtype == np.int64
    assert t.requires_grad is False


@pytest.mark.parametrize("data", [np.array([1, 2, 3], dtype=np.int32), np.array([True, False])])
def test_non_float_data_cannot_require_grad(data):
    with pytest.raises(TypeError, match=str(data.dtype)):
        Tensor(data, requires_grad=True)
    with pytest.raises(TypeError, match="floating-point"):
        Tensor(data).requires_grad_()
    # the fix the message suggests works
    assert Tensor(data, dtype=np.float32, requires_grad=True).requires_grad


def test_ragged_list_raises_value_error_naming_the_input():
    with pytest.raises(ValueError, match="cannot build a Tensor from list"):
        Tensor([[1.0, 2.0], [3.0]])


@pytest.mark.parametrize(
    ("data", "dtype_text"), [("abc", "<U3"), (1 + 2j, "complex128"), ([1j, 2.0], "complex"), (None, "object")]
)
def test_strings_and_complex_are_rejected_with_the_dtype(data, dtype_text):
    with pytest.raises(TypeError, match=f"dtype {dtype_text}"):
        Tensor(data)


def test_construction_copies_the_callers_array():
    a = np.array([1.0, 2.0, 3.0])
    t = Tensor(a)
    t.data[0] = 100.0  # what an optimiser step does
    assert a[0] == 1.0
    a[1] = -5.0
    assert t.data[1] == 2.0


def test_construction_from_tensor_copies_and_keeps_dtype():
    src = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    t = Tensor(src)
    assert t.dtype == np.float64
    assert t.requires_grad is False
    assert t.is_leaf
    t.data[0] = 7.0
    assert src.data[0] == 1.0


def test_name():
    assert Tensor([1.0], name="w").name == "w"
    assert Tensor([1.0]).name is None


# --------------------------------------------------------------------------------------------------------
# attributes and conversions
# --------------------------------------------------------------------------------------------------------


def test_attributes_of_a_leaf():
    t = Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    assert isinstance(t.data, np.ndarray)
    assert t.grad is None
    assert t.requires_grad is True
    assert t.shape == (2, 3)
    assert t.ndim == 2
    assert t.dtype == np.float64
    assert t.size == 6
    assert t.is_leaf
    assert t.grad_fn is None
    assert t.T.shape == (3, 2)
    np.testing.assert_array_equal(t.T.data, t.data.T)


def test_attributes_of_an_op_result():
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = x * 3
    assert y.requires_grad
    assert not y.is_leaf
    assert isinstance(y.grad_fn, tg.ops.Mul)
    np.testing.assert_array_equal(y.data, [3.0, 6.0])


def test_results_of_constants_are_leaves_without_grad():
    y = Tensor([1.0, 2.0]) * 3
    assert y.requires_grad is False
    assert y.is_leaf
    assert y.grad_fn is None


def test_numpy_shares_memory():
    t = Tensor([1.0, 2.0])
    arr = t.numpy()
    assert isinstance(arr, np.ndarray)
    arr[0] = 9.0
    assert t.data[0] == 9.0


def test_item_and_tolist():
    assert Tensor([[2.5]]).item() == 2.5
    assert isinstance(Tensor(3.0).item(), float)
    assert Tensor([[1.0, 2.0], [3.0, 4.0]]).tolist() == [[1.0, 2.0], [3.0, 4.0]]
    assert float(Tensor([1.5])) == 1.5
    assert int(Tensor(np.array([4]))) == 4


def test_item_of_several_elements_raises_with_guidance():
    with pytest.raises(ValueError, match=r"exactly one element, got shape \(2,\).*\.sum\(\)"):
        Tensor([1.0, 2.0]).item()


def test_detach_shares_data_and_is_a_leaf_without_grad():
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    d = y.detach()
    assert d.requires_grad is False
    assert d.is_leaf
    assert d.grad is None
    assert np.shares_memory(d.data, y.data)
    # nothing flows back through a detached tensor
    (x * d).sum().backward()
    np.testing.assert_array_equal(x.grad, [2.0, 4.0])


def test_requires_grad_underscore_sets_flag_in_place_and_returns_self():
    t = Tensor([1.0])
    assert t.requires_grad_() is t
    assert t.requires_grad
    assert t.requires_grad_(False) is t
    assert not t.requires_grad


def test_requires_grad_false_on_non_leaf_raises():
    y = Tensor([1.0], requires_grad=True) * 2
    with pytest.raises(RuntimeError, match=r"only allowed on leaves.*detach"):
        y.requires_grad_(False)


def test_retain_grad_on_tensor_without_grad_raises():
    with pytest.raises(RuntimeError, match="requires grad"):
        Tensor([1.0]).retain_grad()


def test_retain_grad_returns_self_and_keeps_non_leaf_grad():
    x = Tensor([1.0, 2.0], requires_grad=True)
    h = x * x
    assert h.retain_grad() is h
    (h * 3).sum().backward()
    np.testing.assert_array_equal(h.grad, [3.0, 3.0])
    np.testing.assert_array_equal(x.grad, [6.0, 12.0])


# --------------------------------------------------------------------------------------------------------
# repr
# --------------------------------------------------------------------------------------------------------


def test_repr_of_plain_tensor_shows_values_only():
    assert repr(Tensor([1.0, 2.0])) == "Tensor([1., 2.])"


def test_repr_of_leaf_requiring_grad_and_name():
    r = repr(Tensor([1.0, 2.0], requires_grad=True, name="w"))
    assert r.startswith("Tensor([1., 2.]")
    assert "requires_grad=True" in r
    assert "name='w'" in r


def test_repr_of_result_names_the_grad_fn():
    y = Tensor([1.0, 2.0], requires_grad=True) * 2
    r = repr(y)
    assert "[2., 4.]" in r
    assert "grad_fn=<Mul>" in r
    assert "requires_grad" not in r


def test_repr_shows_non_default_dtype():
    assert "dtype=float64" in repr(Tensor(np.array([1.0])))
    assert "dtype=int64" in repr(Tensor(np.array([1, 2])))


def test_repr_of_large_tensor_is_summarised_with_shape():
    r = repr(Tensor(np.zeros((20, 20), dtype=np.float32)))
    assert "..." in r
    assert "shape=(20, 20)" in r


# --------------------------------------------------------------------------------------------------------
# factories and seeding
# --------------------------------------------------------------------------------------------------------

SHAPED_FACTORIES = ["zeros", "ones", "rand", "randn", "uniform"]


@pytest.mark.parametrize("name", SHAPED_FACTORIES)
def test_factories_accept_varargs_or_tuple_shapes(name):
    factory = getattr(Tensor, name)
    for t in (factory(2, 3), factory((2, 3)), factory([2, 3])):
        assert t.shape == (2, 3)
        assert t.dtype == np.float32
        assert t.requires_grad is False
        assert t.is_leaf
    assert factory().shape == ()
    assert factory(0).shape == (0,)


@pytest.mark.parametrize("name", SHAPED_FACTORIES)
def test_factories_dtype_and_requires_grad(name):
    t = getattr(Tensor, name)(4, dtype=np.float64, requires_grad=True)
    assert t.dtype == np.float64
    assert t.requires_grad
    assert t.is_leaf
    assert t.grad is None


@pytest.mark.parametrize("name", SHAPED_FACTORIES)
@pytest.mark.parametrize("bad", [(-1,), (2, -3), (2.5,), ("3",), (True,)])
def test_factories_reject_bad_shapes(name, bad):
    with pytest.raises(ValueError, match="non-negative integers"):
        getattr(Tensor, name)(*bad)


def test_zeros_ones_full_values():
    np.testing.assert_array_equal(Tensor.zeros(2, 2).data, np.zeros((2, 2)))
    np.testing.assert_array_equal(Tensor.ones(3).data, np.ones(3))
    f = Tensor.full((2, 3), 7.5)
    assert f.dtype == np.float32
    np.testing.assert_array_equal(f.data, np.full((2, 3), 7.5))
    assert Tensor.full(4, -1.0, dtype=np.float64).dtype == np.float64
    assert Tensor.full(4, -1.0).shape == (4,)
    assert Tensor.full((2,), 1.0, requires_grad=True).requires_grad
    with pytest.raises(ValueError, match="non-negative integers"):
        Tensor.full((2, -1), 0.0)


def test_zeros_like_and_ones_like_follow_the_argument():
    src = Tensor(np.ones((2, 3), dtype=np.float64))
    z = Tensor.zeros_like(src)
    assert z.shape == (2, 3)
    assert z.dtype == np.float64
    np.testing.assert_array_equal(z.data, 0.0)
    o = Tensor.ones_like(np.zeros(4, dtype=np.float32), requires_grad=True)
    assert o.dtype == np.float32
    assert o.requires_grad
    np.testing.assert_array_equal(o.data, 1.0)
    assert Tensor.zeros_like(src, dtype=np.float32).dtype == np.float32
    assert Tensor.ones_like(src, dtype=np.dtype(np.float32)).dtype == np.float32


def test_zeros_like_of_integer_data_cannot_require_grad():
    with pytest.raises(TypeError, match="int64"):
        Tensor.zeros_like(np.array([1, 2]), requires_grad=True)


def test_arange():
    t = Tensor.arange(5)
    assert t.dtype == np.float32
    np.testing.assert_array_equal(t.data, [0, 1, 2, 3, 4])
    np.testing.assert_allclose(Tensor.arange(1, 2, 0.25).data, [1.0, 1.25, 1.5, 1.75])
    assert Tensor.arange(3, dtype=np.float64, requires_grad=True).requires_grad
    with pytest.raises(ValueError, match="non-zero step"):
        Tensor.arange(0, 5, 0)


def test_eye():
    np.testing.assert_array_equal(Tensor.eye(3).data, np.eye(3))
    assert Tensor.eye(3).dtype == np.float32
    np.testing.assert_array_equal(Tensor.eye(2, 3, dtype=np.float64).data, np.eye(2, 3))
    assert Tensor.eye(2, requires_grad=True).requires_grad


@pytest.mark.parametrize("bad", [-1, 2.5])
def test_eye_rejects_bad_sizes_with_value_error_naming_them(bad):
    # same rule as zeros/ones: a ValueError that names the offending value, not a raw numpy error
    with pytest.raises(ValueError, match=str(bad)):
        Tensor.eye(bad)


def test_uniform_range_and_bad_bounds():
    tg.manual_seed(3)
    u = Tensor.uniform(1000, low=-3.0, high=-1.0, dtype=np.float64)
    assert u.data.min() >= -3.0
    assert u.data.max() < -1.0
    with pytest.raises(ValueError, match="low < high"):
        Tensor.uniform(3, low=1.0, high=1.0)


def test_rand_and_randn_values():
    tg.manual_seed(0)
    r = Tensor.rand(2000, dtype=np.float64).data
    assert r.min() >= 0.0
    assert r.max() < 1.0
    assert abs(r.mean() - 0.5) < 0.05
    n = Tensor.randn(2000, dtype=np.float64).data
    assert abs(n.mean()) < 0.1
    assert abs(n.std() - 1.0) < 0.1


@pytest.mark.parametrize("name", ["rand", "randn", "uniform"])
def test_manual_seed_makes_random_factories_repeatable(name):
    factory = getattr(Tensor, name)
    tg.manual_seed(123)
    a = factory(5).data
    tg.manual_seed(123)
    b = factory(5).data
    tg.manual_seed(124)
    c = factory(5).data
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_manual_seed_returns_the_generator_used_by_factories():
    gen = tg.manual_seed(7)
    expected = np.random.default_rng(7).standard_normal(3)
    assert isinstance(gen, np.random.Generator)
    np.testing.assert_allclose(Tensor.randn(3, dtype=np.float64).data, expected)


@pytest.mark.parametrize("bad", [-1, 1.5, "0", True, None])
def test_manual_seed_rejects_bad_seeds(bad):
    with pytest.raises(ValueError, match="non-negative integer"):
        tg.manual_seed(bad)


# --------------------------------------------------------------------------------------------------------
# numpy interoperability
# --------------------------------------------------------------------------------------------------------


def test_np_asarray_returns_the_values():
    t = Tensor([[1.0, 2.0]])
    a = np.asarray(t)
    assert isinstance(a, np.ndarray)
    np.testing.assert_array_equal(a, [[1.0, 2.0]])
    assert np.asarray(t, dtype=np.float64).dtype == np.float64


def test_np_array_copies():
    t = Tensor([1.0, 2.0])
    a = np.array(t)
    a[0] = 5.0
    assert t.data[0] == 1.0


@pytest.mark.parametrize(
    ("op", "expected"),
    [
        (lambda a, t: a + t, [3.0, 4.0, 5.0]),
        (lambda a, t: a - t, [-1.0, -2.0, -3.0]),
        (lambda a, t: 2 * a * t, [4.0, 6.0, 8.0]),
        (lambda a, t: a / t, [0.5, 1 / 3, 0.25]),
    ],
)
def test_numpy_array_on_the_left_gives_a_tensor(op, expected):
    x = Tensor(np.array([2.0, 3.0, 4.0]), requires_grad=True)
    a = np.ones(3)
    out = op(a, x)
    assert isinstance(out, Tensor)
    assert out.requires_grad
    np.testing.assert_allclose(out.data, expected)


def test_gradient_flows_through_numpy_on_the_left():
    x = Tensor(np.array([1.0, 1.0]), requires_grad=True)
    (np.array([3.0, 5.0]) * x).sum().backward()
    np.testing.assert_array_equal(x.grad, [3.0, 5.0])


def test_numpy_matrix_on_the_left_of_matmul():
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    out = np.array([[1.0, 0.0], [2.0, 3.0]]) @ x
    assert isinstance(out, Tensor)
    np.testing.assert_array_equal(out.data, [1.0, 8.0])


@pytest.mark.parametrize("scalar", [np.float64(2.0), np.float32(2.0), np.int64(2)], ids=["float64", "float32", "int64"])
def test_numpy_scalars_act_like_python_scalars_and_keep_float32(scalar):
    # PyTorch and the library's own rule: a numpy scalar is a weakly typed scalar, so float32 stays float32
    x = Tensor([1.0, 2.0], requires_grad=True)
    for out in (x * scalar, scalar * x, x + scalar, scalar - x):
        assert isinstance(out, Tensor)
        assert out.dtype == np.float32, f"{type(scalar).__name__} operand changed float32 to {out.dtype}"
    np.testing.assert_array_equal((scalar * x).data, [2.0, 4.0])


# --------------------------------------------------------------------------------------------------------
# comparisons and the Python protocol
# --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("op", "expected"),
    [
        (lambda t: t < 2, [True, False, False]),
        (lambda t: t <= 2, [True, True, False]),
        (lambda t: t > 2, [False, False, True]),
        (lambda t: t >= 2, [False, True, True]),
        (lambda t: t == 2, [False, True, False]),
        (lambda t: t != 2, [True, False, True]),
        (lambda t: t < Tensor([0.0, 5.0, 5.0]), [False, True, True]),
        (lambda t: t == [1.0, 0.0, 3.0], [True, False, True]),
        (lambda t: np.array([2.0, 2.0, 2.0]) < t, [False, False, True]),
    ],
)
def test_comparisons_return_boolean_tensors_outside_the_graph(op, expected):
    x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    out = op(x)
    assert isinstance(out, Tensor)
    assert out.dtype == np.bool_
    assert out.requires_grad is False
    assert out.grad_fn is None
    assert out.tolist() == expected


def test_comparison_with_unsupported_type_raises():
    with pytest.raises(TypeError, match="unsupported operand type str"):
        _ = Tensor([1.0]) < "a"


def test_tensor_is_hashable_by_identity():
    a, b = Tensor([1.0]), Tensor([1.0])
    assert len({a, b}) == 2
    assert {a: 1}[a] == 1


def test_bool_of_one_element():
    assert bool(Tensor([0.5])) is True
    assert bool(Tensor(0.0)) is False
    assert bool(Tensor([[3.0]]) > 2) is True


def test_bool_of_several_elements_raises_with_guidance():
    x = Tensor([1.0, 2.0])
    with pytest.raises(ValueError, match=r"ambiguous.*\.any\(\) or \.all\(\).*\.item\(\)"):
        bool(x)
    with pytest.raises(ValueError, match=r"2 elements \(shape \(2,\)\)"):
        if x > 0:
            pass


def test_any_all():
    assert (Tensor([1.0, -1.0]) > 0).any() is True
    assert (Tensor([1.0, -1.0]) > 0).all() is False


def test_len_and_iter():
    x = Tensor(np.arange(6.0).reshape(3, 2), requires_grad=True)
    assert len(x) == 3
    rows = list(x)
    assert len(rows) == 3
    assert all(isinstance(r, Tensor) for r in rows)
    np.testing.assert_array_equal(rows[2].data, [4.0, 5.0])
    # iteration is indexing, so it stays in the graph
    (rows[0] + 2 * rows[2]).sum().backward()
    np.testing.assert_array_equal(x.grad, [[1.0, 1.0], [0.0, 0.0], [2.0, 2.0]])


def test_len_and_iter_of_0d_raise():
    with pytest.raises(TypeError, match="0-d"):
        len(Tensor(1.0))
    with pytest.raises(TypeError, match="0-d"):
        iter(Tensor(1.0))


def test_item_assignment_raises_type_error():
    x = Tensor([1.0, 2.0])
    with pytest.raises(TypeError, match="item assignment"):
        x[0] = 5.0
    assert x.data[0] == 1.0


@pytest.mark.parametrize("other", ["a", None, {}, object()])
def test_unsupported_operand_types_raise_type_error(other):
    x = Tensor([1.0, 2.0])
    with pytest.raises(TypeError, match=f"unsupported operand type {type(other).__name__}"):
        _ = x + other
    with pytest.raises(TypeError, match="unsupported operand type"):
        _ = other * x
    with pytest.raises(TypeError, match="unsupported operand type"):
        _ = x @ other


def test_argmax_argmin():
    x = Tensor([[1.0, 5.0, 3.0], [7.0, 0.0, 2.0]], requires_grad=True)
    assert x.argmax().item() == 3
    assert x.argmin().item() == 4
    am = x.argmax(axis=1)
    assert am.dtype.kind == "i"
    assert am.requires_grad is False
    assert am.tolist() == [1, 0]
    assert x.argmin(axis=0).tolist() == [0, 1, 1]

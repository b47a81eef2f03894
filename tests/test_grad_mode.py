"""Grad mode: no_grad / enable_grad / set_grad_enabled as context managers, decorators and calls; nesting,
restoration after exceptions, and isolation between threads."""

import threading

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import Tensor


@pytest.fixture(autouse=True)
def grad_mode_is_restored():
    """Every test starts with grads enabled and must leave them enabled (a leak would break other tests)."""
    assert tg.is_grad_enabled()
    yield
    leaked = not tg.is_grad_enabled()
    tg.set_grad_enabled(True)
    assert not leaked, "the test left grad mode disabled"


def w():
    return Tensor([1.0, 2.0], requires_grad=True)


def assert_recorded(t):
    assert t.requires_grad
    assert t.grad_fn is not None


def assert_not_recorded(t):
    assert t.requires_grad is False
    assert t.grad_fn is None
    assert t.is_leaf


def test_grad_enabled_by_default():
    assert tg.is_grad_enabled() is True
    assert_recorded(w() * 2)


# --------------------------------------------------------------------------------------------------------
# context managers
# --------------------------------------------------------------------------------------------------------


def test_no_grad_context():
    x = w()
    with tg.no_grad():
        assert tg.is_grad_enabled() is False
        y = x * 2
    assert tg.is_grad_enabled() is True
    assert_not_recorded(y)
    np.testing.assert_array_equal(y.data, [2.0, 4.0])
    assert_recorded(x * 2)


def test_no_grad_keeps_leaf_flags():
    # creating a leaf with requires_grad=True inside no_grad still gives a parameter (as in PyTorch)
    with tg.no_grad():
        p = Tensor([1.0], requires_grad=True)
    assert p.requires_grad
    assert_recorded(p * 2)


def test_backward_inside_no_grad_still_fills_grads():
    x = w()
    y = (x * x).sum()
    with tg.no_grad():
        y.backward()
    np.testing.assert_array_equal(x.grad, [2.0, 4.0])


def test_enable_grad_inside_no_grad_records_again():
    x = w()
    with tg.no_grad():
        with tg.enable_grad():
            assert tg.is_grad_enabled()
            y = x * 3
        assert not tg.is_grad_enabled()
        z = x * 3
    assert_recorded(y)
    assert_not_recorded(z)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, [3.0, 3.0])


@pytest.mark.parametrize("mode", [False, True])
def test_set_grad_enabled_context(mode):
    x = w()
    with tg.set_grad_enabled(mode):
        assert tg.is_grad_enabled() is mode
        y = x * 2
    assert tg.is_grad_enabled() is True
    assert y.requires_grad is mode


def test_set_grad_enabled_context_inside_no_grad_restores_no_grad():
    with tg.no_grad():
        with tg.set_grad_enabled(True):
            assert tg.is_grad_enabled()
        assert not tg.is_grad_enabled()
    assert tg.is_grad_enabled()


def test_set_grad_enabled_as_a_plain_call():
    tg.set_grad_enabled(False)
    try:
        assert tg.is_grad_enabled() is False
        assert_not_recorded(w() * 2)
    finally:
        tg.set_grad_enabled(True)
    assert tg.is_grad_enabled() is True
    assert_recorded(w() * 2)


def test_nested_contexts_restore_each_level():
    states = []
    with tg.no_grad():
        states.append(tg.is_grad_enabled())
        with tg.enable_grad():
            states.append(tg.is_grad_enabled())
            with tg.no_grad():
                states.append(tg.is_grad_enabled())
                with tg.no_grad():
                    states.append(tg.is_grad_enabled())
                states.append(tg.is_grad_enabled())
            states.append(tg.is_grad_enabled())
        states.append(tg.is_grad_enabled())
    states.append(tg.is_grad_enabled())
    assert states == [False, True, False, False, False, True, False, True]


@pytest.mark.parametrize(
    "make", [tg.no_grad, tg.enable_grad, lambda: tg.set_grad_enabled(False)], ids=["no_grad", "enable", "set"]
)
def test_state_restored_after_exception_in_context(make):
    with pytest.raises(KeyError), make():
        raise KeyError("boom")
    assert tg.is_grad_enabled() is True


def test_enable_grad_restores_no_grad_after_exception():
    with tg.no_grad():
        with pytest.raises(KeyError), tg.enable_grad():
            raise KeyError("boom")
        assert tg.is_grad_enabled() is False


# --------------------------------------------------------------------------------------------------------
# decorators
# --------------------------------------------------------------------------------------------------------


def test_no_grad_decorator():
    @tg.no_grad()
    def predict(x):
        """Docstring kept."""
        assert not tg.is_grad_enabled()
        return x * 2

    assert tg.is_grad_enabled()  # decorating changes nothing outside calls
    y = predict(w())
    assert_not_recorded(y)
    np.testing.assert_array_equal(y.data, [2.0, 4.0])
    assert tg.is_grad_enabled()
    assert predict.__name__ == "predict"
    assert predict.__doc__ == "Docstring kept."


def test_no_grad_decorator_without_parentheses():
    # PyTorch (>= 2.0) accepts @torch.no_grad as well as @torch.no_grad()
    @tg.no_grad
    def predict(x):
        return x * 2

    assert_not_recorded(predict(w()))
    assert tg.is_grad_enabled()


def test_enable_grad_decorator_without_parentheses():
    @tg.enable_grad
    def train_step(x):
        return x * 2

    with tg.no_grad():
        y = train_step(w())
    assert_recorded(y)


def test_enable_grad_decorator_inside_no_grad():
    @tg.enable_grad()
    def train_step(x):
        assert tg.is_grad_enabled()
        return x * 2

    with tg.no_grad():
        y = train_step(w())
        assert not tg.is_grad_enabled()
    assert_recorded(y)


@pytest.mark.parametrize("mode", [False, True])
def test_set_grad_enabled_decorator(mode):
    @tg.set_grad_enabled(mode)
    def f(x):
        return x * 2, tg.is_grad_enabled()

    assert tg.is_grad_enabled()  # building the decorator must not switch the mode for the caller
    with tg.no_grad():
        y, inside = f(w())
        assert not tg.is_grad_enabled()
    assert inside is mode
    assert y.requires_grad is mode
    _, inside2 = f(w())
    assert inside2 is mode
    assert tg.is_grad_enabled()


def test_decorated_function_restores_mode_after_exception():
    @tg.no_grad()
    def fails():
        raise ValueError("inside")

    with pytest.raises(ValueError, match="inside"):
        fails()
    assert tg.is_grad_enabled()

    @tg.enable_grad()
    def fails_enabled():
        raise ValueError("inside")

    with tg.no_grad():
        with pytest.raises(ValueError):
            fails_enabled()
        assert not tg.is_grad_enabled()


def test_decorated_function_can_be_called_recursively():
    @tg.no_grad()
    def depth(n):
        assert not tg.is_grad_enabled()
        return 0 if n == 0 else 1 + depth(n - 1)

    assert depth(5) == 5
    assert tg.is_grad_enabled()


# --------------------------------------------------------------------------------------------------------
# threads
# --------------------------------------------------------------------------------------------------------


def test_no_grad_in_one_thread_does_not_disable_grads_in_another():
    inside = threading.Event()
    release = threading.Event()
    seen = {}

    def worker():
        with tg.no_grad():
            seen["worker_enabled"] = tg.is_grad_enabled()
            seen["worker_recorded"] = (w() * 2).requires_grad
            inside.set()
            release.wait(5)  # keep no_grad active while the main thread computes
        seen["worker_after"] = tg.is_grad_enabled()

    thread = threading.Thread(target=worker)
    thread.start()
    try:
        assert inside.wait(5), "worker did not start"
        assert tg.is_grad_enabled() is True
        x = w()
        y = (x * x).sum()
        assert_recorded(y)
        y.backward()
        np.testing.assert_array_equal(x.grad, [2.0, 4.0])
    finally:
        release.set()
        thread.join(5)
    assert seen == {"worker_enabled": False, "worker_recorded": False, "worker_after": True}


def test_new_thread_starts_with_grads_enabled_while_main_is_in_no_grad():
    seen = {}

    def worker():
        seen["enabled"] = tg.is_grad_enabled()
        seen["recorded"] = (w() * 2).requires_grad

    with tg.no_grad():
        thread = threading.Thread(target=worker)
        thread.start()
        thread.join(5)
        assert not tg.is_grad_enabled()
    assert seen == {"enabled": True, "recorded": True}

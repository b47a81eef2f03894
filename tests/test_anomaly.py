"""Anomaly detection (tinygrad_edu.anomaly and its hook in the engine): the switch (context manager,
decorator, plain call, per thread), forward and backward NaN/inf checks whose errors name the op, the input
shapes and the user's line that created the op, in-place writes between forward and backward, no false
alarms and no effect on values, nothing recorded when off, and fit's divergence stop carrying the report.

Lines are found by the ``# <site:NAME>`` markers at the end of the lines that create the ops.
"""

from __future__ import annotations

import gc
import math
import re
import threading
from pathlib import Path

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import Tensor, anomaly
from tinygrad_edu.anomaly import AnomalyError

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")  # numpy's overflow/divide warnings: expected

F = tg.nn.functional
THIS_FILE = Path(__file__).resolve()
_SOURCE = THIS_FILE.read_text().splitlines()


def site_line(name: str) -> int:
    """The line number of the line ending with the marker ``# <site:name>``."""
    marker = f"# <site:{name}>"
    lines = [i + 1 for i, text in enumerate(_SOURCE) if text.rstrip().endswith(marker)]
    assert len(lines) == 1, f"marker {marker} must appear once"
    return lines[0]


def where(name: str) -> str:
    """How an error names the marked line: ``path:line``."""
    return f"{THIS_FILE}:{site_line(name)}"


@pytest.fixture(autouse=True)
def anomaly_mode_is_restored():
    """Every test starts with anomaly detection off and must leave it off."""
    assert not tg.is_anomaly_enabled() and not anomaly.active
    yield
    leaked = tg.is_anomaly_enabled()
    tg.set_detect_anomaly(False)
    assert not leaked, "the test left anomaly detection on"
    assert not anomaly.active


def f64(values, requires_grad=True, name=None):
    return Tensor(np.asarray(values, dtype=np.float64), requires_grad=requires_grad, name=name)


# --------------------------------------------------------------------------------------------------------
# the switch
# --------------------------------------------------------------------------------------------------------


def test_off_by_default_and_context_manager_restores_the_previous_mode():
    assert tg.is_anomaly_enabled() is False
    with tg.detect_anomaly():
        assert tg.is_anomaly_enabled() is True
        with tg.set_detect_anomaly(False):  # pauses the checks inside
            assert tg.is_anomaly_enabled() is False
        assert tg.is_anomaly_enabled() is True
    assert tg.is_anomaly_enabled() is False


def test_context_manager_restores_after_an_exception():
    with pytest.raises(AnomalyError), tg.detect_anomaly():
        f64([0.0]).log()
    assert tg.is_anomaly_enabled() is False


def test_decorator_with_and_without_parentheses():
    @tg.detect_anomaly
    def bare():
        return tg.is_anomaly_enabled()

    @tg.detect_anomaly()
    def called():
        return tg.is_anomaly_enabled()

    @tg.set_detect_anomaly(True)
    def switched():
        return tg.is_anomaly_enabled()

    assert (bare(), called(), switched()) == (True, True, True)
    assert tg.is_anomaly_enabled() is False  # decorating does not switch the mode


def test_plain_call_switches_until_switched_back():
    tg.set_detect_anomaly(True)
    try:
        assert tg.is_anomaly_enabled()
        with pytest.raises(AnomalyError):
            f64([-1.0]).sqrt()
    finally:
        tg.set_detect_anomaly(False)
    assert tg.is_anomaly_enabled() is False
    assert np.isnan(f64([-1.0]).sqrt().data).all()  # off: numpy's NaN, no error


def test_the_mode_is_per_thread():
    inside, release, seen = threading.Event(), threading.Event(), {}

    def worker():
        with tg.detect_anomaly():
            seen["worker"] = tg.is_anomaly_enabled()
            inside.set()
            release.wait(5)

    thread = threading.Thread(target=worker)
    thread.start()
    try:
        assert inside.wait(5)
        assert tg.is_anomaly_enabled() is False  # the worker's detect_anomaly does not reach this thread
        assert np.isneginf(f64([0.0]).log().data).all()  # so no error here
    finally:
        release.set()
        thread.join(5)

    def fresh():
        seen["fresh"] = tg.is_anomaly_enabled()

    with tg.detect_anomaly():
        other = threading.Thread(target=fresh)
        other.start()
        other.join(5)
    assert seen == {"worker": True, "fresh": False}  # a new thread starts with it off


def test_the_engines_global_flag_is_on_while_any_thread_has_the_mode_on():
    assert anomaly.active is False
    with tg.detect_anomaly():
        assert anomaly.active is True
        with tg.detect_anomaly():  # nested: still one thread
            pass
        assert anomaly.active is True
    assert anomaly.active is False
    inside, release = threading.Event(), threading.Event()

    def worker():
        with tg.detect_anomaly():
            inside.set()
            release.wait(5)

    thread = threading.Thread(target=worker)
    thread.start()
    try:
        assert inside.wait(5)
        assert anomaly.active is True and tg.is_anomaly_enabled() is False  # on elsewhere, off here
        np.testing.assert_array_equal(f64([0.0]).log().data, [-np.inf])  # so nothing is checked here
        with tg.set_detect_anomaly(False):  # switching off what is off changes no count
            pass
    finally:
        release.set()
        thread.join(5)
    assert anomaly.active is False


# --------------------------------------------------------------------------------------------------------
# forward
# --------------------------------------------------------------------------------------------------------


def test_forward_error_names_op_shapes_value_and_the_users_line():
    x = f64([1.0, 0.0, 2.0], name="x")
    with pytest.raises(AnomalyError) as info, tg.detect_anomaly():
        x.log()  # <site:log>
    message = str(info.value)
    assert isinstance(info.value, FloatingPointError)
    assert "forward pass: Log produced -inf" in message
    assert "1 of 3 values" in message and "index (1,)" in message and "input 0 = 0.0" in message
    assert "'x': float64 tensor of shape (3,)" in message
    assert where("log") in message and "x.log()" in message  # the file, the line and its code
    assert "hint: log(0) = -inf" in message


@pytest.mark.parametrize(
    ("expression", "op", "bad"),
    [
        (lambda x: x.exp(), "Exp", "inf"),  # exp(1000) overflows
        (lambda x: 1.0 / (x - 1000.0), "Div", "inf"),  # division by zero
        (lambda x: (x - 1000.0) / (x - 1000.0), "Div", "NaN"),  # 0 / 0
        (lambda x: (-x).sqrt(), "Sqrt", "NaN"),  # sqrt of a negative number
        (lambda x: (-x).log(), "Log", "NaN"),  # log of a negative number
        (lambda x: x**200, "Pow", "inf"),  # 1000 ** 200 overflows
        (lambda x: x.exp() * 0.0, "Exp", "inf"),  # the first bad op is reported, not the later NaN
    ],
)
def test_forward_overflow_log_and_division_are_caught(expression, op, bad):
    x = f64([1000.0])
    with pytest.raises(AnomalyError, match=rf"forward pass: {op} produced {bad}"), tg.detect_anomaly():
        expression(x)


def test_forward_is_checked_under_no_grad_too():
    with pytest.raises(AnomalyError, match="Exp produced inf"), tg.detect_anomaly(), tg.no_grad():
        f64([1e4], requires_grad=False).exp()


def test_float32_overflow_is_caught_where_float64_would_not_overflow():
    with tg.detect_anomaly():
        np.testing.assert_allclose(f64([100.0]).exp().data, np.exp(100.0))
        with pytest.raises(AnomalyError, match="Exp produced inf"):
            Tensor(np.array([100.0], np.float32)).exp()  # e^100 > 3.4e38, float32's largest value


def test_an_input_that_already_holds_nan_is_pointed_out():
    bad = f64([1.0, np.nan], requires_grad=False)
    with (
        pytest.raises(AnomalyError, match=r"(?s)Add produced NaN.*contains NaN/inf.*note: input 1 already"),
        tg.detect_anomaly(),
    ):
        f64([1.0, 2.0]) + bad


def test_library_functions_in_between_are_listed_and_the_users_line_is_reported():
    tg.manual_seed(0)
    model = tg.nn.Linear(2, 3)
    x = Tensor(np.array([[np.inf, 1.0]], np.float32))
    with pytest.raises(AnomalyError) as info, tg.detect_anomaly():
        model(x)  # <site:model>
    message = str(info.value)
    assert re.search(r"forward pass: \w+ produced", message)  # MatMul, or a fused Linear op
    assert "0: float32 tensor of shape (1, 2), contains NaN/inf" in message
    assert f"{where('model')} in test_library_functions" in message
    assert "(via Module.__call__ > Linear.forward)" in message


def test_a_custom_primitive_is_checked_and_named():
    class Reciprocal(tg.ops.Function):
        """y = 1/x"""

        __slots__ = ()

        def forward(self, x):
            self.saved = (x,)
            return 1.0 / x

        def backward(self, grad):
            (x,) = self.saved
            return (-grad / x**2,)

    with pytest.raises(AnomalyError, match="Reciprocal produced inf"), tg.detect_anomaly():
        tg.tensor.apply_op(Reciprocal(), f64([0.0]))


def test_creation_site_skips_the_library_frames():
    site = anomaly.creation_site()  # <site:direct>
    assert (site.filename, site.lineno, site.function) == (
        str(THIS_FILE),
        site_line("direct"),
        "test_creation_site_skips_the_library_frames",
    )
    assert site.code.startswith("site = anomaly.creation_site()")
    assert site.via == ()


# --------------------------------------------------------------------------------------------------------
# backward
# --------------------------------------------------------------------------------------------------------


def test_backward_error_names_the_line_that_created_the_op_not_the_backward_call():
    x = f64([4.0, 0.0], name="x")
    with tg.detect_anomaly():
        # forward fine: sqrt(0) = 0
        y = x.sqrt()  # <site:sqrt>
        loss = (y * 3.0).sum()
        with pytest.raises(AnomalyError) as info:
            loss.backward()  # <site:backward>
    message = str(info.value)
    assert "backward pass of Sqrt" in message
    assert "input 0 ('x': float64 tensor of shape (2,)) contains inf" in message
    assert "index (1,); the input's value there is 0.0" in message
    assert f"created at {where('sqrt')}" in message
    assert where("backward") not in message
    assert "hint: sqrt" in message


def test_backward_of_pow_at_zero():
    w = f64([0.0, 1.0])
    with tg.detect_anomaly():
        # d/dw w^0.5 = 0.5 w^-0.5: inf at 0
        loss = (w**0.5).sum()  # <site:pow>
        with pytest.raises(AnomalyError, match=rf"(?s)backward pass of Pow.*created at {where('pow')}"):
            loss.backward()


def test_a_non_finite_seed_is_reported_as_the_gradient_reaching_the_op():
    x = f64([1.0, 2.0])
    with tg.detect_anomaly():
        y = x * 2.0  # <site:seeded>
        with pytest.raises(AnomalyError, match=r"(?s)backward pass of Mul: the gradient reaching it contains NaN"):
            y.backward(np.array([1.0, np.nan]))


def test_gradients_and_values_are_unchanged_by_anomaly_mode():
    """A full training step under detect_anomaly gives bit-for-bit the same values and gradients."""

    def train(checked: bool) -> list[np.ndarray]:
        tg.manual_seed(0)
        X, y = tg.data.load_iris()
        model = tg.nn.MLP([4, 8, 3])
        opt = tg.optim.Adam(model.parameters(), lr=0.05)
        for _ in range(5):
            with tg.set_detect_anomaly(checked):
                opt.zero_grad()
                loss = F.cross_entropy(model(X), y)
                loss.backward()
            opt.step()
        return [p.data.copy() for p in model.parameters()] + [p.grad.copy() for p in model.parameters()]

    for a, b in zip(train(False), train(True), strict=True):
        np.testing.assert_array_equal(a, b)


def test_gradcheck_runs_under_anomaly_mode():
    x = f64([0.5, -1.0, 2.0])
    with tg.detect_anomaly():
        assert tg.gradcheck.gradcheck(lambda t: (t.tanh() * t.exp()).sum(), [x])


def test_retain_graph_twice_without_changes_is_not_an_error():
    x = f64([1.0, 2.0])
    with tg.detect_anomaly():
        y = (x * x).exp().sum()
        y.backward(retain_graph=True)
        y.backward()
    np.testing.assert_allclose(x.grad, 2 * 2 * x.data * np.exp(x.data**2))


# --------------------------------------------------------------------------------------------------------
# in-place writes between forward and backward
# --------------------------------------------------------------------------------------------------------


def test_writing_into_data_in_place_is_detected():
    w = f64([1.0, 2.0], name="w")
    with tg.detect_anomaly():
        loss = (w * w).sum()  # <site:inplace>
        w.data *= 2  # Mul saved w.data itself: its backward would use [2, 4] instead of [1, 2]
        with pytest.raises(RuntimeError, match=r"modified in place") as info:
            loss.backward()
    assert not isinstance(info.value, FloatingPointError)
    assert "input 0 of Mul ('w': float64 tensor of shape (2,))" in str(info.value)
    assert f"created at {where('inplace')}" in str(info.value)


def test_an_optimizer_step_between_forward_and_backward_is_detected():
    w = f64([1.0, 2.0])
    opt = tg.optim.SGD([w], lr=0.1)
    with tg.detect_anomaly():
        loss = (w.tanh() ** 2).sum()
        loss.backward(retain_graph=True)
        opt.step()  # updates w.data in place; the graph still holds the old values' arrays
        with pytest.raises(RuntimeError, match="modified in place"):
            loss.backward()


def test_writing_into_an_ops_output_is_detected():
    x = f64([0.5, 1.0])
    with tg.detect_anomaly():
        y = x.exp()  # Exp saved its output: d e^x / dx = e^x
        z = (y * 2.0).sum()
        y.data[0] = 100.0
        with pytest.raises(RuntimeError, match=r"the input 0 of Mul \(float64 tensor of shape \(2,\)\) was modified"):
            z.backward()


def test_rebinding_data_is_not_in_place_and_backward_uses_the_recorded_values():
    w = f64([1.0, 2.0])
    with tg.detect_anomaly():
        loss = (w * w).sum()
        w.data = w.data * 10  # a new array: the graph keeps the old one
        loss.backward()
    np.testing.assert_array_equal(w.grad, [2.0, 4.0])


# --------------------------------------------------------------------------------------------------------
# cost when off, and memory
# --------------------------------------------------------------------------------------------------------


def test_nothing_is_recorded_when_off():
    before = len(anomaly._records)
    x = f64([1.0, 2.0])
    y = (x.exp() * x).sum()
    y.backward()
    assert len(anomaly._records) == before


def test_records_leave_with_their_tensors():
    gc.collect()
    before = len(anomaly._records)
    with tg.detect_anomaly():
        x = f64([1.0, 2.0])
        y = (x.exp() * x).sum()
        assert len(anomaly._records) == before + 3  # Exp, Mul, Sum
        y.backward()
    del y
    gc.collect()
    assert len(anomaly._records) == before


# --------------------------------------------------------------------------------------------------------
# fit: the divergence stop reason carries the report
# --------------------------------------------------------------------------------------------------------


class LogModel(tg.nn.Module):
    """y_hat = log(w) x: gradient descent with a large step pushes w below 0, where log is NaN."""

    def __init__(self):
        super().__init__()
        self.w = f64([1.0])

    def forward(self, x):
        return self.w.log() * x  # <site:fit-log>


class SqrtModel(tg.nn.Module):
    """y_hat = sqrt|w| x: one step lands exactly on w = 0, where the derivative of sqrt is inf."""

    def __init__(self):
        super().__init__()
        self.w = f64([1.0])

    def forward(self, x):
        return self.w.abs().sqrt() * x  # <site:fit-sqrt>


def ones_problem():
    X = np.ones((4, 1))
    return X, np.full((4, 1), -10.0)


def test_fit_stops_with_the_anomaly_report_from_the_forward_pass():
    X, y = ones_problem()
    model = LogModel()
    with tg.detect_anomaly():  # loss = (log w + 10)^2: gradient 20 at w = 1, so lr 0.1 steps to w = -1
        history = tg.train.fit(
            model,
            F.mse_loss,
            tg.optim.GD(model.parameters(), lr=0.1),
            (X, y),
            epochs=10,
            val_data=(X, y),
            progress=False,
        )
    reason = history.stop_reason
    assert reason.code == "diverged" and reason.iteration == 2
    assert "anomaly detection stopped iteration 2: anomaly detected in the forward pass: Log produced NaN" in (
        reason.message
    )
    assert f"created at {where('fit-log')} in forward" in reason.message
    assert history.loss[0] == 100.0 and math.isnan(history.loss[1])
    assert history.grad_norm[0] == 20.0 and math.isnan(history.grad_norm[1])
    np.testing.assert_array_equal(model.w.data, [-1.0])  # no step from the anomalous iteration
    np.testing.assert_array_equal(history.last_good_params["w"], [1.0])
    assert history.last_good_iteration == 0
    assert math.isnan(history.val_loss[-1])  # the evaluation at the bad parameters records NaN, no error


def test_fit_stops_with_the_anomaly_report_from_the_backward_pass():
    X, y = np.ones((4, 1)), np.zeros((4, 1))
    model = SqrtModel()  # loss = |w|: gradient 1 at w = 1, so lr 1 steps to exactly w = 0
    with tg.detect_anomaly():
        history = tg.train.fit(
            model, F.mse_loss, tg.optim.GD(model.parameters(), lr=1.0), (X, y), epochs=10, progress=False
        )
    reason = history.stop_reason
    assert reason.code == "diverged" and reason.iteration == 2
    assert "backward pass of Sqrt" in reason.message and f"created at {where('fit-sqrt')}" in reason.message
    assert history.loss == [1.0, 0.0]  # the forward pass at w = 0 was fine
    np.testing.assert_array_equal(model.w.data, [0.0])


def test_fit_without_anomaly_mode_reports_the_nan_loss():
    X, y = ones_problem()
    model = LogModel()
    history = tg.train.fit(
        model, F.mse_loss, tg.optim.GD(model.parameters(), lr=0.1), (X, y), epochs=10, progress=False
    )
    assert history.stop_reason.code == "diverged"
    assert history.stop_reason.message.startswith("the loss is nan at iteration 2")
    assert "anomaly" not in history.stop_reason.message

"""Bad-input campaign for ``tg.nn`` (modules, layers, init; ``nn.functional`` has its own campaign).

Every public class and function of ``tinygrad_edu.nn.module``, ``.layers`` and ``.init``, with the inputs a user
gets wrong: each error must name the argument, the value given and the fix (see ``tests/bad_input.py``).
"""

import numpy as np
import pytest
from bad_input import BadInput, check, params

import tinygrad_edu as tg
from tinygrad_edu.nn import MLP, Flatten, Linear, LogSoftmax, ReLU, Sequential, Softmax, init

F = tg.nn.functional
W = lambda: tg.Tensor.zeros(3, 2, requires_grad=True)  # noqa: E731  a fresh (out=3, in=2) weight per case
LIN = lambda: Linear(2, 3)  # noqa: E731


CASES: list[BadInput] = [
    # ---- Module ---------------------------------------------------------------------------------------------
    BadInput(
        "Module.train/str-mode",
        lambda: LIN().train("False"),
        TypeError,
        ["Module.train: mode must be True or False", "got 'False'"],
    ),
    BadInput("Module.train/int-mode", lambda: LIN().train(0), TypeError, ["mode must be True or False", "got 0 (int)"]),
    BadInput(
        "Module.zero_grad/str",
        lambda: LIN().zero_grad("no"),
        TypeError,
        ["Module.zero_grad: set_to_none must be True or False", "got 'no'"],
    ),
    BadInput(
        "Module.apply/not-callable",
        lambda: LIN().apply(5),
        TypeError,
        ["Module.apply: fn must be a function of one module", "got 5", "model.apply(lambda m:"],
    ),
    BadInput(
        "Module.forward/missing",
        lambda: tg.nn.Module()(tg.Tensor([1.0])),
        NotImplementedError,
        ["Module has no forward()", "define `def forward(self, x): ...`"],
    ),
    BadInput(
        "load_state_dict/a-model",
        lambda: LIN().load_state_dict(Linear(2, 3)),
        TypeError,
        ["load_state_dict: state_dict must be a mapping", "got Linear", "load_state_dict(other.state_dict())"],
    ),
    BadInput(
        "load_state_dict/a-list",
        lambda: LIN().load_state_dict([1, 2]),
        TypeError,
        [
            "state_dict must be a mapping of parameter name -> array",
            "got list [1, 2]",
            "pass what model.state_dict() returns",
        ],
    ),
    BadInput(
        "load_state_dict/missing-key",
        lambda: LIN().load_state_dict({"weight": np.zeros((3, 2), np.float32)}),
        ValueError,
        ["Missing keys: 'bias'", "Expected keys: 'weight', 'bias'", "pass strict=False"],
    ),
    BadInput(
        "load_state_dict/unexpected-key",
        lambda: LIN().load_state_dict({**LIN().state_dict(), "gamma": np.zeros(3)}),
        ValueError,
        ["Unexpected keys: 'gamma'", "pass strict=False to load only the matching keys"],
    ),
    BadInput(
        "load_state_dict/shape",
        lambda: LIN().load_state_dict({"weight": np.zeros((2, 3), np.float32), "bias": np.zeros(3, np.float32)}),
        ValueError,
        ["shape mismatch for 'weight'", "has shape (2, 3)", "parameter has shape (3, 2)", "other layer sizes"],
    ),
    BadInput(
        "load_state_dict/dtype",
        lambda: LIN().load_state_dict({"weight": np.zeros((3, 2)), "bias": np.zeros(3, np.float32)}),
        TypeError,
        ["dtype mismatch for 'weight'", "dtype float64", "value.astype(np.float32)"],
    ),
    BadInput(
        "load_state_dict/string-value",
        lambda: LIN().load_state_dict({"weight": "abc", "bias": [0, 0, 0]}),
        ValueError,
        ["the value for 'weight' must be an array of shape (3, 2)", "got str 'abc'", "save with model.state_dict()"],
    ),
    BadInput(
        "load_state_dict/ragged-value",
        lambda: LIN().load_state_dict({"weight": [[1, 2], [3]], "bias": [0, 0, 0]}),
        ValueError,
        ["the value for 'weight' must be an array", "got list [[1, 2], [3]]"],
    ),
    BadInput(
        "load_state_dict/str-strict",
        lambda: LIN().load_state_dict(LIN().state_dict(), strict="no"),
        TypeError,
        ["load_state_dict: strict must be True or False", "got 'no'"],
    ),
    # ---- Linear ---------------------------------------------------------------------------------------------
    BadInput(
        "Linear/zero-in",
        lambda: Linear(0, 3),
        ValueError,
        ["Linear: in_features must be a positive integer", "got 0", "X.shape[-1]"],
    ),
    BadInput(
        "Linear/float-in", lambda: Linear(2.0, 3), ValueError, ["in_features must be a positive integer", "got 2.0"]
    ),
    BadInput(
        "Linear/bool-in", lambda: Linear(True, 3), ValueError, ["in_features must be a positive integer", "got True"]
    ),
    BadInput(
        "Linear/negative-out",
        lambda: Linear(2, -1),
        ValueError,
        ["Linear: out_features must be a positive integer", "got -1", "the size of each output"],
    ),
    BadInput(
        "Linear/str-bias",
        lambda: Linear(2, 3, bias="no"),
        TypeError,
        ["Linear: bias must be True or False", "got 'no'"],
    ),
    BadInput(
        "Linear/int-dtype",
        lambda: Linear(2, 3, dtype=np.int64),
        TypeError,
        ["Linear: dtype must be a float dtype", "got int64", "use np.float32"],
    ),
    BadInput(
        "Linear/unknown-dtype",
        lambda: Linear(2, 3, dtype="foo"),
        TypeError,
        ["dtype must be a float dtype", "got 'foo'", "np.float64"],
    ),
    BadInput(
        "Linear/wrong-features",
        lambda: LIN()(tg.Tensor.ones(4, 5)),
        ValueError,
        ["Linear(in_features=2, out_features=3)", "last axis has 2 features", "got shape (4, 5)"],
    ),
    BadInput(
        "Linear/scalar-input", lambda: LIN()(tg.Tensor(1.0)), ValueError, ["last axis has 2 features", "got shape ()"]
    ),
    BadInput(
        "Linear/1d-batch-of-scalars",
        lambda: Linear(1, 1)(tg.Tensor.ones(4)),
        ValueError,
        ["got shape (4,)", "a batch of N scalars is x.reshape(-1, 1)"],
    ),
    BadInput(
        "Linear/string-input",
        lambda: LIN()("abc"),
        TypeError,
        ["dtype <U3", "from str", "supports bool, integer and float"],
    ),
    # ---- Sequential -----------------------------------------------------------------------------------------
    BadInput(
        "Sequential/a-list",
        lambda: Sequential([LIN()]),
        TypeError,
        ["Sequential takes Modules, got list at position 0", "unpack a list with Sequential(*layers)"],
    ),
    BadInput(
        "Sequential/a-function",
        lambda: Sequential(LIN(), F.relu),
        TypeError,
        ["got function 'relu' at position 1", "tg.nn.ReLU() for F.relu"],
    ),
    BadInput(
        "Sequential/a-class",
        lambda: Sequential(LIN(), ReLU),
        TypeError,
        ["got the class ReLU at position 1", "create an instance: ReLU()"],
    ),
    BadInput(
        "Sequential/an-int",
        lambda: Sequential(LIN(), 3),
        TypeError,
        ["got int 3 at position 1", "pass layers such as tg.nn.Linear(2, 3)"],
    ),
    BadInput(
        "Sequential.append/non-module",
        lambda: Sequential(LIN()).append("relu"),
        TypeError,
        ["got str 'relu' at position 1", "pass layers such as"],
    ),
    BadInput(
        "Sequential/index-out-of-range",
        lambda: Sequential(LIN(), ReLU())[5],
        IndexError,
        ["index 5 is out of range for a Sequential of 2 modules", "valid indices are 0..1 or -2..-1"],
    ),
    BadInput(
        "Sequential/str-index",
        lambda: Sequential(LIN())["0"],
        TypeError,
        ["Sequential indices must be ints or slices", "got '0' (str)", "seq[0], seq[-1], seq[1:]"],
    ),
    # ---- activations and shape layers -----------------------------------------------------------------------
    BadInput(
        "Softmax/str-axis",
        lambda: Softmax(axis="rows"),
        TypeError,
        ["Softmax: axis must be an int", "got 'rows'", "-1 is the last axis"],
    ),
    BadInput(
        "Softmax/axis-out-of-range",
        lambda: Softmax(axis=2)(tg.Tensor.ones(2, 3)),
        ValueError,
        ["Softmax(axis=2) does not fit an input of shape (2, 3)", "axis must be in [-2, 1]", "got 2"],
    ),
    BadInput(
        "LogSoftmax/float-axis",
        lambda: LogSoftmax(axis=1.0),
        TypeError,
        ["LogSoftmax: axis must be an int", "got 1.0 (float)"],
    ),
    BadInput(
        "LogSoftmax/axis-out-of-range",
        lambda: LogSoftmax(axis=-3)(tg.Tensor.ones(2, 3)),
        ValueError,
        ["LogSoftmax(axis=-3) does not fit", "axis must be in [-2, 1]", "got -3"],
    ),
    BadInput("Flatten/float-start", lambda: Flatten(1.5), TypeError, ["Flatten: start_axis must be an int", "got 1.5"]),
    BadInput(
        "Flatten/str-end", lambda: Flatten(1, "last"), TypeError, ["Flatten: end_axis must be an int", "got 'last'"]
    ),
    BadInput(
        "Flatten/start-out-of-range",
        lambda: Flatten(3)(tg.Tensor.ones(2, 3)),
        ValueError,
        ["Flatten(start_axis=3, end_axis=-1)", "input of shape (2, 3)", "both in [-2, 1]"],
    ),
    BadInput(
        "Flatten/start-after-end",
        lambda: Flatten(2, 1)(tg.Tensor.ones(2, 3, 4)),
        ValueError,
        ["Flatten(start_axis=2, end_axis=1)", "need start_axis <= end_axis"],
    ),
    BadInput("ReLU/string-input", lambda: ReLU()("abc"), TypeError, ["dtype <U3", "from str"]),
    # ---- MLP ------------------------------------------------------------------------------------------------
    BadInput(
        "MLP/int-sizes",
        lambda: MLP(3),
        TypeError,
        ["MLP: sizes must be a sequence of ints", "got 3", "e.g. MLP([2, 16, 1])"],
    ),
    BadInput(
        "MLP/one-size",
        lambda: MLP([3]),
        ValueError,
        ["MLP needs at least two sizes [in_features, out_features]", "got [3]", "e.g. MLP([2, 16, 1])"],
    ),
    BadInput(
        "MLP/zero-size",
        lambda: MLP([3, 0, 1]),
        ValueError,
        ["MLP: every size must be a positive integer, got 0", "sizes[1] is 0 in sizes=[3, 0, 1]"],
    ),
    BadInput("MLP/float-size", lambda: MLP([3, 2.5, 1]), ValueError, ["got 2.5", "sizes[1] is 2.5"]),
    BadInput(
        "MLP/unknown-activation",
        lambda: MLP([3, 2, 1], activation="prelu"),
        ValueError,
        [
            "MLP: unknown activation 'prelu'",
            "choose one of ['elu', 'gelu', 'hardtanh', 'identity', 'leaky_relu', 'mish', 'relu', 'relu6', 'selu', "
            "'sigmoid', 'silu', 'softplus', 'tanh']",
        ],
    ),
    BadInput(
        "MLP/softmax-output",
        lambda: MLP([3, 2], output_activation="softmax"),
        ValueError,
        ["unknown output_activation 'softmax'", "output_activation=tg.nn.Softmax", "cross_entropy"],
    ),
    BadInput(
        "MLP/int-activation",
        lambda: MLP([3, 2, 1], activation=5),
        TypeError,
        ["MLP: activation must be a name, a Module class or None", "got 5", "e.g. 'relu' or tg.nn.Tanh"],
    ),
    BadInput(
        "MLP/activation-instance",
        lambda: MLP([3, 2, 1], activation=ReLU()),
        TypeError,
        ["activation must be a name, a Module class or None", "got the instance ReLU()", "pass the class tg.nn.ReLU"],
    ),
    BadInput(
        "MLP/activation-function",
        lambda: MLP([3, 2, 1], activation=F.relu),
        TypeError,
        ["activation function 'relu' cannot be called without arguments", "pass a Module class such as tg.nn.ReLU"],
    ),
    BadInput(
        "MLP/factory-returns-non-module",
        lambda: MLP([3, 2, 1], activation=lambda: 3),
        TypeError,
        ["returned int, not a Module", "lambda: tg.nn.ReLU()"],
    ),
    BadInput(
        "MLP/str-bias", lambda: MLP([3, 2, 1], bias="no"), TypeError, ["MLP: bias must be True or False", "got 'no'"]
    ),
    BadInput(
        "MLP/wrong-input",
        lambda: MLP([3, 2, 1])(tg.Tensor.ones(4, 2)),
        ValueError,
        ["Linear(in_features=3, out_features=2)", "last axis has 3 features", "got shape (4, 2)"],
    ),
    # ---- init -----------------------------------------------------------------------------------------------
    BadInput(
        "calculate_gain/unknown",
        lambda: init.calculate_gain("Relu"),
        ValueError,
        ["calculate_gain: unknown nonlinearity 'Relu'", "choose one of ['linear'"],
    ),
    BadInput(
        "calculate_gain/str-param",
        lambda: init.calculate_gain("leaky_relu", "a"),
        TypeError,
        ["calculate_gain: param (the negative slope of the leaky ReLU) must be a number", "got 'a'"],
    ),
    BadInput(
        "calculate_gain/nan-param",
        lambda: init.calculate_gain("leaky_relu", float("nan")),
        ValueError,
        ["param (the negative slope of the leaky ReLU) must be finite", "got nan"],
    ),
    BadInput(
        "fan_in_and_fan_out/1d",
        lambda: init.fan_in_and_fan_out((3,)),
        ValueError,
        [
            "fan_in_and_fan_out: fan-in and fan-out need a weight with at least 2 dimensions",
            "got shape (3,)",
            "initialise a bias or a vector with uniform_",
        ],
    ),
    BadInput(
        "fan_in_and_fan_out/int",
        lambda: init.fan_in_and_fan_out(5),
        TypeError,
        ["fan_in_and_fan_out: shape must be a tuple of ints", "got 5"],
    ),
    BadInput(
        "fan_in_and_fan_out/a-tensor",
        lambda: init.fan_in_and_fan_out(W()),
        TypeError,
        ["shape must be a tuple of ints, got a Tensor", "pass tensor.shape"],
    ),
    BadInput(
        "fan_in_and_fan_out/float-dims",
        lambda: init.fan_in_and_fan_out((3.0, 2)),
        TypeError,
        ["shape must be a tuple of ints >= 0", "got (3.0, 2)"],
    ),
    BadInput(
        "zeros_/ndarray",
        lambda: init.zeros_(np.zeros(3)),
        TypeError,
        ["zeros_ fills a Tensor in place, got ndarray", "pass a parameter such as layer.weight"],
    ),
    BadInput(
        "ones_/int-tensor",
        lambda: init.ones_(tg.Tensor.zeros(3, dtype=np.int64)),
        TypeError,
        ["ones_ needs a floating-point tensor, got dtype int64", "create the parameter with a float dtype"],
    ),
    BadInput(
        "constant_/str-value",
        lambda: init.constant_(W(), "a"),
        TypeError,
        ["constant_: value must be a number", "got 'a'"],
    ),
    BadInput(
        "constant_/nan-value",
        lambda: init.constant_(W(), float("nan")),
        ValueError,
        ["constant_: value must be finite", "got nan", "NaN or inf would fill the tensor"],
    ),
    BadInput(
        "uniform_/reversed-bounds",
        lambda: init.uniform_(W(), 1, 0),
        ValueError,
        ["uniform_ needs a < b, got a=1, b=0", "pass the lower bound first"],
    ),
    BadInput(
        "uniform_/str-bound",
        lambda: init.uniform_(W(), "a", 1),
        TypeError,
        ["uniform_: a (the lower bound) must be a number", "got 'a'"],
    ),
    BadInput(
        "uniform_/inf-bound",
        lambda: init.uniform_(W(), 0, float("inf")),
        ValueError,
        ["uniform_: b (the upper bound) must be finite", "got inf"],
    ),
    BadInput(
        "normal_/negative-std",
        lambda: init.normal_(W(), std=-1),
        ValueError,
        ["normal_ needs std >= 0, got std=-1", "e.g. std=0.01"],
    ),
    BadInput(
        "normal_/nan-std",
        lambda: init.normal_(W(), std=float("nan")),
        ValueError,
        ["normal_: std must be finite", "got nan"],
    ),
    BadInput(
        "normal_/str-mean",
        lambda: init.normal_(W(), mean="0"),
        TypeError,
        ["normal_: mean must be a number", "got '0'"],
    ),
    BadInput(
        "xavier_uniform_/1d",
        lambda: init.xavier_uniform_(tg.Tensor.zeros(3)),
        ValueError,
        [
            "xavier_uniform_: fan-in and fan-out need a weight with at least 2 dimensions",
            "got shape (3,)",
            "uniform_, normal_ or zeros_ instead",
        ],
    ),
    BadInput(
        "xavier_uniform_/str-gain",
        lambda: init.xavier_uniform_(W(), gain="relu"),
        TypeError,
        ["xavier_uniform_: gain must be a number", "got 'relu'"],
    ),
    BadInput(
        "xavier_normal_/negative-gain",
        lambda: init.xavier_normal_(W(), gain=-1.0),
        ValueError,
        ["xavier_normal_: gain must be >= 0", "got -1.0", "see calculate_gain()"],
    ),
    BadInput(
        "xavier_normal_/nan-gain",
        lambda: init.xavier_normal_(W(), gain=float("nan")),
        ValueError,
        ["xavier_normal_: gain must be finite", "got nan"],
    ),
    BadInput(
        "xavier_normal_/ndarray",
        lambda: init.xavier_normal_(np.zeros((3, 2))),
        TypeError,
        ["xavier_normal_ fills a Tensor in place, got ndarray", "layer.weight"],
    ),
    BadInput(
        "kaiming_uniform_/mode",
        lambda: init.kaiming_uniform_(W(), mode="fan-in"),
        ValueError,
        ["kaiming_uniform_: mode must be 'fan_in' or 'fan_out'", "got 'fan-in'"],
    ),
    BadInput(
        "kaiming_uniform_/str-a",
        lambda: init.kaiming_uniform_(W(), a="x"),
        TypeError,
        ["kaiming_uniform_: a (the negative slope of the leaky ReLU) must be a number", "got 'x'"],
    ),
    BadInput(
        "kaiming_normal_/nonlinearity",
        lambda: init.kaiming_normal_(W(), nonlinearity="gelu"),
        ValueError,
        ["kaiming_normal_: unknown nonlinearity 'gelu'", "choose one of"],
    ),
    BadInput(
        "kaiming_normal_/1d",
        lambda: init.kaiming_normal_(tg.Tensor.zeros(3)),
        ValueError,
        ["kaiming_normal_: fan-in and fan-out need", "got shape (3,)"],
    ),
    BadInput(
        "he_normal_/int-tensor",
        lambda: init.he_normal_(tg.Tensor.zeros(3, 2, dtype=np.int32)),
        TypeError,
        ["kaiming_normal_ needs a floating-point tensor, got dtype int32", "float dtype"],
    ),
]


@pytest.mark.parametrize("case", params(CASES))
def test_bad_input(case):
    check(case)

"""The bad-input campaign of the ``tinygrad-edu`` command: every option and argument of every sub-command
(demo, compare, graph, gradcheck, curvature), each bad value a user can type, answered by one line on stderr (status 2,
nothing on stdout) that names the option, the value and the fix. Every case is refused before any work
starts, so the whole campaign runs in seconds."""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest
from bad_input import BadInput, check, params

from tinygrad_edu.cli import main


class CliError(Exception):
    """The one line that a refused command line printed on stderr."""


def cli(*argv: str) -> Callable[[], object]:
    """A call that runs ``tinygrad-edu ARGV`` in-process and raises :class:`CliError` with its stderr line
    when it was refused properly (status 2, exactly one line on stderr, nothing on stdout)."""

    def call() -> None:
        out, err = io.StringIO(), io.StringIO()
        with redirect_stdout(out), redirect_stderr(err):
            try:
                status = main(list(argv))
            except SystemExit as exit_info:  # argparse's own errors
                status = exit_info.code
        lines = err.getvalue().splitlines()
        if status == 2 and len(lines) == 1 and not out.getvalue():
            raise CliError(lines[0])
        raise AssertionError(
            f"tinygrad-edu {' '.join(argv)}: status {status}, stdout {out.getvalue()[-300:]!r}, "
            f"stderr {err.getvalue()[-300:]!r}"
        )

    return call


# a path below an existing file: no directory can be created there, on any system, by any user
BLOCKED = str(Path(__file__) / "pictures")
BLOCKED_FILE = str(Path(__file__) / "graph.dot")
ALLOWED = "allowed: numbers, names, + - * / **"


def case(case_id: str, argv: Sequence[str], *says: str) -> BadInput:
    """``tinygrad-edu ARGV`` refused with one line that contains every fragment of ``says``."""
    return BadInput(case_id, cli(*argv), CliError, says)


CASES: list[BadInput] = [
    # ---- demo -------------------------------------------------------------------------------------------
    case("demo/seeds-negative", ["demo", "--seeds", "0,-1"], "--seeds", "-1 is out of range", "a seed must be >= 0"),
    case(
        "demo/seeds-not-integer",
        ["demo", "--seeds", "a"],
        "--seeds",
        "cannot read 'a' as an integer",
        "a seed is an integer",
    ),
    case("demo/seeds-float", ["demo", "--seeds", "1.5"], "--seeds", "'1.5'", "a seed is an integer"),
    case("demo/seeds-empty", ["demo", "--seeds", ","], "--seeds", "got ','", "give integers >= 0 such as 0,1,2"),
    case(
        "demo/seeds-duplicate",
        ["demo", "--seeds", "0,1,0"],
        "--seeds",
        "0 is given twice in '0,1,0'",
        "list each of the seeds once",
    ),
    case(
        "demo/seeds-leading-minus",
        ["demo", "--seeds", "-1,2"],
        "argument --seeds",
        "expected one argument",
        "is written --seeds=VALUE",
    ),
    case(
        "demo/n-samples-zero",
        ["demo", "--n-samples", "0"],
        "--n-samples",
        "0 is out of range",
        "between 32 and 1000000",
    ),
    case(
        "demo/n-samples-below-batch",
        ["demo", "--n-samples", "31"],
        "--n-samples",
        "31 is out of range",
        "its mini-batch is 32",
        "between 32 and 1000000",
    ),
    case(
        "demo/n-samples-huge",
        ["demo", "--n-samples", "1000000000"],
        "--n-samples",
        "1000000000 is out of range",
        "between 32 and 1000000",
    ),
    case(
        "demo/n-samples-not-integer",
        ["demo", "--n-samples", "lots"],
        "--n-samples",
        "cannot read 'lots' as an integer",
        "is an integer",
    ),
    case(
        "demo/out-not-creatable",
        ["demo", "--out", BLOCKED],
        "--out",
        f"cannot create the directory {BLOCKED!r}",
        "give a directory you can write to",
    ),
    case("demo/unknown-option", ["demo", "--bogus"], "unrecognized arguments: --bogus", "see --help"),
    # ---- compare ----------------------------------------------------------------------------------------
    case(
        "compare/dataset-unknown",
        ["compare", "--dataset", "mnist"],
        "--dataset",
        "invalid choice: 'mnist'",
        "choose from 'moons'",
    ),
    case(
        "compare/optimizers-unknown",
        ["compare", "--optimizers", "sgd,lbfgs"],
        "--optimizers",
        "unknown optimiser 'lbfgs'",
        "choose from gd, sgd, momentum",
    ),
    case(
        "compare/optimizers-empty",
        ["compare", "--optimizers", " , "],
        "--optimizers",
        "got ' , '",
        "give names from gd,sgd",
    ),
    case(
        "compare/optimizers-duplicate",
        ["compare", "--optimizers", "sgd,SGD"],
        "--optimizers",
        "sgd is given twice in 'sgd,SGD'",
        "list each of the optimisers once",
    ),
    case("compare/lr-not-number", ["compare", "--lr", "fast"], "--lr", "cannot read 'fast' as a number", "such as 0.1"),
    case(
        "compare/lr-negative",
        ["compare", "--lr", "-1"],
        "--lr",
        "-1 is out of range",
        "a learning rate must be a finite number > 0",
    ),
    case(
        "compare/lr-negative-exponent",
        ["compare", "--lr=-1e-3"],
        "--lr",
        "-1e-3 is out of range",
        "must be a finite number > 0",
    ),
    case("compare/lr-zero", ["compare", "--lr", "0.1,0"], "--lr", "0 is out of range", "must be a finite number > 0"),
    case("compare/lr-nan", ["compare", "--lr", "nan"], "--lr", "nan is out of range", "must be a finite number > 0"),
    case("compare/lr-inf", ["compare", "--lr", "inf"], "--lr", "inf is out of range", "must be a finite number > 0"),
    case("compare/lr-empty", ["compare", "--lr", ""], "--lr", "got ''", "give numbers > 0 such as 0.1"),
    case(
        "compare/lr-duplicate",
        ["compare", "--lr", "0.1,0.10"],
        "--lr",
        "0.1 is given twice",
        "list each of the learning rates once",
    ),
    case(
        "compare/lr-leading-minus",
        ["compare", "--lr", "-1e-3"],
        "argument --lr",
        "expected one argument",
        "is written --lr=VALUE",
    ),
    case(
        "compare/batch-size-zero",
        ["compare", "--batch-size", "0"],
        "--batch-size",
        "0 is out of range",
        "a batch size must be >= 1 (or 'full'",
    ),
    case(
        "compare/batch-size-negative",
        ["compare", "--batch-size", "-5"],
        "--batch-size",
        "-5 is out of range",
        "must be >= 1",
    ),
    case(
        "compare/batch-size-float",
        ["compare", "--batch-size", "1.5"],
        "--batch-size",
        "cannot read '1.5' as an integer",
        "'full' for the full batch",
    ),
    case(
        "compare/batch-size-word",
        ["compare", "--batch-size", "half"],
        "--batch-size",
        "'half'",
        "'full' for the full batch",
    ),
    case(
        "compare/batch-size-empty",
        ["compare", "--batch-size", ","],
        "--batch-size",
        "got ','",
        "integers >= 1 or 'full'",
    ),
    case(
        "compare/batch-size-duplicate",
        ["compare", "--batch-size", "full,32,all"],
        "--batch-size",
        "full is given twice",
        "list each of the batch sizes once",
    ),
    case(
        "compare/batch-size-above-data",
        ["compare", "--batch-size", "1,5000"],
        "--batch-size",
        "5000 is larger than the 750 training samples of moons",
        "give at most 750, or 'full'",
    ),
    case(
        "compare/batch-size-above-iris",
        ["compare", "--dataset", "iris", "--batch-size", "200"],
        "--batch-size",
        "200 is larger than the 112 training samples of iris",
        "give at most 112",
    ),
    case(
        "compare/epochs-zero",
        ["compare", "--epochs", "0"],
        "--epochs",
        "0 is out of range",
        "the number of epochs must be >= 1",
    ),
    case("compare/epochs-negative", ["compare", "--epochs", "-3"], "--epochs", "-3 is out of range", "must be >= 1"),
    case(
        "compare/epochs-float",
        ["compare", "--epochs", "2.5"],
        "--epochs",
        "cannot read '2.5' as an integer",
        "such as 30",
    ),
    case(
        "compare/seeds-negative", ["compare", "--seeds", "-2"], "--seeds", "-2 is out of range", "a seed must be >= 0"
    ),
    case(
        "compare/seeds-not-integer",
        ["compare", "--seeds", "0,one"],
        "--seeds",
        "cannot read 'one' as an integer",
        "a seed is an integer",
    ),
    case(
        "compare/seeds-duplicate",
        ["compare", "--seeds", "3,3"],
        "--seeds",
        "3 is given twice",
        "list each of the seeds once",
    ),
    case(
        "compare/n-samples-small",
        ["compare", "--n-samples", "9"],
        "--n-samples",
        "9 is out of range",
        "between 10 and 1000000",
    ),
    case(
        "compare/n-samples-negative",
        ["compare", "--n-samples", "-10"],
        "--n-samples",
        "-10 is out of range",
        "between 10 and 1000000",
    ),
    case(
        "compare/n-samples-huge",
        ["compare", "--n-samples", "2000000"],
        "--n-samples",
        "2000000 is out of range",
        "between 10 and 1000000",
    ),
    case(
        "compare/n-samples-not-integer",
        ["compare", "--n-samples", "1e3"],
        "--n-samples",
        "cannot read '1e3' as an integer",
        "is an integer",
    ),
    case(
        "compare/tol-nan",
        ["compare", "--tol", "nan"],
        "--tol",
        "nan is out of range",
        "a loss tolerance must be a finite number > 0",
    ),
    case("compare/tol-inf", ["compare", "--tol", "inf"], "--tol", "inf is out of range", "finite number > 0"),
    case("compare/tol-zero", ["compare", "--tol", "0"], "--tol", "0 is out of range", "finite number > 0, such as 0.3"),
    case("compare/tol-negative", ["compare", "--tol", "-0.1"], "--tol", "-0.1 is out of range", "finite number > 0"),
    case(
        "compare/tol-not-number", ["compare", "--tol", "low"], "--tol", "cannot read 'low' as a number", "such as 0.3"
    ),
    case(
        "compare/out-not-creatable",
        ["compare", "--epochs", "1", "--out", BLOCKED],
        "--out",
        f"cannot create the directory {BLOCKED!r}",
        "give a directory you can write to",
    ),
    case(
        "compare/unknown-option",
        ["compare", "--learning-rate", "0.1"],
        "unrecognized arguments: --learning-rate 0.1",
        "see --help",
    ),
    # ---- graph ------------------------------------------------------------------------------------------
    case("graph/target-missing", ["graph"], "required: EXPR-or-example", "see --help"),
    case("graph/target-leading-minus", ["graph", "-x*y"], "required: EXPR-or-example", "goes after '--'"),
    case("graph/empty", ["graph", ""], "cannot draw ''", "empty expression", "write one such as 'tanh(x*w + b)'"),
    case("graph/constant", ["graph", "2 + 3"], "cannot draw '2 + 3'", "does not depend on any variable", "use a name"),
    case("graph/syntax", ["graph", "x +* y"], "cannot draw 'x +* y'", "invalid syntax at column 4", ALLOWED),
    case(
        "graph/attribute", ["graph", "x.data"], "cannot draw 'x.data'", "attribute access (.data) at column 2", ALLOWED
    ),
    case("graph/string", ["graph", "'x' * 2"], "cannot draw \"'x' * 2\"", "a string at column 1", ALLOWED),
    case("graph/keyword", ["graph", "exp(x=1)"], "'exp(x=1)'", "a keyword argument (x=) at column 5", ALLOWED),
    case(
        "graph/unknown-function", ["graph", "f(x)"], "'f(x)'", "unknown function 'f' at column 1", "functions: exp, log"
    ),
    case("graph/arity", ["graph", "maximum(x)"], "'maximum(x)'", "takes 2 arguments, got 1", "write maximum(a, b)"),
    case(
        "graph/function-as-variable",
        ["graph", "exp + 1"],
        "'exp + 1'",
        "'exp' at column 1 is a function",
        "call it, as in exp(x)",
    ),
    case(
        "graph/underscore-name",
        ["graph", "_secret * 2"],
        "'_secret * 2'",
        "a name starting with an underscore ('_secret')",
        ALLOWED,
    ),
    case("graph/operator", ["graph", "x @ y"], "'x @ y'", "the operator @ at column 3", ALLOWED),
    case(
        "graph/huge-exponent",
        ["graph", "x ** 1000"],
        "'x ** 1000'",
        "the exponent of ** at column 3 is 1000",
        "must be within ±100",
    ),
    case(
        "graph/huge-number",
        ["graph", "x * 1e999"],
        "'x * 1e999'",
        "the number at column 5 is too large",
        "at most 1.8e308",
    ),
    case(
        "graph/too-long",
        ["graph", "x+" * 600 + "x"],
        "(1201 characters)",
        "too long: 1201 characters, at most 1000",
        "write a shorter expression",
    ),
    case(
        "graph/too-deep",
        ["graph", "(" * 150 + "x" + ")" * 150],
        "cannot draw '(((",
        "nested too deeply: more than 100 open brackets at column 101",
    ),
    case("graph/control-character", ["graph", "x\ty"], "'x\\ty'", "character '\\t' at column 2 is not allowed"),
    case(
        "graph/out-suffix",
        ["graph", "neuron", "--out", "graph.txt"],
        "--out",
        "'graph.txt' has no graph file suffix",
        "end it in .svg, .png, .pdf or .dot",
    ),
    case("graph/out-no-suffix", ["graph", "neuron", "--out", "graph"], "--out", "'graph'", "end it in .svg"),
    case(
        "graph/out-not-writable",
        ["graph", "neuron", "--out", BLOCKED_FILE],
        "--out",
        f"cannot write {BLOCKED_FILE!r}",
        "give a file name in a directory you can write to",
    ),
    # ---- gradcheck --------------------------------------------------------------------------------------
    case(
        "gradcheck/seed-negative", ["gradcheck", "--seed", "-1"], "--seed", "-1 is out of range", "a seed must be >= 0"
    ),
    case(
        "gradcheck/seed-not-integer",
        ["gradcheck", "--seed", "abc"],
        "--seed",
        "cannot read 'abc' as an integer",
        "such as 0",
    ),
    case("gradcheck/seed-float", ["gradcheck", "--seed", "0.5"], "--seed", "'0.5'", "a seed is an integer"),
    case("gradcheck/seed-empty", ["gradcheck", "--seed", ""], "--seed", "cannot read ''", "a seed is an integer"),
    case(
        "gradcheck/seed-missing-value",
        ["gradcheck", "--seed"],
        "argument --seed",
        "expected one argument",
        "give a value",
    ),
    # ---- curvature --------------------------------------------------------------------------------------
    case(
        "curvature/dataset-unknown",
        ["curvature", "--dataset", "mnist"],
        "--dataset",
        "invalid choice: 'mnist'",
        "choose from 'moons'",
    ),
    case(
        "curvature/method-unknown",
        ["curvature", "--method", "qr"],
        "--method",
        "invalid choice: 'qr'",
        "choose from 'lanczos', 'power', 'exact'",
    ),
    case(
        "curvature/n-samples-too-few",
        ["curvature", "--n-samples", "5"],
        "--n-samples",
        "5 is out of range",
        "between 10 and 1000000",
    ),
    case("curvature/seed-negative", ["curvature", "--seed", "-1"], "--seed", "-1 is out of range", ">= 0"),
    case(
        "curvature/epochs-negative",
        ["curvature", "--epochs", "-1"],
        "--epochs",
        "-1 is out of range",
        "the number of training epochs must be between 0 and 100000",
    ),
    case(
        "curvature/epochs-not-integer",
        ["curvature", "--epochs", "ten"],
        "--epochs",
        "cannot read 'ten' as an integer",
        "such as 50 (0: no training)",
    ),
    # ---- the command itself -----------------------------------------------------------------------------
    case("command/missing", [], "required: COMMAND", "see --help"),
    case(
        "command/unknown",
        ["train"],
        "invalid choice: 'train'",
        "choose from 'demo', 'compare', 'graph', 'gradcheck', 'curvature'",
    ),
]


@pytest.mark.parametrize("case", params(CASES))
def test_bad_input(case: BadInput) -> None:
    check(case)


def test_every_option_of_every_command_has_a_case() -> None:
    """A new option without a bad-input case fails here."""
    from tinygrad_edu.cli import build_parser

    sub = next(a for a in build_parser()._actions if a.dest == "command")
    ids = " ".join(case.id for case in CASES)
    for command, parser in sub.choices.items():
        for action in parser._actions:
            if action.dest in ("help", "no_progress", "json"):  # flags: nothing to get wrong
                continue
            name = "target" if action.dest == "target" else action.dest.replace("_", "-")
            assert f"{command}/{name}" in ids, f"no bad-input case for {command} {name}"

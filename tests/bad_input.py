"""The bad-input campaign's shared shape: one :class:`BadInput` per thing a user can get wrong.

Each campaign module (``test_bad_inputs_*.py``, one per area of the package) defines a module-level list
``CASES`` of :class:`BadInput` and parametrizes one test over it with :func:`check`. A case names the public
call, the bad input, the exception type, and the fragments its message must contain: the argument's name,
the value the user gave, and the fix. ``tests/test_bad_input_count.py`` counts the cases of every campaign
module and checks the total that ``docs/reliability.md`` states.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import pytest


@dataclass(frozen=True)
class BadInput:
    """One bad input to one public function.

    Parameters
    ----------
    id : str
        Short test id, e.g. ``"accuracy/nan-scores"``; unique within its module.
    call : Callable[[], object]
        Makes the bad call (a lambda); it must raise.
    error : type[BaseException]
        The exception type the call raises (a subclass also passes).
    says : sequence of str
        Fragments that must all appear in the message, compared case-sensitively as plain text: name the
        argument, the value and the fix (at least two fragments; three when the fix is a separate phrase).
    """

    id: str
    call: Callable[[], object]
    error: type[BaseException]
    says: Sequence[str] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        if len(self.says) < 2:
            raise ValueError(f"case {self.id!r}: give at least two message fragments (the argument and the value)")


def check(case: BadInput) -> None:
    """Run ``case.call`` and check the exception's type and every fragment of its message.

    The message must also be one that a user can read: no raw numpy broadcasting text and no traceback
    of an internal error.
    """
    with pytest.raises(case.error) as info:
        case.call()
    message = str(info.value)
    missing = [fragment for fragment in case.says if fragment not in message]
    assert not missing, f"{case.id}: message {message!r} lacks {missing!r}"
    assert not re.search(r"operands could not be broadcast together", message), f"{case.id}: raw numpy message"


def params(cases: Sequence[BadInput]) -> list[object]:
    """``pytest.param`` for each case, with its id, for ``@pytest.mark.parametrize("case", params(CASES))``."""
    ids = [case.id for case in cases]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise ValueError(f"duplicate case ids: {duplicates}")
    return [pytest.param(case, id=case.id) for case in cases]

"""docs/reliability.md states how many bad inputs the campaign checks: keep the figures true.

Every ``tests/**/test_bad_inputs_*.py`` module defines ``CASES`` (see ``tests/bad_input.py``); the page has one
table row per module with its count, and the total.
"""

import importlib
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "docs" / "reliability.md"


def campaign_counts() -> dict[str, int]:
    counts = {}
    for path in sorted((ROOT / "tests").rglob("test_bad_inputs_*.py")):
        if str(path.parent) not in sys.path:
            sys.path.insert(0, str(path.parent))
        module = importlib.import_module(path.stem)
        counts[path.relative_to(ROOT).as_posix()] = len(module.CASES)
    return counts


def test_every_campaign_module_has_cases():
    counts = campaign_counts()
    assert len(counts) >= 9
    assert all(n >= 10 for n in counts.values()), counts


def test_the_reliability_page_states_each_count_and_the_total():
    text = PAGE.read_text()
    rows = {path: int(n) for path, n in re.findall(r"\| `(tests/[^`]+)` \| (\d+) \|", text)}
    counts = campaign_counts()
    assert rows == counts
    (total,) = re.findall(r"\| \*\*total\*\* \| \| \*\*(\d+)\*\* \|", text)
    assert int(total) == sum(counts.values())
    assert f"**{sum(counts.values())} bad inputs**" in text

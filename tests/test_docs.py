"""The documentation's code must run as written.

Every ```python block in README.md and docs/**/*.md (subfolders such as docs/concepts/ included) is executed,
each in a fresh namespace; test functions it defines (such as the Hypothesis examples) are called. Fragments
that are not meant to run use ```text.
"""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
BLOCKS = [
    pytest.param(code, id=f"{path.relative_to(ROOT)}-{i}")
    for path in DOCUMENTS
    for i, code in enumerate(re.findall(r"```python\n(.*?)```", path.read_text(), flags=re.S))
]


def test_readme_has_python_examples():
    assert len(re.findall(r"```python\n", (ROOT / "README.md").read_text())) >= 4


@pytest.mark.parametrize("code", BLOCKS)
def test_documentation_block_runs(code, capsys):
    namespace: dict = {"__name__": "docs_example"}
    exec(compile(code, "documentation example", "exec"), namespace)
    for name, value in list(namespace.items()):
        if name.startswith("test_") and callable(value):
            value()

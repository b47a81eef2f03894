"""The Jupyter notebooks in examples/notebooks: each runs top to bottom without error (executed headless with nbclient,
so every assert in them holds, the exercise solutions included), is stored without outputs, and has at least one
exercise with its solution in the cell right after it.

Execution needs the ``dev`` extra (nbclient, ipykernel, nbformat); the storage and exercise checks read the JSON and
need nothing. Without Graphviz's ``dot`` the computation graphs display as their DOT text with an install hint,
so every notebook runs either way.
"""

import json
import re
import sys
from pathlib import Path

import pytest

FOLDER = Path(__file__).resolve().parents[2] / "examples" / "notebooks"
NOTEBOOKS = sorted(FOLDER.glob("*.ipynb"))
SOLUTION_MARK = "# Solution (try it yourself first!)"


def _cells(path: Path) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def _text(cell: dict) -> str:
    source = cell["source"]
    return source if isinstance(source, str) else "".join(source)


def _is_exercise(cell: dict) -> bool:
    return cell["cell_type"] == "markdown" and any(line.startswith("### Exercise") for line in _text(cell).splitlines())


def _is_solution(cell: dict) -> bool:
    return cell["cell_type"] == "code" and _text(cell).startswith(SOLUTION_MARK)


def test_the_curriculum_has_eight_notebooks_in_order():
    names = [p.name for p in NOTEBOOKS]
    assert len(names) == 8, names
    assert [name[:3] for name in names] == [f"{i:02d}_" for i in range(1, len(names) + 1)], names


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_stored_without_outputs(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    assert nb["nbformat"] == 4 and nb["metadata"]["kernelspec"]["name"] == "python3"
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [] and cell["execution_count"] is None, f"cell {i} has outputs: clear them"
            assert "execution" not in cell["metadata"], f"cell {i} has execution timings in its metadata"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_has_exercises_each_followed_by_its_solution(path):
    cells = _cells(path)
    exercises = [i for i, cell in enumerate(cells) if _is_exercise(cell)]
    solutions = [i for i, cell in enumerate(cells) if _is_solution(cell)]
    assert exercises, f'{path.name} has no "### Exercise" Markdown cell'
    assert [i + 1 for i in exercises] == solutions, (
        f"every exercise must be followed directly by a code cell starting with {SOLUTION_MARK!r} (and every such "
        f"cell must follow an exercise): exercises at cells {exercises}, solutions at cells {solutions}"
    )


def test_links_in_the_notebooks_and_their_readme_lead_to_files_that_exist():
    readme = (FOLDER / "README.md").read_text(encoding="utf-8")
    texts = {"README.md": readme}
    texts |= {p.name: "\n".join(_text(c) for c in _cells(p) if c["cell_type"] == "markdown") for p in NOTEBOOKS}
    broken = [
        f"{name}: {target}"
        for name, text in texts.items()
        for target in re.findall(r"\]\(([^)#\s]+)[^)]*\)", text)
        if "://" not in target and not (FOLDER / target).exists()
    ]
    assert not broken
    assert all(f"({p.name})" in readme for p in NOTEBOOKS), "README.md must list every notebook"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs_top_to_bottom(path, tmp_path, monkeypatch):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")

    # The kernel: this interpreter (not whatever "python3" kernel spec the machine has installed elsewhere),
    # headless matplotlib, and a fresh IPython profile (no user startup files). It runs in a temporary directory,
    # so that notebooks writing files do not litter the repository.
    spec = tmp_path / "jupyter" / "kernels" / "python3"
    spec.mkdir(parents=True)
    argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    (spec / "kernel.json").write_text(json.dumps({"argv": argv, "display_name": "Python 3", "language": "python"}))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.setenv("IPYTHONDIR", str(tmp_path / "ipython"))
    workdir = tmp_path / "work"
    workdir.mkdir()

    nb = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(
        nb, timeout=120, startup_timeout=120, kernel_name="python3", resources={"metadata": {"path": str(workdir)}}
    )
    client.execute()  # raises CellExecutionError, with the cell and its traceback, if any cell fails
    assert all(out.output_type != "error" for cell in nb.cells if cell.cell_type == "code" for out in cell.outputs)

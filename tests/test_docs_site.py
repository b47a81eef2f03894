"""The documentation site: `mkdocs build --strict` passes, and what it builds is complete.

One build (about 5 s) into a temporary folder serves every test: every page in the nav is built, no raw TeX
is left in the HTML (the math became MathML), and the API reference has an entry for every public name.
The code blocks of the pages are executed by tests/test_docs.py. Skipped when the docs tools (the `dev`
extra) are not installed.
"""

import importlib
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("mkdocs", reason="the docs site needs the dev extra: pip install -e '.[dev]'")
pytest.importorskip("mkdocstrings_handlers.python", reason="the docs site needs mkdocstrings[python] (dev extra)")
pytest.importorskip("latex2mathml", reason="the docs site needs latex2mathml (dev extra)")
yaml = pytest.importorskip("yaml")

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"

# modules whose names are public although they are not listed in tinygrad_edu.__all__
EXTRA_MODULES = ["tinygrad_edu.testing", "tinygrad_edu.tensor"]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("site")
    cmd = [sys.executable, "-m", "mkdocs", "build", "--strict", "--config-file", str(ROOT / "mkdocs.yml")]
    proc = subprocess.run([*cmd, "--site-dir", str(out)], cwd=ROOT, capture_output=True, text=True, timeout=600)
    if proc.returncode != 0:
        pytest.fail(f"mkdocs build --strict failed (exit {proc.returncode}):\n{proc.stderr[-6000:]}")
    return out


def nav_pages() -> list[str]:
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text())
    pages: list[str] = []

    def walk(item: object) -> None:
        if isinstance(item, str):
            pages.append(item)
        elif isinstance(item, dict):
            for value in item.values():
                walk(value)
        elif isinstance(item, list):
            for value in item:
                walk(value)

    walk(config["nav"])
    return pages


def html_of(site: Path, page: str) -> str:
    return (site / page).with_suffix(".html").read_text(encoding="utf-8")


def main_content(html: str) -> str:
    match = re.search(r'<div role="main".*?<footer', html, flags=re.S)
    assert match, "the theme's main content area was not found"
    return match.group(0)


def text_outside_code_and_math(html: str) -> str:
    for tag in ("pre", "code", "math", "script"):
        html = re.sub(rf"<{tag}\b.*?</{tag}>", " ", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", html)


def markdown_has_math(source: str) -> bool:
    source = re.sub(r"^```.*?^```", "", source, flags=re.S | re.M)
    source = re.sub(r"`[^`]*`", "", source)
    return "$" in source


def public_modules() -> list[str]:
    import tinygrad_edu

    names = ["tinygrad_edu"]
    queue = [tinygrad_edu]
    while queue:
        module = queue.pop()
        for name in getattr(module, "__all__", []):
            value = getattr(module, name)
            if isinstance(value, type(tinygrad_edu)) and value.__name__.startswith("tinygrad_edu."):
                names.append(value.__name__)
                queue.append(value)
    return sorted(set(names) | set(EXTRA_MODULES))


def public_names(module_name: str) -> list[str]:
    module = importlib.import_module(module_name)
    if hasattr(module, "__all__"):
        return [n for n in module.__all__ if not isinstance(getattr(module, n), type(module))]
    # no __all__ (ops): the classes and functions the module defines itself
    return sorted(
        name
        for name, value in vars(module).items()
        if not name.startswith("_") and getattr(value, "__module__", None) == module_name and callable(value)
    )


def test_mkdocs_config_lists_every_page(site: Path) -> None:
    pages = nav_pages()
    assert len(pages) == len(set(pages)), "a page appears twice in the nav"
    sources = {p.relative_to(DOCS).as_posix() for p in DOCS.rglob("*.md") if "hooks" not in p.parts}
    assert sources == set(pages), "every Markdown file under docs/ must be in the nav of mkdocs.yml"
    for page in pages:
        assert (site / page).with_suffix(".html").is_file(), f"{page} was not built"


def test_math_is_converted_to_mathml(site: Path) -> None:
    for page in nav_pages():
        html = main_content(html_of(site, page))
        assert 'class="math-error"' not in html, f"{page}: a formula failed to convert"
        text = text_outside_code_and_math(html)
        for leftover in (r"\$", r":math:", r"\.\. math::", r"\\(frac|sum|partial|mathrm|nabla|eta|theta)\b"):
            found = re.search(leftover, text)
            assert found is None, f"{page}: raw TeX left in the HTML: ...{text[max(0, found.start() - 80) :][:160]}..."
        if markdown_has_math((DOCS / page).read_text(encoding="utf-8")):
            assert "<math " in html, f"{page} has $...$ math but no MathML in its HTML"


def test_docstring_math_is_rendered(site: Path) -> None:
    html = main_content(html_of(site, "api/ops.md"))
    tanh = re.search(r'id="tinygrad_edu\.ops\.Tanh".*?id="tinygrad_edu\.ops\.Clip"', html, flags=re.S)
    assert tanh and "<math " in tanh.group(0), "ops.Tanh's :math: derivative is not rendered as MathML"
    sgd = main_content(html_of(site, "api/optim.md"))
    assert 'display="block"' in sgd, "the .. math:: blocks of tinygrad_edu.optim are not rendered"


def test_api_reference_covers_every_public_name(site: Path) -> None:
    api_pages = [p for p in nav_pages() if p.startswith("api/")]
    ids = {i for p in api_pages for i in re.findall(r'\bid="([^"]+)"', html_of(site, p))}
    missing = []
    for module_name in public_modules():
        module = importlib.import_module(module_name)
        parents = [module_name.rsplit(".", k)[0] for k in range(module_name.count(".") + 1)]
        for name in public_names(module_name):
            obj = getattr(module, name)
            # documented where it is defined, or where a parent package re-exports the same object
            places = [p for p in parents if getattr(importlib.import_module(p), name, None) is obj]
            places.append(getattr(obj, "__module__", module_name))
            if not any(f"{place}.{name}" in ids for place in places):
                missing.append(f"{module_name}.{name}")
    assert not missing, f"public names without an entry in the API reference (docs/api/*.md): {missing}"

r"""MkDocs hook: TeX math to MathML at build time, so the site needs no JavaScript and no network.

``$...$`` (inline) and ``$$...$$`` (display) in the Markdown pages, and in the docstrings that mkdocstrings
renders (``rst_docstrings.py`` turns their ``:math:`...``` roles and ``.. math::`` blocks into the same
syntax), are converted by the pure-Python ``latex2mathml`` package; browsers render MathML natively.

The conversion is a Python-Markdown inline processor registered just after the backtick pattern, so code
spans are never touched, and fenced code blocks are stashed before inline processing starts. ``\$`` is a
literal dollar sign. Inline math must not start or end with a space and must not be followed by a digit
(``$5 and $6`` stays text).

A formula that latex2mathml rejects, or that converts to something broken (an unknown command left as
text, an unbalanced brace, a fraction with one argument, an empty operator, ``&`` outside an alignment), is
logged as a warning naming the page and the formula, which fails ``mkdocs build --strict``; the page then
shows the TeX source in a ``<code class="math-error">`` so nothing disappears silently.
"""

from __future__ import annotations

import html
import logging
import re
import xml.etree.ElementTree as ET
from typing import Any

from latex2mathml.converter import convert as _latex2mathml
from markdown import Extension, Markdown
from markdown.inlinepatterns import InlineProcessor
from mkdocs.plugins import event_priority

log = logging.getLogger("mkdocs.plugins.mathml")

# The page being rendered, for error messages (docstrings are rendered while their page is converted).
_current_page = "?"

# Constructs that latex2mathml does not know, rewritten to ones it does.
_REWRITES = [
    (re.compile(r"\\(begin|end)\{aligned\}"), r"\\\1{split}"),
    (re.compile(r"\\arg(?![A-Za-z])"), r"\\operatorname{arg}"),
]
# latex2mathml leaves TeX escapes inside \text{...} as they are.
_MTEXT = re.compile(r"(<mtext[^>]*>)(.*?)(</mtext>)", re.S)
# \mathrel{+}= comes out as an operator nested in an operator.
_NESTED_MO = re.compile(r"<mo><mrow><mo>([^<]*)</mo></mrow></mo>")
# How many children each MathML element must have.
_ARITY = {"mfrac": 2, "msub": 2, "msup": 2, "msubsup": 3, "mover": 2, "munder": 2, "munderover": 3, "mroot": 2}
_MATHML_NS = "{http://www.w3.org/1998/Math/MathML}"


class MathError(ValueError):
    """A formula that cannot be converted faithfully."""


def _check_braces(tex: str) -> None:
    depth = 0
    for m in re.finditer(r"\\.|[{}]", tex, flags=re.S):
        token = m.group()
        if token == "{":
            depth += 1
        elif token == "}":
            depth -= 1
            if depth < 0:
                raise MathError("unbalanced braces: a '}' closes nothing")
    if depth:
        raise MathError(f"unbalanced braces: {depth} '{{' not closed")


def _check_tree(mathml: str) -> None:
    try:
        root = ET.fromstring(mathml)
    except ET.ParseError as e:  # e.g. a bare '&' outside an alignment environment
        raise MathError(f"latex2mathml produced malformed MathML ({e})") from None
    for el in root.iter():
        tag = el.tag.removeprefix(_MATHML_NS)
        if tag in _ARITY and len(el) != _ARITY[tag]:
            raise MathError(f"<{tag}> with {len(el)} argument(s) instead of {_ARITY[tag]} (a missing argument?)")
        text = el.text or ""
        if tag == "mo" and not text and not len(el):
            raise MathError(
                "an empty operator: a construct latex2mathml does not support (e.g. a space inside \\operatorname*)"
            )
        if "\\" in text:
            raise MathError(f"unknown TeX command left as text: {text.strip()!r}")


def tex_to_mathml(tex: str, display: bool) -> str:
    """Convert one formula (without its dollar signs) to a ``<math>`` element; raise MathError if it fails."""
    tex = tex.strip()
    if not tex:
        raise MathError("empty formula")
    _check_braces(tex)
    for pattern, replacement in _REWRITES:
        tex = pattern.sub(replacement, tex)
    try:
        mathml = _latex2mathml(tex, display="block" if display else "inline")
    except Exception as e:  # latex2mathml raises many exception types for bad input
        raise MathError(f"latex2mathml failed: {type(e).__name__} {e}".strip()) from None
    mathml = _MTEXT.sub(lambda m: m.group(1) + re.sub(r"\\([_%#&$ ])", r"\1", m.group(2)) + m.group(3), mathml)
    mathml = _NESTED_MO.sub(r"<mo>\1</mo>", mathml)
    _check_tree(mathml)
    return mathml


class _MathProcessor(InlineProcessor):
    def __init__(self, pattern: str, md: Markdown, display: bool) -> None:
        super().__init__(pattern, md)
        self.display = display

    def handleMatch(self, m: re.Match[str], data: str) -> tuple[str, int, int]:
        tex = m.group(1)
        try:
            out = tex_to_mathml(tex, self.display)
        except MathError as e:
            delimiter = "$$" if self.display else "$"
            log.warning(f"{_current_page}: cannot convert the math {delimiter}{tex}{delimiter}: {e}")
            out = f'<code class="math-error">{html.escape(delimiter + tex + delimiter)}</code>'
        return self.md.htmlStash.store(out), m.start(0), m.end(0)


# $$...$$ anywhere in a paragraph (it may span lines); then $...$: no space after the opening or before the
# closing dollar, no digit after the closing one, no dollar escaped with a backslash.
DISPLAY_RE = r"(?<!\\)\$\$(.+?)(?<!\\)\$\$"
INLINE_RE = r"(?<![\\$])\$(?![\s$])((?:\\.|[^\\$])+?)(?<![\s\\])\$(?![$\d])"


class MathExtension(Extension):
    """Registers the two math patterns on a Markdown instance (the pages' and mkdocstrings' own)."""

    def extendMarkdown(self, md: Markdown) -> None:
        md.inlinePatterns.register(_MathProcessor(DISPLAY_RE, md, display=True), "math_display", 186)
        md.inlinePatterns.register(_MathProcessor(INLINE_RE, md, display=False), "math_inline", 185)


@event_priority(100)  # before mkdocstrings copies the extension list for its own Markdown instance
def on_config(config: Any) -> Any:
    config.markdown_extensions.append(MathExtension())
    return config


def on_page_markdown(markdown: str, page: Any, **kwargs: Any) -> str:
    global _current_page
    _current_page = page.file.src_uri
    return markdown

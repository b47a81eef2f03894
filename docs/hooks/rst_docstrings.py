r"""Griffe extension: the reStructuredText in tinygrad_edu's numpy-style docstrings, rewritten as Markdown.

The docstrings are written for ``help()`` and Sphinx-style readers; mkdocstrings renders Markdown. Before
it does, this extension rewrites griffe's copy of every docstring (the source files are untouched):

- math roles ``:math:`x^2``` become ``$x^2$``, and ``.. math::`` blocks become ``$$ ... $$`` (wrapped in an
  ``aligned`` environment when they contain ``&`` or ``\\``, as Sphinx does); ``mathml.py`` then
  converts both to MathML;
- cross-reference roles (``:func:``, ``:class:``, ``:meth:`` ...) become code spans (``~a.b.C`` -> ``C``);
- a paragraph ending in ``::`` loses one colon and its indented literal block becomes a code block;
- doctest blocks (``>>>``) outside an Examples section become code blocks (Examples are griffe's business);
- simple tables (``=====  =====`` borders) become pipe tables;
- footnotes ``[1]_`` and ``.. [1] text`` become superscripts; ``.. note::`` / ``.. warning::`` a bold label;
- ``name : type`` lines with an indented description, outside the numpy sections that griffe parses
  (Parameters, Attributes ...), become list items.

Any other directive is left as it is and logged as a warning, which fails ``mkdocs build --strict``.
"""

from __future__ import annotations

import logging
import re
from typing import Any

import griffe

log = logging.getLogger("mkdocs.plugins.rst_docstrings")

_BORDER = re.compile(r"^(\s*)=+(?: +=+)+\s*$")
_DIRECTIVE = re.compile(r"^(\s*)\.\. ([\w-]+)::\s?(.*)$")
_FOOTNOTE = re.compile(r"^(\s*)\.\. \[(\w+)\]\s+(.*)$")
_MATH_ROLE = re.compile(r":math:`([^`]+)`")
_XREF_ROLE = re.compile(r":(?:py:)?(?:func|meth|class|attr|mod|data|exc|obj|const|ref|term):`([^`]+)`")
_LINK = re.compile(r"`([^`<]+?)\s*<([^`>]+)>`__?")
_FOOTNOTE_REF = re.compile(r"\[(\w+)\]_")
_SECTION_UNDERLINE = re.compile(r"^\s*-{3,}\s*$")
_DEFINITION = re.compile(r"^(\s*)(``[^`]+``(?:, ``[^`]+``)*|[A-Za-z_]\w*(?:, [A-Za-z_]\w*)*) : (.+)$")
# numpy sections whose "name : type" entries griffe parses itself
_PARSED_SECTIONS = {"parameters", "other parameters", "returns", "yields", "receives", "raises", "warns", "warnings",
                    "attributes", "methods", "functions", "classes", "modules"}  # fmt: skip
_ADMONITIONS = {"note": "Note.", "warning": "Warning.", "seealso": "See also.", "tip": "Tip.", "hint": "Hint."}


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _xref(m: re.Match[str]) -> str:
    target = m.group(1).strip()
    text = re.match(r"^(.*?)\s*<(.+)>$", target)
    if text:  # :func:`label <target>`
        return f"`{text.group(1)}`"
    if target.startswith("~"):
        target = target[1:].rsplit(".", 1)[-1]
    return f"`{target.lstrip('.')}`"


def convert_inline(text: str, in_table: bool = False) -> str:
    """Roles, links and footnote references in one line of running text."""

    def math(m: re.Match[str]) -> str:
        tex = m.group(1).strip()
        if in_table:  # a bare | would split the Markdown table cell
            tex = tex.replace("|", r"\vert ")
        return f"${tex}$"

    text = _MATH_ROLE.sub(math, text)
    text = _XREF_ROLE.sub(_xref, text)
    text = _LINK.sub(r"[\1](\2)", text)
    text = _FOOTNOTE_REF.sub(r"<sup>\1</sup>", text)
    if in_table:
        # escape pipes outside code spans and math (code spans are safe in Python-Markdown tables)
        parts = re.split(r"(`+[^`]*`+|\$[^$]*\$)", text)
        text = "".join(p if i % 2 else p.replace("|", r"\|") for i, p in enumerate(parts))
    return text


def _table(lines: list[str], start: int, where: str) -> tuple[list[str], int] | None:
    """Convert the simple table whose first border is ``lines[start]``; return (new lines, index after it)."""
    border = lines[start]
    borders = [j for j in range(start + 1, min(len(lines), start + 400)) if lines[j].rstrip() == border.rstrip()]
    if len(borders) < 2:
        log.warning(f"{where}: a reST table border without a header and a closing border; left as it is")
        return None
    head_end, end = borders[0], borders[1]
    indent = _indent(border)
    starts = [m.start() for m in re.finditer(r"=+", border)]

    def cells(line: str) -> list[str]:
        out, start = [], 0
        for bound in starts[1:]:
            cut = max(bound, start)
            if 0 < cut < len(line) and line[cut - 1] != " ":  # text runs past the column's end: cut at the next gap
                gap = re.compile(r"\s{2,}").search(line, cut)
                cut = gap.end() if gap else len(line)
            out.append(line[start:cut].strip())
            start = cut
        return [*out, line[start:].strip()]

    def rows(block: list[str]) -> list[list[str]]:
        out: list[list[str]] = []
        for line in block:
            if not line.strip():
                continue
            row = cells(line)
            if out and not row[0]:  # a continuation line: the first column is empty
                out[-1] = [f"{a} {b}".strip() for a, b in zip(out[-1], row, strict=True)]
            else:
                out.append(row)
        return out

    header = rows(lines[start + 1 : head_end])
    body = rows(lines[head_end + 1 : end])
    if len(header) != 1:
        log.warning(f"{where}: a reST table with {len(header)} header rows; expected 1")
        return None
    pad = " " * indent

    def md_row(row: list[str]) -> str:
        return pad + "| " + " | ".join(convert_inline(c, in_table=True) for c in row) + " |"

    out = ["", md_row(header[0]), pad + "|" + " --- |" * len(starts)]
    out += [md_row(r) for r in body]
    out.append("")
    return out, end + 1


def _block(lines: list[str], i: int, base: int) -> int:
    """Index after the block of lines (blank, or indented deeper than ``base``) that starts at ``i``."""
    j = i
    while j < len(lines) and (not lines[j].strip() or _indent(lines[j]) > base):
        j += 1
    while j > i and not lines[j - 1].strip():  # trailing blank lines belong to what follows
        j -= 1
    return j


def rst_to_markdown(text: str, where: str = "?") -> str:
    """Rewrite one docstring (as griffe holds it: dedented) from reST to Markdown."""
    # a role may wrap onto the next line: join it, so that each role is on one line
    text = re.sub(r":(\w+):`[^`]*`", lambda m: re.sub(r"\s*\n\s*", " ", m.group()), text)
    lines = text.splitlines()
    out: list[str] = []
    section = ""
    i = 0
    while i < len(lines):
        line = lines[i]
        stripped = line.strip()
        # numpy section headers (Parameters, Examples ...): griffe parses them, we only track which one we are in
        if i + 1 < len(lines) and stripped and _SECTION_UNDERLINE.match(lines[i + 1]):
            section = stripped.lower()
            out += [line, lines[i + 1]]
            i += 2
            continue
        if _BORDER.match(line):
            converted = _table(lines, i, where)
            if converted is not None:
                out += converted[0]
                i = converted[1]
                continue
        footnote = _FOOTNOTE.match(line)
        if footnote:
            pad, label, rest = footnote.groups()
            out.append(f"{pad}<sup>{label}</sup> {convert_inline(rest)}")
            i += 1
            continue
        directive = _DIRECTIVE.match(line)
        if directive:
            pad, name, rest = directive.groups()
            base = len(pad)
            end = _block(lines, i + 1, base)
            body = [rest.strip()] + [ln.strip() for ln in lines[i + 1 : end]]
            body = [b for b in body if b]
            if name == "math":
                tex = " ".join(body)
                if ("\\\\" in tex or "&" in tex) and not tex.startswith("\\begin"):
                    tex = f"\\begin{{aligned}} {tex} \\end{{aligned}}"  # Sphinx aligns multi-line math too
                out.append(f"{pad}$$ {tex} $$")
            elif name in _ADMONITIONS:
                out.append(f"{pad}**{_ADMONITIONS[name]}** {convert_inline(' '.join(body))}")
            else:
                log.warning(f"{where}: unsupported reST directive '.. {name}::' left as it is")
                out += lines[i:end]
            i = end
            continue
        if stripped.startswith(">>>") and "example" not in section:
            # a doctest block outside an Examples section: show it as code, not as a quotation
            end = i
            while end < len(lines) and lines[end].strip():
                end += 1
            base = _indent(line)
            out += [""] + [" " * (base + 4) + ln[base:] for ln in lines[i:end]] + [""]
            i = end
            continue
        if stripped.endswith("::") and not stripped.startswith(".."):
            # a paragraph introducing a literal block
            start = i + 1
            while start < len(lines) and not lines[start].strip():
                start += 1
            base = _indent(line)
            end = _block(lines, start, base) if start < len(lines) and _indent(lines[start]) > base else start
            if end > start:
                text_part = line.rstrip()[:-2].rstrip()
                if text_part.strip():
                    out.append(convert_inline(text_part + ("" if line.rstrip()[-3] == " " else ":")))
                block = lines[start:end]
                inner = min(_indent(b) for b in block if b.strip())
                out += [""] + [(" " * (base + 4) + b[inner:]) if b.strip() else "" for b in block] + [""]
                i = end
                continue
        term = _DEFINITION.match(line)
        if term and section not in _PARSED_SECTIONS and i + 1 < len(lines) and _indent(lines[i + 1]) > len(term[1]):
            # "name : type" + an indented description, outside a numpy section: a list item
            pad, name, kind = term.groups()
            end = _block(lines, i + 1, len(pad))
            description = " ".join(ln.strip() for ln in lines[i + 1 : end] if ln.strip())
            if out and out[-1].strip() and not out[-1].lstrip().startswith("- "):
                out.append("")
            out.append(f"{pad}- {convert_inline(name)} ({convert_inline(kind)}): {convert_inline(description)}")
            i = end
            continue
        out.append(convert_inline(line))
        i += 1
    return "\n".join(out)


class RstDocstrings(griffe.Extension):
    """Rewrite every docstring of a loaded package (aliases share their target's docstring)."""

    def on_package(self, *, pkg: griffe.Module, **kwargs: Any) -> None:
        stack: list[Any] = [pkg]
        seen: set[int] = set()
        while stack:
            obj = stack.pop()
            if obj.is_alias or id(obj) in seen:
                continue
            seen.add(id(obj))
            if obj.docstring is not None:
                obj.docstring.value = rst_to_markdown(obj.docstring.value, where=obj.path)
            stack.extend(obj.members.values())

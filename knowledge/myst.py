"""MyST Markdown (Sphinx documentation written in Markdown) read as Sphinx renders it, and Markdown
pipe tables read as rows.

A MyST page is CommonMark plus markup that shows raw to a member when read as plain Markdown:
directive fences (```` ```{note} ````, ``:::{warning}``), roles (``{func}`json.dumps```), targets
(``(install)=``), comments (``% ...``) and ``{{ substitutions }}``. The page is parsed with the
parser stack MyST itself uses (markdown-it-py with mdit-py-plugins), and only what that markup
spans is rewritten; every other line stays as written, so the chunker reads headings, lists and
code exactly as in any Markdown file. Directives read as their title and body (admonitions), as
code (``code-block``), as reST through :mod:`knowledge.rst` (``eval-rst``), as rows (tables), or
not at all (``toctree``, ``include``: an uploaded page must never pull in another file).

A Markdown file is MyST when it uses that syntax, its front matter has a ``myst`` key, or the
Sphinx ``conf.py`` of its folder (or one above) names ``myst_parser``. Other Markdown keeps its
own reading: admonition boxes (:mod:`knowledge.admonitions`), and pipe tables as rows. In both,
an indented code block is written as a fenced one, since only fences are quoted as code.
"""

from __future__ import annotations

import csv
import functools
import logging
import re
import textwrap
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .admonitions import unfold_admonitions
from .tables import table_rows

if TYPE_CHECKING:
    from markdown_it import MarkdownIt
    from markdown_it.token import Token

logger = logging.getLogger(__name__)

# Directive fences nested deeper than this are dropped: real pages nest a few, and each level is
# parsed again.
MAX_DEPTH = 16
# Boxes Sphinx draws with a label: {note} reads "Note: ...", {seealso} "See also: ...".
_ADMONITIONS = {
    "note", "warning", "tip", "important", "caution", "attention", "danger", "error", "hint",
    "seealso", "todo", "admonition",
}  # fmt: skip
_LABELS = {"seealso": "See also", "todo": "To do"}
# Nothing a reader should see besides reST's silent directives (knowledge.rst): pictures, diagrams,
# page tables of contents, bibliographies.
_SILENT = {
    "image", "contents", "tableofcontents", "mermaid", "bibliography", "footbibliography", "plot",
}  # fmt: skip
# Code besides reST's code directives: notebook cells, and formulas (shown as written).
_CODE = {"code-cell", "math"}
# Directives whose argument is a setting (a build condition, a grid's columns, a picture's file,
# a button's address), not text.
_SETTING_ARGUMENT = {
    "only", "ifconfig", "grid", "tab-set", "div", "container", "raw", "figure", "button-link",
    "button-ref", "grid-item",
}  # fmt: skip
# Cheap signs, looked for before a page is parsed to be sure (parsing costs a few ms per page):
# of MyST syntax (a directive fence, a role, a target line) ...
_SIGNS = re.compile(r"^[ \t]*(?:```|~~~|:::)[`~:]*\{|\{[\w:+.-]+\}`|^[ \t]*\(\S+\)=[ \t]*$", re.M)
# ... and of a pipe table (its delimiter row: "|---|:--:|", "--- | ---") or an indented code block.
_TABLE_SIGN = re.compile(r"^[ \t]*\|?[ \t]*:?-+:?[ \t]*\|[-:| \t]*$", re.M)
# An HTML block that is one comment (or several), and nothing else.
_COMMENT = re.compile(r"\s*(?:<!--.*?-->\s*)+", re.S)
_INDENTED_SIGN = re.compile(r"\n[ \t]*\n(?: {4}|\t)[ \t]*\S")
# Python-Markdown's CodeHilite names an indented block's language on its first line (":::python",
# '#!python', 'hl_lines="1 3"' after it); the line is markup, not code. A shebang with a path stays.
_HILITE = re.compile(r"\A[ \t]*(?::{3,}[ \t]*|#!)([\w+.#-]+)[^\n/]*(?:\n|\Z)")


@functools.cache
def _parser(myst: bool) -> MarkdownIt:
    """CommonMark with tables; with ``myst``, MyST's roles, blocks, colon fences, substitutions,
    and the footnotes and definition lists MyST documentation enables (``myst_enable_extensions``).
    Imported here, as the other readers' parsers are: a folder without Markdown never loads it."""
    from markdown_it import MarkdownIt
    from mdit_py_plugins.colon_fence import colon_fence_plugin
    from mdit_py_plugins.deflist import deflist_plugin
    from mdit_py_plugins.footnote import footnote_plugin
    from mdit_py_plugins.myst_blocks import myst_block_plugin
    from mdit_py_plugins.myst_role import myst_role_plugin
    from mdit_py_plugins.substitution import substitution_plugin

    # Definition lists in both: Python-Markdown's def_list writes them the same way, and their
    # indented bodies are not code.
    md = MarkdownIt("commonmark").enable("table").use(deflist_plugin)
    if myst:
        md = md.use(myst_role_plugin).use(myst_block_plugin).use(colon_fence_plugin)
        md = md.use(substitution_plugin).use(footnote_plugin)
    return md


@functools.lru_cache(maxsize=2)
def _tokens(text: str, myst: bool) -> list[Token]:
    """The tokens of ``text``, kept for the next call: a page is parsed once to tell whether it is
    MyST and read from the same tokens (callers never change them)."""
    return _parser(myst).parse(text)


def read_markdown(body: str, meta: Mapping[str, Any], path: Path) -> str:
    """The body of a Markdown file as the library reads it: MyST as Sphinx renders it (see
    :func:`is_myst`); other Markdown with its admonition boxes unfolded; pipe tables as rows."""
    try:
        if is_myst(body, meta, path):
            return myst_to_markdown(body, substitutions(meta))
        return _rewrite(unfold_admonitions(body), {}, myst=False, depth=0)
    except Exception as exc:
        # A bug here, or an input no parser foresaw, must cost this page its MyST reading only,
        # never the file (or the folder's load): it is read as the Markdown it also is.
        logger.warning("%s: read as plain Markdown (%s: %s)", path, exc.__class__.__name__, exc)
        return unfold_admonitions(body)


def is_myst(body: str, meta: Mapping[str, Any], path: Path) -> bool:
    """Whether a Markdown file is MyST: its front matter has a ``myst`` key, the Sphinx ``conf.py``
    of its folder names ``myst_parser``, or it uses MyST syntax outside code (a directive fence, a
    role, a ``(target)=`` line)."""
    if isinstance(meta.get("myst"), dict) or _sphinx_uses_myst(path.parent.resolve()):
        return True
    if not _SIGNS.search(body):
        return False
    for token in _tokens(body, True):
        if token.type in {"fence", "colon_fence"} and token.info.startswith("{"):
            return True
        if token.type == "myst_target" or any(c.type == "myst_role" for c in token.children or ()):
            return True
    return False


def substitutions(meta: Mapping[str, Any]) -> dict[str, str]:
    """``{{ name }}`` values from front matter: ``substitutions:``, or MyST's ``myst: substitutions:``."""
    found: dict[str, str] = {}
    nested = meta.get("myst")
    tables = (nested.get("substitutions") if isinstance(nested, dict) else None, meta.get("substitutions"))
    for table in tables:
        if isinstance(table, dict):
            found.update({str(k): str(v) for k, v in table.items() if v is not None})
    return found


def _sphinx_uses_myst(folder: Path) -> bool:
    """Whether the nearest ``conf.py`` at or above ``folder`` (the Sphinx project's) names MyST."""
    for candidate in (folder, *folder.parents):
        conf = candidate / "conf.py"
        try:
            found = conf.stat()
        except OSError:
            continue
        return _conf_names_myst(conf, found.st_mtime_ns, found.st_size)
    return False


@functools.lru_cache(maxsize=64)
def _conf_names_myst(conf: Path, mtime_ns: int, size: int) -> bool:
    """Read, never run: whether ``conf.py`` names MyST's Sphinx extension (cached per version)."""
    try:
        text = conf.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    return "myst_parser" in text or "myst_nb" in text


def myst_to_markdown(text: str, values: Mapping[str, str] | None = None) -> str:
    """MyST ``text`` as the library's Markdown-ish text, ``{{ name }}`` replaced from ``values``."""
    return _rewrite(text, dict(values or {}), myst=True, depth=0)


# -- the rewrite ---------------------------------------------------------------------------------


def _rewrite(text: str, values: dict[str, str], *, myst: bool, depth: int) -> str:
    """``text`` with the lines of each MyST construct (or, without ``myst``, each table) replaced by
    what it reads as; the other lines are kept as written."""
    if (
        not myst
        and not _TABLE_SIGN.search(text)
        and not _INDENTED_SIGN.search("\n\n" + text)
        and "<!--" not in text
    ):
        return text
    # the parser numbers lines after reading "\r\n" and a lone "\r" as "\n": so must the edits
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    # (first line, line after, replacement, whether it is a block that needs blank lines around it)
    edits: list[tuple[int, int, str, bool]] = []
    covered = 0  # tokens inside an edited block are part of its replacement
    tokens = _tokens(text, myst)
    footnote = ""  # the label of the footnote definition being read (they come last, out of order)
    for number, token in enumerate(tokens):
        if token.type == "footnote_open":
            footnote, covered = token.meta.get("label", ""), 0
        elif token.type == "footnote_close":
            footnote = ""
        if footnote and token.type == "inline" and token.map is not None:
            # "[^history]: The history of ..." reads as its text, where it is written.
            start, end = token.map
            source = "\n".join(lines[start:end])
            source = re.sub(r"^\s*\[\^" + re.escape(footnote) + r"\]:[ \t]*", "", source, count=1)
            edits.append((start, end, _inline(source, token, values) if _marked_up(token) else source, False))
            continue
        if token.map is None or token.map[0] < covered:
            continue
        start, end = token.map
        if token.type == "table_open":
            replacement = _table(tokens, number, values)
        elif token.type == "code_block":
            # Indented code is code: fenced, so it is quoted as written and never read as prose,
            # at the margin (a fence indented four spaces would be indented code itself).
            edits.append((start, end, _indented_code(token.content), True))
            covered = end
            continue
        elif token.type == "html_block" and _COMMENT.fullmatch(token.content):
            # An HTML comment is not shown: what it holds (a generator's code, a note to editors,
            # a section left out) is neither text nor a heading of the page.
            edits.append((start, end, "", True))
            covered = end
            continue
        elif not myst:
            continue
        elif token.type in {"fence", "colon_fence"} and token.info.startswith("{"):
            replacement = _directive(token, values, depth)
        elif token.type in {"myst_target", "myst_line_comment", "myst_block_break"}:
            replacement = ""
        elif token.type == "substitution_block":
            if token.content.strip() not in values:
                continue
            replacement = values[token.content.strip()]
        elif token.type == "inline" and _marked_up(token):
            edits.append((start, end, _inline("\n".join(lines[start:end]), token, values), False))
            continue
        else:
            continue
        indent = lines[start][: len(lines[start]) - len(lines[start].lstrip())]
        edits.append((start, end, _indented(replacement, indent), True))
        covered = end
    for start, end, replacement, block in sorted(edits, reverse=True):
        pad_before = [""] if block and replacement and start > 0 and lines[start - 1].strip() else []
        pad_after = [""] if block and replacement and end < len(lines) and lines[end].strip() else []
        new = [*pad_before, *replacement.split("\n"), *pad_after] if replacement else []
        lines[start:end] = new
    return "\n".join(lines)


def _indented(text: str, indent: str) -> str:
    return "\n".join(indent + line if line else "" for line in text.split("\n")) if indent else text


def _marked_up(token: Token) -> bool:
    return any(c.type in {"myst_role", "substitution_inline", "footnote_ref"} for c in token.children or ())


def _inline(source: str, token: Token, values: Mapping[str, str]) -> str:
    """``source`` (the lines of ``token``, or its content) with each role written as what it shows
    and each ``{{ name }}`` as its value. The parser found them; this finds where they are written."""
    out: list[str] = []
    pos = 0
    for child in token.children or ():
        if child.type == "myst_role":
            name = child.meta.get("name", "")
            start = source.find("{" + name + "}`", pos)
            if start < 0:
                continue
            open_end = start + len(name) + 2
            while open_end < len(source) and source[open_end] == "`":
                open_end += 1
            ticks = source[start + len(name) + 2 : open_end]
            close = source.find(ticks, open_end)
            if close < 0:
                continue
            out += [source[pos:start], _role(name, child.content)]
            pos = close + len(ticks)
        elif child.type == "footnote_ref":
            # "...a note.[^history]": the mark goes; the note itself is read where it is defined
            mark = "[^" + str(child.meta.get("label", "")) + "]"
            start = source.find(mark, pos)
            if start >= 0:
                out.append(source[pos:start])
                pos = start + len(mark)
        elif child.type == "substitution_inline":
            start = source.find("{{", pos)
            while start >= 0:
                close = source.find("}}", start)
                if close >= 0 and source[start + 2 : close].strip() == child.content.strip():
                    # a name the front matter does not define is left as written: it is the text
                    # (a Jinja example in prose), as it is where substitutions are not enabled
                    shown = values.get(child.content.strip(), source[start : close + 2])
                    out += [source[pos:start], shown]
                    pos = close + 2
                    break
                start = source.find("{{", start + 2)
    out.append(source[pos:])
    return "".join(out)


def _role(name: str, content: str) -> str:
    """What Sphinx shows for ``{name}`content```: API names as code, a titled reference its title."""
    from .rst import CODE_ROLES, role_text

    shown = role_text(content)
    if name.rsplit(":", 1)[-1].lower() in CODE_ROLES and shown == content.lstrip("~!").lstrip("."):
        return _code_span(shown)
    return shown


def _code_span(code: str) -> str:
    ticks = "``" if "`" in code else "`"
    return f"{ticks}{code}{ticks}"


def _indented_code(code: str) -> str:
    """An indented code block as a fenced one, its CodeHilite language line read as the language."""
    hilite = _HILITE.match(code)
    if hilite is not None:
        return _fence(textwrap.dedent(code[hilite.end() :]), hilite.group(1))
    return _fence(textwrap.dedent(code))


def _fence(code: str, language: str = "") -> str:
    longest = max((len(run) for run in code.split("\n") if set(run) == {"`"}), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{language}\n{code.strip(chr(10))}\n{fence}"


def _table(tokens: Sequence[Token], start: int, values: Mapping[str, str]) -> str:
    """The pipe table opening at ``tokens[start]`` as rows named by its header."""
    header: list[str] = []
    rows: list[list[str]] = []
    in_head = False
    for token in tokens[start + 1 :]:
        if token.type == "table_close":
            break
        if token.type in {"thead_open", "thead_close"}:
            in_head = token.type == "thead_open"
        elif token.type == "tr_open" and not in_head:
            rows.append([])
        elif token.type == "inline":
            cell = _inline(token.content, token, values)
            (header if in_head else rows[-1]).append(cell)
    return table_rows(header, rows)


# -- directives ----------------------------------------------------------------------------------


def _directive(token: Token, values: dict[str, str], depth: int) -> str:
    """What a directive fence reads as; ``""`` for those nobody reads."""
    from .rst import API_DIRECTIVES, CODE_DIRECTIVES, SILENT_DIRECTIVES, VERSION_NOTES, rst_to_text

    info = token.info.strip()
    close = info.find("}")
    name = info[1:close].strip().lower() if close > 0 else ""
    argument = info[close + 1 :].strip() if close > 0 else ""
    short = name.rsplit(":", 1)[-1]
    options, body = _options(token.content)
    silent = SILENT_DIRECTIVES | _SILENT
    if depth >= MAX_DEPTH or not name or short in silent or name in silent:
        return ""
    if short in {"eval-rst", "eval-rest"}:
        return rst_to_text(body, "<eval-rst>").text.strip()
    if short == "glossary":  # terms over indented definitions, each definition MyST of its own
        return _glossary(body, values, depth)
    if short == "rubric":  # a question standing alone heads the answer below it, as in reST
        return f"**{argument}**" if argument.endswith("?") else argument
    if short in CODE_DIRECTIVES or short in _CODE:
        language = argument.split()[0] if argument and short != "math" else ""
        return _fence(body, language) if body.strip() else ""
    if short == "list-table":
        return _labelled(argument, _list_table(body, options, values))
    if short == "csv-table":
        return _labelled(argument, _csv_table(body, options))
    if short in _ADMONITIONS:
        label = argument if short == "admonition" else _LABELS.get(short, short.capitalize())
        if short != "admonition" and argument:  # {note} Text on the fence line: its first line
            body = argument + "\n" + body
        return _labelled(label or "Note", _rewrite(body, values, myst=True, depth=depth + 1))
    content = _rewrite(body, values, myst=True, depth=depth + 1).strip()
    if short in VERSION_NOTES and argument:
        version, _, rest = argument.partition(" ")
        lead = VERSION_NOTES[short].format(version) + (" " + rest.strip() if rest.strip() else "")
        return _labelled(lead, content).replace(f"{lead}: ", f"{lead} ", 1)
    if short in API_DIRECTIVES and argument:
        return f"{_code_span(argument)}\n\n{content}".strip()
    if argument and short not in _SETTING_ARGUMENT:
        return _labelled(argument, content)  # a figure's caption, a tab's or a dropdown's title
    return content


def _glossary(body: str, values: dict[str, str], depth: int) -> str:
    """A glossary's terms (lines that are not indented), each over its definition (the indented
    lines under it, read as MyST: roles, notes and code inside a definition), as Sphinx lists them."""
    entries: list[tuple[list[str], list[str]]] = []
    for line in body.split("\n"):
        if line.strip() and not line[0].isspace():
            if entries and not any(d.strip() for d in entries[-1][1]):
                entries[-1][0].append(line.strip())  # a second term for the same definition
            else:
                entries.append(([line.strip()], []))
        elif entries:
            entries[-1][1].append(line)
    shown = []
    for terms, definition in entries:
        text = textwrap.dedent("\n".join(definition)).strip()
        rewritten = _rewrite(text, values, myst=True, depth=depth + 1).strip()
        shown.append(f"{', '.join(terms)}\n\n{rewritten}".strip())
    return "\n\n".join(shown)


def _options(content: str) -> tuple[dict[str, str], str]:
    """A directive body's options (``:key: value`` lines opening it, or a ``---`` YAML block of
    ``key: value`` lines) and the body after them. Options are settings, never text."""
    lines = content.split("\n")
    options: dict[str, str] = {}
    if lines and lines[0].strip() == "---":
        end = next((i for i in range(1, len(lines)) if lines[i].strip() == "---"), None)
        if end is not None:
            for line in lines[1:end]:
                key, _, value = line.partition(":")
                options[key.strip().lower()] = value.strip()
            return options, "\n".join(lines[end + 1 :])
    taken = 0
    for line in lines:
        if not line.startswith(":") or line.count(":") < 2:
            break
        key, _, value = line[1:].partition(":")
        if not key.strip() or " " in key.strip():
            break
        options[key.strip().lower()] = value.strip()
        taken += 1
    return options, "\n".join(lines[taken:])


def _labelled(label: str, body: str) -> str:
    """An admonition's label before its body: "Note: first paragraph", or "Note:" above a list or
    code, as knowledge.admonitions writes MkDocs boxes."""
    body = body.strip("\n")
    label = label.strip()
    if not label:
        return body
    if not body.strip():
        return label
    first = _parser(False).parse(body)
    if first and first[0].type == "paragraph_open" and not body.startswith((" ", "\t")):
        return f"{label}: {body}"
    return f"{label}:\n\n{body}"


def _header_rows(options: Mapping[str, str]) -> int:
    try:
        return max(0, int(options.get("header-rows", "0") or 0))
    except ValueError:
        return 0


def _list_table(body: str, options: Mapping[str, str], values: Mapping[str, str]) -> str:
    """A ``list-table``: a list of rows, each a list of cells."""
    rows: list[list[str]] = []
    level = 0  # list nesting: rows are items of the outer list, cells of the inner ones
    cell: list[str] | None = None
    for token in _parser(True).parse(body):
        if token.type == "bullet_list_open":
            level += 1
        elif token.type == "bullet_list_close":
            level -= 1
        elif token.type == "list_item_open" and level == 1:
            rows.append([])
        elif token.type == "list_item_open" and level == 2 and rows:
            cell = []
            rows[-1].append("")
        elif token.type == "list_item_close" and level == 2 and rows and cell is not None:
            rows[-1][-1] = " ".join(cell)
            cell = None
        elif token.type == "inline" and cell is not None:
            cell.append(_inline(token.content, token, values))
        elif token.type in {"fence", "code_block"} and cell is not None:
            cell.append(_code_span(" ".join(token.content.split())))
    header_rows = _header_rows(options)
    return table_rows(rows[0] if header_rows and rows else [], rows[header_rows:])


def _csv_table(body: str, options: Mapping[str, str]) -> str:
    """A ``csv-table`` written in the directive (a ``:file:`` one is another file: not read)."""
    rows = [row for row in csv.reader(body.strip().split("\n"), skipinitialspace=True) if row]
    header = next(csv.reader([options.get("header", "")], skipinitialspace=True), [])
    header_rows = _header_rows(options)
    if header_rows and rows and not header:
        header = rows[0]
    return table_rows([h.strip() for h in header], [[c.strip() for c in row] for row in rows[header_rows:]])

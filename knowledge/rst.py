"""reStructuredText (Sphinx documentation) as Markdown-ish text, parsed with docutils.

The doctree is written out the way the rest of the library reads documents: ``#`` headings for
sections (any underline style becomes a level by nesting), fenced blocks for literal blocks and
``code-block`` directives, backticks for inline literals and API roles. Sphinx roles and
directives that docutils does not know are registered as generic ones before parsing, so they
degrade to their text instead of turning the whole file into an error; docutils' own messages are
never printed.
"""

from __future__ import annotations

import io
import re
import threading
from dataclasses import dataclass, field
from typing import Any

from docutils import nodes, utils
from docutils.core import publish_doctree
from docutils.parsers.rst import Directive, directives, roles

from .chunking import is_reference_list
from .rst_api import ApiRecorder, api, api_marker, holds_marker, names_an_object
from .tables import table_rows

# Roles whose target is an API object: shown as inline code, as Sphinx shows them.
CODE_ROLES = {
    "attr", "class", "const", "data", "exc", "func", "meth", "mod", "obj", "property", "type",
    "code", "literal", "samp", "file", "envvar", "option", "program", "command", "kbd", "makevar",
    "mailheader", "mimetype", "newsgroup", "regexp", "token", "keyword",
}  # fmt: skip
# Directives with nothing a reader should see: tables of contents, index entries, API
# auto-documentation (its description lives in the code; what a page writes under one is read,
# see _AUTODOC_WITH_TEXT) and includes of other files.
SILENT_DIRECTIVES = {
    "toctree", "index", "include", "literalinclude", "currentmodule", "module",
    "autoclass", "autofunction", "automethod", "autoexception", "automodule", "autodata",
    "autoattribute", "autoproperty", "autosummary", "tabularcolumns", "rst-class", "default-role",
    "default-domain", "sectionauthor", "moduleauthor", "codeauthor", "testsetup", "testcleanup",
    "raw", "meta", "only-html", "graphviz", "inheritance-diagram", "jinja:filters", "jinja:tests",
    "jinja:nodes",
}  # fmt: skip
# Autodoc directives whose content (text and examples the page adds) Sphinx shows under the object.
_AUTODOC_WITH_TEXT = {
    "autoclass", "autofunction", "automethod", "autoexception", "autodata", "autoattribute",
    "autoproperty", "autodecorator",
}  # fmt: skip
CODE_DIRECTIVES = {"code-block", "sourcecode", "code", "testcode", "doctest", "testoutput"}
VERSION_NOTES = {
    "versionadded": "Added in version {}.",
    "versionchanged": "Changed in version {}.",
    "deprecated": "Deprecated since version {}.",
    "versionremoved": "Removed in version {}.",
}
API_DIRECTIVES = {
    "function", "class", "method", "attribute", "property", "data", "exception", "decorator",
    "classmethod", "staticmethod", "decoratormethod", "coroutinefunction", "coroutinemethod",
    "describe", "object", "option", "envvar", "cmdoption", "event", "confval",
}  # fmt: skip

# Directives whose argument is a build condition, not text.
_CONDITIONS = {"only", "ifconfig"}

_ROLE_NAME = re.compile(r"(?<![\w`]):([A-Za-z][\w:+.-]*):`")
_DIRECTIVE_NAME = re.compile(r"^[ \t]*\.\.[ \t]+([A-Za-z][\w:+.-]*)[ \t]*::", re.M)
_TITLED_TARGET = re.compile(r"^(.*?)\s*<([^<>]+)>$", re.S)
_LANGUAGE = re.compile(r"^[\w+#.-]{1,30}$")

# Lines that read as code rather than prose, and those that read as Python in particular.
_CODE_LINE = re.compile(
    r"^\s*(?:def |class |import |from \S+ import |@\w|>>> |\$ |return\b|raise |yield |await |async |"
    r"(?:if|for|while|with|elif|else|try|except|finally)\b.*:$|[\w.\[\]'\"]+\s*[-+*/]?=\s|[\w.]+\(.*\)\s*$|"
    r"[)\]}],?\s*$|#|//|\{|\})"
)
_PYTHON_LINE = re.compile(r"^\s*(?:def |class |import |from \S+ import |@\w)", re.M)

_lock = threading.Lock()
_SETTINGS = {
    "report_level": 5,  # no system message is ever reported or kept in the tree (but see rst_to_text)
    "halt_level": 5,  # nothing stops the parse
    "warning_stream": io.StringIO(),
    "file_insertion_enabled": False,  # an uploaded file must not read others (.. include:: /etc/...)
    "raw_enabled": False,
    "doctitle_xform": False,
    "sectsubtitle_xform": False,
    "syntax_highlight": "none",
    "input_encoding": "unicode",
    "_disable_config": True,
    "pep_references": False,
    "rfc_references": False,
}


def role_text(text: str) -> str:
    """What Sphinx shows for a cross-reference: the title of ``title <target>``, else the target
    without its ``~``/``!``/leading-dot markers."""
    titled = _TITLED_TARGET.match(text)
    if titled and titled.group(1):
        return titled.group(1)
    return text.lstrip("~!").lstrip(".")


def _generic_role(
    name: str, rawtext: str, text: str, lineno: int, inliner: Any, options: Any = None, content: Any = None
) -> tuple[list[nodes.Node], list[nodes.Node]]:
    shown = role_text(utils.unescape(text))
    role = name.rsplit(":", 1)[-1].lower()
    titled = bool(_TITLED_TARGET.match(text))
    if role in CODE_ROLES and not titled:
        return [nodes.literal(rawtext, shown)], []
    return [nodes.Text(shown)], []


class _AnyOptions(dict):
    """An option spec that accepts every option: Sphinx directives have many docutils lacks."""

    def __missing__(self, key: str) -> Any:
        return directives.unchanged

    def __bool__(self) -> bool:  # docutils reads options only when the spec is truthy
        return True


class _Silent(Directive):
    """A directive whose output nobody reads (``toctree``, ``autoclass``...): nothing, but the
    name an ``autoclass``/``currentmodule`` gives is kept for looking it up, and the text and
    examples a page writes under an ``autofunction`` or the like are shown after its name."""

    optional_arguments = 100
    final_argument_whitespace = True
    has_content = True
    option_spec = _AnyOptions()

    def run(self) -> list[nodes.Node]:
        name = self.name.rsplit(":", 1)[-1].lower()
        if names_an_object(name):
            argument = " ".join(self.arguments).strip()
            marker = api_marker(name, argument, body=False)
            if marker is not None and self.content and name in _AUTODOC_WITH_TEXT:
                # The page's own text and examples under it, as Sphinx shows them: after the
                # object's name (its signature comes from the code).
                signature = nodes.paragraph("", "", nodes.literal(argument, argument))
                container = nodes.container("", marker, signature)
                self.state.nested_parse(self.content, self.content_offset, container)
                return [container]
            return [marker] if marker is not None else []
        return []


class _highlight(nodes.Invisible, nodes.Element):  # lower case, as docutils names its nodes
    """Where ``.. highlight:: LANG`` sets the language of the literal blocks that follow."""


class _Highlight(Directive):
    """``highlight:: html+jinja``: the language of later ``::`` blocks that name none."""

    required_arguments = 1
    option_spec = _AnyOptions()

    def run(self) -> list[nodes.Node]:
        return [_highlight(language=self.arguments[0].strip())]


class _CodeBlock(Directive):
    """``code-block:: python``: a literal block tagged with its language."""

    optional_arguments = 1
    final_argument_whitespace = True
    has_content = True
    option_spec = _AnyOptions()

    def run(self) -> list[nodes.Node]:
        code = "\n".join(self.content)
        block = nodes.literal_block(code, code)
        language = self.arguments[0].strip() if self.arguments else ""
        if self.name in {"doctest", "testoutput"} and not language:
            language = "pycon"
        if _LANGUAGE.match(language):
            block["language"] = language
        return [block]


class _Generic(Directive):
    """Any other directive: its arguments as a lead line (a version note, an API signature as
    code, an admonition's title), then its content parsed as reST."""

    optional_arguments = 100
    final_argument_whitespace = True
    has_content = True
    option_spec = _AnyOptions()

    def run(self) -> list[nodes.Node]:
        name = self.name.rsplit(":", 1)[-1].lower()
        argument = " ".join(self.arguments).strip()
        if self.content and _looks_like_code(self.content):
            # A project's own directive holding an example (click's ``.. click:example::``):
            # reST would reflow it into paragraphs; it is code.
            code = "\n".join(self.content)
            block = nodes.literal_block(code, code)
            if _PYTHON_LINE.search(code):
                block["language"] = "python"
            return [block]
        container = nodes.container()
        if name in VERSION_NOTES and argument:
            version, _, rest = argument.partition(" ")
            lead = VERSION_NOTES[name].format(version)
            container += nodes.paragraph("", lead + (" " + rest.strip() if rest.strip() else ""))
        elif name in API_DIRECTIVES and argument:
            marker = api_marker(name, argument, body=True)
            if marker is not None:
                container += marker
            container += nodes.paragraph("", "", nodes.literal(argument, argument))
        elif argument and name not in _CONDITIONS:
            container += nodes.paragraph("", argument)
        if self.content:
            self.state.nested_parse(self.content, self.content_offset, container)
        return [container]


def _looks_like_code(content: Any) -> bool:
    """Whether most non-blank lines of a directive's content read as code."""
    lines = [line for line in content if line.strip()]
    return bool(lines) and sum(1 for line in lines if _CODE_LINE.match(line)) >= 0.6 * len(lines)


def _register(source: str) -> None:
    """Make every role and directive ``source`` uses known to docutils, generically if need be.

    docutils looks names up lower-cased and keeps its registry module-wide; a Sphinx name that
    docutils gives another meaning (``.. class::`` sets a CSS class there) is taken the Sphinx way.
    """
    for name in {n.lower() for n in _ROLE_NAME.findall(source)}:
        if roles._roles.get(name) is None and name not in roles._role_registry:
            roles.register_local_role(name, _generic_role)
    for name in {n.lower() for n in _DIRECTIVE_NAME.findall(source)}:
        short = name.rsplit(":", 1)[-1]
        if short == "highlight":
            directives.register_directive(name, _Highlight)
        elif short in SILENT_DIRECTIVES or name in SILENT_DIRECTIVES:
            directives.register_directive(name, _Silent)
        elif short in CODE_DIRECTIVES:
            directives.register_directive(name, _CodeBlock)
        elif (
            ":" in name
            or short in VERSION_NOTES
            or short in API_DIRECTIVES
            or (directives._directives.get(name) is None and name not in directives._directive_registry)
        ):
            directives.register_directive(name, _Generic)


# Nodes with nothing to read: comments, link targets, substitution definitions, docutils'
# messages, raw output, images, fields of the document's info block.
_UNSHOWN = (
    nodes.comment, nodes.target, nodes.substitution_definition, nodes.system_message, nodes.raw,
    nodes.image, nodes.pending, nodes.Invisible, nodes.transition, nodes.docinfo,
)  # fmt: skip


@dataclass
class RstText:
    """A reST file as Markdown-ish text: its ``title`` (the first section's), ``text``, and
    ``anchors``, the ``[offset, id]`` of each section heading in ``text`` (docutils' ids, the
    ones Sphinx writes into the HTML)."""

    title: str
    text: str
    anchors: list[list[Any]] = field(default_factory=list)
    #: ``[offset, role, full name, anchor, body]`` of each API object a directive documents
    #: (``body`` 0 for ``autoclass`` and the like, whose text is in the code).
    objects: list[list[Any]] = field(default_factory=list)
    #: Markup errors docutils found ("line 12: Content block expected for the "note" directive;
    #: none found."): the text is still read as well as it can be, and an upload says so.
    problems: tuple[str, ...] = ()


class _Writer:
    """Walks a doctree and writes Markdown-ish text."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.size = 0
        self.title = ""
        self.anchors: list[list[Any]] = []
        self.api = ApiRecorder()  # the API objects the directives document
        self.language = ""  # set by .. highlight::

    def emit(self, text: str) -> None:
        self.parts.append(text)
        self.size += len(text)

    def block(self, text: str) -> None:
        text = text.strip("\n")
        if text.strip():
            self.emit(text + "\n\n")

    # -- inline ------------------------------------------------------------------------------

    def inline(self, node: nodes.Node) -> str:
        if isinstance(node, nodes.Text):
            # astext() drops docutils' escape marks: str() keeps "\x00" for each backslash escape
            # (the "\ " after ``await``\ in a heading), a NUL byte in the section name.
            return node.astext().replace("\n", " ")
        if isinstance(node, nodes.literal):
            return _code_span(node.astext())
        if isinstance(node, (nodes.footnote_reference, nodes.citation_reference, nodes.target)):
            return ""
        if isinstance(node, (nodes.substitution_reference, nodes.system_message, nodes.image)):
            return ""
        if isinstance(node, nodes.problematic):
            raw = node.rawsource or node.astext()
            return "" if raw.startswith("|") else role_text(raw.strip("`*|_"))
        return "".join(self.inline(child) for child in node.children)

    def question(self, node: nodes.Element) -> str:
        """An FAQ question standing alone (a rubric, a bold paragraph) as a bold line, which the
        chunker takes for the heading of the answer below it; "" for anything else."""
        text = self.paragraph(node)
        alone = isinstance(node, nodes.rubric) or (
            len(node.children) == 1 and isinstance(node[0], (nodes.strong, nodes.emphasis))
        )
        return f"**{text}**" if alone and text.endswith("?") and "\n" not in text else ""

    def paragraph(self, node: nodes.Node) -> str:
        return re.sub(r"[ \t]+", " ", self.inline(node)).strip()

    # -- blocks ------------------------------------------------------------------------------

    def walk(self, node: nodes.Node, depth: int) -> None:
        for child in node.children:
            self.visit(child, depth)

    def visit(self, node: nodes.Node, depth: int) -> None:
        if isinstance(node, _highlight):
            self.language = node["language"] if _LANGUAGE.match(node["language"]) else ""
        elif isinstance(node, api):
            self.api.record(node, self.size)
        elif holds_marker(node):
            depth_before = len(self.api.scope)
            self.walk(node, depth)  # its marker puts a class in scope for the members inside
            del self.api.scope[depth_before:]
        elif isinstance(node, nodes.section):
            self.section(node, depth + 1)
        elif isinstance(node, nodes.rubric) and is_reference_list((self.paragraph(node),)):
            # ".. rubric:: Footnotes" (or "References"): the notes below it are a reference list,
            # a passage of their own kind (knowledge.chunking.passage_kind), so it heads them.
            self.emit(f"{'#' * min(depth + 1, 6)} {self.paragraph(node)}\n\n")
        elif isinstance(node, (nodes.paragraph, nodes.rubric)):
            self.block(self.question(node) or self.paragraph(node))
        elif isinstance(node, (nodes.literal_block, nodes.doctest_block)):
            self.code(node)
        elif isinstance(node, (nodes.bullet_list, nodes.enumerated_list)):
            self.items(node, depth)
        elif isinstance(node, nodes.definition_list):
            for item in node.children:
                terms = " ".join(self.paragraph(c) for c in item.children if isinstance(c, nodes.term))
                self.block(f"**{terms.strip()}**" if terms.strip().endswith("?") else terms)
                for child in item.children:
                    if isinstance(child, nodes.definition):
                        self.walk(child, depth)
        elif isinstance(node, nodes.field_list):
            for item in node.children:
                name = self.paragraph(item[0]) if len(item) else ""
                body = " ".join(self.paragraph(p) for p in item[1].children) if len(item) > 1 else ""
                self.block(f"{name}: {body}".strip(": "))
        elif isinstance(node, nodes.Admonition):
            self.admonition(node, depth)
        elif isinstance(node, (nodes.title, nodes.subtitle)):
            self.block(self.paragraph(node))
        elif isinstance(node, nodes.line_block):
            self.block("\n".join(self.paragraph(line) for line in node.findall(nodes.line)))
        elif isinstance(node, nodes.table):
            self.table(node)
        elif isinstance(node, _UNSHOWN):
            return
        elif isinstance(node, nodes.TextElement):
            self.block(self.paragraph(node))
        else:  # containers, block quotes, topics, footnotes, figures, compounds: their content
            self.walk(node, depth)

    def section(self, node: nodes.section, depth: int) -> None:
        title_node = node.next_node(nodes.title)
        title = self.paragraph(title_node) if title_node is not None else ""
        if not title:
            self.walk(node, depth)
            return
        if not self.title:
            self.title = title
        ids = list(node.get("ids", []))
        wanted = nodes.make_id(title)
        anchor = wanted if wanted in ids else (ids[0] if ids else "")
        self.anchors.append([self.size, anchor if depth > 1 else ""])
        self.emit(f"{'#' * min(depth, 6)} {title}\n\n")
        for child in node.children:
            if child is not title_node:
                self.visit(child, depth)

    def code(self, node: nodes.Element) -> None:
        code = node.astext().strip("\n")
        if not code.strip():
            return
        language = node.get("language") or next(
            (c for c in node.get("classes", []) if c not in {"code", "literal-block"}), ""
        )
        if isinstance(node, nodes.doctest_block) and not language:
            language = "pycon"
        language = language or self.language
        fence = "~~~~" if "```" in code else "```"
        self.block(f"{fence}{language}\n{code}\n{fence}")

    def items(self, node: nodes.Element, depth: int) -> None:
        for number, item in enumerate(node.children, start=1):
            bullet = f"{number}." if isinstance(node, nodes.enumerated_list) else "-"
            first, *rest = item.children or [nodes.paragraph()]
            if isinstance(first, nodes.paragraph):
                self.emit(f"{bullet} {self.paragraph(first)}\n")
            else:
                self.emit(f"{bullet} ")
                rest = [first, *rest]
            if rest:
                self.emit("\n")
                for child in rest:
                    self.visit(child, depth)
        self.emit("\n")

    def admonition(self, node: nodes.Element, depth: int) -> None:
        title_node = node.next_node(nodes.title)
        label = self.paragraph(title_node) if title_node is not None else node.__class__.__name__.title()
        body = [c for c in node.children if c is not title_node]
        if body and isinstance(body[0], nodes.paragraph):
            self.block(f"{label}: {self.paragraph(body[0])}")
            body = body[1:]
        else:
            self.block(f"{label}:")
        for child in body:
            self.visit(child, depth)

    def table(self, node: nodes.Element) -> None:
        """Grid, simple, list and CSV tables as readable rows, each cell named by its header."""
        header: list[str] = []
        rows: list[list[str]] = []
        for row in node.findall(nodes.row):
            cells = [" ".join(self.paragraph(p) for p in entry.children) for entry in row.children]
            if isinstance(row.parent, nodes.thead):
                header = header or cells
            else:
                rows.append(cells)
        self.block(table_rows(header, rows))


def _code_span(code: str) -> str:
    code = " ".join(code.split())
    if not code:
        return ""
    ticks = "``" if "`" in code else "`"
    pad = " " if code.startswith("`") or code.endswith("`") else ""
    return f"{ticks}{pad}{code}{pad}{ticks}"


# docutils' report of an error: "path:12: (ERROR/3) Content block expected for the "note" …".
_ERROR_LINE = re.compile(r"^.*?:(\d+): \((?:ERROR|SEVERE)/\d\) (.+)$", re.MULTILINE)
MAX_PROBLEMS = 5


def rst_to_text(source: str, source_path: str = "<rst>") -> RstText:
    """Parse reST ``source`` and write it as Markdown-ish text; never raises on markup errors, which
    it returns as ``problems`` (errors only: the warnings of real Sphinx docs are mostly roles and
    directives that docutils alone does not know)."""
    stream = io.StringIO()
    with _lock:
        _register(source)
        settings = dict(_SETTINGS, warning_stream=stream, report_level=3)
        doctree = publish_doctree(source, source_path=source_path, settings_overrides=settings)
    writer = _Writer()
    writer.walk(doctree, 0)
    raw = "".join(writer.parts)
    text = re.sub(r"\n{3,}", "\n\n", raw).strip() + "\n"
    problems = tuple(f"line {n}: {message}" for n, message in _ERROR_LINE.findall(stream.getvalue()))
    return RstText(writer.title, text, writer.anchors, writer.api.squeezed(raw), problems[:MAX_PROBLEMS])

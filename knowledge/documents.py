"""Loading documents from files: Markdown/text with YAML front matter, reStructuredText, HTML, PDF
and BEIR JSONL.

Every loader returns :class:`~knowledge.models.Document` objects whose ``text`` is Markdown-ish:
headings are ``#`` lines so the chunker can keep section paths whatever the source format was.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import re
import stat
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from . import safe_yaml
from .admonitions import admonition_depth
from .decoding import Decoded, NotText, decode_text, encoding_name
from .models import Document, LoadError
from .myst import read_markdown
from .nesting import html_too_deep, rst_depth

logger = logging.getLogger(__name__)

# Told (done, total) as work advances: how a caller shows progress, since the library never prints.
ProgressCallback = Callable[[int, int], None]

TEXT_SUFFIXES = {".md", ".markdown", ".txt"}
HTML_SUFFIXES = {".html", ".htm"}
RST_SUFFIXES = {".rst", ".rest"}
SUPPORTED_SUFFIXES = TEXT_SUFFIXES | HTML_SUFFIXES | RST_SUFFIXES | {".pdf", ".jsonl"}
# Per-folder settings beside the documents (reST has no front matter): ``base_url`` of the
# published pages, so citations link to ``base_url + page.html#section``; in a crawled site's
# folder, the ``crawl`` section lists each page's address and file (see knowledge.crawl).
FOLDER_SETTINGS = "citebot.yaml"
CRAWL_SETTINGS = "crawl"
# The file that marks a folder as citebot's state (saved index, curated answers): the folder walk
# never enters it, wherever it lies, so the state is never read as knowledge.
STATE_MARKER = ".citebot-state"
# Folders the walk never enters, wherever they lie, besides hidden ones (".git", ".venv"): they hold
# tools' files, never documents, often by the hundred thousand.
IGNORED_FOLDERS = frozenset({"node_modules", "__pycache__"})
# Refused as a knowledge folder: the system's own folders (walking /usr reads the whole system) ...
SYSTEM_FOLDERS = frozenset(
    Path(name)
    for name in (
        *("/bin", "/boot", "/dev", "/etc", "/lib", "/lib32", "/lib64", "/proc", "/run", "/sbin"),
        *("/sys", "/tmp", "/usr", "/var"),
    )
)
# ... and anything below these, whose files are devices and kernel state, not documents (reading
# some never ends).
VIRTUAL_FOLDERS = (Path("/proc"), Path("/sys"), Path("/dev"))
# Files that are not documents are summarised in one warning line, naming them up to this many.
MAX_NAMED_SKIPS = 5

# Front matter keys and the types they may hold; anything else is kept but warned about.
FRONT_MATTER_TYPES: dict[str, tuple[type, ...]] = {
    "title": (str,),
    "authors": (list, str),
    "year": (int, str),
    "source": (str,),
    "url": (str,),
    "doi": (str,),
    "license": (str,),
    "tags": (list, str), "myst": (dict,), "substitutions": (dict,),  # MyST: knowledge.myst
    "glossary": (dict,),  # readers' words for the document's terms (knowledge.glossary.DocumentGlossary)
}

# A hostile PDF can hold thousands of pages; past this we stop and say so.
MAX_PDF_PAGES = 2_000
# Laying out HTML costs time in proportion to nesting depth times size (Beautiful Soup walks a
# block's whole subtree to insert after it): 400,000 nested <div>s would take hours. Real pages
# nest a few dozen levels.
MAX_HTML_DEPTH = 256
# docutils copies an indented block's lines at every level and fails past about 100 levels anyway
# (a 1.9 MB file takes 73 MB flat, 125 MB 10 levels deep, 236 MB 40 deep); of 327 real reST files
# none nested past 12, most of them code indented in literal blocks.
MAX_RST_DEPTH = 24
# Unfolding copies a box's body once per level; real pages put a box in a box, rarely deeper.
MAX_ADMONITION_DEPTH = 8

_FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)^(?:---|\.\.\.)[ \t]*\r?$\n?", re.S | re.M)
_H1 = re.compile(r"^#\s+(.+?)\s*#*\s*$", re.M)
# A title underlined (and maybe overlined) with a run of "=" opening the text: "Guide\n=====".
_UNDERLINED_TITLE = re.compile(r"\A\s*(?:=+[ \t]*\n)?[ \t]*([^\s=][^\n]*?)[ \t]*\n={3,}[ \t]*(?:\n|\Z)")
# MultiMarkdown / Python-Markdown metadata: "Key: value" lines opening the file, then a blank line.
_KEY_VALUE_HEAD = re.compile(r"\A((?:[A-Za-z][\w-]*:[ \t]*[^\n]*\n)+)(?:[ \t]*\n|\Z)")


class DocumentError(ValueError):
    """A file that cannot be loaded; ``str()`` names the file and, when known, the line."""

    def __init__(self, path: Path | str, message: str, line: int | None = None) -> None:
        self.error = LoadError(str(path), message, line)
        super().__init__(str(self.error))


def doc_id_for(path: Path, root: Path) -> str:
    """A stable id from the path relative to the knowledge folder: ``guides/Getting Started.md`` ->
    ``guides/getting-started``."""
    rel = path.relative_to(root).with_suffix("") if path.is_relative_to(root) else Path(path.stem)
    return "/".join(re.sub(r"[^\w.-]+", "-", part.lower()).strip("-") or "doc" for part in rel.parts)


def _title_from_stem(path: Path) -> str:
    return re.sub(r"[-_]+", " ", path.stem).strip().capitalize() or path.name


def split_front_matter(text: str, path: Path | str) -> tuple[dict[str, Any], str, int]:
    """Split ``---`` YAML front matter from the body: (metadata, body, body's first line number - 1)."""
    match = _FRONT_MATTER.match(text)
    if not match:
        return {}, text, 0
    try:
        meta = safe_yaml.safe_load(match.group(1))  # anchors refused: no billion laughs
    except yaml.YAMLError as exc:
        problem, line = safe_yaml.problem(exc, "YAML front matter")  # +1 for 1-based, +1 for the opening ---
        raise DocumentError(path, problem, line + 2 if line is not None else None) from None
    if meta is None:
        meta = {}
    if not isinstance(meta, dict):
        raise DocumentError(path, "front matter must be a mapping of keys to values", 2)
    for key, value in meta.items():
        expected = FRONT_MATTER_TYPES.get(str(key))
        if expected is None:
            logger.warning("%s: unknown front matter key %s kept as metadata", path, safe_yaml.quote(key))
        elif value is not None and not isinstance(value, expected):
            names = " or ".join(t.__name__ for t in expected)
            lines = match.group(1).splitlines()
            line = next((i + 2 for i, text_line in enumerate(lines) if text_line.startswith(f"{key}:")), None)
            key, value = safe_yaml.quote(key), safe_yaml.quote(value)  # never the whole of a huge value
            raise DocumentError(path, f"front matter key {key} should be {names}, not {value}", line)
    body = text[match.end() :]
    return {str(k): v for k, v in meta.items() if v is not None}, body, text[: match.end()].count("\n")


def parse_text(text: str, path: Path, doc_id: str, fmt: str) -> Document:
    """Markdown or plain text with optional front matter (YAML between ``---`` lines, or
    MultiMarkdown ``Title: ...`` lines opening a Markdown file)."""
    if fmt == "markdown" and (depth := admonition_depth(text)) > MAX_ADMONITION_DEPTH:
        raise DocumentError(
            path, f"admonition boxes are nested {depth:,} levels deep; the limit is {MAX_ADMONITION_DEPTH}"
        )
    meta, body, _ = split_front_matter(text, path)
    if not meta and fmt == "markdown":
        meta, body = _key_value_head(body)
    if fmt == "markdown":  # before the title is taken: a MyST heading's roles show as their text
        body = read_markdown(body, meta, path)
    title = meta.get("title")
    if not title:
        underlined = _UNDERLINED_TITLE.match(body)
        heading = _H1.search(body)
        title = underlined.group(1) if underlined else heading.group(1) if heading else None
    meta.update(path=str(path), format=fmt)
    return Document(doc_id, str(title or _title_from_stem(path)), body, meta)


def _key_value_head(body: str) -> tuple[dict[str, Any], str]:
    """MultiMarkdown metadata lines, taken only when the first key is a known front matter key (so
    a file opening with "Note: ..." keeps its text)."""
    match = _KEY_VALUE_HEAD.match(body)
    if not match:
        return {}, body
    pairs = [line.split(":", 1) for line in match.group(1).splitlines()]
    if pairs[0][0].strip().lower() not in FRONT_MATTER_TYPES:
        return {}, body
    meta = {key.strip().lower(): value.strip() for key, value in pairs if value.strip()}
    return {k: v for k, v in meta.items() if k in FRONT_MATTER_TYPES}, body[match.end() :]


def parse_rst(text: str, path: Path, doc_id: str, base_url: str = "") -> Document:
    """reStructuredText (Sphinx docs) through docutils: sections become headings, roles their text,
    literal blocks code. With ``base_url`` the document links to its published page and each
    section to its anchor there."""
    from .rst import rst_to_text

    # Before docutils, whose work grows with depth times size; the scan stops past the limit.
    if rst_depth(text, MAX_RST_DEPTH) > MAX_RST_DEPTH:
        raise DocumentError(
            path,
            f"the reStructuredText is nested more than {MAX_RST_DEPTH} levels deep (indented blocks, "
            f"lists, directives); the limit is {MAX_RST_DEPTH}",
        )
    try:
        parsed = rst_to_text(text, str(path))
    except Exception as exc:
        # docutils reports markup problems as messages (silenced); what still raises is a bug in
        # a directive or a pathological input, and must fail this one file only.
        problem = f"{exc.__class__.__name__}: {exc}"
        raise DocumentError(path, f"not readable reStructuredText ({problem})") from None
    meta: dict[str, Any] = {"path": str(path), "format": "rst", "objects": parsed.objects}
    if base_url:
        meta["url"] = base_url
        meta["anchors"] = [anchor for anchor in parsed.anchors if anchor[1]]
    return Document(doc_id, parsed.title or _title_from_stem(path), parsed.text, meta)


def folder_settings(folder: Path, root: Path | None = None) -> dict[str, Any]:
    """The ``citebot.yaml`` settings that apply in ``folder``: the nearest one at or above it (up
    to ``root``), with the folder it was found in under ``"folder"``; empty when there is none."""
    folder = folder.resolve()
    stop = root.resolve() if root is not None else None
    for candidate in (folder, *folder.parents):
        settings_file = candidate / FOLDER_SETTINGS
        try:
            found = settings_file.stat()
        except OSError:
            found = None
        if found is not None and stat.S_ISREG(found.st_mode):
            loaded = _read_settings(settings_file, found.st_mtime_ns, found.st_size)
            return {**loaded, "folder": candidate} if loaded is not None else {}
        if stop is None or candidate == stop or not candidate.is_relative_to(stop):
            break
    return {}


@functools.lru_cache(maxsize=64)
def _read_settings(settings_file: Path, mtime_ns: int, size: int) -> dict[str, Any] | None:
    """The mapping in ``settings_file``, or None (warned) when it is not one. Cached by the file's
    modification time and size: every file of a folder asks for its settings, and a crawled site's
    settings list all its pages. Callers must not change what is returned."""
    try:
        loaded = safe_yaml.safe_load(settings_file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        logger.warning("%s: ignored, not readable YAML (%s)", settings_file, exc)
        return None
    if not isinstance(loaded, dict):
        logger.warning("%s: ignored, it should hold 'base_url: https://...'", settings_file)
        return None
    return loaded


def crawled_url(path: Path, settings: dict[str, Any]) -> str:
    """The address a crawled page was fetched from: the ``crawl`` section of the site folder's
    settings (written by :mod:`knowledge.crawl`) lists ``pages`` as ``{url, file}``; empty when
    ``path`` is not one of them."""
    folder = settings.get("folder")
    if folder is None or CRAWL_SETTINGS not in settings:
        return ""
    settings_file = Path(folder) / FOLDER_SETTINGS
    try:
        found = settings_file.stat()
        rel = path.resolve().relative_to(folder).as_posix()
    except (OSError, ValueError):
        return ""
    return _crawled_pages(settings_file, found.st_mtime_ns, found.st_size).get(rel, "")


@functools.lru_cache(maxsize=16)
def _crawled_pages(settings_file: Path, mtime_ns: int, size: int) -> dict[str, str]:
    """``{file: url}`` of a crawled site's settings, built once per version of the file."""
    crawl = (_read_settings(settings_file, mtime_ns, size) or {}).get(CRAWL_SETTINGS)
    pages = crawl.get("pages") if isinstance(crawl, dict) else None
    return {
        str(page["file"]): str(page["url"])
        for page in pages or ()
        if isinstance(page, dict) and isinstance(page.get("file"), str) and isinstance(page.get("url"), str)
    }


def page_url(path: Path, settings: dict[str, Any]) -> str:
    """The published address of the reST page ``path`` under ``settings["base_url"]``:
    ``https://docs.example.org/en/latest/`` + ``guide/faq.rst`` -> ``.../guide/faq.html``."""
    base = settings.get("base_url")
    if not isinstance(base, str) or not base.strip():
        return ""
    base = base.strip()
    rel = path.resolve().relative_to(settings["folder"]).with_suffix(".html").as_posix()
    return (base if base.endswith("/") else base + "/") + rel


def parse_html(raw: bytes, path: Path, doc_id: str, url: str = "") -> Document:
    """Visible text of an HTML page, with its headings kept as Markdown headings. With ``url`` (the
    page's address) the document links to it and each section to its heading's anchor there."""
    from bs4 import BeautifulSoup

    if html_too_deep(raw, MAX_HTML_DEPTH):  # before Beautiful Soup builds every element
        limit = MAX_HTML_DEPTH
        raise DocumentError(path, f"the HTML is nested more than {limit} levels deep; the limit is {limit}")
    soup = BeautifulSoup(raw, "html.parser")
    depth = _html_depth(soup)
    if depth > MAX_HTML_DEPTH:
        raise DocumentError(path, f"the HTML is nested {depth} levels deep; the limit is {MAX_HTML_DEPTH}")
    title = soup.title.get_text(" ", strip=True) if soup.title else ""
    # Edits stay inside each element (clear, insert at 0, append): inserting beside an element or
    # removing it makes Beautiful Soup scan all its siblings, quadratic on a page of 100,000 <p>s.
    for tag in soup(["script", "style", "noscript", "template", "head", "nav", "footer"]):
        tag.clear()
    headings: list[tuple[str, str]] = []  # (the heading line as written in the text, its anchor)
    for heading in soup.find_all(re.compile(r"^h[1-6]$")):
        level = int(heading.name[1])
        anchor = _heading_anchor(heading)
        text = heading.get_text(" ", strip=True)
        heading.clear()
        heading.append(f"\n\n{'#' * level} {text}\n\n")
        headings.append((re.sub(r"\s+", " ", f"{'#' * level} {text}").strip(), anchor))
    for item in soup.find_all("li"):
        item.insert(0, "\n- ")
    for block in soup.find_all(["p", "div", "br", "tr", "ul", "ol", "pre", "blockquote", "section"]):
        block.append("\n\n")
    lines = (re.sub(r"[ \t\r\f\v]+", " ", line).strip() for line in soup.get_text().split("\n"))
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
    if not title:
        heading = _H1.search(text)
        title = heading.group(1) if heading else _title_from_stem(path)
    meta: dict[str, Any] = {"path": str(path), "format": "html"}
    if url:
        meta["url"] = url
        meta["anchors"] = _anchor_offsets(text, headings)
    return Document(doc_id, title, text, meta)


def _heading_anchor(heading: Any) -> str:
    """The id a link can jump to for ``heading``: its own ``id``, an anchor inside it (``<a id>``,
    ``<a name>``, Sphinx's ``<a class="headerlink" href="#...">``), else the id of the section it
    opens; empty when there is none."""
    if heading.get("id"):
        return str(heading["id"])
    for link in heading.find_all("a"):
        if link.get("id") or link.get("name"):
            return str(link.get("id") or link.get("name"))
        href = str(link.get("href") or "")
        if href.startswith("#") and len(href) > 1:
            return href[1:]
    parent = heading.parent
    if parent is not None and parent.get("id") and parent.name in {"section", "div", "article"}:
        first = parent.find(re.compile(r"^h[1-6]$"))
        if first is heading:
            return str(parent["id"])
    return ""


def _anchor_offsets(text: str, headings: list[tuple[str, str]]) -> list[list[Any]]:
    """``[[offset, anchor], ...]`` of the headings in ``text`` (found in order), as
    :meth:`Document.link_at` reads them; a heading without an id ends the previous one's section."""
    anchors: list[list[Any]] = []
    position = 0
    for line, anchor in headings:
        found = re.compile(rf"^{re.escape(line)}[ \t]*$", re.M).search(text, position)
        if found is None:
            continue
        anchors.append([found.start(), anchor])
        position = found.end()
    return anchors


def _html_depth(soup: Any) -> int:
    """The deepest element nesting (text inside does not count), found without recursion (deep
    trees would overflow it)."""
    deepest, stack = 0, [(soup, 0)]
    while stack:
        node, depth = stack.pop()
        contents = getattr(node, "contents", None)
        if contents is not None:  # an element, not text
            deepest = max(deepest, depth)
            stack.extend((child, depth + 1) for child in contents)
    return deepest


def parse_pdf(raw: bytes | Path, path: Path, doc_id: str) -> Document:
    """Text of each page; ``metadata["pages"]`` maps page numbers to offsets for citations."""
    import io

    from pypdf import PdfReader

    try:
        reader = PdfReader(io.BytesIO(raw) if isinstance(raw, bytes) else raw)
        if reader.is_encrypted:
            raise DocumentError(path, "the PDF is encrypted; upload an unprotected copy")
        if len(reader.pages) > MAX_PDF_PAGES:
            raise DocumentError(path, f"the PDF has {len(reader.pages)} pages; the limit is {MAX_PDF_PAGES}")
        parts, pages, offset = [], [], 0
        for number, page in enumerate(reader.pages, start=1):
            page_text = (page.extract_text() or "").strip()
            pages.append((number, offset))
            parts.append(page_text)
            offset += len(page_text) + 2
        info_title = (reader.metadata.title if reader.metadata else None) or ""
    except DocumentError:
        raise
    except Exception as exc:
        # pypdf raises many kinds of errors on damaged files (PdfReadError, LimitReachedError on
        # reference loops, IndexError, RecursionError...): each must fail this one file, never
        # the whole knowledge base.
        raise DocumentError(path, f"not a readable PDF ({exc.__class__.__name__}: {exc})") from None
    text = "\n\n".join(parts)
    if not text.strip():
        raise DocumentError(path, "the PDF has no extractable text (a scanned image?)")
    meta = {"path": str(path), "format": "pdf", "pages": pages}
    return Document(doc_id, str(info_title).strip() or _title_from_stem(path), text, meta)


def parse_jsonl(text: str, path: Path) -> tuple[list[Document], list[LoadError]]:
    """BEIR corpus lines ``{"_id", "title", "text"}``: one document each; bad lines are reported."""
    docs, errors = [], []
    # Lines end at "\n" only: splitlines() would also split inside a JSON string holding U+2028,
    # U+0085 or a form feed, which JSON allows unescaped.
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            errors.append(LoadError(str(path), f"invalid JSON: {exc.msg}", number))
            continue
        if not isinstance(row, dict) or "_id" not in row or not isinstance(row.get("text", ""), str):
            errors.append(LoadError(str(path), 'each line needs "_id" and a string "text"', number))
            continue
        meta = {k: v for k, v in row.items() if k not in {"_id", "title", "text"}}
        meta.update(path=str(path), format="jsonl", line=number)
        docs.append(Document(str(row["_id"]), str(row.get("title") or ""), row.get("text") or "", meta))
    return docs, errors


def _decode(raw: bytes, path: Path) -> Decoded:
    """The file's text; one not in UTF-8 is read in the code page it was saved in, with a warning
    naming it (see :mod:`knowledge.decoding`)."""
    try:
        decoded = decode_text(raw)
    except NotText as exc:
        raise DocumentError(path, str(exc), exc.line) from None
    if decoded.legacy:
        logger.warning(
            "%s:%d: not UTF-8; read as %s, %s (save it as UTF-8 to be sure)",
            path,
            decoded.line or 1,
            decoded.encoding,
            encoding_name(decoded.encoding),
        )
    return decoded


def _with_encoding(doc: Document, decoded: Decoded) -> Document:
    """``doc`` noting the legacy code page its file was read in (``citebot index`` names it)."""
    return replace(doc, metadata={**doc.meta, "encoding": decoded.encoding}) if decoded.legacy else doc


def load_file(path: Path, root: Path | None = None) -> tuple[list[Document], list[LoadError]]:
    """Load one file. Raises :class:`DocumentError` when the whole file is unusable; line-level
    problems in JSONL come back as errors beside the documents that did load."""
    root = root or path.parent
    suffix = path.suffix.lower()
    doc_id = doc_id_for(path, root)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DocumentError(path, f"cannot read: {exc.strerror or exc}") from None
    if suffix == ".jsonl":
        decoded = _decode(raw, path)
        rows, errors = parse_jsonl(decoded.text, path)
        return [_with_encoding(doc, decoded) for doc in rows], errors
    errors: list[LoadError] = []
    if suffix in {".md", ".markdown", ".txt"}:
        fmt = "text" if suffix == ".txt" else "markdown"
        decoded = _decode(raw, path)
        doc, errors = _parse_text_file(decoded.text, path, doc_id, fmt)
        doc = _with_encoding(doc, decoded)
        url = crawled_url(path, folder_settings(path.parent, root))
        if url and not doc.meta.get("url"):
            doc = replace(doc, metadata={**doc.meta, "url": url})
    elif suffix in RST_SUFFIXES:
        url = page_url(path, folder_settings(path.parent, root))
        decoded = _decode(raw, path)
        doc = _with_encoding(parse_rst(decoded.text, path, doc_id, url), decoded)
    elif suffix in HTML_SUFFIXES:
        doc = parse_html(raw, path, doc_id, crawled_url(path, folder_settings(path.parent, root)))
    elif suffix == ".pdf":
        doc = parse_pdf(raw, path, doc_id)
    else:
        raise DocumentError(path, f"unsupported file type {suffix or '(none)'}")
    if not doc.text.strip():
        raise DocumentError(path, "empty: no text to index")
    return [doc], errors


def _parse_text_file(text: str, path: Path, doc_id: str, fmt: str) -> tuple[Document, list[LoadError]]:
    """Markdown or plain text; front matter that cannot be used costs the metadata, not the body:
    the body loads (title from its first heading or the file name) and the problem is returned."""
    try:
        return parse_text(text, path, doc_id, fmt), []
    except DocumentError as exc:  # only the front matter can be refused
        body = _FRONT_MATTER.sub("", text, count=1)
        if not body.strip():
            raise  # nothing else in the file: the front matter problem is the whole story
        error = LoadError(str(path), f"{exc.error.message}; loaded without its metadata", exc.error.line)
        return parse_text(body, path, doc_id, fmt), [error]


def refused_folder(folder: Path | str) -> str | None:
    """Why ``folder`` cannot be a knowledge folder (the filesystem root or a system folder), or
    None when it can; symbolic links are followed."""
    given = Path(os.path.abspath(Path(folder).expanduser()))
    try:
        resolved = given.resolve()
    except OSError:  # a link that cannot be followed (/proc/1/root): judged as written
        resolved = given
    for path in dict.fromkeys([given, resolved]):
        name = str(folder) if path == given else f"{folder} (a link to {path})"
        if path == Path(path.anchor):
            return f"{name} is the root of the filesystem; point it at the folder holding your documents"
        if path in SYSTEM_FOLDERS or any(path.is_relative_to(system) for system in VIRTUAL_FOLDERS):
            return f"{name} is a system folder; point it at the folder holding your documents"
    return None


def _suffix(name: str) -> str:
    """``Path(name).suffix.lower()`` without making a path (the walk sees every file's name)."""
    dot = name.rfind(".")
    return name[dot:].lower() if 0 < dot < len(name) - 1 else ""


def _walk(folder: Path) -> Iterator[os.DirEntry[str]]:
    """Every entry below ``folder`` that is not a folder, in no set order. Hidden and ignored
    folders and folders holding :data:`STATE_MARKER` are never entered, nor are links to folders.
    A folder that vanishes or cannot be read is passed over: a folder may change while it is walked."""
    pending = [os.fspath(folder)]
    while pending:
        here = pending.pop()
        try:
            with os.scandir(here) as listing:
                entries = list(listing)
        except (FileNotFoundError, NotADirectoryError):
            logger.debug("%s: removed during the folder walk", here)
            continue
        except OSError as exc:
            logger.warning("%s: cannot read the folder (%s)", here, exc.strerror or exc)
            continue
        if here != os.fspath(folder) and any(entry.name == STATE_MARKER for entry in entries):
            continue
        for entry in entries:
            if entry.name.startswith("."):
                continue
            try:
                if entry.is_dir(follow_symlinks=False):
                    if entry.name not in IGNORED_FOLDERS:
                        pending.append(entry.path)
                    continue
                if entry.is_dir():  # a link to a folder, not followed (nor was it by os.walk)
                    continue
            except OSError:
                continue
            yield entry


def iter_files(folder: Path) -> Iterator[Path]:
    """Files below ``folder`` in a stable order, hidden files and folders left out, and so is any
    folder below it holding citebot's state (it carries :data:`STATE_MARKER`)."""
    found = []
    for entry in _walk(folder):
        try:
            if entry.is_file():
                found.append(Path(entry.path))
        except OSError:
            continue
    yield from sorted(found)


@dataclass
class FolderScan:
    """One walk of a knowledge folder: the files a load reads (documents and folder settings) with
    their stat results, in a stable order, and the other files counted by suffix."""

    files: list[tuple[Path, os.stat_result]] = field(default_factory=list)
    skipped: Counter[str] = field(default_factory=Counter)
    # The first few files passed over, named when there are no more than these.
    skipped_files: list[str] = field(default_factory=list)

    def skipped_summary(self, shown: int = 4) -> str:
        """One line saying which files were passed over: "skipped 200 files that are not documents
        (.png 150, .json 50)", naming them when they are few; empty when none was."""
        total = sum(self.skipped.values())
        if not total:
            return ""
        ranked = sorted(self.skipped.items(), key=lambda kind: (-kind[1], kind[0]))
        kinds = [f"{suffix or '(no suffix)'} {count:,}" for suffix, count in ranked[:shown]]
        if len(self.skipped) > shown:
            kinds.append("…")
        noun = "file that is not a document" if total == 1 else "files that are not documents"
        named = f": {', '.join(sorted(self.skipped_files))}" if total <= MAX_NAMED_SKIPS else ""
        return f"skipped {total:,} {noun} ({', '.join(kinds)}){named}"


def scan_folder(folder: Path) -> FolderScan:
    """Walk ``folder`` once (see :func:`iter_files` for what is left out), stating only the files
    a load reads; a file that vanishes or cannot be stated meanwhile is left out."""
    scan = FolderScan()
    for entry in _walk(folder):
        name = entry.name
        suffix = _suffix(name)
        if suffix not in SUPPORTED_SUFFIXES and name != FOLDER_SETTINGS:
            scan.skipped[suffix] += 1
            if len(scan.skipped_files) < MAX_NAMED_SKIPS:
                scan.skipped_files.append(os.path.relpath(entry.path, folder))
            continue
        try:
            found = entry.stat()
        except OSError:
            logger.debug("%s: removed or unreadable during the folder walk", entry.path)
            continue
        if stat.S_ISREG(found.st_mode):
            scan.files.append((Path(entry.path), found))
    scan.files.sort(key=lambda item: item[0])
    return scan


def mark_state_dir(state_dir: Path) -> None:
    """Put :data:`STATE_MARKER` in ``state_dir`` (created if need be) so that no folder walk reads
    the state as knowledge, even when it lies inside a knowledge folder."""
    marker = state_dir / STATE_MARKER
    if not marker.exists():
        state_dir.mkdir(parents=True, exist_ok=True)
        marker.write_text("citebot's state: saved index, curated answers. Never read as knowledge.\n")


def load_folder(
    folder: Path | str, *, on_progress: ProgressCallback | None = None
) -> tuple[list[Document], list[LoadError]]:
    """Load every supported file below ``folder``; broken files are reported, the rest still load.
    The filesystem root and system folders are refused (see :func:`refused_folder`).
    ``on_progress(done, total)`` is called after each file is read, with the files read so far and
    the files found."""
    folder = Path(folder)
    refused = refused_folder(folder)
    if refused is not None:
        return [], [LoadError(str(folder), f"not read as knowledge: {refused}")]
    if not folder.is_dir():
        return [], [
            LoadError(str(folder), "knowledge folder not found" if not folder.exists() else "not a folder")
        ]
    docs: list[Document] = []
    errors: list[LoadError] = []
    seen: dict[str, str] = {}
    scan = scan_folder(folder)
    if scan.skipped:
        logger.warning("%s: %s", folder, scan.skipped_summary())
    paths = [path for path, _ in scan.files if path.name != FOLDER_SETTINGS]
    for done, path in enumerate(paths, 1):
        try:
            loaded, file_errors = load_file(path, folder)
        except DocumentError as exc:
            if not os.path.lexists(path):  # removed since the walk: no longer part of the knowledge
                logger.info("%s: removed while the folder was loading", path)
            else:
                logger.info("%s", exc)  # returned to the caller, who reports it (once)
                errors.append(exc.error)
            loaded, file_errors = [], []
        errors.extend(file_errors)
        for doc in loaded:
            if doc.id in seen:
                errors.append(
                    LoadError(str(path), f"duplicate document id {doc.id!r} (also in {seen[doc.id]})")
                )
                continue
            seen[doc.id] = str(path)
            docs.append(doc)
        if on_progress is not None:
            on_progress(done, len(paths))
    return docs, errors


def dedupe(documents: Iterable[Document]) -> list[Document]:
    """Documents with unique ids, first one wins (``from_documents`` accepts any iterable)."""
    seen: set[str] = set()
    out = []
    for doc in documents:
        if doc.id not in seen:
            seen.add(doc.id)
            out.append(doc)
    return out

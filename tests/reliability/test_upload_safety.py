"""``/kb add``: size cap, type sniffed from content, bounded work on hostile PDFs and HTML, file
names that never become paths, and a rejected upload that changes nothing."""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import pytest
from reliability_helpers import last_message, make_pdf, server

from bot.utils import Refused
from knowledge.documents import MAX_ADMONITION_DEPTH, MAX_HTML_DEPTH, MAX_PDF_PAGES, MAX_RST_DEPTH, parse_html
from knowledge.uploads import DEFAULT_MAX_BYTES, UploadError, check_upload, safe_filename

DOC = b"# Milk storage\n\n## Fridge\n\nExpressed breast milk keeps for up to four days in a refrigerator.\n"


def snapshot(*folders: Path) -> dict[str, str]:
    """Every file below the folders with its content hash."""
    out = {}
    for folder in folders:
        if folder.exists():
            for path in sorted(folder.rglob("*")):
                if path.is_file():
                    out[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


# -- names ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sent", "stored"),
    [
        ("../../etc/passwd.md", "passwd.md"),
        ("/etc/passwd.md", "passwd.md"),
        ("..\\..\\Windows\\system.ini.md", "system.ini.md"),
        ("notes\x00.md", "notes.md"),
        ("..md", "document.md"),
        (".hidden.md", "hidden.md"),
        ("a/../../b/../c.md", "c.md"),
        ("My Notes (v2).MD", "My-Notes-v2.md"),
        ("x" * 500 + ".md", "x" * 100 + ".md"),
        ("ｆｕｌｌｗｉｄｔｈ／ｐａｔｈ．ｍｄ", "path.md"),
    ],
)
def test_file_names_never_become_paths(sent, stored):
    name = safe_filename(sent)
    assert name == stored
    assert "/" not in name and "\\" not in name and "\x00" not in name and not name.startswith(".")


@pytest.mark.parametrize("sent", ["passwd", "evil.md.exe", "index.md\x00.sh", "script.py", ""])
def test_names_without_a_supported_type_are_refused(sent):
    with pytest.raises(UploadError, match="not a supported file type"):
        check_upload(sent, DOC)


# -- content ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("paper.pdf", b"# Just Markdown\n\nNot a PDF at all.\n", "is named .pdf but is not a PDF"),
        ("notes.md", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "holds image/png data"),
        ("notes.md", make_pdf(["A PDF named .md"]), "holds application/pdf data"),
        ("notes.md", b"text with a NUL \x00 byte in it", "binary data"),
        ("notes.txt", b"\xff\xfe\xfd not utf-8", "not UTF-8 text"),
        ("notes.md", b"   \n\t\n", "is empty"),
        ("page.html", b"<html><script>only(script)</script></html>", "no text to index"),
        ("scan.pdf", make_pdf([""]), "no extractable text"),
        ("corpus.jsonl", b'{"_id": "a", "text": "fine"}\n{broken\n', "invalid JSON"),
        ("front.md", b"---\ntitle: a: b\n---\nText.\n", "invalid YAML front matter"),
    ],
)
def test_the_type_is_sniffed_from_the_content(name, data, reason):
    with pytest.raises(UploadError, match=reason):
        check_upload(name, data)


def test_the_size_cap_counts_bytes_not_what_the_client_claims():
    check_upload("ok.md", DOC + b"x" * (1000 - len(DOC)), max_bytes=1000)
    with pytest.raises(UploadError, match="the limit is"):
        check_upload("big.md", DOC + b"x" * (1001 - len(DOC)), max_bytes=1000)


# -- bounded work -----------------------------------------------------------------------------------
# Work is counted (parser calls, lines run, pages read), never timed: a busy machine must not fail
# these, and a slow one must not pass them.


def outcome_of(name: str, data: bytes) -> str:
    try:
        _, docs = check_upload(name, data, max_bytes=DEFAULT_MAX_BYTES)
    except UploadError as exc:
        return f"refused: {exc}"
    return f"loaded {sum(len(d.text) for d in docs)} characters"


def forbid(monkeypatch, target: object, name: str) -> list[str]:
    """Replace ``target.name`` with a function that records the call and fails."""
    calls: list[str] = []

    def refuse(*args, **kwargs):
        calls.append(name)
        raise AssertionError(f"{name} was called")

    monkeypatch.setattr(target, name, refuse)
    return calls


def count_calls(monkeypatch, target: object, name: str) -> list[int]:
    """Count the ``match`` calls made on the compiled pattern ``target.name``."""
    pattern = getattr(target, name)
    calls: list[int] = []

    class Counted:
        def match(self, *args, **kwargs):
            calls.append(1)
            return pattern.match(*args, **kwargs)

    monkeypatch.setattr(target, name, Counted())
    return calls


def lines_run(work, packages: tuple[str, ...] = ("bs4", "knowledge")) -> int:
    """How many lines of ``packages`` running ``work()`` executes: its cost, independent of the
    machine's speed or load."""
    count = 0

    def local(frame, event, arg):
        nonlocal count
        if event == "line":
            count += 1
        return local

    def tracer(frame, event, arg):
        module = frame.f_globals.get("__name__", "")
        return local if module.split(".")[0] in packages else None

    sys.settrace(tracer)
    try:
        work()
    finally:
        sys.settrace(None)
    return count


@pytest.mark.parametrize(
    ("name", "data"),
    [
        # The 1.5 MB upload that once took half a gigabyte: each line indented one space more.
        ("deep.rst", "".join(" " * i + "text\n\n" for i in range(1_700)).encode()),
        ("lists.rst", b"- " * 500_000 + b"item\n"),  # half a million lists on one line
        ("boxes.rst", "".join("   " * i + ".. note::\n\n" for i in range(500)).encode() + b"x\n"),
    ],
)
def test_deeply_nested_rst_is_refused_before_docutils_parses_it(monkeypatch, name, data):
    import knowledge.nesting
    import knowledge.rst

    calls = forbid(monkeypatch, knowledge.rst, "publish_doctree")
    matched = count_calls(monkeypatch, knowledge.nesting, "_RST_MARKER")
    outcome = outcome_of(name, data)
    expected = f"refused: {name}: the reStructuredText is nested more than {MAX_RST_DEPTH} levels deep"
    assert outcome.startswith(expected), outcome
    assert calls == [], "docutils built a tree of the hostile file"
    assert len(matched) <= 4 * MAX_RST_DEPTH, "the scan read on past the limit"


def test_rst_nested_as_deep_as_the_limit_still_loads():
    deepest = "".join(" " * i + f"Level {i} text.\n\n" for i in range(MAX_RST_DEPTH + 1))
    outcome = outcome_of("deep-but-fine.rst", deepest.encode())
    assert outcome.startswith("loaded"), outcome


def test_deeply_nested_html_is_refused_before_it_is_parsed(monkeypatch):
    import bs4

    calls = forbid(monkeypatch, bs4, "BeautifulSoup")
    outcome = outcome_of("deep.html", b"<div>" * 100_000 + b"text")
    assert outcome.startswith("refused: deep.html: the HTML is nested more than"), outcome
    assert f"the limit is {MAX_HTML_DEPTH}" in outcome
    assert calls == [], "Beautiful Soup built a tree of the hostile page"


@pytest.mark.parametrize(
    "page",
    [
        b"<div>" * MAX_HTML_DEPTH + b"text",  # as deep as allowed
        b"<div><br>" * 200 + b"<img src=x><hr/>" * 300 + b"text",  # void elements hold nothing
        b"<p>" + b"<span></b></span>" * 500 + b"text</p>",  # stray end tags close nothing
        b"<b><i>" * 100 + b"</b>" * 100 + b"<div>" * 200 + b"text",  # </b> closes the <i> in it
        b"<p/>" * 1_000 + b"<script>" + b"<div>" * 1_000 + b"</script><p>text</p>",  # script is text
    ],
)
def test_html_within_the_nesting_limit_is_not_refused(page):
    outcome = outcome_of("page.html", page)
    assert outcome.startswith("loaded"), outcome


def test_deeply_nested_markdown_boxes_are_refused_before_they_are_unfolded(monkeypatch):
    import knowledge.readers.markdown

    calls = forbid(monkeypatch, knowledge.readers.markdown, "read_markdown")  # which unfolds the boxes
    boxes = "".join("    " * i + "!!! note\n" for i in range(865)) + "    " * 865 + "text\n"
    outcome = outcome_of("boxes.md", boxes.encode())
    assert outcome.startswith("refused: boxes.md: admonition boxes are nested 865 levels deep"), outcome
    assert f"the limit is {MAX_ADMONITION_DEPTH}" in outcome
    assert calls == []


def test_html_layout_work_grows_linearly_with_the_number_of_siblings():
    # Quadratic layout (Beautiful Soup scanning every sibling to insert after one) took minutes on
    # 300 KB of paragraphs; four times the siblings must cost about four times the work, not 16.
    def cost(unit: bytes, count: int) -> int:
        page = b"<html><body><div>" + unit * count
        return lines_run(lambda: parse_html(page, Path("wide.html"), "wide"))

    for unit in [b"<p>word</p>", b"<li>item</li>", b"<h2>Title</h2>", b"<p>a<script>x</script></p>"]:
        small, large = cost(unit, 500), cost(unit, 2_000)
        assert large < 6 * small, (unit, small, large)


def test_pdfs_with_too_many_pages_are_refused_before_any_text_is_extracted(monkeypatch):
    from pypdf import PageObject

    calls = forbid(monkeypatch, PageObject, "extract_text")
    outcome = outcome_of("many.pdf", make_pdf([f"Page {i}." for i in range(MAX_PDF_PAGES + 1)]))
    assert f"has {MAX_PDF_PAGES + 1} pages; the limit is {MAX_PDF_PAGES}" in outcome
    assert calls == []


def test_a_long_pdf_within_the_limits_loads_every_page():
    _, [doc] = check_upload("long.pdf", make_pdf([f"Colostrum page {i}." for i in range(400)]))
    assert "Colostrum page 0." in doc.text and "Colostrum page 399." in doc.text
    assert len(doc.meta["pages"]) == 400


# -- through the bot: a rejected upload changes nothing ------------------------------------------------


REJECTED = [
    ("../../etc/passwd", b"root:x:0:0"),
    ("fake.pdf", b"# plain text"),
    ("binary.md", b"\x7fELF\x02\x01\x01" + b"\x00" * 200),
    ("deep.html", b"<div>" * 5000),
    ("huge.md", b"# Big\n\n" + b"word " * (DEFAULT_MAX_BYTES // 5 + 10)),
]


async def test_rejected_uploads_change_nothing(simcord_env, state_dir, tmp_path):
    s = server(simcord_env)
    kb_before = simcord_env.bot.server(s.guild.id).kb
    root = tmp_path.parent
    before = snapshot(state_dir, root / "etc")
    for name, data in REJECTED:
        result = await s.manager.slash(s.channel, "kb add", file=(name, data))
        reply = last_message(result)
        assert reply.ephemeral
        assert "Not added" in reply.content or "Nothing was added" in reply.content, reply.content
        assert snapshot(state_dir, root / "etc") == before, name
        assert simcord_env.bot.server(s.guild.id).kb is kb_before  # no reload happened
    # Refusals reach the one error handler; nothing else went wrong.
    assert all(isinstance(getattr(e, "original", e), Refused) for e in simcord_env.errors)
    uploads = state_dir / "servers" / str(s.guild.id) / "knowledge"
    assert not uploads.exists() or not any(uploads.iterdir())


async def test_a_traversal_name_lands_inside_the_uploads_folder(simcord_env, state_dir):
    s = server(simcord_env)
    result = await s.manager.slash(s.channel, "kb add", file=("../../../../tmp/../etc/evil.md", DOC))
    assert "Added `evil.md`" in last_message(result).content
    uploads = state_dir / "servers" / str(s.guild.id) / "knowledge"
    [stored] = list(uploads.iterdir())
    assert stored.resolve() == (uploads / "evil.md").resolve()
    assert not Path("/etc/evil.md").exists()
    asked = await s.member.slash(
        s.channel, "ask", question="How long does expressed milk keep in the fridge?"
    )
    assert "four days" in asked.response.embeds[0].description

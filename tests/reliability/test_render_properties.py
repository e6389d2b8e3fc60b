"""Property-based tests for what tests/knowledge/test_properties.py does not cover: every embed and
message the bot builds stays within Discord's limits and never carries an unescaped mass mention,
whatever the text; the whole answer pipeline (glossary, curated answers, retrieval, rendering) never
crashes; front matter, JSONL and damaged PDFs load or fail with a named error, never anything else."""

from __future__ import annotations

import re
from pathlib import Path

import discord
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from reliability_helpers import make_pdf

from bot import curation_render, render
from bot.text_render import render_answer
from knowledge import Answer, CuratedReply, Hit, QuestionError, Sentence, Topic
from knowledge.assistant import Assistant
from knowledge.curated import CuratedAnswer, CuratedStore, Revision
from knowledge.documents import DocumentError, parse_jsonl, parse_pdf, parse_text
from knowledge.glossary import Glossary, GlossaryEntry
from knowledge.notices import Code, Notice, phrase
from knowledge.review import GlossarySuggestion, QuestionStats, ReviewGroup, ReviewItem

ROLE = "<@&112233445566778899>"
USER = "<@998877665544332211>"
# Text a member or a document could hold: any Unicode, pings, Markdown, the bot's own layout.
pieces = st.one_of(
    st.text(max_size=60),
    st.sampled_from(
        [
            "@everyone",
            "@here",
            ROLE,
            USER,
            "<@!998877665544332211>",
            "**Answer from the moderators**",
            "[1](https://evil.example)",
            "[2] Fake › Citation",
            "\\",
            "`",
            "```",
            "||",
            "> ",
            "# ",
            "\n",
            "\n\n",
            " ",
            "x" * 300,
        ]
    ),
)
texts = st.lists(pieces, max_size=30).map("".join)
# Huge inputs by repetition: cheap to generate, as long as Discord's limits several times over.
def notices() -> st.SearchStrategy[Notice]:
    """Notices of every code, with member text in their words and pairs."""
    return st.builds(
        Notice,
        code=st.sampled_from(list(Code)),
        words=st.lists(texts, max_size=3).map(tuple),
        pairs=st.lists(st.tuples(texts, texts), max_size=3).map(tuple),
        source=texts,
        length=st.integers(0, 100_000),
        kept=st.integers(0, 100_000),
    )


huge_texts = st.one_of(
    texts, st.builds(lambda text, times: (text or "x") * times, texts, st.integers(50, 400))
)


def mass_mention(text: str) -> bool:
    return bool(re.search(r"@(everyone|here)", text)) or bool(re.search(r"<@[&!]?\d{17,20}>", text))


def check_embed(embed: discord.Embed, *, pings_allowed_in: tuple[str, ...] = ()) -> None:
    """Discord's limits (and its rule that field names and values are never empty)."""
    title, description = embed.title or "", embed.description or ""
    footer = embed.footer.text or "" if embed.footer else ""
    assert len(title) <= render.EMBED_TITLE_LIMIT
    assert len(description) <= render.EMBED_DESCRIPTION_LIMIT
    assert len(footer) <= render.EMBED_FOOTER_LIMIT
    assert len(embed.fields) <= render.EMBED_FIELDS_MAX
    total = len(title) + len(description) + len(footer)
    for field in embed.fields:
        assert 0 < len(field.name) <= render.EMBED_FIELD_NAME_LIMIT
        assert 0 < len(field.value) <= render.EMBED_FIELD_VALUE_LIMIT
        total += len(field.name) + len(field.value)
    assert total <= render.EMBED_TOTAL_LIMIT
    assert title or description or embed.fields
    for text in (
        title,
        description,
        footer,
        *(f.name for f in embed.fields),
        *(f.value for f in embed.fields),
    ):
        assert not mass_mention(text), text


@st.composite
def hits(draw, max_size: int = 5) -> list[Hit]:
    out = []
    for n in range(draw(st.integers(0, max_size))):
        text = draw(huge_texts)
        out.append(
            Hit(
                doc_id=draw(texts),
                passage_id=f"doc#p-{n}" + draw(st.text(max_size=120)),
                title=draw(texts),
                section=draw(texts),
                text=text,
                score=draw(st.floats(0, 1e6, allow_nan=False)),
                reference=draw(texts),
                link=draw(st.one_of(st.just(""), st.just("https://example.org/a b"), texts)),
                page=draw(st.one_of(st.none(), st.integers(1, 5000))),
            )
        )
    return out


@st.composite
def sentences(draw, count: int) -> list[Sentence]:
    out = []
    for _ in range(draw(st.integers(0, 4))):
        text = draw(huge_texts)
        cuts = sorted(set(draw(st.lists(st.integers(0, len(text)), max_size=6))))
        marks = tuple((a, b) for a, b in zip(cuts[::2], cuts[1::2], strict=False) if a < b)
        out.append(Sentence(text, draw(st.integers(1, max(count, 1))), "doc#p", marks))
    return out


@st.composite
def answers(draw) -> Answer:
    found = draw(hits())
    curated = None
    if draw(st.booleans()):
        curated = CuratedReply(1, draw(texts), draw(huge_texts).strip() or "x", hits=draw(hits(3)))
    return Answer(
        question=draw(huge_texts),
        answered=draw(st.booleans()),
        hits=found,
        sentences=draw(sentences(len(found))),
        notices=draw(st.lists(notices(), max_size=3)),
        curated=curated,
        confidence=draw(st.floats(0, 1)),
    )


FAST = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@FAST
def _outside_code(text: str) -> str:
    """What Discord shows as Markdown: ``text`` without its code spans and blocks (a document's
    example shows "**bold**" as written there, in code type) and without escaped backticks."""
    return re.sub(r"```.*?```|``.*?``|`[^`]*`", "", text.replace("\\`", ""), flags=re.S)


@given(answer=answers())
def test_answer_embeds_stay_within_discord_limits(answer):
    embed = render.answer_embed(answer, answer_id="0123456789ab")
    check_embed(embed)
    if answer.curated is None:  # only moderators' text may show Markdown as written
        assert "**Answer from the moderators**" not in _outside_code(embed.description)
    content = render.content_within([render.escape(phrase(n)) for n in answer.notices])
    assert len(content) <= render.CONTENT_LIMIT and not mass_mention(content)
    assert isinstance(render_answer(answer), str)  # the console renders it too


@FAST
@given(found=hits(8), query=huge_texts, per_page=st.integers(1, 40))
def test_search_and_passage_pages_stay_within_discord_limits(found, query, per_page):
    for embed in render.search_pages(query, found, per_page=per_page):
        check_embed(embed)
    for embed in render.passage_pages(found):
        check_embed(embed)


@FAST
@given(
    topics=st.lists(
        st.builds(Topic, texts, huge_texts, st.integers(0, 10**6), huge_texts, texts), max_size=40
    ),
    per_page=st.integers(1, 60),
)
def test_topic_pages_stay_within_discord_limits(topics, per_page):
    for embed in render.topic_pages(topics, per_page=per_page):
        check_embed(embed)


@FAST
@given(text=huge_texts, lines=st.lists(huge_texts, max_size=20))
def test_short_texts_stay_within_their_limits(text, lines):
    name = render.choice_name(text)
    assert 0 < len(name) <= render.CHOICE_NAME_LIMIT and "\n" not in name
    assert len(render.content_within(lines)) <= render.CONTENT_LIMIT
    for limit in (1, 2, 10, 256, 1024):
        assert len(render.shorten(render.escape(text), limit)) <= limit
        assert all(len(piece) <= limit for piece in render.split_text(render.escape(text), limit))


@st.composite
def curated_answers(draw) -> CuratedAnswer:
    return CuratedAnswer(
        id=draw(st.integers(1, 10**6)),
        # A saved answer always has a question and an answer (the file is validated on load).
        question=draw(texts.filter(str.strip)),
        answer=draw(huge_texts.filter(str.strip)),
        phrasings=draw(st.lists(texts, max_size=20)),
        author=draw(texts),
        updated=draw(texts),
        status=draw(st.sampled_from(["active", "stale", "retired"])),
        stale_reason=draw(huge_texts),
        history=[Revision(draw(texts), draw(texts), draw(texts)) for _ in range(draw(st.integers(0, 8)))],
    )


@FAST
@given(entries=st.lists(curated_answers(), max_size=25), found=hits(4))
def test_moderator_embeds_stay_within_discord_limits(entries, found):
    for entry in entries[:3]:
        check_embed(curation_render.curated_embed(entry, found))
        check_embed(curation_render.stale_embed(entry))
    for embed in curation_render.curated_list_pages(entries):
        check_embed(embed)


@FAST
@given(
    questions=st.lists(huge_texts, min_size=1, max_size=12),
    reasons=st.lists(huge_texts, max_size=12),
    words=st.lists(st.tuples(texts, texts), max_size=12),
    terms=st.lists(st.tuples(texts, texts), max_size=40),
)
def test_review_glossary_and_stats_embeds_stay_within_discord_limits(questions, reasons, words, terms):
    items = [
        ReviewItem(f"a{n}", q, 0.0, n % 2 == 0, n % 3, tuple(reasons), ()) for n, q in enumerate(questions)
    ]
    check_embed(curation_render.review_group_embed(ReviewGroup(items), 1, 1))
    suggestions = [GlossarySuggestion(word, 3, example) for word, example in words]
    check_embed(curation_render.review_summary_embed(len(items), 2, suggestions))
    # Terms and meanings are at most 60 and 120 characters (validated when saved).
    glossary = [GlossaryEntry((t or "x")[:60], (m or "y")[:120]) for t, m in terms]
    for embed in curation_render.glossary_pages(glossary):
        check_embed(embed)
    pairs = [(q, n) for n, q in enumerate(questions)]
    stats = QuestionStats(10, 5, 5, 1, 1, pairs, pairs)
    check_embed(curation_render.stats_embed(stats, documents=1, passages=2, curated=3, glossary=4))


# -- the whole answer pipeline ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def assistant(tmp_path_factory, builtin_kb) -> Assistant:
    state = tmp_path_factory.mktemp("pipeline")
    glossary = Glossary.in_state_dir(state)
    glossary.add("first milk", "colostrum", author="mod")
    glossary.add("@everyone milk", "**breast milk**", author="mod")
    curated = CuratedStore.in_state_dir(state)
    curated.add("Is ibuprofen safe while breastfeeding?", f"**Yes**. @everyone {ROLE} {USER}", author="mod")
    return Assistant(builtin_kb, curated=curated, glossary=glossary)


@settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.data_too_large],
)
@given(question=huge_texts, context=texts)
def test_any_question_through_the_pipeline_renders_within_limits(assistant, question, context):
    try:
        answer = assistant.ask(question, context=context)
    except QuestionError as exc:
        # Refused only when there is nothing to look up: no text, or no word in it ("¡", "🍼").
        assert "was empty" in str(exc) or "has no words to look up" in str(exc)
        assert not any(ch.isalnum() for ch in question)
        return
    embed = render.answer_embed(answer, answer_id="0123456789ab")
    check_embed(embed)
    content = render.content_within([render.escape(phrase(n)) for n in answer.notices])
    assert len(content) <= render.CONTENT_LIMIT and not mass_mention(content)
    for page in render.passage_pages(answer.hits):
        check_embed(page)


# -- loading -------------------------------------------------------------------------------------------


front_matter_values = st.one_of(
    st.text(max_size=30),
    st.integers(),
    st.lists(st.text(max_size=10), max_size=3),
    st.sampled_from(["[unclosed", "a: b: c", "{", "!!python/object:os.system", "*anchor", "'", '"']),
)


@FAST
@given(
    meta=st.dictionaries(
        st.sampled_from(["title", "year", "authors", "tags", "url", "x"]), front_matter_values
    ),
    raw=st.one_of(st.none(), texts),
    body=texts,
)
def test_front_matter_loads_or_fails_with_the_file_named(meta, raw, body):
    lines = [f"{key}: {value}" for key, value in meta.items()]
    text = "---\n" + ("\n".join(lines) if raw is None else raw) + "\n---\n" + body
    try:
        doc = parse_text(text, Path("notes.md"), "notes", "markdown")
    except DocumentError as exc:
        assert str(exc).startswith("notes.md")
    else:
        assert isinstance(doc.title, str) and doc.title


@FAST
@given(lines=st.lists(st.one_of(texts, st.just('{"_id": 1, "text": "x"}'), st.just("[]")), max_size=20))
def test_jsonl_never_raises_and_names_every_bad_line(lines):
    text = "\n".join(lines)
    docs, errors = parse_jsonl(text, Path("c.jsonl"))
    count = text.count("\n") + 1  # lines end at "\n" only, as editors count them
    for error in errors:
        assert error.path == "c.jsonl" and error.line and 1 <= error.line <= count
    assert len(docs) + len(errors) <= count


GOOD_PDF = make_pdf(["Colostrum is the first milk.", "Secretory IgA protects the gut."], title="Milk")


@settings(max_examples=100, deadline=None)
@given(edits=st.lists(st.tuples(st.integers(0, len(GOOD_PDF) - 1), st.binary(max_size=8)), max_size=6))
def test_damaged_pdfs_load_or_fail_with_a_named_error(edits):
    data = bytearray(GOOD_PDF)
    for at, junk in edits:
        data[at : at + len(junk)] = junk
    assume(bytes(data) != GOOD_PDF)
    try:
        doc = parse_pdf(bytes(data), Path("paper.pdf"), "paper")
    except DocumentError as exc:
        assert str(exc).startswith("paper.pdf")
    else:
        assert isinstance(doc.text, str)

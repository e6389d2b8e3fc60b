"""Rendering stays within Discord's limits whatever the knowledge base holds."""

from __future__ import annotations

from bot import render
from knowledge import Answer, Hit, Sentence, Topic


def _hit(n: int, text: str, **kw) -> Hit:
    return Hit(
        doc_id=f"doc{n}",
        passage_id=f"doc{n}#section-{n:010x}",
        title=kw.get("title", f"Document {n} " + "with a long title " * 20),
        section=kw.get("section", "Section"),
        text=text,
        score=1.5,
        reference=kw.get("reference", "Author A. A very long reference. " * 30),
        link=kw.get("link", "https://example.org/doc_with_underscores"),
    )


def _embed_size(embed) -> int:
    return (
        len(embed.title or "")
        + len(embed.description or "")
        + sum(len(f.name) + len(f.value) for f in embed.fields)
        + len(embed.footer.text or "")
    )


def test_long_answers_fit_an_embed():
    hits = [_hit(n, "word " * 2000) for n in range(1, 6)]
    sentences = [
        Sentence("x" * 3000 + " *bold* @everyone", n, hits[n - 1].passage_id, ((0, 5),)) for n in (1, 2, 3)
    ]
    answer = Answer("q" * 5000, True, hits, sentences, confidence=1.0)
    embed = render.answer_embed(answer, answer_id="abcdef012345")
    assert len(embed.title) <= render.EMBED_TITLE_LIMIT
    assert len(embed.description) <= render.EMBED_DESCRIPTION_LIMIT
    assert _embed_size(embed) <= render.EMBED_TOTAL_LIMIT
    assert "**Sources**" in embed.description and "[1] [Section · Author](" in embed.description


def test_marked_sentences_are_escaped_and_bold():
    hit = _hit(1, "text", title="T", reference="", link="")
    sentence = Sentence("IgA *is* secreted by @everyone", 1, hit.passage_id, ((0, 3),))
    embed = render.answer_embed(Answer("q", True, [hit], [sentence]), answer_id="abcdef012345")
    line = embed.description.splitlines()[0]
    assert line.startswith("**IgA** \\*is\\* secreted by @\u200beveryone [1]")


def test_citation_line_keeps_the_link_clickable():
    hit = _hit(
        2, "text", title="Milk_IgA", section="A › B", reference="Doe J (2020)", link="https://x.org/a_b"
    )
    assert render.citation_line(2, hit) == "[2] Milk\\_IgA › A › B — Doe J (2020) (<https://x.org/a_b>)"


def test_labels_are_short_and_link_to_the_source():
    hit = _hit(
        1,
        "text",
        title="The enteromammary and mammary immune systems are parts of the maternal-infant immune system",
        section="",
        reference="Guillen-Morales DdJ, Cruz-Cortes I. The mother-infant symbiosis. Hygiene. 2025;5(46).",
        link="https://doi.org/10.3390/hygiene5040046",
    )
    assert hit.label() == "The enteromammary and mammary immune systems… · Guillen-Morales 2025"
    assert render.label_line(1, hit) == (
        "[1] [The enteromammary and mammary immune systems… · Guillen-Morales 2025]"
        "(https://doi.org/10.3390/hygiene5040046)"
    )
    nested = _hit(2, "text", title="T", section="Milk › Secretory_IgA", reference="Doe J (2020)", link="")
    assert render.label_line(2, nested) == "[2] Secretory\\_IgA · Doe 2020"
    unsafe = _hit(3, "text", title="T", section="S", reference="", link="@everyone")
    assert render.label_line(3, unsafe) == "[3] S"


def test_long_passages_are_split_into_pages_not_cut():
    text = ("A sentence about immune cells. " * 400).strip()  # ~12,000 characters
    pages = render.passage_pages([_hit(1, text)])
    assert len(pages) == 4 and pages[-1].title.endswith("(4/4)")
    assert all(len(p.description) <= render.EMBED_DESCRIPTION_LIMIT for p in pages)
    assert all(_embed_size(p) <= render.EMBED_TOTAL_LIMIT for p in pages)
    assert " ".join(p.description for p in pages).split() == text.split()


def test_search_and_topic_pages_within_limits():
    hits = [_hit(n, "word " * 3000) for n in range(1, 11)]
    pages = render.search_pages("immune " * 100, hits)
    assert len(pages) == 4 and all(len(p.fields) <= render.EMBED_FIELDS_MAX for p in pages)
    assert all(_embed_size(p) <= render.EMBED_TOTAL_LIMIT for p in pages)
    topics = [Topic(f"d{n}", "Title " * 100, 3, "Ref " * 200, "https://x.org") for n in range(45)]
    tpages = render.topic_pages(topics)
    assert len(tpages) == 5 and all(len(p.description) <= render.EMBED_DESCRIPTION_LIMIT for p in tpages)


def test_split_and_shorten():
    assert render.split_text("a" * 10_000, 4096) == ["a" * 4096, "a" * 4096, "a" * 1808]
    assert render.shorten("one two three four", 12) == "one two…"
    assert len(render.choice_name("x " * 200)) <= 100
    assert render.content_within(["a" * 1500, "b" * 1500]) == "a" * 1500

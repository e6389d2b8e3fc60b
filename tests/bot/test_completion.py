"""Autocomplete on Discord: each knowledge base's suggestion indexes are built once, the same order
as the bot's own filter of short lists (:func:`bot.answering.fuzzy_filter`)."""

from __future__ import annotations

from bot.answering import fuzzy_filter
from bot.completion import completions
from knowledge import Document, KnowledgeBase
from knowledge.suggestions import SuggestionIndex
from knowledge.uploads import KnowledgeLoader


def test_the_index_orders_as_the_bots_filter_of_short_lists():
    texts = [f"Section {n:03d} about milk" + " storage" * (n % 7) for n in range(300)] + ["milk"]
    for typed in ("milk", "storage sec", "MILK S", ""):
        assert [texts[i] for i in SuggestionIndex(texts).search(typed)] == fuzzy_filter(typed, texts)


def test_a_knowledge_base_is_indexed_once_and_never_offers_a_document_title_as_a_topic():
    kb = KnowledgeBase.from_documents(
        [
            Document("guide", "Milk storage", "# Milk storage\n\nIntro.\n\n## Fridge\n\nFour days, fridge"),
            Document("faq", "Questions", "# Thawing\n\nThaw milk slowly in the refrigerator overnight.\n"),
        ]
    )
    first = completions(kb)
    assert completions(kb) is first  # not built again per keystroke
    assert [first.section_names[i] for i in first.sections.search("")] == ["Fridge", "Thawing"]
    rows = [first.passage_rows[i] for i in first.passages.search("fridge")]
    assert [kb.passages[r].text for r in rows] == ["Four days, fridge"]
    other = completions(KnowledgeBase.from_documents([Document("other", "Other", "# Weaning\n\nLater.\n")]))
    assert [other.section_names[i] for i in other.sections.search("")] == ["Weaning"]


def test_servers_with_uploads_share_the_bases_indexes_and_index_their_uploads_alone(tmp_path):
    base = KnowledgeBase.from_documents(
        [Document("guide", "Milk storage", "# Milk storage\n\nIntro.\n\n## Fridge\n\nFour days, fridge")]
    )
    servers = []
    for n, text in enumerate(
        ["# Fridge rota\n\n## Cleaning\n\nFridge cleaned weekly.\n", "# Weaning\n\nLater.\n"]
    ):
        uploads = tmp_path / str(n)
        uploads.mkdir()
        (uploads / "notes.md").write_text(text, encoding="utf-8")
        servers.append(KnowledgeLoader(tmp_path / "base", tmp_path, uploads).load(base))
    first, second = (completions(kb) for kb in servers)
    assert completions(servers[0]) is first  # not built again per keystroke
    assert first.base is second.base is completions(base)  # the base's, built once for every server
    assert len(first.own.passages) == len(servers[0].own.passages) == 1
    rows = [first.passage_rows[i] for i in first.passages.search("fridge")]
    assert [servers[0].passages[r].text for r in rows] == ["Four days, fridge", "Fridge cleaned weekly."]
    assert [first.section_names[i] for i in first.sections.search("")] == ["Fridge", "Cleaning"]
    assert [second.section_names[i] for i in second.sections.search("")] == ["Fridge"]

"""YAML alias bombs ("billion laughs") and deep nesting, on every path that reads YAML members,
moderators or websites supply: curated answers (/faq import, citebot faq import, hand edits),
golden questions (/kb test import), the glossary, question sets (citebot eval), Markdown front
matter (uploads, crawled pages, the knowledge folder), folder settings and crawl manifests. Each is
refused at its first anchor, with the file and line, a short message, and nothing stored; valid
documents still load. The operator's config keeps anchors, with their expansion capped."""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from site_server import Page, html, serve
from yaml_bomb_helpers import Bomb, alias_documents, bomb_text, deep_documents, words

from bot.config import ConfigError, parse_config
from knowledge.crawl import AddressPolicy, CrawlSettings, crawl_site_blocking
from knowledge.crawl.manifest import Manifest
from knowledge.curated import CuratedStore
from knowledge.curated.yaml_format import MAX_NOTE_CHARS, dump_curated, parse_curated
from knowledge.documents import folder_settings, load_folder, parse_text, split_front_matter
from knowledge.errors import StateFileBroken, StateFileError, UploadError
from knowledge.evaluation import QuestionSetError, load_question_set
from knowledge.glossary import Glossary, dump_glossary, parse_glossary
from knowledge.golden import GoldenSet, dump_golden, parse_golden
from knowledge.safe_yaml import MAX_DEPTH, quote
from knowledge.uploads import check_upload
from knowledge.yaml_state import dump_yaml, parse_yaml

PROPERTY = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
REFUSED = "refused: anchors and aliases are not accepted (found "
# However much a document would expand, what an error message says stays this short.
SHORT = 400

CURATED = [
    "answers:\n- question: Can I?\n  answer: {value}\n",
    "answers:\n- question: Can I?\n  answer: Yes.\n  author: {value}\n",
    "answers:\n- question: Can I?\n  answer: Yes.\n  phrasings: {value}\n",
    "answers:\n- question: Can I?\n  answer: Yes.\n  history:\n  - action: edited\n    answer: {value}\n",
    "answers:\n- question: Can I?\n  answer: Yes.\n  sources:\n  - passage: a#b-1\n    excerpt: {value}\n",
]
GOLDEN = [
    "answerable:\n- question: How does IgA reach milk?\n  section: {value}\n",
    "answerable:\n- question: How does IgA reach milk?\n  document: x\n  author: {value}\n",
    "off_topic:\n- question: {value}\n",
]
GLOSSARY = [
    "terms:\n- term: let down\n  means: milk ejection reflex\n  author: {value}\n",
    "terms:\n- term: {value}\n  means: milk ejection reflex\n",
]
QUESTION_SET = [
    "answerable:\n- question: How does IgA reach milk?\n  section: {value}\n",
    "off_topic:\n- question: Capital of France?\n  half: {value}\n",
]
FRONT_MATTER = ["title: Notes\ntags: {value}\n", "title: {value}\n", "source: {value}\n"]


def bombs(templates: list[str]) -> st.SearchStrategy[Bomb]:
    """Alias documents and too-deep ones, on every template."""
    template = st.sampled_from(templates)
    return template.flatmap(lambda t: st.one_of(alias_documents(t), deep_documents(t)))


def assert_refused(message: str, where: str, bomb: Bomb) -> None:
    """``message`` names ``where`` (the file and line) and what was refused, briefly."""
    assert message.startswith(where), message
    deep = f"refused: nested deeper than {MAX_DEPTH} levels"
    assert REFUSED in message or deep in message, message
    assert len(message) < SHORT


# -- curated answers: /faq import, citebot faq import, curated.yaml edited by hand ----------------


@pytest.fixture
def curated(tmp_path: Path) -> CuratedStore:
    store = CuratedStore(tmp_path / "curated.yaml")
    store.add("What is colostrum?", "The first milk.", author="mod")
    return store


@PROPERTY
@given(bomb=bombs(CURATED))
def test_an_import_with_anchors_is_refused_with_its_line_and_nothing_is_stored(curated, bomb):
    before = curated.path.read_text(encoding="utf-8")
    with pytest.raises(StateFileError) as refused:
        curated.plan_import(bomb.text, "bomb.yaml")
    assert_refused(str(refused.value), f"bomb.yaml, line {bomb.line}: ", bomb)
    assert curated.path.read_text(encoding="utf-8") == before
    assert [a.question for a in curated.list()] == ["What is colostrum?"]


def test_the_classic_bomb_in_an_answers_history_is_refused_before_it_expands(curated):
    # 404 bytes that are 34.7 million characters once the history's answer is turned into text.
    text = bomb_text(CURATED[3], levels=8)
    with pytest.raises(StateFileError) as refused:
        curated.plan_import(text, "lol.yaml")
    assert str(refused.value) == (
        "lol.yaml, line 1: YAML refused: anchors and aliases are not accepted (found &l0); "
        "write each value out in full"
    )


def test_a_hand_edit_with_anchors_keeps_the_answers_served_and_is_not_overwritten(curated):
    curated.path.write_text(bomb_text(CURATED[1]), encoding="utf-8")
    error = curated.refresh()
    assert error is not None and str(error).startswith("curated.yaml, line 1: YAML refused")
    assert [a.question for a in curated.list()] == ["What is colostrum?"]
    with pytest.raises(StateFileBroken):
        curated.add("What is IgA?", "An antibody.", author="mod")
    assert curated.path.read_text(encoding="utf-8") == bomb_text(CURATED[1])


@pytest.mark.parametrize(
    ("field", "limit"),
    [("author", 200), ("stale_reason", MAX_NOTE_CHARS), ("created", 64)],
)
def test_every_field_of_an_imported_answer_is_capped(curated, field, limit):
    text = f"answers:\n- question: Can I?\n  answer: Yes.\n  {field}: {'x' * (limit + 1)}\n"
    with pytest.raises(StateFileError) as refused:
        curated.plan_import(text, "big.yaml")
    assert str(refused.value) == (
        f"big.yaml, line 4, entry 1 (id 2): '{field}' is {limit + 1} characters; the limit is {limit}"
    )


def test_a_history_step_and_a_source_are_capped_too(curated):
    long_step = "answers:\n- question: Can I?\n  answer: Yes.\n  history:\n  - note: " + "n" * 60_000 + "\n"
    with pytest.raises(StateFileError, match=r"big.yaml, line 5, entry 1 \(id 2\): 'note' is 60000 char"):
        curated.plan_import(long_step, "big.yaml")
    sources = "".join(f"  - passage: a#b-{i}\n" for i in range(51))
    many = "answers:\n- question: Can I?\n  answer: Yes.\n  sources:\n" + sources
    with pytest.raises(StateFileError, match=r"line 55, entry 1 \(id 2\): at most 50 sources"):
        curated.plan_import(many, "big.yaml")


answers = st.lists(
    st.tuples(words, words, st.lists(words, max_size=3), words),
    min_size=1,
    max_size=4,
    unique_by=lambda a: a[0],
)


@PROPERTY
@given(answers=answers)
def test_generated_answers_still_import_as_written(tmp_path, answers):
    store = CuratedStore(tmp_path / "generated.yaml")
    for question, answer, phrasings, author in answers:
        store.add(question, answer, author=author, phrasings=phrasings)
    store.edit(1, answer="Edited.", by="mod")
    loaded = parse_curated(dump_curated(store.list(include_retired=True)), "export.yaml")
    assert [(a.question, a.answer, a.phrasings, a.author, a.history) for a in loaded] == [
        (a.question, a.answer, a.phrasings, a.author, a.history) for a in store.list(include_retired=True)
    ]
    store.path.unlink()


def test_a_large_file_without_anchors_is_not_mistaken_for_a_bomb(curated):
    # 1.2 million characters of text: over the cap on what the config's aliases may expand to.
    text = "answers:\n" + "".join(f"- question: Q{i}?\n  answer: {'a' * 3_000}\n" for i in range(400))
    assert len(curated.plan_import(text, "big.yaml").added) == 400


def test_state_files_are_written_without_anchors_even_for_shared_values():
    shared = ["a", "b"]
    text = dump_yaml({"one": shared, "two": shared})
    assert "&" not in text and parse_yaml(text, "x.yaml")[0] == {"one": shared, "two": shared}


# -- golden questions: /kb test import ----------------------------------------------------------


@PROPERTY
@given(bomb=bombs(GOLDEN))
def test_golden_questions_with_anchors_are_refused_and_nothing_is_stored(tmp_path, bomb):
    golden = GoldenSet(tmp_path / "golden.yaml")
    if not len(golden):
        golden.add("What is colostrum?", _section("Colostrum"), author="mod")
    before = golden.path.read_text(encoding="utf-8")
    with pytest.raises(StateFileError) as refused:
        golden.import_yaml(bomb.text, "golden.yaml", author="mod")
    assert_refused(str(refused.value), f"golden.yaml, line {bomb.line}: ", bomb)
    assert golden.path.read_text(encoding="utf-8") == before and len(golden) == 1


def _section(name: str):
    from knowledge.golden import Expectation

    return Expectation.section([name])


def test_golden_questions_fields_are_capped():
    with pytest.raises(StateFileError, match=r"'section' holds 21 items; the limit is 20"):
        parse_golden("answerable:\n- question: Why?\n  section: [" + ", ".join("s" * 21) + "]\n", "g.yaml")
    with pytest.raises(StateFileError, match=r"line 2, answerable 1 \('Why\?'\): 'author' is 201 characters"):
        parse_golden("answerable:\n- question: Why?\n  document: d\n  author: " + "a" * 201 + "\n", "g.yaml")


golden_questions = st.lists(
    st.tuples(words, words), min_size=1, max_size=5, unique_by=lambda q: q[0].casefold()
)


@PROPERTY
@given(questions=golden_questions)
def test_generated_golden_questions_still_load(tmp_path, questions):
    golden = GoldenSet(tmp_path / "generated-golden.yaml")
    for question, section in questions:
        golden.add(question, _section(section), author="mod")
    assert parse_golden(dump_golden(golden.list()), "golden.yaml") == golden.list()
    golden.path.unlink()


# -- the glossary (hand edits) -----------------------------------------------------------------


@PROPERTY
@given(bomb=bombs(GLOSSARY))
def test_a_glossary_edited_with_anchors_is_refused_and_the_terms_stay(tmp_path, bomb):
    glossary = Glossary(tmp_path / "glossary.yaml")
    if not glossary.entries():
        glossary.add("let down", "milk ejection reflex", author="mod")
    with pytest.raises(StateFileError) as refused:
        parse_glossary(bomb.text, "glossary.yaml")
    assert_refused(str(refused.value), f"glossary.yaml, line {bomb.line}: ", bomb)
    glossary.path.write_text(bomb.text, encoding="utf-8")
    assert glossary.refresh() is not None
    assert [e.term for e in glossary.entries()] == ["let down"]
    glossary.path.write_text(dump_glossary(glossary.entries()), encoding="utf-8")
    glossary.refresh()


@PROPERTY
@given(
    terms=st.lists(
        st.tuples(st.from_regex(r"[a-z]{1,9}( [a-z]{1,9}){0,2}", fullmatch=True), words, words),
        min_size=1,
        max_size=5,
    )
)
def test_a_generated_glossary_still_loads(terms):
    text = yaml.safe_dump({"terms": [{"term": t, "means": m, "author": a} for t, m, a in terms]})
    try:
        entries = parse_glossary(text, "glossary.yaml")
    except StateFileError as exc:  # two generated terms that are one term, or a term of no word
        assert "also defined" in exc.message or "needs at least one word" in exc.message
        return
    assert [(e.term, e.means, e.author) for e in entries] == list(terms)


# -- question sets: citebot eval FILE -------------------------------------------------------------


@PROPERTY
@given(bomb=bombs(QUESTION_SET))
def test_a_question_set_with_anchors_is_refused_with_its_line(tmp_path, bomb):
    path = tmp_path / "questions.yaml"
    path.write_text(bomb.text, encoding="utf-8")
    with pytest.raises(QuestionSetError) as refused:
        load_question_set(path)
    assert_refused(str(refused.value), f"{path}:{bomb.line}: ", bomb)


@PROPERTY
@given(questions=st.lists(st.tuples(words, words), min_size=1, max_size=5))
def test_a_generated_question_set_still_loads(tmp_path, questions):
    path = tmp_path / "generated-set.yaml"
    path.write_text(yaml.safe_dump({"answerable": [{"question": q, "section": [s]} for q, s in questions]}))
    loaded = load_question_set(path)
    assert [(q.question, q.sections) for q in loaded.answerable] == [(q, (s,)) for q, s in questions]


# -- Markdown front matter: uploads, crawled pages, the knowledge folder ------------------------


def markdown(front_matter: str) -> str:
    return f"---\n{front_matter}---\n# Notes\n\nColostrum is the first milk.\n"


@PROPERTY
@given(bomb=bombs(FRONT_MATTER))
def test_an_upload_whose_front_matter_has_anchors_is_refused_with_its_line(bomb):
    with pytest.raises(UploadError) as refused:
        check_upload("notes.md", markdown(bomb.text).encode())
    # +1: the front matter opens on the file's second line.
    assert_refused(str(refused.value), f"notes.md:{bomb.line + 1}: ", bomb)
    assert str(refused.value).endswith("; nothing was added.")


def test_a_wrongly_typed_key_never_spells_out_a_huge_value():
    # Without anchors a value is at most the file's size; the message quotes only its opening.
    values = ", ".join(["lol"] * 100_000)
    with pytest.raises(UploadError) as refused:
        check_upload("notes.md", markdown(f"title: [{values}]\n").encode())
    message = str(refused.value)
    assert message.startswith("notes.md:2: front matter key 'title' should be str, not ['lol', 'lol'")
    assert len(message) < SHORT


def test_quote_shortens_any_value():
    assert quote("x" * 10) == "'xxxxxxxxxx'"
    assert len(quote(["y" * 1000] * 1000)) <= 80
    assert len(quote({i: [[i] * 100] * 100 for i in range(100)})) <= 80


@PROPERTY
@given(title=words, tags=st.lists(words, min_size=1, max_size=4))
def test_generated_front_matter_still_loads(title, tags):
    text = markdown(yaml.safe_dump({"title": title, "tags": tags}, allow_unicode=True))
    doc = parse_text(text, Path("notes.md"), "notes", "markdown")
    assert (doc.title, doc.meta["tags"]) == (title, tags)


@PROPERTY
@given(bomb=bombs(FRONT_MATTER))
def test_a_knowledge_folder_file_with_anchors_loads_without_its_metadata_and_says_where(tmp_path, bomb):
    folder = tmp_path / "kb"
    folder.mkdir(exist_ok=True)
    (folder / "bomb.md").write_text(markdown(bomb.text), encoding="utf-8")
    docs, errors = load_folder(folder)
    [doc] = docs
    assert doc.title == "Notes" and set(doc.meta) == {"path", "format"}
    [error] = errors
    assert_refused(str(error), f"{folder / 'bomb.md'}:{bomb.line + 1}: ", bomb)


def test_a_crawled_markdown_page_with_a_bomb_is_reported_briefly_and_the_site_still_loads(tmp_path):
    bomb = markdown(bomb_text("title: {value}\n"))
    pages = {
        "/docs/": Page(html("Docs", '<h1>Docs</h1><p>Milk <a href="notes.md">notes</a>.</p>')),
        "/docs/notes.md": Page(bomb.encode(), content_type="text/markdown; charset=utf-8"),
    }
    settings_ = CrawlSettings(requests_per_second=0, timeout=2, policy=AddressPolicy(public_only=False))
    with serve(pages) as site:
        report = crawl_site_blocking(site.base + "/docs/", tmp_path, settings_)
    docs, errors = load_folder(report.folder)
    assert sorted(d.title for d in docs) == ["Docs", "Notes"]
    [error] = errors
    assert str(error).endswith(
        ":2: YAML front matter refused: anchors and aliases are not accepted (found &l0); write each value "
        "out in full; loaded without its metadata"
    )


def test_front_matter_split_refuses_before_expanding():
    with pytest.raises(ValueError, match="YAML front matter refused"):
        split_front_matter(markdown(bomb_text("title: {value}\n")), "notes.md")


# -- folder settings and crawl manifests (citebot.yaml) -------------------------------------------


@PROPERTY
@given(bomb=bombs(["base_url: {value}\n", "crawl:\n  site: x\n  pages: {value}\n"]))
def test_a_folder_settings_file_with_anchors_is_ignored_with_a_short_warning(tmp_path, bomb, caplog):
    folder = Path(tempfile.mkdtemp(dir=tmp_path))  # the settings are cached by file, time and size
    (folder / "citebot.yaml").write_text(bomb.text, encoding="utf-8")
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        assert folder_settings(folder, folder) == {}
        assert Manifest.read(folder, "https://example.org/").pages == {}
    assert all(len(r.getMessage()) < 1_000 for r in caplog.records)
    refusals = ("anchors and aliases are not accepted", f"nested deeper than {MAX_DEPTH} levels")
    messages = [record.getMessage() for record in caplog.records]
    assert len(messages) == 2 and all(any(r in m for r in refusals) for m in messages)


# -- the operator's config: anchors allowed, expansion capped ------------------------------------


def test_the_config_refuses_an_alias_bomb_naming_its_line():
    text = "\n".join(
        [
            "x_l0: &l0 lol",
            *[f"x_l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 9) + "]" for i in range(1, 9)],
            "help_channels: *l8",
            "",
        ]
    )
    with pytest.raises(ConfigError) as refused:
        parse_config(text)
    message = str(refused.value)
    assert message.startswith("<config>:")
    assert "YAML refused: its anchors and aliases expand to over" in message
    assert len(message) < SHORT


@PROPERTY
@given(channels=st.lists(st.integers(10**17, 10**18), min_size=1, max_size=4, unique=True))
def test_the_config_keeps_anchors_that_stay_small(channels):
    text = f"help_channels: &chans {channels}\nforum_channels: *chans\n"
    config = parse_config(text)
    assert sorted(config.help_channels) == sorted(channels) == sorted(config.forum_channels)


def test_a_config_value_of_the_wrong_kind_is_quoted_briefly():
    text = "max_upload_mb: [" + ", ".join(["lol"] * 200) + "]\n"
    with pytest.raises(ConfigError) as refused:
        parse_config(text)
    message = str(refused.value)
    assert message.startswith("<config>:1: max_upload_mb: expected a number, got ['lol', 'lol', 'lol', ...]")
    assert len(message) < SHORT

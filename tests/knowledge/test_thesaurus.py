"""The everyday-words thesaurus: real lookups on the shipped WordNet table, the bridge restricted to an
index vocabulary, its compound and morpheme rules, strictness, damage handling and reproducibility."""

from __future__ import annotations

import json
import logging
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from knowledge.text import analyze, stem
from knowledge.thesaurus import (
    COMPOUND_WEIGHT,
    MANIFEST,
    RELATION_WEIGHTS,
    TABLE,
    Bridge,
    Thesaurus,
    ThesaurusError,
)

ROOT = Path(__file__).resolve().parents[2]
WORDNET = Path("/usr/share/wordnet")
ARTICLE = ROOT / "knowledge" / "corpus" / "maternal-infant-immune-system.md"


@pytest.fixture(scope="module")
def thesaurus() -> Thesaurus:
    return Thesaurus()


@pytest.fixture(scope="module")
def article_vocabulary() -> set[str]:
    """The built-in article's index terms, made by the index's own analyzer."""
    return set(analyze(ARTICLE.read_text(encoding="utf-8")))


def related_words(thesaurus: Thesaurus, word: str) -> set[str]:
    return {r.word for r in thesaurus.related(word)}


def test_everyday_words_reach_the_documents_words(thesaurus):
    assert "infant" in related_words(thesaurus, "baby")
    assert any("mammary" in w for w in related_words(thesaurus, "breast"))
    assert related_words(thesaurus, "tummy") & {"stomach", "belly", "abdomen"}
    assert related_words(thesaurus, "sick") & {"ill", "ailing"}
    assert related_words(thesaurus, "germ") & {"microbe", "bacteria"}


def test_each_relation_carries_its_weight(thesaurus):
    relations = thesaurus.related("baby")
    infant = next(r for r in relations if r.word == "infant")
    assert (infant.relation, infant.weight) == ("synonym", RELATION_WEIGHTS["synonym"])
    assert [r.weight for r in relations] == sorted((r.weight for r in relations), reverse=True)
    assert thesaurus.related("qwzxv") == []


def test_unrelated_words_stay_away_from_the_articles_topics(thesaurus, article_vocabulary):
    topic_words = {"infant", "baby", "mammary", "mammary gland", "breast", "immune", "immunity"}
    bridge = thesaurus.restrict(article_vocabulary)
    for word in ("fish", "cat", "car", "cancer"):
        assert not related_words(thesaurus, word) & topic_words, word
        reached = set(bridge.terms(word, article_vocabulary))
        assert not reached & {"infant", "mammari", "immun", "breast"}, word


def test_a_fresh_thesaurus_loads_itself_on_first_restrict(article_vocabulary):
    bridge = Thesaurus().restrict(article_vocabulary)
    assert "infant" in bridge.terms("baby")
    assert "transplacent" in bridge.terms("placenta")


def test_restriction_keeps_only_vocabulary_terms(thesaurus):
    vocabulary = {"infant", "microb", "stomach", "breast", "gland", "mammari"}
    bridge = thesaurus.restrict(vocabulary)
    assert bridge.entries, "the bridge should map some member words"
    assert all(set(terms) <= vocabulary for terms in bridge.entries.values())
    assert bridge.terms("baby")["infant"] == RELATION_WEIGHTS["synonym"]
    assert bridge.terms("babies") == bridge.terms("baby")  # plural via the stem
    assert "microb" in bridge.terms("germs")
    assert "stomach" in bridge.terms("tummy")
    assert {"mammari", "gland"} <= set(bridge.terms("boob"))
    # a word the index knows is left to the index
    assert bridge.terms("breast") == {}
    assert "breast" not in bridge.entries


def test_the_articles_bridge_answers_members_words(thesaurus, article_vocabulary):
    bridge = thesaurus.restrict(article_vocabulary)
    assert "infant" in bridge.terms("baby")
    assert "microb" in bridge.terms("germs")
    both = {"breast": COMPOUND_WEIGHT, "milk": COMPOUND_WEIGHT}
    assert bridge.terms("breastmilk", article_vocabulary) == both
    assert "transplacent" in bridge.terms("placenta")


def test_a_two_word_phrase_reaches_its_one_word_spelling(thesaurus):
    bridge = thesaurus.restrict(set(analyze("breastmilk bloodstream")))
    assert bridge.terms("breast milk") == {"breastmilk": COMPOUND_WEIGHT}
    assert bridge.terms("blood stream") == {"bloodstream": COMPOUND_WEIGHT}


def test_a_wordnet_phrase_the_documents_write_as_one_word_is_that_word(thesaurus, article_vocabulary):
    # WordNet's synonym of "nursing" is "breast feeding"; the article writes "breastfeeding".
    bridge = thesaurus.restrict(article_vocabulary)
    assert bridge.terms("nursing") == {stem("breastfeeding"): RELATION_WEIGHTS["synonym"]}
    # ... and a phrase the documents write in two words keeps needing both
    assert thesaurus.restrict(set(analyze("breast milk"))).terms("nursing") == {}


def test_a_members_compound_splits_into_two_known_words():
    bridge = Bridge({})
    known = set(analyze("breast milk protects the newborn"))
    assert bridge.terms("breastmilk", known) == {"breast": COMPOUND_WEIGHT, "milk": COMPOUND_WEIGHT}
    assert bridge.terms("breastmilk", {"breast"}) == {}  # only one part known: no guess
    assert bridge.terms("breastmilk") == {}  # without the vocabulary there is nothing to split against


def test_a_known_term_built_on_the_members_word(thesaurus):
    # "placenta" is inside "transplacental": the spelling rule finds it
    bridge = thesaurus.restrict(set(analyze("transplacental transfer of antibodies")))
    assert bridge.terms("placenta") == {"transplacent": 0.5}
    # WordNet's derived form is preferred where it exists: "placental" is derived from "placenta"
    bridge = thesaurus.restrict(set(analyze("placental antibodies")))
    assert bridge.terms("placenta") == {"placent": RELATION_WEIGHTS["derived"]}
    # "immunity" and "immune" share a stem, so the index matches them without help
    assert stem("immune") in set(analyze("immunity in infancy"))
    bridge = thesaurus.restrict(set(analyze("immunodeficiency")))
    assert "immunodefici" in bridge.terms("immune")
    # short roots are not trusted: "place" is not the root of "placental"
    assert "placent" not in bridge.terms("place")


def test_the_bridge_round_trips_through_json(thesaurus, article_vocabulary):
    bridge = thesaurus.restrict(article_vocabulary)
    again = Bridge.from_json(json.loads(json.dumps(bridge.to_json())))
    assert again.entries == bridge.entries
    assert again.terms("babies") == bridge.terms("babies")
    assert json.dumps(again.to_json()) == json.dumps(bridge.to_json())
    assert again.is_light("eat") and not again.is_light("protect")  # "protect" is the article's word
    assert again.is_stop_typo("betwen") and not again.is_stop_typo("cold")


def test_every_bridge_shares_one_light_word_list(thesaurus, article_vocabulary):
    # One bridge per index (a server with uploads has its own): the list of thousands of light
    # words is held once, each bridge adding only the few its index knows.
    one = thesaurus.restrict(article_vocabulary)
    other = thesaurus.restrict(set(analyze("how to protect and feed a garden")))
    loaded = Bridge.from_json(json.loads(json.dumps(one.to_json())))
    assert one.light is other.light is loaded.light
    assert one.near_stop is other.near_stop is loaded.near_stop
    assert "protect" in one.known_light and not one.is_light("protect")
    assert other.is_light("eat") and one.is_light("eat")


@pytest.mark.parametrize("word", ["betwen", "thier", "shoud", "becuase", "sytem", "waht", "wich"])
def test_a_stop_word_with_a_typo_is_told_from_a_word(thesaurus, article_vocabulary, word):
    assert thesaurus.restrict(article_vocabulary).is_stop_typo(word)


@pytest.mark.parametrize("word", ["cold", "fever", "wound", "form", "hose", "between", "baby", "ibuprofen"])
def test_a_word_one_letter_from_a_stop_word_is_still_a_word(thesaurus, article_vocabulary, word):
    # "cold" is one letter from "could", "fever" from "never": English words, and what a question is about
    assert not thesaurus.restrict(article_vocabulary).is_stop_typo(word)


def test_without_the_table_no_word_is_taken_for_a_typo():
    assert not Bridge({}).is_stop_typo("betwen")


@pytest.mark.parametrize(
    "data",
    [
        [],
        {"format": 2, "entries": {}},
        {"format": 3, "entries": {}, "light": ["eat"]},
        {"format": 4, "entries": {}, "light": [], "known_light": []},
        {"format": 1},
        {"format": 1, "entries": {"baby": {"infant": 7}}},
    ],
)
def test_a_broken_saved_bridge_is_refused(data):
    with pytest.raises(ValueError, match="bridge"):
        Bridge.from_json(data)


@pytest.fixture
def damaged_table(tmp_path) -> tuple[Path, Path]:
    table = tmp_path / TABLE.name
    manifest = tmp_path / MANIFEST.name
    shutil.copy(MANIFEST, manifest)
    data = bytearray(TABLE.read_bytes())
    data[len(data) // 2] ^= 0xFF
    table.write_bytes(bytes(data))
    return table, manifest


def test_a_damaged_table_is_reported(damaged_table):
    with pytest.raises(ThesaurusError, match=r"damaged.*sha256"):
        Thesaurus(*damaged_table).load()


def test_a_damaged_table_leaves_an_empty_thesaurus_with_a_warning(damaged_table, caplog):
    thesaurus = Thesaurus(*damaged_table)
    with caplog.at_level(logging.WARNING, logger="knowledge.thesaurus"):
        assert thesaurus.related("baby") == []
    assert "everyday-word help is off" in caplog.text and "damaged" in caplog.text
    assert thesaurus.empty
    bridge = thesaurus.restrict({"infant", "breast", "milk"})
    assert bridge.entries == {}
    # the compound split needs no table and keeps working
    both = {"breast": COMPOUND_WEIGHT, "milk": COMPOUND_WEIGHT}
    assert bridge.terms("breastmilk", {"breast", "milk"}) == both


def test_a_missing_table_is_reported(tmp_path):
    with pytest.raises(ThesaurusError, match="cannot read"):
        Thesaurus(tmp_path / "absent.tsv.gz", MANIFEST).load()


def test_the_tables_keys_are_the_index_stemmers_stems(thesaurus):
    thesaurus.load()
    keys = thesaurus._keys
    assert keys == sorted(keys) and len(keys) > 30_000
    lines = list(thesaurus._all_lines())
    assert all(stem(target.split()[0]) == key for key, target, _ in lines)
    assert {key for key, _, _ in lines} == set(keys)


@pytest.mark.skipif(
    not (WORDNET / "data.noun").is_file(), reason="needs Debian's wordnet-base in /usr/share/wordnet"
)
def test_the_build_script_reproduces_the_shipped_table(tmp_path):
    output = tmp_path / TABLE.name
    subprocess.run(
        [sys.executable, str(ROOT / "tools" / "build_thesaurus.py"), "--output", str(output)],
        check=True,
        capture_output=True,
    )
    assert output.read_bytes() == TABLE.read_bytes()
    assert (tmp_path / MANIFEST.name).read_text(encoding="utf-8") == MANIFEST.read_text(encoding="utf-8")


def test_another_stemmer_gets_the_same_bridge(thesaurus, article_vocabulary):
    """The table's keys are Snowball stems; a different stem function takes the slow path to the same
    answer when it stems the same way."""
    fast = thesaurus.restrict(article_vocabulary)
    slow = thesaurus.restrict(article_vocabulary, stem=lambda word: stem(word))
    assert slow.entries == fast.entries


def test_a_three_word_phrase_reaches_the_kinds_the_documents_name(thesaurus, article_vocabulary):
    bridge = thesaurus.restrict(article_vocabulary)
    reached = bridge.terms("white blood cells")
    assert {"lymphocyt", "neutrophil"} <= set(reached)
    assert bridge.terms("white") == {} or not {"lymphocyt", "neutrophil"} & set(bridge.terms("white"))


def test_verbs_and_adverbs_are_light_and_things_are_not(thesaurus, article_vocabulary):
    bridge = thesaurus.restrict(article_vocabulary)
    for word in ("eat", "eats", "make", "start", "affected", "simply"):
        assert bridge.is_light(word), word
    for word in ("fish", "cat", "ibuprofen", "antibiotics", "pregnant", "week"):
        assert not bridge.is_light(word), word
    # a word the index knows is the index's business, whatever English makes of it
    assert not bridge.is_light("protect")
    # the verb of a phrasal verb is light before its particle, even when it is a noun alone
    assert not bridge.is_light("end")
    assert bridge.light_in(["do", "antibodies", "end", "up", "in", "milk"]) == {"end"}
    assert bridge.light_in(["the", "end", "of", "the", "day"]) == set()

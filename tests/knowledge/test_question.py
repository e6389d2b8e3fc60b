"""Reading a member's question: what it asks about, which sentence of a post asks, and whether it
asks for an amount."""

from __future__ import annotations

import pytest

from knowledge.question import (
    Question,
    QuestionError,
    asked_sentence,
    asking_sentences,
    asks_for_amount,
    asks_relation,
    asks_something,
    content_words,
    states_amount,
)


def test_asking_for_plain_terms_is_left_out_of_what_the_question_is_about():
    assert content_words("what is the enteromammary pathway in simple terms") == ["enteromammary", "pathway"]
    assert content_words("the gut-to-breast link in layman's terms pls") == ["gut", "breast", "link"]
    assert content_words("the enteromammary pathway in normal words") == ["enteromammary", "pathway"]
    # "terms" on its own is a word like any other
    assert "terms" in content_words("what terms does the article use")


def test_comparing_two_things_is_asked_about_both_not_about_the_word_vs():
    # "vs" is how the question compares, like "difference": no knowledge base has to know it
    asked = content_words("IgG vs IgA, which one crosses the placenta")
    assert asked == ["igg", "iga", "crosses", "placenta"]
    assert content_words("prenatal versus postnatal immunity") == ["prenatal", "postnatal", "immunity"]
    assert asks_relation("IgG vs IgA") and asks_relation("prenatal versus postnatal immunity")


@pytest.mark.parametrize(
    ("post", "asks"),
    [
        ("does colostrum have IgA", True),
        ("immunity before birth vs after birth, whats the difference", True),
        ("I was wondering how the antibodies get into milk.", True),
        ("IgA?", True),
        ("My LO is 4 months. does she still get antibodies from me", True),
        ("thanks, that worked!", False),
        ("same error here", False),
        ("template inheritance not rendering the child block", False),  # a report: asks no words
    ],
)
def test_a_post_that_asks_in_so_many_words_is_told_from_one_that_does_not(post, asks):
    assert asks_something(post) is asks


def test_every_sentence_that_asks_is_found_and_a_one_line_post_is_all_asking():
    post = "First time mum here. Is IgA in milk? And where does it come from? Thanks, sorry for the essay."
    assert asking_sentences(post) == ["Is IgA in milk?", "And where does it come from?"]
    assert asking_sentences("where does IgA come from") == ["where does IgA come from"]
    assert asking_sentences("We had colds all week. Thanks.") == ["We had colds all week. Thanks."]


def test_the_sentence_that_asks_is_found_in_a_post():
    post = "My LO is 4 months. We had colds all week. How do antibodies get into my milk? Thanks!"
    assert asked_sentence(post) == "How do antibodies get into my milk?"
    assert asked_sentence("How do antibodies get into my milk?") is None  # one sentence: the whole
    assert asked_sentence("We had colds all week. Thanks for the help.") is None  # nothing asked
    # asked without a question mark
    post = "My LO is 4 months. I was wondering how the antibodies from my gut end up in my milk. Thanks!"
    assert asked_sentence(post) == "I was wondering how the antibodies from my gut end up in my milk."
    post = "We had colds all week. Can someone explain why milk changes. I know it does?"
    assert asked_sentence(post) == "I know it does?"  # a question mark wins
    # members start sentences in lower case; "e.g." is no sentence break
    post = "my baby is 6 weeks old. does she still get antibodies from me?"
    assert asked_sentence(post) == "does she still get antibodies from me?"
    assert asked_sentence("is IgG e.g. passed on? lol") == "is IgG e.g. passed on?"
    # a sentence that opens as a question, its question mark left off
    post = "first time mum here. whats the point of skin to skin for immunity"
    assert asked_sentence(post) == "whats the point of skin to skin for immunity"


def test_true_or_false_around_a_claim_is_not_what_it_asks_about():
    claim = "true or false: antibodies cross the placenta"
    assert content_words(claim) == ["antibodies", "cross", "placenta"]
    assert content_words("is it a myth that milk has antibodies") == ["milk", "antibodies"]
    assert content_words("first time mum here. whats the point of skin to skin") == ["mum", "skin"]
    assert content_words("my boobs are sore all the time") == ["boobs", "sore"]
    assert content_words("is there a reason for that in terms of the immune system") == ["immune"]


@pytest.mark.parametrize(
    ("question", "asks"),
    [
        ("how long should I breastfeed?", True),
        ("How often do I feed a newborn", True),
        ("how many immune cells are in milk", True),
        ("how do antibodies get into milk", False),
        ("when is the mammary immune system most active", False),
    ],
)
def test_questions_asking_for_an_amount(question, asks):
    assert asks_for_amount(question) is asks


def test_sentences_stating_an_amount_or_a_period():
    assert states_amount("Feed 8 to 12 times a day.")
    assert states_amount("It is particularly active during lactation.")
    assert states_amount("Most babies feed every three hours.")
    assert not states_amount("Postnatal immunity through breastfeeding (antibodies, immune cells).")


def test_a_frequency_in_words_is_an_amount():
    assert states_amount("Tomato plants in pots need watering every morning in summer.")
    assert states_amount("Water them twice a week.")


def test_a_request_opening_a_sentence_is_left_out_but_the_same_word_as_a_subject_stays():
    assert content_words("can you name the cells in the breast") == ["cells", "breast"]
    assert content_words("I read a lot. List the cells please") == ["read", "lot", "cells"]
    assert content_words("how do i make a numbered list") == ["make", "numbered", "list"]


def test_chat_shorthand_around_a_question_is_not_what_it_is_about():
    post = "hello guys quick question, ur milk has antibodies rn? ngl imo afaik tia"
    assert content_words(post) == ["milk", "antibodies"]
    assert content_words("cuz i read abt it, r antibodies in milk made in the gut or smth tho") == [
        "read",
        "antibodies",
        "milk",
        "gut",
    ]


@pytest.mark.parametrize("question", ["🍼🤱❓", "??", "…", "¿?"])
def test_a_question_with_nothing_to_look_up_says_to_ask_in_words(question):
    with pytest.raises(QuestionError, match="Please ask in words"):
        Question.parse(question)


@pytest.mark.parametrize("question", ["{{", "what does ~ do", "👶 milk?"])
def test_a_symbol_or_a_word_among_emoji_is_something_to_look_up(question):
    assert Question.parse(question).text == question

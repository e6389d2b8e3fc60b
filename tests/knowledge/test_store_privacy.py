"""A member who opted out of having their messages kept (``/privacy``), on both store backends: the
text of their questions to the bot is not kept from then on, and what was kept is emptied (their
earlier turns quoted in others' follow-ups and their vote reasons too); the answers stay usable
for votes and counts; other members, direct messages and other servers are untouched."""

from __future__ import annotations

from knowledge.solved import SolvedThreads

A, B = 1111, 2222
ALICE, BOB = 11, 12
ASKED = "How can I tell my baby is getting enough milk?"


def texts(store) -> list[tuple[str, str, str]]:
    """Every question and context kept, in any server (and direct messages), with vote reasons."""
    rows = store._fetchall("SELECT question, context FROM answers", ())
    reasons = store._fetchall("SELECT reason FROM feedback WHERE reason IS NOT NULL", ())
    return [(r["question"], r["context"], "") for r in rows] + [("", "", r["reason"]) for r in reasons]


def test_questions_of_a_member_who_opted_out_are_emptied_and_not_kept_again(open_state):
    store = open_state()
    a = store.server(A)
    mine = a.record_answer(ASKED, ["doc#p-1"], False, user_id=ALICE, channel_id=5)
    follow_up = a.record_answer("and at night?", ["doc#p-1"], True, user_id=BOB, channel_id=5, context=ASKED)
    unrelated = a.record_answer("What is IgA?", ["doc#p-2"], False, user_id=BOB, channel_id=5, context="Hi")
    assert a.set_feedback(mine, ALICE, -1, "It does not say how many diapers")
    assert a.set_feedback(unrelated, BOB, -1, "Too short")
    elsewhere = store.server(B).record_answer(ASKED, [], False, user_id=ALICE)
    direct = store.server(None).record_answer(ASKED, [], False, user_id=ALICE)

    SolvedThreads(a, None).opt_out(ALICE)
    assert a.answer(mine).question == "" and a.answer(mine).context == ""
    assert a.answer(follow_up).context == "" and a.answer(follow_up).question == "and at night?"
    assert a.answer(unrelated).context == "Hi"
    # Still an answer on record: its votes count and can change, without Alice's words.
    assert a.vote_totals() == (0, 2) and a.set_feedback(mine, ALICE, -1, "Still unclear")
    # Only other servers and direct messages keep her question (each server asks its own members).
    assert store.server(B).answer(elsewhere).question == ASKED
    assert store.server(None).answer(direct).question == ASKED

    # Asked again: answered and recorded (for votes and counts), her words not kept.
    again = a.record_answer("Is six diapers enough?", ["doc#p-1"], True, user_id=ALICE, context="earlier")
    assert a.answer(again).question == "" and a.answer(again).context == ""
    assert a.answer_totals() == (4, 2)
    assert "enough" not in repr([t for t in texts(store) if t != (ASKED, "", "")])
    assert "diapers" not in repr(texts(store)) and "Still unclear" not in repr(texts(store))
    assert "Too short" in repr(texts(store))
    # Nothing empty waits for moderators or heads the most-asked list.
    assert [item.answer_id for item in a.review_items(10)] == [unrelated]
    assert [q for q, _ in a.most_asked(10)] == ["and at night?", "What is IgA?"]

    # Opted in again: her next questions are kept as asked.
    SolvedThreads(a, None).opt_in(ALICE)
    kept = a.record_answer("Is five enough?", [], False, user_id=ALICE)
    assert a.answer(kept).question == "Is five enough?"

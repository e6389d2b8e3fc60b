"""The built-in warning signs on posts in parents' own words (red_flag_posts.yaml): held-out posts
that describe a sign get that sign's notice, and ordinary questions sharing their words get none."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from knowledge.safety import SIGNS, RedFlags

POSTS: dict[str, list[dict[str, Any]]] = yaml.safe_load(
    (Path(__file__).with_name("red_flag_posts.yaml")).read_text(encoding="utf-8")
)
RED_FLAGS = RedFlags()


def rates(half: str) -> tuple[float, float, list[str]]:
    """For one half: the share of urgent posts given their own sign's notice, the share of ordinary
    questions given any notice, and what went wrong."""
    wrong = []
    right = 0
    urgent = [p for p in POSTS["urgent"] if p["half"] == half]
    for post in urgent:
        flag = RED_FLAGS.check(post["post"])
        if flag is not None and flag.sign == post["sign"]:
            right += 1
        else:
            wrong.append(f"{post['post']!r}: expected {post['sign']}, got {flag.sign if flag else None}")
    ordinary = [p for p in POSTS["ordinary"] if p["half"] == half]
    flagged = [p["post"] for p in ordinary if RED_FLAGS.matches(p["post"])]
    wrong += [f"{text!r}: ordinary, flagged" for text in flagged]
    return right / len(urgent), len(flagged) / len(ordinary), wrong


def test_the_set_is_big_enough_and_labelled_with_known_signs():
    names = {sign.name for sign in SIGNS}
    assert len(POSTS["urgent"]) >= 60 and len(POSTS["ordinary"]) >= 60
    assert {p["sign"] for p in POSTS["urgent"]} == names, "every sign has posts, and only known signs"
    for group in POSTS.values():
        assert {p["half"] for p in group} == {"tune", "test"}


def test_held_out_posts_get_their_signs_notice_and_ordinary_questions_none():
    urgent_right, ordinary_flagged, wrong = rates("test")
    # 0.98 before the sixth to eighth batches (a mother's own signs), whose test halves were never
    # tuned on: 26 of their 53 are caught. A mother in crisis is often said without saying it ("sat
    # in the car with the engine running"), in words no pattern written beforehand foresees.
    assert urgent_right >= 0.8 and ordinary_flagged <= 0.02, "\n".join(wrong)


@pytest.mark.parametrize("sign", SIGNS, ids=lambda sign: sign.name)
def test_each_signs_notice_names_it_and_says_what_to_do(sign):
    post = next(p["post"] for p in POSTS["urgent"] if p["sign"] == sign.name)
    message = RedFlags().check(post)
    assert message is not None and message.message == sign.message
    assert sign.message.startswith("⚠️") and ("now" in sign.message or "today" in sign.message)
    assert len(sign.message) < 250, "a notice is read at a glance"

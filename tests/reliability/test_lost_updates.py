"""Lost updates: two moderators editing one curated answer, and a state file broken by a hand edit.
An edit made on an older revision is refused with the newer text shown; a file that does not
parse is never overwritten, and the last good version keeps being served."""

from __future__ import annotations

import logging

import pytest
from reliability_helpers import last_message, server
from simcord import assert_error

from bot.exts._curating import SAVED, UPDATED
from bot.utils import Refused
from knowledge.curated import CuratedStore
from knowledge.errors import EditConflict, StateFileBroken
from knowledge.glossary import Glossary

QUESTION = "Is it safe to take ibuprofen while breastfeeding?"
FIRST = "Usually yes; ask a pharmacist."
CORRECTION = "Yes, at usual doses: very little reaches the milk."


def form(question: str, answer: str) -> dict[str, str]:
    return {"curate:question": question, "curate:answer": answer, "curate:phrasings": ""}


async def add(actor, channel, question: str, answer: str):
    shown = await actor.slash(channel, "faq add")
    return await actor.submit_modal(shown, form(question, answer))


def curated(state_dir, guild) -> CuratedStore:
    return CuratedStore.in_state_dir(state_dir / "servers" / str(guild.id))


async def test_an_edit_opened_before_anothers_correction_is_refused_with_the_newer_text(
    simcord_env, state_dir
):
    s = server(simcord_env)
    await add(s.manager, s.channel, QUESTION, FIRST)
    stale_form = await s.admin.slash(s.channel, "faq edit", id=1)  # opened first, submitted last
    fresh_form = await s.manager.slash(s.channel, "faq edit", id=1)
    corrected = await s.manager.submit_modal(fresh_form, form(QUESTION, CORRECTION))
    assert UPDATED.format(id=1) in corrected.response.content

    late = await s.admin.submit_modal(stale_form, form(QUESTION, "Never take anything."))
    reply = late.response
    assert reply.ephemeral and "Not saved" in reply.content and "Updated" not in reply.content
    assert "Never take anything." in reply.content  # the moderator's own text is not lost
    assert CORRECTION in reply.embeds[0].description  # the newer text is shown
    assert curated(state_dir, s.guild).get(1).answer == CORRECTION


async def test_a_hand_edit_between_opening_and_submitting_is_not_reverted(simcord_env, state_dir):
    s = server(simcord_env)
    await add(s.manager, s.channel, QUESTION, FIRST)
    shown = await s.manager.slash(s.channel, "faq edit", id=1)
    path = state_dir / "servers" / str(s.guild.id) / "curated.yaml"
    path.write_text(path.read_text().replace(FIRST, "Yes, at usual doses."))
    late = await s.manager.submit_modal(shown, form(QUESTION, "Something else."))
    assert "Not saved" in late.response.content
    assert curated(state_dir, s.guild).get(1).answer == "Yes, at usual doses."


BROKEN_ENTRY = """- id: 3
  question: What is colostrum?
 answer: The first milk.
"""


async def test_a_curated_file_broken_by_hand_is_never_overwritten(simcord_env, state_dir, caplog):
    s = server(simcord_env)
    await add(s.manager, s.channel, QUESTION, FIRST)
    await add(s.manager, s.channel, "What is secretory IgA?", "The main antibody of milk.")
    path = state_dir / "servers" / str(s.guild.id) / "curated.yaml"
    hand_edited = path.read_text() + BROKEN_ENTRY
    path.write_text(hand_edited)
    backup = path.with_name("curated.yaml.bak").read_bytes()

    for attempt in range(2):  # a second save must not lose it either
        with caplog.at_level(logging.ERROR, logger="knowledge.yaml_state"):
            refused = await add(s.manager, s.channel, f"What is lactoferrin {attempt}?", "A milk protein.")
        assert_error(simcord_env, Refused)
        assert refused.response.ephemeral
        assert "Not saved: curated.yaml, line" in refused.response.content
        assert path.read_text() == hand_edited
        assert path.with_name("curated.yaml.bak").read_bytes() == backup
        assert "curated.yaml, line" in caplog.text
    # The last good version is still served, and /faq list tells moderators where the mistake is.
    served = await s.member.slash(s.channel, "ask", question=QUESTION)
    assert FIRST in served.response.embeds[0].description
    listing = await s.manager.slash(s.channel, "faq list")
    assert "curated.yaml, line" in listing.response.embeds[0].description

    # Once fixed by hand, saving works again and the operator's id is kept.
    path.write_text(hand_edited.replace("\n answer: The first milk.", "\n  answer: The first milk."))
    saved = await add(s.manager, s.channel, "What is lactoferrin?", "A milk protein.")
    assert SAVED.format(id=4) in saved.response.content, saved.response.content
    ids = [a.id for a in curated(state_dir, s.guild).list()]
    assert ids == [1, 2, 3, 4] and curated(state_dir, s.guild).get(3).answer == "The first milk."


def test_a_curated_file_broken_before_start_is_not_replaced_by_its_backup(tmp_path):
    store = CuratedStore(tmp_path / "curated.yaml")
    store.add(QUESTION, FIRST, author="mod")
    store.add("What is colostrum?", "The first milk.", author="mod")
    path = tmp_path / "curated.yaml"
    broken = path.read_text().replace("  answer: The first milk.", " answer: The first milk.")
    path.write_text(broken)
    restarted = CuratedStore(path)  # serves the backup
    assert restarted.load_error is not None and restarted.get(1) is not None
    with pytest.raises(StateFileBroken, match=r"curated.yaml, line \d+"):
        restarted.add("What is lactoferrin?", "A milk protein.", author="mod")
    assert path.read_text() == broken


def test_a_glossary_broken_by_hand_is_never_overwritten(tmp_path):
    glossary = Glossary(tmp_path / "glossary.yaml")
    glossary.add("first milk", "colostrum", author="mod")
    path = tmp_path / "glossary.yaml"
    broken = path.read_text() + "  - term: let down\n   means: milk ejection\n"
    path.write_text(broken)
    with pytest.raises(StateFileBroken, match=r"glossary.yaml, line \d+"):
        glossary.add("foremilk", "milk", author="mod")
    with pytest.raises(StateFileBroken):
        glossary.remove("first milk")
    assert path.read_text() == broken
    assert glossary.expand("what is first milk").text == "what is colostrum"


def test_glossary_and_curated_entries_carry_a_revision(tmp_path):
    glossary = Glossary(tmp_path / "glossary.yaml")
    seen = glossary.add("first milk", "colostrum", author="mod a").revision
    changed = glossary.add("first milk", "colostrum (early milk)", author="mod b", revision=seen)
    assert changed.revision != seen
    with pytest.raises(EditConflict) as refused:
        glossary.add("first milk", "milk", author="mod a", revision=seen)
    assert refused.value.current.means == "colostrum (early milk)"
    with pytest.raises(EditConflict):
        glossary.add("hindmilk", "milk", author="mod a", revision=seen)  # expected an entry: none
    store = CuratedStore(tmp_path / "curated.yaml")
    opened = store.add(QUESTION, FIRST, author="mod").revision
    store.edit(1, by="mod b", answer=CORRECTION, revision=opened)
    with pytest.raises(EditConflict) as late:
        store.edit(1, by="mod a", answer="Never.", revision=opened)
    assert late.value.current.answer == CORRECTION and store.get(1).answer == CORRECTION


async def test_an_import_confirmed_after_an_edit_does_not_revert_it(simcord_env):
    s = server(simcord_env)
    await add(s.manager, s.channel, QUESTION, FIRST)
    store = simcord_env.bot.server(s.guild.id).curated
    exported = store.export_yaml().replace(FIRST, "From the file.")
    dry_run = await s.manager.slash(s.channel, "faq import", file=("curated.yaml", exported.encode()))
    edit = await s.admin.slash(s.channel, "faq edit", id=1)
    await s.admin.submit_modal(edit, form(QUESTION, CORRECTION))
    confirmed = await s.manager.click(last_message(dry_run), label="Import")
    assert "changed since the dry run" in confirmed.response.content
    assert_error(simcord_env, EditConflict)
    assert store.get(1).answer == CORRECTION

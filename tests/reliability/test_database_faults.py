"""The bot on PostgreSQL losing its database: members are still answered from the loaded knowledge,
with every safety notice, and recording resumes by itself once the database is back."""

from __future__ import annotations

import pytest
from postgres import allow_connections
from reliability_helpers import server
from simcord import assert_error
from test_store_faults import ANSWERABLE, RED_FLAG, RED_FLAG_NOTICE, answer_id_of

from bot.answering import NOT_RECORDED
from bot.config import Config
from bot.utils import Refused


@pytest.fixture
def config(state_dir, database_url) -> Config:
    return Config(state_dir=state_dir, database_url=database_url)


@pytest.mark.simcord(settle_timeout=30)
async def test_a_lost_database_still_answers_with_every_notice(simcord_env, database_url):
    s = server(simcord_env)
    before = await s.member.slash(s.channel, "ask", question=ANSWERABLE)
    answer_id_of(before.response)  # recorded in the database: it has buttons
    allow_connections(database_url, False)
    try:
        r = await s.member.slash(s.channel, "ask", question=RED_FLAG)
        message = r.response
        assert RED_FLAG_NOTICE in message.content
        assert message.embeds and not message.components
        assert message.embeds[0].footer.text == NOT_RECORDED
    finally:
        allow_connections(database_url, True)
    after = await s.manager.slash(s.channel, "ask", question=ANSWERABLE)  # not rate limited yet
    answer_id_of(after.response)  # the pool connected again: recorded once more


@pytest.mark.simcord(settle_timeout=30)
async def test_a_moderators_change_during_an_outage_is_refused_and_never_served(simcord_env, database_url):
    s = server(simcord_env)
    question = "Can I take ibuprofen while breastfeeding?"
    allow_connections(database_url, False)
    try:
        shown = await s.manager.slash(s.channel, "faq add")
        values = {"curate:question": question, "curate:answer": "Ask your pharmacist."}
        saved = await s.manager.submit_modal(shown, values)
        reply = saved.followups[-1] if saved.followups else saved.response
        assert reply.ephemeral
        assert "Not saved: the database cannot be reached, so this change was saved nowhere" in reply.content
        assert_error(simcord_env, Refused, contains="saved nowhere")
    finally:
        allow_connections(database_url, True)
    asked = await s.member.slash(s.channel, "ask", question=question)
    assert "Ask your pharmacist." not in str([e.to_dict() for e in asked.response.embeds])
    assert simcord_env.bot.server(s.guild.id).assistant.curated.match(question) is None

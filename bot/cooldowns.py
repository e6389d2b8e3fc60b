"""Per-member rate limits: token buckets owned by one bot.

Every way of asking (``/ask``, a mention, a help channel, a forum post, a follow-up) uses one bucket
per member per server; the public lookups use another of the same size (see :mod:`bot.checks`).
"""

from __future__ import annotations

from collections.abc import Hashable

from discord import app_commands


class CooldownBuckets:
    """Per-member token buckets, owned by one bot, sized from the config at first use.

    discord.py's ``checks.cooldown`` keeps its buckets in the decorator, shared by every bot in
    the process; keeping them on the bot means a restarted or second bot starts fresh.
    """

    def __init__(self, rate: int, per: float) -> None:
        self.rate, self.per = rate, per
        self._buckets: dict[Hashable, app_commands.Cooldown] = {}
        self._told: dict[Hashable, float] = {}
        self._swept = float("-inf")  # when full buckets were last dropped

    def hit(self, key: Hashable, now: float) -> float | None:
        """Use one token for ``key`` at ``now``; the seconds to wait if none is left."""
        # A bucket back to full tokens remembers nothing; dropping them keeps the map small. Once
        # per period, not per use: with a thousand members asking at once, a sweep at every use
        # made each acknowledgement wait on a thousand others.
        if now - self._swept >= self.per or now < self._swept:
            self._swept = now
            for stale in [k for k, b in self._buckets.items() if b.get_tokens(now) >= b.rate]:
                del self._buckets[stale]
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = app_commands.Cooldown(self.rate, self.per)
        retry = bucket.update_rate_limit(now)
        if retry is None:
            return None
        # Report the bucket so the error names the real rate; retry_after is what members see.
        raise app_commands.CommandOnCooldown(bucket, retry)

    def first_refusal(self, key: Hashable, now: float) -> bool:
        """Whether a refusal for ``key`` at ``now`` is the first in its cooldown window: a member
        flooding mentions is told to slow down once, not once per message."""
        for stale in [k for k, at in self._told.items() if now - at >= self.per]:
            del self._told[stale]
        if key in self._told:
            return False
        self._told[key] = now
        return True

    def refund(self, key: Hashable, now: float) -> None:
        """Give back the token ``key`` used at ``now`` (the interaction's time, as for :meth:`hit`):
        the question failed on the bot's side, and members must not run out of asks for that."""
        bucket = self._buckets.get(key)
        if bucket is not None and bucket.get_tokens(now) < bucket.rate:
            bucket.update_rate_limit(now, tokens=-1)


def member_key(guild_id: int | None, user_id: int) -> tuple[int, int]:
    """The bucket key of one member in one server, shared by every way of asking there."""
    return (guild_id or 0, user_id)

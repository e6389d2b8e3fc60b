"""What the bot remembers between restarts: by default one SQLite file in the state folder
(:mod:`.sqlite`); with a ``database_url``, PostgreSQL (:mod:`knowledge.database`), through the same
:class:`ServerStore` and the same SQL.

Answers given (so buttons on old messages still work), feedback on them, and the days a member was
shown the medical notice. Every row belongs to one Discord server (``guild_id``; NULL, or 0 for
notices, is direct messages), and the only way to read or write rows is a :class:`ServerStore`
(``store.server(guild_id)``), which puts its server into every query: one server never sees or
changes another's answers, votes, reasons, review queue or statistics.

- :mod:`.base`: :class:`StateStore`, what every backend shares
- :mod:`.sqlite`: :class:`Store`, the SQLite file, and :func:`check_store`
- :mod:`.server`: :class:`ServerStore`, every query, written once for both databases
- :mod:`.records`: :class:`AnswerRecord`, :class:`ReviewItem`, :class:`SolvedRecord`
- :mod:`.schema`: the tables and versioned migrations of both databases, their differences named
  in a :class:`~.schema.Dialect`
"""

from ..errors import StoreError, StoreUnavailable
from .base import EVERYTHING_CHANGED, KNOWLEDGE_CHANGED, StateStore
from .records import AnswerRecord, ReviewItem, SolvedRecord
from .schema import MIGRATIONS, POSTGRESQL, SQLITE, Dialect, Migration
from .server import ServerStore
from .sqlite import BUSY_TIMEOUT_MS, STORE_FILE, Store, check_store

__all__ = [
    "BUSY_TIMEOUT_MS",
    "EVERYTHING_CHANGED",
    "KNOWLEDGE_CHANGED",
    "MIGRATIONS",
    "POSTGRESQL",
    "SQLITE",
    "STORE_FILE",
    "AnswerRecord",
    "Dialect",
    "Migration",
    "ReviewItem",
    "ServerStore",
    "SolvedRecord",
    "StateStore",
    "Store",
    "StoreError",
    "StoreUnavailable",
    "check_store",
]

"""What every state store backend shares: :class:`StateStore`, reached per server through a
:class:`~knowledge.store.server.ServerStore`; a backend opens its database, migrates it and runs
queries (:mod:`.sqlite`, :mod:`knowledge.database.postgres`)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from ..yaml_state import YamlStateFile
from .schema import SQLITE, Dialect
from .server import ServerStore

if TYPE_CHECKING:
    from ..errors import StoreError
    from ..interfaces import SharedUploads, SharedVectors

T = TypeVar("T")

#: ``what`` of an announced change (:meth:`StateStore.announce`) to a server's documents (an upload
#: added or removed, ``/kb reload``), and of one whose details were missed: load everything again.
KNOWLEDGE_CHANGED = "knowledge"
EVERYTHING_CHANGED = "*"


class StateStore:
    """Where the rows of every server are kept: the part both backends share. A backend opens its
    database, applies its migrations and runs a query with :meth:`_run`, turning its database's
    failures into :class:`StoreUnavailable`; what is in it is reached per server with :meth:`server`."""

    #: Whether changes are kept in memory only (a SQLite state folder that cannot be written).
    read_only: bool = False
    #: Where a damaged SQLite file was moved at start, if it was.
    moved_aside: Path | None = None
    #: How its database spells what the two spell differently (see :mod:`.schema`).
    dialect: ClassVar[Dialect] = SQLITE

    def describe(self) -> str:
        """Where the rows are, for logs (a database URL without its password)."""
        raise NotImplementedError

    @property
    def connected(self) -> bool:
        """Whether the database was reached since start (a database out of reach at start is
        connected later in the background); a file is always there."""
        return True

    def _run(self, what: Callable[[Any], T]) -> T:
        """Run ``what`` with a connection; :class:`StoreUnavailable` when the database failed."""
        raise NotImplementedError

    def close(self) -> None:
        """Close the database; the store cannot be used afterwards."""
        raise NotImplementedError

    @property
    def schema_version(self) -> int:
        """The schema version the database is at."""
        row = self._fetchone("SELECT version FROM schema_version", ())
        return int(row["version"]) if row else 0

    def server(self, guild_id: int | None) -> ServerStore:
        """The rows of one server (None: direct messages)."""
        return ServerStore(self, guild_id)

    def state_file(self, guild_id: int, path: Path) -> YamlStateFile:
        """Where a server's curated answers, glossary or golden questions are kept: the YAML file
        at ``path`` in its folder (a database backend keeps the same text in a row instead)."""
        return YamlStateFile(path)

    def shared_uploads(self, guild_id: int) -> SharedUploads | None:
        """Where a server's uploads are kept for every process (None: its folder alone)."""
        return None

    def shared_vectors(self) -> SharedVectors | None:
        """Where passage vectors are kept for every process (None: beside the saved index alone)."""
        return None

    def guilds_with_state(self) -> list[int]:
        """The servers whose curated answers, glossary or uploads are kept here rather than in
        their folders (none for SQLite)."""
        return []

    def mark_stale(self, guild_id: int, what: str) -> None:
        """Another process changed ``what`` (a state document's name, or ``*``) in a server: its
        state files opened here read it again on their next refresh (files notice by themselves)."""

    def announce(self, guild_id: int, what: str) -> None:
        """Tell the other bot processes that ``what`` changed in a server (one process: nobody)."""

    def watch(
        self, callback: Callable[[int, str], None], *, on_connect: Callable[[], None] | None = None
    ) -> bool:
        """Call ``callback(guild_id, what)`` for each change another process announces (and, for a
        database connected after start, ``on_connect()`` once connected); False when this store
        has no other processes to hear from."""
        return False

    def hold_shards(
        self,
        shards: Sequence[int],
        shard_count: int,
        *,
        on_refused: Callable[[StoreError], None] | None = None,
    ) -> None:
        """Claim Discord shards for this process for as long as the store is open; raises
        :class:`StoreError` when another process holds one (for a database connected after start,
        ``on_refused`` is told instead, once connected). A local store has no other processes."""

    def guild_ids(self) -> list[int]:
        """The servers that have stored answers, in the order they first asked."""
        rows = self._fetchall(
            "SELECT guild_id FROM answers WHERE guild_id IS NOT NULL"
            " GROUP BY guild_id ORDER BY min(created_at)",
            (),
        )
        return [int(row["guild_id"]) for row in rows]

    def guild_ids_with_solved_threads(self) -> list[int]:
        """The servers that have solved threads kept (any status), in id order."""
        rows = self._fetchall("SELECT DISTINCT guild_id FROM solved_threads ORDER BY guild_id", ())
        return [int(row["guild_id"]) for row in rows]

    def _fetchone(self, sql: str, params: Sequence[Any]) -> Any:
        return self._run(lambda db: db.execute(sql, params).fetchone())

    def _fetchall(self, sql: str, params: Sequence[Any]) -> list[Any]:
        return self._run(lambda db: db.execute(sql, params).fetchall())

    def _execute(self, sql: str, params: Sequence[Any]) -> int:
        """Run a change; returns the number of rows it changed."""
        return self._run(lambda db: db.execute(sql, params).rowcount)

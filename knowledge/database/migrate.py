"""Moving a state folder (the SQLite store and each server's YAML files, uploads and crawled sites)
into PostgreSQL,
for ``citebot migrate-state --to postgresql://…``.

Everything is copied into an empty database, then counted again on both sides: the copy is only
reported as done when every table, state document and upload is there. The state folder is read,
never changed, so the bot can go back to it until the database is in use.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from ..curated.store import FILE_NAME as CURATED_FILE
from ..errors import CitebotError
from ..glossary import FILE_NAME as GLOSSARY_FILE
from ..golden import FILE_NAME as GOLDEN_FILE
from ..store import STORE_FILE, Store
from ..tenancy import UPLOADS_DIR, server_dir, servers_with_state, single_pool_files
from ..uploads import crawled_site_address
from .postgres import PostgresStore

logger = logging.getLogger(__name__)

#: The store's tables in the order they are copied (rows referring to answers after them).
TABLES: dict[str, tuple[str, ...]] = {
    "answers": (
        "id", "question", "context", "passage_ids", "answered", "user_id", "guild_id", "channel_id",
        "message_id", "created_at",
    ),
    "feedback": ("answer_id", "user_id", "vote", "reason", "created_at", "guild_id"),
    "review_dismissed": ("answer_id", "user_id", "created_at", "guild_id"),
    "notices_shown": ("guild_id", "user_id", "day"),
}  # fmt: skip
STATE_DOCUMENTS = (CURATED_FILE, GLOSSARY_FILE, GOLDEN_FILE)


class MigrationError(CitebotError):
    """The state cannot be moved (a database already in use, or counts that differ after the copy)."""


@dataclass
class MigrationReport:
    """What was copied: for each kind of row, (in the state folder, in the database after)."""

    counts: dict[str, tuple[int, int]] = field(default_factory=dict)
    #: Single-pool files of an older citebot not assigned to a server: not copied.
    left_behind: list[Path] = field(default_factory=list)

    @property
    def verified(self) -> bool:
        """Whether the database holds as many of everything as the state folder."""
        return all(source == copied for source, copied in self.counts.values())

    def lines(self) -> list[str]:
        """One line per kind of row: name, count in the folder, count in the database."""
        return [f"{name:<20} {source:>8} {copied:>8}" for name, (source, copied) in self.counts.items()]


def migrate_state(state_dir: Path | str, database_url: str) -> MigrationReport:
    """Copy the state folder into the (empty) database at ``database_url``; raises
    :class:`MigrationError` when the database already has state or the counts differ after."""
    state = Path(state_dir)
    report = MigrationReport(left_behind=single_pool_files(state))
    target = PostgresStore(database_url)
    try:
        if any(_count(target, table) for table in TABLES) or target.guilds_with_state():
            raise MigrationError(
                f"the database {target.describe()} already holds state; migrate into an empty database"
            )
        if (state / STORE_FILE).is_file():
            source = Store(state / STORE_FILE)
            try:
                _copy_rows(source, target, report)
            finally:
                source.close()
        _copy_files(state, target, report)
    finally:
        target.close()
    if not report.verified:
        differ = ", ".join(f"{n} {s} → {c}" for n, (s, c) in report.counts.items() if s != c)
        raise MigrationError(f"the copy is incomplete ({differ}); the state folder is unchanged")
    return report


def _count(store: Store | PostgresStore, table: str) -> int:
    return int(store._fetchone(f"SELECT count(*) AS n FROM {table}", ())["n"])


def _copy_rows(source: Store, target: PostgresStore, report: MigrationReport) -> None:
    """Every row of every table in one transaction (answers in the order they were given)."""

    def copy(db) -> None:
        with db.transaction(), db.db.cursor() as cursor:
            for table, columns in TABLES.items():
                order = " ORDER BY rowid" if table == "answers" else ""
                rows = source._fetchall(f"SELECT {', '.join(columns)} FROM {table}{order}", ())
                placeholders = ", ".join(["%s"] * len(columns))
                cursor.executemany(
                    f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders})",
                    [tuple(row) for row in rows],
                )

    target._run(copy)
    for table in TABLES:
        report.counts[table] = (_count(source, table), _count(target, table))


def _copy_files(state: Path, target: PostgresStore, report: MigrationReport) -> None:
    """Each server's curated answers, glossary and golden questions (the text as is, so hand edits
    and their comments stay) and its uploads."""
    documents = uploads = 0
    for guild_id in servers_with_state(state):
        folder = server_dir(state, guild_id)
        for name in STATE_DOCUMENTS:
            path = folder / name
            if path.is_file():
                target.write_document(guild_id, name, path.read_text(encoding="utf-8"), None)
                documents += 1
        upload_folder = folder / UPLOADS_DIR
        if upload_folder.is_dir():
            for path in sorted(p for p in upload_folder.iterdir() if p.is_file()):
                target.put_upload(guild_id, path.name, path.read_bytes())
                uploads += 1
            # A crawled site's pages and manifest, named <site folder>/<file> as the bot shares them.
            for site in sorted(p for p in upload_folder.iterdir() if p.is_dir() and crawled_site_address(p)):
                files = {
                    f"{site.name}/{path.name}": path.read_bytes()
                    for path in site.iterdir()
                    if path.is_file() and not path.name.startswith(".")
                }
                target.update_uploads(guild_id, files, ())
                uploads += len(files)
    stored_documents = int(target._fetchone("SELECT count(*) AS n FROM state_documents", ())["n"])
    stored_uploads = int(target._fetchone("SELECT count(*) AS n FROM uploads", ())["n"])
    report.counts["state documents"] = (documents, stored_documents)
    report.counts["uploads"] = (uploads, stored_uploads)

"""Moving a state folder (the SQLite store and each server's YAML files, golden status, uploads and
crawled sites) into PostgreSQL,
for ``citebot migrate-state --to postgresql://…``.

Every state document is checked first (file and line of each problem; nothing is copied while
one cannot be read). Everything is then copied in one transaction into an empty database (or one
``--replace`` empties in that same transaction), and counted again on both sides: the copy is only
reported as done when every table, state document and upload is there. A migration that fails
leaves the database as it was, so it can simply be run again. The state folder is read, never
changed, so the bot can go back to it until the database is in use.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ..curated.store import FILE_NAME as CURATED_FILE
from ..curated.yaml_format import parse_curated
from ..errors import CitebotError
from ..glossary import FILE_NAME as GLOSSARY_FILE
from ..glossary import parse_glossary
from ..golden import FILE_NAME as GOLDEN_FILE
from ..golden import STATUS_FILE_NAME as GOLDEN_STATUS_FILE
from ..golden import parse_golden, parse_status
from ..server_settings import FILE_NAME as SETTINGS_FILE
from ..server_settings import parse_settings
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
    "solved_threads": (
        "id", "guild_id", "channel_id", "thread_id", "title", "question_id", "question_text",
        "question_author", "solution_id", "solution_text", "solution_author", "marked_by", "status",
        "curated_id", "created_at", "updated_at",
    ),
    "privacy_opt_outs": ("guild_id", "user_id", "created_at"),
}  # fmt: skip
STATE_DOCUMENTS = (CURATED_FILE, GLOSSARY_FILE, GOLDEN_FILE, GOLDEN_STATUS_FILE, SETTINGS_FILE)


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


#: What ``--replace`` empties, children first.
REPLACED = ("feedback", "review_dismissed", "notices_shown", "answers", "solved_threads", "privacy_opt_outs",
            "state_documents", "uploads", "server_changes")  # fmt: skip
PARSERS: dict[str, Callable[[str, Path], object]] = {
    CURATED_FILE: parse_curated,
    GLOSSARY_FILE: parse_glossary,
    GOLDEN_FILE: parse_golden,
    GOLDEN_STATUS_FILE: parse_status,
    SETTINGS_FILE: parse_settings,
}


def migrate_state(state_dir: Path | str, database_url: str, *, replace: bool = False) -> MigrationReport:
    """Copy the state folder into the database at ``database_url`` in one transaction, after
    checking every file; raises :class:`MigrationError` when a file cannot be read (naming each,
    with its line), when the database already has state (unless ``replace``: it is emptied first,
    in the same transaction) or when the counts differ after. Nothing is copied unless everything
    is, so a failed migration can simply be run again."""
    state = Path(state_dir)
    report = MigrationReport(left_behind=single_pool_files(state))
    problems = check_state_folder(state)
    if problems:
        listed = "\n".join(f"  {problem}" for problem in problems)
        raise MigrationError(
            f"{len(problems)} file(s) in {state} cannot be read, so nothing was copied; fix them "
            f"(or restore their .bak) and run again:\n{listed}"
        )
    target = PostgresStore(database_url)
    try:
        in_use = any(_count(target, table) for table in TABLES) or target.guilds_with_state()
        if in_use and not replace:
            raise MigrationError(
                f"the database {target.describe()} already holds state, so nothing was copied; name an "
                "empty database, or run again with --replace to empty this one and copy the folder "
                "again (what the database holds now is lost)"
            )
        source = Store(state / STORE_FILE) if (state / STORE_FILE).is_file() else None
        try:
            files = _read_files(state)
            target._run(lambda db: _copy_all(db, source, files, emptied=bool(in_use)))
            for table in TABLES:
                report.counts[table] = (_count(source, table) if source else 0, _count(target, table))
        finally:
            if source is not None:
                source.close()
        stored_documents = int(target._fetchone("SELECT count(*) AS n FROM state_documents", ())["n"])
        stored_uploads = int(target._fetchone("SELECT count(*) AS n FROM uploads", ())["n"])
        report.counts["state documents"] = (len(files.documents), stored_documents)
        report.counts["uploads"] = (len(files.uploads), stored_uploads)
    finally:
        target.close()
    if not report.verified:
        differ = ", ".join(f"{n} {s} → {c}" for n, (s, c) in report.counts.items() if s != c)
        raise MigrationError(f"the copy is incomplete ({differ}); the state folder is unchanged")
    return report


def check_state_folder(state: Path) -> list[str]:
    """Every problem that would stop a server's state from loading: a state document that is not
    UTF-8 or does not parse (file and line), an upload that cannot be read."""
    problems = []
    for guild_id in servers_with_state(state):
        folder = server_dir(state, guild_id)
        for name, parse in PARSERS.items():
            path = folder / name
            if not path.is_file():
                continue
            try:
                parse(path.read_bytes().decode("utf-8"), path)
            except UnicodeDecodeError as exc:
                problems.append(f"{path}: not UTF-8 text (byte {exc.start}); save it as UTF-8")
            except (OSError, CitebotError, ValueError) as exc:
                # The status is only a baseline: deleting it loses nothing a moderator wrote.
                hint = "; delete it and the next check starts afresh" if name == GOLDEN_STATUS_FILE else ""
                problems.append(f"{path}: {exc}{hint}")
    return problems


@dataclass
class _Files:
    """The state documents of every server, as rows to insert, and its uploads: (server, name as
    the bot shares it, file), read only as they are copied."""

    documents: list[tuple[int, str, str]] = field(default_factory=list)
    uploads: list[tuple[int, str, Path]] = field(default_factory=list)


def _read_files(state: Path) -> _Files:
    """Each server's curated answers, glossary, golden questions with their last check's outcome
    and settings (the text as is, so hand edits and their comments stay) and its uploads, crawled
    sites' pages and manifests named ``<site folder>/<file>`` as the bot shares them."""
    files = _Files()
    for guild_id in servers_with_state(state):
        folder = server_dir(state, guild_id)
        for name in STATE_DOCUMENTS:
            path = folder / name
            if path.is_file():
                files.documents.append((guild_id, name, path.read_text(encoding="utf-8")))
        upload_folder = folder / UPLOADS_DIR
        if upload_folder.is_dir():
            for path in sorted(p for p in upload_folder.iterdir() if p.is_file()):
                files.uploads.append((guild_id, path.name, path))
            for site in sorted(p for p in upload_folder.iterdir() if p.is_dir() and crawled_site_address(p)):
                for path in sorted(site.iterdir()):
                    if path.is_file() and not path.name.startswith("."):
                        files.uploads.append((guild_id, f"{site.name}/{path.name}", path))
    return files


def _count(store: Store | PostgresStore, table: str) -> int:
    return int(store._fetchone(f"SELECT count(*) AS n FROM {table}", ())["n"])


def _copy_all(db, source: Store | None, files: _Files, *, emptied: bool) -> None:
    """Everything in one transaction: rows in batches (answers in the order they were given),
    then the state documents and uploads, each as one batched statement."""
    now = time.time()
    with db.transaction(), db.db.cursor() as cursor:
        if emptied:
            for table in REPLACED:
                cursor.execute(f"DELETE FROM {table}")
        for table, columns in TABLES.items() if source is not None else ():
            order = " ORDER BY rowid" if table == "answers" else ""
            rows = source._fetchall(f"SELECT {', '.join(columns)} FROM {table}{order}", ())
            placeholders = ", ".join(["%s"] * len(columns))
            cursor.executemany(
                f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders})",
                [tuple(row) for row in rows],
            )
        cursor.executemany(
            "INSERT INTO state_documents (guild_id, name, text, revision, updated_at)"
            " VALUES (%s, %s, %s, 1, %s)",
            [(guild_id, name, text, now) for guild_id, name, text in files.documents],
        )
        cursor.executemany(
            "INSERT INTO uploads (guild_id, filename, data, sha256, added_at) VALUES (%s, %s, %s, %s, %s)",
            (
                (g, name, data, hashlib.sha256(data).hexdigest(), now)
                for g, name, data in _contents(files.uploads)
            ),
        )


def _contents(uploads: list[tuple[int, str, Path]]) -> Iterator[tuple[int, str, bytes]]:
    """Each upload with its bytes, one file in memory at a time."""
    for guild_id, name, path in uploads:
        yield guild_id, name, path.read_bytes()

"""The state store's tables, written once for SQLite and PostgreSQL, and the migrations that bring
a database to the current schema.

A :class:`Dialect` names what differs between the two databases: the column types of a Discord id
(64 bits), a Unix time and bytes, the insertion-order column SQLite has built in (``rowid``) and
PostgreSQL is given, and the two expressions :class:`~knowledge.store.ServerStore` writes
differently. A step is SQL with ``{id}``, ``{time}``, ``{bytes}`` and ``{rowid}`` where the types
go, rendered for a dialect by :meth:`Dialect.render`.

Versions are counted alike in both databases, but the first three took different steps:
PostgreSQL began at SQLite's version 3 tables (created in one step, with nothing to carry over), and
its versions 2 and 3 add what several processes share (state documents, uploads, change counters,
built indexes), which a SQLite file keeps in its folder instead. A later version is one
:meth:`Migration.shared` step list for both, except what only several processes share (version 6,
passage vectors: a SQLite state keeps them beside its saved index). Never edit a released version:
add one.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Dialect:
    """What one database spells its own way."""

    name: str
    #: The column type of a Discord id (64 bits).
    discord_id: str
    #: The column type of a Unix time in seconds, with fractions.
    seconds: str
    #: The column type of raw bytes.
    raw_bytes: str
    #: The column ``answers`` needs for insertion order (SQLite's ``rowid`` is built in).
    rowid_column: str
    #: The SQL aggregate making a JSON array (as text) of its argument.
    json_array_agg: str
    #: The SQL whole number of its (non-negative) argument, rounded down.
    whole: str
    #: The SQL test that its first (text) argument holds its second, as it is (no wildcards).
    contains: str

    def render(self, template: str, **names: str) -> str:
        """``template`` with this dialect's types in place (and any other ``names``)."""
        return template.format(
            id=self.discord_id, time=self.seconds, bytes=self.raw_bytes, rowid=self.rowid_column, **names
        )


SQLITE = Dialect(
    name="sqlite",
    discord_id="INTEGER",
    seconds="REAL",
    raw_bytes="BLOB",
    rowid_column="",
    json_array_agg="json_group_array({})",
    whole="CAST({} AS INTEGER)",
    contains="instr({}, {}) > 0",
)
POSTGRESQL = Dialect(
    name="postgresql",
    discord_id="BIGINT",
    seconds="DOUBLE PRECISION",
    raw_bytes="BYTEA",
    # Named as SQLite's, so the queries ordering by it are shared.
    rowid_column=",\n        rowid       BIGSERIAL NOT NULL",
    json_array_agg="json_agg({})::text",
    whole="floor({})::integer",  # a cast to integer rounds in PostgreSQL
    contains="strpos({}, {}) > 0",
)
DIALECTS = (SQLITE, POSTGRESQL)

# -- the steps --------------------------------------------------------------------------------------
# Each step begins with a line break and ends with ";", so a version's steps joined are its script.

ANSWERS = """
    CREATE TABLE answers (
        id          TEXT PRIMARY KEY,
        question    TEXT NOT NULL,
        context     TEXT NOT NULL DEFAULT '',   -- earlier turns a follow-up was asked with
        passage_ids TEXT NOT NULL,          -- JSON list, best first, as numbered in the citations
        answered    INTEGER NOT NULL,
        user_id     {id},
        guild_id    {id},
        channel_id  {id},
        message_id  {id},                 -- the Discord message showing it, once sent
        created_at  {time} NOT NULL{rowid}
    );
    CREATE INDEX answers_by_message ON answers (message_id);
    CREATE INDEX answers_by_channel ON answers (channel_id, created_at);
    CREATE TABLE feedback (
        answer_id   TEXT NOT NULL REFERENCES answers(id) ON DELETE CASCADE,
        user_id     {id} NOT NULL,
        vote        INTEGER NOT NULL CHECK (vote IN (-1, 1)),
        reason      TEXT,
        created_at  {time} NOT NULL,
        PRIMARY KEY (answer_id, user_id)
    );"""

# Before every row named its server (SQLite only; replaced by NOTICES_PER_SERVER in version 3).
NOTICES_PER_MEMBER = """
    CREATE TABLE notices_shown (
        user_id     {id} NOT NULL,
        day         TEXT NOT NULL,           -- ISO date, UTC
        PRIMARY KEY (user_id, day)
    );"""

REVIEW_DISMISSED = """
    CREATE TABLE review_dismissed (
        answer_id   TEXT PRIMARY KEY REFERENCES answers(id) ON DELETE CASCADE,
        user_id     {id},
        created_at  {time} NOT NULL
    );"""

# The rows written before name their server through their answer.
SERVER_COLUMNS = """
    ALTER TABLE feedback ADD COLUMN guild_id {id};
    UPDATE feedback SET guild_id = (SELECT a.guild_id FROM answers a WHERE a.id = feedback.answer_id);
    CREATE INDEX feedback_by_guild ON feedback (guild_id);
    ALTER TABLE review_dismissed ADD COLUMN guild_id {id};
    UPDATE review_dismissed
       SET guild_id = (SELECT a.guild_id FROM answers a WHERE a.id = review_dismissed.answer_id);
    CREATE INDEX answers_by_guild ON answers (guild_id, created_at);"""

# Rendered with its ``table`` name: SQLite builds it beside the old table, then renames it.
NOTICES_PER_SERVER = """
    CREATE TABLE {table} (
        guild_id    {id} NOT NULL DEFAULT 0,  -- 0: direct messages
        user_id     {id} NOT NULL,
        day         TEXT NOT NULL,
        PRIMARY KEY (guild_id, user_id, day)
    );"""

NOTICES_MOVED_TO_SERVERS = """
    -- Days already shown stay shown in the one server a single-server bot was in.
    INSERT INTO notices_shown_by_server (guild_id, user_id, day)
    SELECT CASE WHEN (SELECT count(DISTINCT guild_id) FROM answers WHERE guild_id IS NOT NULL) = 1
                THEN (SELECT guild_id FROM answers WHERE guild_id IS NOT NULL LIMIT 1) ELSE 0 END,
           user_id, day
      FROM notices_shown;
    DROP TABLE notices_shown;
    ALTER TABLE notices_shown_by_server RENAME TO notices_shown;"""

# What every process must see alike: the servers' YAML state (curated answers, glossary, golden
# questions) as text with a revision, uploaded documents, and a change counter per server.
SHARED_STATE = """
    CREATE TABLE state_documents (
        guild_id    {id} NOT NULL,
        name        TEXT NOT NULL,              -- curated.yaml, glossary.yaml, golden.yaml
        text        TEXT NOT NULL,
        previous    TEXT,                       -- the text before the last write (the .bak of a file)
        revision    BIGINT NOT NULL,            -- 1 for the first write, then one more per write
        updated_at  {time} NOT NULL,
        PRIMARY KEY (guild_id, name)
    );
    CREATE TABLE uploads (
        guild_id    {id} NOT NULL,
        filename    TEXT NOT NULL,
        data        {bytes} NOT NULL,
        sha256      TEXT NOT NULL,
        added_at    {time} NOT NULL,
        PRIMARY KEY (guild_id, filename)
    );
    CREATE TABLE server_changes (
        guild_id    {id} PRIMARY KEY,
        counter     BIGINT NOT NULL,            -- one more for every change another process must load
        what        TEXT NOT NULL,
        changed_at  {time} NOT NULL
    );"""

# The indexes built from a server's documents (the shared knowledge and its uploads), so one process
# builds a changed one and the others load it.
SHARED_INDEXES = """
    CREATE TABLE shared_indexes (
        fingerprint TEXT PRIMARY KEY,           -- of what was indexed (knowledge.kb.index_fingerprint)
        data        {bytes} NOT NULL,           -- a zip of the saved index's files (knowledge.kb.pack_index)
        created_at  {time} NOT NULL
    );"""

# Solved help threads (knowledge/solved.py): only the question (the thread's title and opening
# message) and the message marked as its solution, never the rest of the thread; and the members
# of a server who asked that none of their messages be kept (``/privacy``).
SOLVED_THREADS = """
    CREATE TABLE solved_threads (
        id              TEXT PRIMARY KEY,
        guild_id        {id} NOT NULL,
        channel_id      {id} NOT NULL,          -- the forum or channel the thread is in
        thread_id       {id} NOT NULL,
        title           TEXT NOT NULL,
        question_id     {id},                   -- the thread's opening message, when it has one
        question_text   TEXT NOT NULL,
        question_author {id} NOT NULL,
        solution_id     {id} NOT NULL,
        solution_text   TEXT NOT NULL,
        solution_author {id} NOT NULL,
        marked_by       {id} NOT NULL,
        status          TEXT NOT NULL,          -- waiting, saved, stale, dismissed
        curated_id      INTEGER,                -- the curated answer saved from it
        created_at      {time} NOT NULL,
        updated_at      {time} NOT NULL,
        UNIQUE (guild_id, thread_id)
    );
    CREATE INDEX solved_by_solution ON solved_threads (guild_id, solution_id);
    CREATE INDEX solved_by_question ON solved_threads (guild_id, question_id);
    CREATE TABLE privacy_opt_outs (
        guild_id    {id} NOT NULL,
        user_id     {id} NOT NULL,
        created_at  {time} NOT NULL,
        PRIMARY KEY (guild_id, user_id)
    );"""

# A solved thread a moderator added to the server's knowledge: the upload made from it, so deleting
# its message or thread, or its author opting out, removes that document too.
SOLVED_DOCUMENTS = """
    ALTER TABLE solved_threads ADD COLUMN document TEXT;"""

# The meaning channel's passage vectors, encoded once by the first process and read by the others
# (knowledge.semantic.attach), per model and text key (a hash of what was encoded): a vector is
# only found by a process that has its text already.
SHARED_VECTORS = """
    CREATE TABLE passage_vectors (
        model       TEXT NOT NULL,              -- knowledge.semantic.model.ModelSpec.identity
        text_key    TEXT NOT NULL,              -- a hash of the encoded text (text_key)
        vector      {bytes} NOT NULL,           -- little-endian float16, the model's width
        created_at  {time} NOT NULL,
        PRIMARY KEY (model, text_key)
    );"""


@dataclass(frozen=True)
class Step:
    """One piece of a migration: a template, and the names it is rendered with besides the types."""

    template: str
    names: tuple[tuple[str, str], ...] = ()

    def render(self, dialect: Dialect) -> str:
        return dialect.render(self.template, **dict(self.names))


@dataclass(frozen=True)
class Migration:
    """What brings a database from the version before to this one, per dialect."""

    what: str
    sqlite: tuple[Step, ...]
    postgresql: tuple[Step, ...]

    @classmethod
    def shared(cls, what: str, *steps: Step) -> Migration:
        """A version both databases reach by the same steps."""
        return cls(what, steps, steps)

    def script(self, dialect: Dialect) -> str:
        """The SQL of this version in ``dialect``: its statements, one after another."""
        steps: tuple[Step, ...] = getattr(self, dialect.name)
        return "".join(step.render(dialect) for step in steps) + "\n    "


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        "1: answers and feedback; SQLite: the medical-notice days per member; PostgreSQL: every "
        "table of SQLite's version 3",
        sqlite=(Step(ANSWERS), Step(NOTICES_PER_MEMBER)),
        postgresql=(
            Step(ANSWERS),
            Step(REVIEW_DISMISSED),
            Step(SERVER_COLUMNS),
            Step(NOTICES_PER_SERVER, (("table", "notices_shown"),)),
        ),
    ),
    Migration(
        "2: SQLite: the review queue remembers what moderators dismissed; PostgreSQL: the state "
        "every process shares (state documents, uploads, change counters)",
        sqlite=(Step(REVIEW_DISMISSED),),
        postgresql=(Step(SHARED_STATE),),
    ),
    Migration(
        "3: SQLite: every row names its server and notices are remembered per server; PostgreSQL: "
        "indexes built by one process for the others",
        sqlite=(
            Step(SERVER_COLUMNS),
            Step(NOTICES_PER_SERVER, (("table", "notices_shown_by_server"),)),
            Step(NOTICES_MOVED_TO_SERVERS),
        ),
        postgresql=(Step(SHARED_INDEXES),),
    ),
    Migration.shared(
        "4: solved help threads (question and marked solution only) and members' privacy opt-outs",
        Step(SOLVED_THREADS),
    ),
    Migration.shared(
        "5: the document a solved thread became (Add to knowledge), by its upload's file name",
        Step(SOLVED_DOCUMENTS),
    ),
    Migration(
        "6: PostgreSQL: the meaning channel's passage vectors, encoded by one process for the "
        "others (SQLite: nothing; they stay beside the saved index)",
        sqlite=(),
        postgresql=(Step(SHARED_VECTORS),),
    ),
)


def scripts(dialect: Dialect) -> tuple[str, ...]:
    """The SQL of every version in ``dialect``, oldest first (``[0]`` brings an empty database to
    version 1)."""
    return tuple(migration.script(dialect) for migration in MIGRATIONS)

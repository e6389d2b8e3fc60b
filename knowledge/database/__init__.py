"""Choosing where the bot's state lives: the SQLite file in the state folder (the default), or a
PostgreSQL database shared by several bot processes (``database_url``).

:func:`open_store` is the one place the backend is chosen; everything else talks to the
:class:`~knowledge.store.StateStore` it returns.
"""

from __future__ import annotations

import logging
from pathlib import Path

from ..store import StateStore, Store, StoreError
from .urls import is_postgres_url, redact_url

logger = logging.getLogger(__name__)

DATABASE_URL_ENV = "CITEBOT_DATABASE_URL"


def open_store(state_dir: Path | str, database_url: str | None = None, *, wait: bool = True) -> StateStore:
    """The state store: in PostgreSQL when ``database_url`` is given, else the SQLite file in
    ``state_dir``. Raises :class:`StoreError` for a URL of another database, or one that cannot be
    reached when ``wait``; without ``wait`` a database out of reach is connected in the background
    meanwhile, the store unavailable until then (see :mod:`.connecting`)."""
    if not database_url:
        return Store.in_folder(state_dir)
    if not is_postgres_url(database_url):
        raise StoreError(f"{redact_url(database_url)}: only postgresql:// database URLs are supported")
    try:
        from .postgres import PostgresStore  # psycopg is only needed with a database
    except ImportError as exc:
        raise StoreError(
            f"database_url needs psycopg ({exc}); install citebot with the postgresql extra: "
            'pip install "citebot[postgresql]"'
        ) from None

    store = PostgresStore(database_url, wait=wait)
    if store.connected:
        logger.info("state in the database %s", store.describe())
    return store


__all__ = ["DATABASE_URL_ENV", "is_postgres_url", "open_store", "redact_url"]

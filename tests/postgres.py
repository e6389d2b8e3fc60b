"""A throwaway PostgreSQL server for the tests: the one CI started (``$CITEBOT_TEST_DATABASE_URL``),
else one started here the way CI does (initdb in a temporary folder, a Unix socket only, trust
authentication), else none: the PostgreSQL tests are then skipped, except under CI, where they fail.

Every test gets a database of its own (:func:`fresh_database`), dropped afterwards.
"""

from __future__ import annotations

import glob
import os
import secrets
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import SplitResult, parse_qsl, urlencode, urlsplit

TEST_URL_ENV = "CITEBOT_TEST_DATABASE_URL"
SUPERUSER = "citebot"


def find_initdb() -> Path | None:
    """PostgreSQL's initdb on the PATH or in Debian's versioned folder, newest first."""
    found = shutil.which("initdb")
    if found:
        return Path(found).resolve()  # its folder has pg_ctl and createdb of the same version
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    return Path(versions[-1]) if versions else None


@contextmanager
def local_cluster(initdb: Path, *, durable: bool = False) -> Iterator[str]:
    """Start a PostgreSQL server in a temporary folder for as long as the block runs; yields the URL
    of its ``citebot`` database. As root, the server runs as ``nobody`` (PostgreSQL refuses root).
    Tests skip flushing to disk; ``durable`` keeps PostgreSQL's defaults (for benchmarks)."""
    folder = Path(tempfile.mkdtemp(prefix="citebot-pg-"))
    as_user: list[str] = []
    if os.geteuid() == 0:
        as_user = ["runuser", "-u", "nobody", "--"]
        shutil.chown(folder, "nobody")
    bin_dir = initdb.parent
    data, socket = folder / "data", folder
    log = folder / "server.log"

    def run(*args: str) -> None:
        subprocess.run([*as_user, *args], check=True, capture_output=True, cwd=folder)

    try:
        run(str(initdb), "-D", str(data), "-U", SUPERUSER, "--auth=trust", "--no-sync", "-E", "UTF8")
        options = f"-c listen_addresses='' -c unix_socket_directories='{socket}' -c max_connections=200"
        if not durable:
            options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        run(str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(log), "-o", options, "-w", "start")
        try:
            run(str(bin_dir / "createdb"), "-h", str(socket), "-U", SUPERUSER, "citebot")
            yield f"postgresql:///citebot?host={socket}&user={SUPERUSER}"
        finally:
            run(str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop")
    except subprocess.CalledProcessError as exc:
        detail = (exc.stderr or b"").decode(errors="replace").strip()
        raise RuntimeError(f"could not run a PostgreSQL server for the tests: {detail}") from exc
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def with_database(url: str, name: str) -> str:
    """``url`` naming database ``name`` instead."""
    return _join(urlsplit(url)._replace(path="/" + name))


def with_query(url: str, **params: str) -> str:
    """``url`` with more query parameters."""
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    query.update(params)
    return _join(parts._replace(query=urlencode(query)))


def _join(parts: SplitResult) -> str:
    # urlunsplit drops the "//" of an empty host, which libpq then misreads.
    query = f"?{parts.query}" if parts.query else ""
    return f"{parts.scheme}://{parts.netloc}{parts.path}{query}"


@contextmanager
def fresh_database(server_url: str) -> Iterator[str]:
    """A new, empty database on the server for the block; dropped (with any connection left) after."""
    import psycopg

    name = f"test_{secrets.token_hex(6)}"
    with psycopg.connect(server_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}" TEMPLATE template0')
    try:
        yield with_database(server_url, name)
    finally:
        with psycopg.connect(server_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def allow_connections(database_url: str, allowed: bool) -> None:
    """Refuse (cutting those open) or allow again every connection to one test's database, as
    when its server goes away and comes back."""
    import psycopg

    name = urlsplit(database_url).path.lstrip("/")
    with psycopg.connect(with_database(database_url, "citebot"), autocommit=True) as admin:
        admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS {str(allowed).lower()}')
        if not allowed:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,)
            )


def socket_detour(database_url: str, folder: Path) -> tuple[str, Callable[[], None]]:
    """``database_url`` through an empty ``folder`` instead of the server's socket folder: connecting
    fails there as with a server that is down, until the returned ``arrive()`` links the server's
    socket into it (the database is back). Only for a server reached through a Unix socket (the
    local one, and CI's); others skip the test."""
    import pytest

    query = dict(parse_qsl(urlsplit(database_url).query))
    host = Path(query.get("host", ""))
    if not query.get("host") or not host.is_dir():
        pytest.skip("the test database is not reached through a Unix socket folder")
    port = query.get("port", "5432")
    folder.mkdir(parents=True, exist_ok=True)
    socket = f".s.PGSQL.{port}"

    def arrive() -> None:
        (folder / socket).symlink_to(host / socket)

    return with_query(database_url, host=str(folder)), arrive

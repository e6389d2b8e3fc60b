"""What the ``citebot`` subcommands share: the knowledge and state folders a command reads (the
command line first, then the bot's config), the assistant it answers with, and the progress bars
shown on a terminal while documents are read and passages encoded."""

from __future__ import annotations

import argparse
import atexit
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from knowledge.assistant import Assistant
from knowledge.database import open_store
from knowledge.errors import NotFoundError
from knowledge.store import StateStore, StoreUnavailable
from knowledge.tenancy import choose_server, server_assistant
from knowledge.uploads import KnowledgeSources

STATE_DIR_HELP = (
    "state folder: curated answers, glossary, uploads, the answer log and the index cache "
    "(default: the config's state_dir, else $CITEBOT_STATE_DIR, else $XDG_STATE_HOME/citebot, "
    "else ~/.local/state/citebot)"
)
# Building takes this many seconds before a progress bar appears, so a quick build shows none; the
# environment variable changes it (0: at once).
PROGRESS_DELAY_ENV = "CITEBOT_PROGRESS_DELAY"
DEFAULT_PROGRESS_DELAY = 1.0


def folders_for(args: argparse.Namespace) -> KnowledgeSources:
    """The knowledge and state folders: the command line first, then the config file the bot uses
    (``--config`` or ``$CITEBOT_CONFIG``), then the defaults."""
    from .config import load_config

    config = load_config(getattr(args, "config", None))
    args.state_dir = args.state_dir or config.state_dir
    args.red_flags = config.notices.red_flag_check()
    args.database_url = config.database_url
    folder = args.knowledge or config.knowledge_dir
    if folder is not None and not Path(folder).is_dir():
        # A mistyped folder would otherwise answer every question with "not in the knowledge base".
        problem = "does not exist" if not Path(folder).exists() else "is not a folder"
        raise NotFoundError(f"knowledge folder {folder} {problem}")
    return KnowledgeSources.resolve(folder, args.state_dir, semantic=config.retrieval.options())


def assistant_for(args: argparse.Namespace) -> Assistant:
    """The assistant of ``--server`` (else of the only server with state; else the shared
    knowledge alone), as the bot answers there: its curated answers, glossary, uploads and the
    config's red flags."""
    sources = folders_for(args)
    # Answering needs no database: one out of reach is said once, and the documents answer.
    store = database_for(args, wait=False)
    guild_id = choose_server(args.state_dir, args.server, also=_servers_in(store))
    if store is not None:  # the passage vectors another process encoded are read, not encoded again
        sources = sources.with_vectors(store.shared_vectors())
    base = sources.loader.load_base(progress=progress_bar, on_progress=reading_progress())
    found = server_assistant(sources, guild_id, base, red_flags=args.red_flags, store=store)[0]
    if not found.kb.documents:
        # Every question would be "not in the knowledge base": say why instead.
        raise NotFoundError(
            f"{sources.base}: the knowledge folder has no documents "
            "(Markdown, reST, text, HTML, PDF or JSONL files); see `citebot index` for what it read"
        )
    return found


def database_for(args: argparse.Namespace, *, wait: bool = True) -> StateStore | None:
    """With the config's ``database_url``, the database the bot keeps servers' state in (open
    until the command ends), so a command answers as the bot does; else None. Without ``wait``, a
    database out of reach gives a store that is unavailable (see ``open_store``)."""
    if not args.database_url:
        return None
    store = open_store(args.state_dir, args.database_url, wait=wait)
    atexit.register(store.close)
    return store


def _servers_in(store: StateStore | None) -> list[int]:
    """The servers with state in the database (none when there is no database, or it is out of
    reach: the store said so)."""
    if store is None:
        return []
    try:
        return store.guilds_with_state()
    except StoreUnavailable:
        return []


def _progress_delay() -> float:
    """Seconds a step runs before its bar appears: ``$CITEBOT_PROGRESS_DELAY``, else one second."""
    try:
        return max(0.0, float(os.environ.get(PROGRESS_DELAY_ENV, DEFAULT_PROGRESS_DELAY)))
    except ValueError:
        return DEFAULT_PROGRESS_DELAY


def _on_terminal() -> bool:
    """Whether stderr is a terminal: a bar drawn into a pipe or a log file is only noise there."""
    try:
        return sys.stderr is not None and sys.stderr.isatty()
    except ValueError:  # closed
        return False


class ReadingProgress:
    """A progress bar on stderr for the documents read (``on_progress(done, total)`` of
    :func:`knowledge.documents.load_folder`): a new bar for each folder, shown only once a folder
    takes longer than the delay."""

    def __init__(self) -> None:
        self._bar: Any = None

    def __call__(self, done: int, total: int) -> None:
        from tqdm import tqdm

        bar = self._bar
        if bar is None or bar.total != total or done < bar.n:  # the next folder
            self.close()
            bar = self._bar = tqdm(
                total=total, desc="reading documents", unit="file", file=sys.stderr, delay=_progress_delay()
            )
        bar.update(done - bar.n)
        if done >= total:
            self.close()

    def close(self) -> None:
        """Take the bar off the screen (one never shown stays unshown)."""
        if self._bar is not None:
            self._bar.close()
            self._bar = None


def reading_progress() -> ReadingProgress | None:
    """A bar for the documents read, on a terminal only."""
    return ReadingProgress() if _on_terminal() else None


def progress_bar(total: int) -> Callable[[int], None]:
    """Says how many passages the meaning channel encodes, follows them with a progress bar on a
    terminal, and says how long they took and at what rate once all are done."""
    print(f"encoding {total} new or changed passages for the meaning channel", file=sys.stderr)
    bar: Any = None
    if _on_terminal():
        from tqdm import tqdm

        bar = tqdm(
            total=total, desc="encoding passages", unit="passage", file=sys.stderr, delay=_progress_delay()
        )
    started = time.perf_counter()
    done = 0

    def step(n: int) -> None:
        nonlocal done
        done += n
        if bar is not None:
            bar.update(n)
        if done >= total:
            if bar is not None:
                bar.close()
            seconds = time.perf_counter() - started
            rate = f" ({done / seconds:.1f} passages/s)" if seconds > 0 else ""
            print(f"encoded {done} passages in {seconds:.1f} s{rate}", file=sys.stderr)

    return step

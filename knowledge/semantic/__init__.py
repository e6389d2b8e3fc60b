"""The meaning (semantic) channel: a small sentence-embedding model fused with BM25, and its
similarity in the answer/decline decision. On by default (``retrieval.semantic: auto``).

Nothing here imports its packages (``tokenizers``, ``safetensors``, ``huggingface_hub``, normal
dependencies) until :func:`attach` is called with the channel on, so a lexical start stays as fast
as before. :func:`attach` never fails a load: when the model cannot be had or is not the pinned
one, it warns once for the process (one line saying how to give citebot the model) and the
knowledge base stays lexical. Where the model is looked for is remembered for the process, so an
offline server tries the network once, not at every load.
"""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from .index import FusionSettings, SemanticIndex
from .model import DEFAULT_MODEL, ModelError, ModelSpec, model_folder

if TYPE_CHECKING:
    from ..interfaces import MeaningTarget, SharedVectors
    from .encoder import Encoder

logger = logging.getLogger(__name__)

EXTRA_PACKAGES = ("tokenizers", "safetensors", "huggingface_hub")
MODES = ("auto", "on", "off")
# Which channels answer, as `citebot index`, the console and /kb stats say it.
LEXICAL_ONLY = "lexical only"
WITH_MEANING = "lexical + meaning"

__all__ = [
    "LEXICAL_ONLY",
    "MODES",
    "WITH_MEANING",
    "FusionSettings",
    "ModelError",
    "ModelSpec",
    "SemanticIndex",
    "SemanticOptions",
    "attach",
    "channels",
    "channels_line",
    "extra_installed",
    "forget_model",
    "meaning_problem",
    "model_location",
]


def extra_installed() -> bool:
    """Whether the channel's packages are installed (checked without importing them): they are
    dependencies, so only an install with ``--no-deps`` lacks them."""
    return all(importlib.util.find_spec(name) is not None for name in EXTRA_PACKAGES)


@dataclass(frozen=True)
class SemanticOptions:
    """The ``retrieval`` config: ``mode`` ``auto`` (on when its packages are installed, as they are
    by default), ``on`` or ``off``; ``model_path`` a local model folder (else the pinned model,
    fetched once from the hub)."""

    mode: str = "auto"
    model_path: Path | None = None
    spec: ModelSpec = DEFAULT_MODEL
    fusion: FusionSettings = field(default_factory=FusionSettings)

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}, not {self.mode!r}")

    @property
    def wanted(self) -> bool:
        """Whether to try the channel: ``on``, or ``auto`` with its packages installed."""
        return self.mode == "on" or (self.mode == "auto" and extra_installed())


# Where the model was found (its folder) or why it could not be had, per model folder named and
# pinned model: looked up once per process, so an offline server tries the network once.
_LOOKUPS: dict[tuple[str | None, ModelSpec], Path | ModelError] = {}
_LOOKUP_LOCK = threading.Lock()


def _lookup(options: SemanticOptions, state_dir: Path | None = None) -> tuple[Path | ModelError, bool]:
    """The verified model folder, or the error saying why there is none; and whether this call
    looked (False: remembered from an earlier one). A check that passed is written down in
    ``state_dir`` (:func:`verified_record`)."""
    key = (str(options.model_path) if options.model_path is not None else None, options.spec)
    with _LOOKUP_LOCK:  # a second load waits for the first's download rather than starting its own
        if key in _LOOKUPS:
            return _LOOKUPS[key], False
        try:
            record = verified_record(state_dir, options.spec)
            found: Path | ModelError = model_folder(options.model_path, options.spec, record=record)
        except ModelError as exc:
            found = exc
        _LOOKUPS[key] = found
        return found, True


def verified_record(state_dir: Path | None, spec: ModelSpec) -> Path | None:
    """Where a passed check of ``spec``'s weights is written down (beside the saved index), so a
    later start does not hash them again while the file is unchanged; None without a state folder."""
    return None if state_dir is None else Path(state_dir) / "index" / f"model-verified-{spec.key}.json"


def forget_model() -> None:
    """Look for the model again at the next load (after the operator gave it, or in tests)."""
    with _LOOKUP_LOCK:
        _LOOKUPS.clear()


def model_location(options: SemanticOptions) -> Path | None:
    """The folder the model was loaded from in this process with ``options``, or None."""
    key = (str(options.model_path) if options.model_path is not None else None, options.spec)
    with _LOOKUP_LOCK:
        found = _LOOKUPS.get(key)
    return found if isinstance(found, Path) else None


def meaning_problem() -> str | None:
    """Why the meaning channel could not be had in this process, or None when nothing failed."""
    with _LOOKUP_LOCK:
        failures = [found for found in _LOOKUPS.values() if isinstance(found, ModelError)]
    return _one_line(failures[-1]) if failures else None


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())


def channels(kb: MeaningTarget) -> str:
    """Which channels answer from ``kb``: :data:`WITH_MEANING` or :data:`LEXICAL_ONLY`."""
    return WITH_MEANING if kb.semantic is not None else LEXICAL_ONLY


def channels_line(
    kb: MeaningTarget, options: SemanticOptions | None = None, *, told: str = "the warning above"
) -> str:
    """:func:`channels`, and when lexical only, why: turned off, or the model not available (the
    way to give it is in ``told``)."""
    if kb.semantic is not None:
        return WITH_MEANING
    if options is not None and options.mode == "off":
        return f"{LEXICAL_ONLY} (retrieval.semantic: off)"
    if meaning_problem() is not None:
        return f"{LEXICAL_ONLY} (the meaning model is not available: see {told})"
    return LEXICAL_ONLY


@lru_cache(maxsize=2)
def _encoder(folder: str) -> Encoder:
    # One encoder per model folder for the process: a reload reuses it.
    from .encoder import Encoder

    return Encoder.from_folder(folder)


def load_encoder(options: SemanticOptions, state_dir: Path | None = None) -> tuple[Encoder | None, str]:
    """The verified model's encoder, or None and why not; the reason is empty when it was already
    given for this process (an offline server is told once, not at every load)."""
    if not extra_installed():
        return None, f"{', '.join(EXTRA_PACKAGES)} are not installed (pip install citebot)"
    found, fresh = _lookup(options, state_dir)
    if isinstance(found, ModelError):
        return None, _one_line(found) if fresh else ""
    from .encoder import EncoderError

    try:
        return _encoder(str(found.resolve())), ""
    except EncoderError as exc:
        return None, _one_line(exc)


# What a passage's vector encodes; part of each vector's key, so changing it encodes every passage
# again, once. 1: the document title, the section and the text. 2: the text alone: in a knowledge
# base of one long-titled article the title repeated in every vector drew them together, and the
# short reference list (mostly the title and the citation) was the closest passage to most
# questions. The text alone put the most similar passage in a right section for 47 of the everyday
# tune half's 58 questions (title + section + text: 31; section + text: 45) and answered 59/65 of
# them fused (57 and 58); Python-Markdown's tune half 27/28 (26, 26), Jinja's 24/29 for all three
# (bench/results/passage_text.md).
ENCODING = 2


def passage_text(kb: MeaningTarget, row: int) -> str:
    """What is encoded for a passage: what it says, its text, without the document's title or the
    section headings (which BM25 still weighs)."""
    return kb.passages[row].text


def vectors_path(kb: MeaningTarget, state_dir: Path | None, spec: ModelSpec) -> Path | None:
    """Where the vectors of ``kb``'s passages are saved: beside the saved index, one file per
    knowledge folder and model; None for a knowledge base with no folder or no state folder."""
    if state_dir is None or kb.source is None:
        return None
    slot = hashlib.sha1(str(kb.source).encode()).hexdigest()[:12]
    return Path(state_dir) / "index" / f"{slot}-vectors-{spec.key}.npz"


def attach(
    kb: MeaningTarget,
    options: SemanticOptions,
    *,
    state_dir: Path | None = None,
    progress: Callable[[int], Callable[[int], None] | None] | None = None,
    shared: SharedVectors | None = None,
) -> str:
    """Give ``kb`` its meaning channel (``kb.semantic``) when ``options`` want it; returns which
    channels ``kb`` now has (:func:`channels`).

    Passage vectors are read from the state folder, then those missing from ``shared`` (the
    database every bot process uses), and only the passages still without one are encoded
    (``progress(n)`` is called with how many, and may return a callback taking each batch's
    count), then stored in ``shared`` for the other processes. The database failing only means
    encoding here. Any other failure leaves ``kb`` lexical, with a warning the first time in the
    process."""
    kb.semantic = None
    if not options.wanted:
        if options.mode == "auto":
            logger.debug("the meaning channel's packages are not installed: lexical retrieval only")
        return LEXICAL_ONLY
    encoder, problem = load_encoder(options, state_dir)
    if encoder is None:
        if problem:
            logger.warning("answering by words alone (lexical only), without the meaning model: %s", problem)
        return LEXICAL_ONLY
    from .vectors import VectorStore, text_key

    texts = [passage_text(kb, row) for row in range(len(kb.passages))]
    keys = [text_key(text, ENCODING) for text in texts]
    store = VectorStore(vectors_path(kb, state_dir, options.spec), encoder.dim)
    missing = store.missing(keys)
    model = options.spec.identity
    taken = None
    if missing and shared is not None:
        taken = store.take_shared(shared, model, [keys[i] for i in missing])
        if taken:
            logger.info("read %d passage vectors stored by another bot process", taken)
            missing = store.missing(keys)
    if missing:
        logger.info("encoding %d new or changed passages (%d kept)", len(missing), len(keys) - len(missing))
        step = progress(len(missing)) if progress is not None else None
        encoded = [keys[i] for i in missing]
        store.add(encoded, encoder.encode([texts[i] for i in missing], progress=step))
        if shared is not None and taken is not None:  # not after the database just failed: said once
            store.share(shared, model, encoded)
    if missing or taken:
        store.save(keys)
    kb.semantic = SemanticIndex(encoder, store.matrix(keys), [p.id for p in kb.passages], options.fusion)
    return WITH_MEANING

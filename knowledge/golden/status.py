"""The outcome of a server's last golden check as stored: ``golden-status.json`` beside
``golden.yaml`` (the server's folder, or a state document of the database shared by every bot
process)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

from ..errors import StateFileError
from .checks import Status
from .yaml_format import FORMAT_VERSION

STATUS_FILE_NAME = "golden-status.json"


def parse_status(text: str, path: Path | str) -> dict[int, Status]:
    """Each question's outcome by number; :class:`StateFileError` naming ``path`` when the text is
    not such a file."""
    try:
        data = json.loads(text)
        return {
            int(key): Status(
                str(value["question"]),
                bool(value["passed"]),
                str(value.get("got", "")),
                str(value.get("worse_after", "")),
                str(value.get("was", "")),
                str(value.get("since", "")),
            )
            for key, value in data.get("results", {}).items()
        }
    except ValueError as exc:
        raise StateFileError(path, f"not a golden status file: {exc}") from None
    except (KeyError, TypeError, AttributeError) as exc:
        raise StateFileError(path, f"not a golden status file ({type(exc).__name__}: {exc})") from None


def dump_status(status: Mapping[int, Status]) -> str:
    """The text of ``golden-status.json`` for ``status``."""
    data = {"version": FORMAT_VERSION, "results": {str(k): v.to_json() for k, v in sorted(status.items())}}
    return json.dumps(data, ensure_ascii=False, indent=1)

"""Plain text (``.txt``): front matter like Markdown's, the rest kept as written."""

from __future__ import annotations

from .base import Reader
from .markdown import read_text_file

READER = Reader("text", (".txt",), lambda file: read_text_file(file, "text"))

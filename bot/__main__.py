"""``python -m bot``: the ``citebot`` command (see :mod:`bot.cli`)."""

from __future__ import annotations

import sys

from .launch import main

__all__ = ["main"]

if __name__ == "__main__":
    sys.exit(main())

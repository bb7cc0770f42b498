"""Where talkingface keeps downloaded model files and sample media."""

from __future__ import annotations

import os
from pathlib import Path


def cache_dir() -> Path:
    """``$TALKINGFACE_CACHE``, else ``$XDG_CACHE_HOME/talkingface``, else ``~/.cache/talkingface``."""
    if env := os.environ.get("TALKINGFACE_CACHE"):
        return Path(env).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "talkingface"

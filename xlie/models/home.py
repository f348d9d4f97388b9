"""Where xlie keeps what it builds: ``$XLIE_HOME``, else the user's cache directory."""
from __future__ import annotations

import os
from pathlib import Path

import platformdirs


def xlie_home() -> Path:
    env = os.environ.get("XLIE_HOME")
    root = Path(env).expanduser() if env else Path(platformdirs.user_cache_dir("xlie"))
    return root


def models_dir() -> Path:
    return xlie_home() / "models"

"""A persistent translation cache: reruns and overlapping corpora never translate a sentence
twice.

One SQLite file (WAL mode, so several processes can share it) maps
``sha256(namespace, source text)`` to the translation. The namespace names everything that
changes the output: the model's fingerprint and numerics (``Backend.key``), the generation
options and the language pair. Batch size and ordering are left out: they do not change
what a sentence translates to.
"""
from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path
from typing import Iterable

from ..errors import XlieError
from ..models.home import xlie_home
from .backends.base import Hypothesis


def default_cache_path() -> Path:
    return xlie_home() / "cache" / "translations.sqlite"


def namespace(backend_key: str, options_key: str, src_lang: str, tgt_lang: str) -> str:
    return json.dumps([backend_key, options_key, src_lang, tgt_lang])


def entry_key(ns: str, text: str) -> bytes:
    return hashlib.sha256(f"{ns}\x00{text}".encode("utf-8")).digest()


class NullCache:
    """No cache (``--no-cache``)."""

    path = None

    def get_many(self, keys: list[bytes]) -> dict[bytes, Hypothesis]:
        return {}

    def put_many(self, items: Iterable[tuple[bytes, Hypothesis]]) -> None:
        pass

    def close(self) -> None:
        pass


class TranslationCache(NullCache):
    def __init__(self, path: str | Path | None = None):
        self.path = Path(path) if path is not None else default_cache_path()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(str(self.path), timeout=60)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("CREATE TABLE IF NOT EXISTS translations "
                            "(key BLOB PRIMARY KEY, text TEXT NOT NULL, cut INTEGER NOT NULL)")
            self.db.commit()
        except (sqlite3.Error, OSError) as e:
            raise XlieError(f"cannot open the translation cache {self.path}: {e}",
                            "pass --cache PATH somewhere writable, or --no-cache") from None

    def get_many(self, keys: list[bytes]) -> dict[bytes, Hypothesis]:
        found: dict[bytes, Hypothesis] = {}
        for i in range(0, len(keys), 500):  # SQLite's limit on bound parameters
            chunk = keys[i:i + 500]
            rows = self.db.execute(
                f"SELECT key, text, cut FROM translations WHERE key IN ({','.join('?' * len(chunk))})",
                chunk)
            for key, text, cut in rows:
                found[key] = Hypothesis(text, bool(cut))
        return found

    def put_many(self, items: Iterable[tuple[bytes, Hypothesis]]) -> None:
        with self.db:  # one transaction per batch: a kill loses at most the batch in flight
            self.db.executemany("INSERT OR REPLACE INTO translations VALUES (?, ?, ?)",
                                [(k, h.text, int(h.cut)) for k, h in items])

    def __len__(self) -> int:
        return self.db.execute("SELECT COUNT(*) FROM translations").fetchone()[0]

    def close(self) -> None:
        self.db.close()


def open_cache(cache: str | Path | bool | None) -> NullCache:
    """``True``/``None`` -> the default cache file; ``False`` -> no cache; a path -> that file."""
    if cache is False:
        return NullCache()
    if cache is True or cache is None:
        return TranslationCache()
    return TranslationCache(cache)

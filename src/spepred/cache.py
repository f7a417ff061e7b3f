"""A small on-disk JSON cache with integrity checks, keyed by text (e.g. canonical SMILES).

Each entry is one JSON file written atomically (temporary file + rename) and carries the
SHA-256 of its payload and its key; an entry that is truncated, edited or belongs to another
key is reported as missing, so the caller recomputes it and overwrites the bad file.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from pathlib import Path

from spepred.files import write_text_atomic

log = logging.getLogger(__name__)

CACHE_ENV = "SPEPRED_CACHE_DIR"


def default_cache_root() -> Path:
    """``$SPEPRED_CACHE_DIR`` or the OS user cache directory for spepred."""
    env = os.environ.get(CACHE_ENV)
    if env:
        return Path(env).expanduser()
    import pooch

    return Path(pooch.os_cache("spepred"))


def _digest(payload: dict) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


class JsonCache:
    """Key -> small JSON-able dict, one file per key under ``root``."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def path(self, key: str) -> Path:
        h = hashlib.sha256(key.encode()).hexdigest()
        return self.root / h[:2] / f"{h}.json"

    def get(self, key: str) -> dict | None:
        p = self.path(key)
        try:
            entry = json.loads(p.read_text("utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError):
            log.warning("cache entry %s is unreadable; recomputing", p)
            return None
        if (
            not isinstance(entry, dict)
            or entry.get("key") != key
            or entry.get("sha256") != _digest(entry.get("payload", {}))
        ):
            log.warning("cache entry %s fails its integrity check; recomputing", p)
            return None
        return entry["payload"]

    def put(self, key: str, payload: dict) -> None:
        p = self.path(key)
        entry = {"key": key, "payload": payload, "sha256": _digest(payload)}
        # a cache entry needs no fsync: a torn one fails its integrity check and is recomputed
        write_text_atomic(json.dumps(entry), p, what="cache entry", fsync=False)

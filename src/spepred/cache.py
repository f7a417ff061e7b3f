"""spepred's caches, in one place.

* :class:`FeatureCache`: in memory, the results of deterministic per-building-block
  computations (a feature block's vector of one matrix, crosslinker, filler or salt; a
  building block's applicability-domain score; a repeat unit's predicted Tg), keyed by
  ``(namespace, key)``. It is an object handed to whoever computes (the featurizer's
  ``transform``, the domain's ``score``, the predictor's Tg), as molfeat hands its cache
  to a transformer: the computations themselves are never replaced or wrapped, so the same
  bundle predicts the same numbers whoever loaded it and whatever cache (or none) it was
  given. Bounded (least recently used first out) for a predictor answering an endless
  stream of requests; unbounded for a screening worker, whose library has a few hundred
  building blocks.
* :class:`JsonCache`: on disk, small JSON entries with integrity checks (xTB orbitals).
  Each entry is one JSON file written atomically (temporary file + rename) and carries the
  SHA-256 of its payload and its key; an entry that is truncated, edited or belongs to
  another key is reported as missing, so the caller recomputes it and overwrites the bad
  file.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import Any

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


#: Entries a predictor's cache keeps per namespace (a feature block, the domain's components
#: and pairs, Tg): a long-running server sees an unbounded stream of new building blocks.
DEFAULT_MAXSIZE = 4096


class _Failure:
    """A computation that raised: kept, so a bad building block is not recomputed on every
    call, and raised again (the same exception type and message) on each hit."""

    __slots__ = ("error",)

    def __init__(self, error: Exception) -> None:
        self.error = error


class FeatureCache:
    """Results of deterministic per-building-block computations, keyed by namespace and key.

    Parameters
    ----------
    maxsize
        Entries kept per namespace, the least recently used dropped first; ``None`` keeps
        every entry (a screening worker: its library's building blocks are few and met in
        every chunk).

    Notes
    -----
    One cache serves one model bundle: a namespace names what is computed (the featurizer
    puts its layout into its namespaces), not which training set it came from. Exceptions
    other than :class:`MemoryError` are remembered too (a computation is deterministic for
    its key) and raised again on every hit. Values are made read-only: callers copy what
    they keep. Thread-safe (the server predicts from a thread pool); two threads missing
    the same key may both compute it, which is harmless.
    """

    def __init__(self, maxsize: int | None = DEFAULT_MAXSIZE) -> None:
        if maxsize is not None and maxsize < 1:
            raise ValueError(f"maxsize must be None or >= 1, got {maxsize!r}")
        self.maxsize = maxsize
        self._spaces: dict[Hashable, OrderedDict] = {}
        self._lock = threading.Lock()

    def _lookup(self, namespace: Hashable, key: Hashable) -> Any:
        space = self._spaces.get(namespace)
        if space is None:
            return _MISSING
        with self._lock:
            hit = space.get(key, _MISSING)
            if hit is not _MISSING and self.maxsize is not None:
                space.move_to_end(key)
        if isinstance(hit, _Failure):
            raise hit.error.with_traceback(None)
        return hit

    def get(self, namespace: Hashable, key: Hashable, default: Any = None) -> Any:
        """The cached value of ``key`` in ``namespace``, else ``default`` (a remembered
        failure is raised again)."""
        hit = self._lookup(namespace, key)
        return default if hit is _MISSING else hit

    def put(self, namespace: Hashable, key: Hashable, value: Any) -> None:
        """Store a value computed elsewhere (for example, many keys in one call)."""
        if hasattr(value, "setflags"):
            value.setflags(write=False)
        self._store(namespace, key, value)

    def get_or_compute(self, namespace: Hashable, key: Hashable, compute: Callable[[], Any]) -> Any:
        """The cached value of ``key`` in ``namespace``, else ``compute()`` (stored)."""
        hit = self._lookup(namespace, key)
        if hit is not _MISSING:
            return hit
        try:
            value = compute()
        except MemoryError:
            raise
        except Exception as err:  # deterministic for a key: remember it as well
            self._store(namespace, key, _Failure(err))
            raise
        self.put(namespace, key, value)  # a NumPy array is shared: made read-only
        return value

    def _store(self, namespace: Hashable, key: Hashable, value: Any) -> None:
        with self._lock:
            space = self._spaces.setdefault(namespace, OrderedDict())
            space[key] = value
            if self.maxsize is not None:
                while len(space) > self.maxsize:
                    space.popitem(last=False)

    def sizes(self) -> dict[Hashable, int]:
        """Entries held per namespace."""
        with self._lock:
            return {ns: len(space) for ns, space in self._spaces.items()}

    def __len__(self) -> int:
        return sum(self.sizes().values())

    def clear(self) -> None:
        with self._lock:
            self._spaces.clear()

    def __repr__(self) -> str:
        return f"FeatureCache(maxsize={self.maxsize!r}, entries={len(self)})"


_MISSING = object()


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

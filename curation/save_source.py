"""Keep the stored text a literature row was curated from, outside the repository.

    python curation/save_source.py URL < excerpt.txt

The text goes to ``$SPEPRED_CURATION_CACHE`` (default ``/work/curation-cache``) under a name
derived from the URL, so ``check_quotes.py`` can re-check every quote against it. The texts
are third-party material and are never committed; only the short quotes and the check's
report are.
"""

from __future__ import annotations

import hashlib
import os
import sys
from pathlib import Path


def cache_dir() -> Path:
    return Path(os.environ.get("SPEPRED_CURATION_CACHE", "/work/curation-cache"))


def source_path(url: str) -> Path:
    return cache_dir() / (hashlib.sha1(url.strip().encode()).hexdigest()[:16] + ".txt")


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python curation/save_source.py URL < text", file=sys.stderr)
        return 2
    text = sys.stdin.read()
    if not text.strip():
        print("save_source: no text on standard input", file=sys.stderr)
        return 2
    path = source_path(argv[0])
    path.parent.mkdir(parents=True, exist_ok=True)
    old = path.read_text(encoding="utf-8") if path.exists() else ""
    if text not in old:  # several excerpts of one page accumulate
        path.write_text(old + ("\n\n" if old else "") + text, encoding="utf-8")
    print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

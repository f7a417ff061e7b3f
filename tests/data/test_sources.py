import functools
import http.server
import shutil
import threading

import pytest

from spepred.data import sources
from spepred.errors import DataSourceError
from tests.conftest import needs_mirror


@needs_mirror
def test_mirror_is_used_after_its_checksum(mirror):
    path = sources.fetch("bradford2023")
    assert path == mirror / "bradford2023" / "clean_train_data.csv"


def test_mirror_with_a_wrong_file_is_refused(tmp_path, monkeypatch):
    bad = tmp_path / "bradford2023"
    bad.mkdir()
    (bad / "clean_train_data.csv").write_text("smiles,conductivity\nCC,-5\n")
    monkeypatch.setenv("SPEPRED_DATA_MIRROR", str(tmp_path))
    with pytest.raises(DataSourceError, match="SHA-256 .* expected 6b6de597"):
        sources.fetch("bradford2023")


def test_offline_without_mirror_says_what_to_do(no_mirror):
    with pytest.raises(DataSourceError, match="cannot download .*SPEPRED_DATA_MIRROR"):
        sources.fetch("radonpy_pi1070")
    assert not sources.available("radonpy_pi1070")


def test_unknown_source():
    with pytest.raises(DataSourceError, match="unknown data source 'nope'"):
        sources.fetch("nope")


@pytest.fixture
def upstream(tmp_path, monkeypatch):
    """A local HTTP server standing in for raw.githubusercontent.com."""
    root = tmp_path / "www"
    root.mkdir()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    port = server.server_address[1]
    monkeypatch.setattr(sources, "URL_PATTERN", f"http://127.0.0.1:{port}/{{path}}")
    monkeypatch.delenv("SPEPRED_DATA_MIRROR", raising=False)
    monkeypatch.setenv("SPEPRED_CACHE_DIR", str(tmp_path / "cache"))
    yield root
    server.shutdown()


@needs_mirror
def test_truncated_download_fails_on_the_checksum(upstream, monkeypatch):
    from tests.conftest import MIRROR

    src = MIRROR / "radonpy_pi1070" / "PI1070.csv"
    target = upstream / "data" / "PI1070.csv"
    target.parent.mkdir(parents=True)
    target.write_bytes(src.read_bytes()[:1000])  # truncated
    with pytest.raises(DataSourceError, match="fails its SHA-256 check"):
        sources.fetch("radonpy_pi1070")


@needs_mirror
def test_download_is_checked_and_cached(upstream):
    from tests.conftest import MIRROR

    target = upstream / "data" / "PI1070.csv"
    target.parent.mkdir(parents=True)
    shutil.copy(MIRROR / "radonpy_pi1070" / "PI1070.csv", target)
    first = sources.fetch("radonpy_pi1070")
    assert sources.sha256_of(first) == sources.SOURCES["radonpy_pi1070"].sha256
    target.unlink()  # upstream gone: the cache answers
    assert sources.fetch("radonpy_pi1070") == first

"""The suite's own skip helper: a skip locally, a failure where every test is required (CI)."""

import pytest

from tests import conftest


def _outcome(reason: str) -> BaseException:
    # catch whatever the helper raises, so a skip where a failure is due fails this test
    with pytest.raises(BaseException) as info:
        conftest.skip_unless_required(reason)
    return info.value


def test_skip_unless_required_skips_when_not_every_test_is_required(monkeypatch):
    monkeypatch.setattr(conftest, "REQUIRE_ALL", False)
    out = _outcome("no Java runtime")
    assert type(out) is pytest.skip.Exception and "no Java runtime" in str(out)


def test_skip_unless_required_fails_where_every_test_is_required(monkeypatch):
    monkeypatch.setattr(conftest, "REQUIRE_ALL", True)
    out = _outcome("no Java runtime")
    assert type(out) is pytest.fail.Exception and "must run here" in str(out)

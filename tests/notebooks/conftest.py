"""Collects each notebook's execution time and prints them at the end of the run."""

from __future__ import annotations

import pytest

_TIMES: dict[str, float] = {}


@pytest.fixture
def notebook_times() -> dict[str, float]:
    """Name -> seconds, filled by the notebook tests, printed in the terminal summary."""
    return _TIMES


def pytest_terminal_summary(terminalreporter) -> None:
    if not _TIMES:
        return
    terminalreporter.write_sep("-", "notebook execution times")
    for name, seconds in sorted(_TIMES.items()):
        terminalreporter.write_line(f"{name:<36} {seconds:7.1f} s")

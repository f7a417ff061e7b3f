"""A small library and the shipped model for the screening tests."""

from __future__ import annotations

import pytest

from spepred.api import default_model_path

@pytest.fixture(scope="session")
def bundle():
    return default_model_path()

from __future__ import annotations

import pytest

from tests.conftest import FIXTURES

TINY = FIXTURES / "tiny_train.csv"


@pytest.fixture(scope="session")
def tiny_trained(tmp_path_factory):
    """Train once on the tiny table into a temporary SQLite store and bundle directory."""
    from spepred.api import train

    root = tmp_path_factory.mktemp("tiny-train")
    uri = f"sqlite:///{root / 'mlflow.db'}"
    report = train([TINY], model_dir=root / "bundle", tracking_uri=uri, experiment="tiny", cv_folds=3)
    return report, uri, root

from tests.conftest import TINY  # noqa: F401  (re-exported for the model tests)

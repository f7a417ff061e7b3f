"""Training tells its progress callback how many steps to expect before the first fit: the
CLI's bar has a total."""

from __future__ import annotations

import pandas as pd

from tests.models.conftest import TINY


class Recorder:
    def __init__(self) -> None:
        self.total, self.messages, self.total_when_first = 0, [], None

    def add_total(self, n: int) -> None:
        self.total += n

    def __call__(self, message: str) -> None:
        if self.total_when_first is None:
            self.total_when_first = self.total
        self.messages.append(message)


def _check(table, **kw):
    from spepred.models.config import TrainConfig
    from spepred.models.train import train_models

    p = Recorder()
    train_models(table, TrainConfig(n_jobs=1, **kw), progress=p)
    assert p.total == len(p.messages), p.messages
    return p


def test_the_announced_total_is_every_message():
    from spepred.data.schema import require_valid

    p = _check(require_valid(pd.read_csv(TINY)), cv_folds=3)
    assert p.total_when_first == p.total  # everything announced before the first step


def test_the_curve_grouped_cv_is_counted_too():
    from spepred.data.schema import require_valid

    table = pd.read_csv(TINY)
    # each formulation's σ(T) points as two curves: more curves than groups, so σ gets the
    # second, curve-grouped CV and its folds must be in the total
    table["curve_id"] = table["group"] + ":" + (table["temperature_C"] >= 50).astype(str)
    table = require_valid(table)
    assert table["curve_id"].nunique() > table["group"].nunique()
    p = _check(table, cv_folds=3)
    assert any("(curves)" in m for m in p.messages)
    assert p.total_when_first == p.total


def test_the_tg_model_is_announced_before_anything_runs(tmp_path):
    from spepred.api import train
    from tests.conftest import FIXTURES, tiny_tg_config

    p = Recorder()
    tcfg = tiny_tg_config()
    train([TINY], model_dir=tmp_path / "bundle", track=False, cv_folds=3, tg_data=FIXTURES / "tiny_tg.csv",
          tg_config=tcfg, progress=p)
    assert p.total == len(p.messages)
    assert p.total_when_first == p.total  # the Tg model's folds and final fit included
    assert sum(m.startswith("Tg ") for m in p.messages) == tcfg.cv_folds + 1
    assert p.messages[-1] == "Tg final fit"


def test_the_cli_bar_shows_the_total():
    from spepred.cli import _StageBar

    bar = _StageBar("training")
    bar.add_total(3)
    bar("one")
    assert bar.bar.total == 3
    bar.add_total(2)
    assert bar.bar.total == 5
    bar.close()
    quiet = _StageBar("training", enabled=False)
    quiet.add_total(3)
    quiet("x")
    assert quiet.bar is None

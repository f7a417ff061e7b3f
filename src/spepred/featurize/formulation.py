"""Formulation table -> feature matrix (float32), one row per input row, plus an error list.

Every input row ends up in exactly one place: a finite-or-NaN feature row with ``ok=True``,
or one or more :class:`RowError` with ``ok=False`` (its feature row is all NaN).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from functools import partial
from dataclasses import asdict, dataclass, field, fields

import numpy as np
import pandas as pd

from spepred.cache import FeatureCache
from spepred.errors import ConfigError, RowError, SpepredError
from spepred.featurize.blocks import BLOCKS, ConditionsBlock, KeyedBlock

log = logging.getLogger(__name__)

FEATURIZER_VERSION = "1"
_GATHER_CHUNK = 1 << 17
_KEY_SEP = "\x1f"  # unit separator: never in SMILES or chemical names
DEFAULT_BLOCKS = ("matrix", "transport", "crosslinker", "filler", "salt", "oxidation", "conditions", "coordination")


def as_text_array(values) -> np.ndarray:
    """An object array of ``str`` (no fixed-width unicode copy: SMILES can be 1,000+
    characters long, and ``astype(str)`` would allocate that width for every row)."""
    arr = np.asarray(values, dtype=object)
    if all(isinstance(v, str) for v in arr):
        return arr
    return np.array(["" if v is None else str(v) for v in arr], dtype=object)


@dataclass(frozen=True)
class FeaturizerConfig:
    """Everything that decides the feature layout; saved with every model bundle."""

    morgan_radius: int = 2
    morgan_size: int = 256
    blocks: tuple[str, ...] = DEFAULT_BLOCKS
    use_xtb: bool = False
    version: str = FEATURIZER_VERSION

    def __post_init__(self) -> None:
        unknown = [b for b in self.blocks if b not in BLOCKS and b != "orbital"]
        if unknown:
            raise ConfigError(f"unknown feature block(s) {unknown}; known: {[*BLOCKS, 'orbital']}")
        if self.morgan_size < 8 or self.morgan_radius < 0:
            raise ConfigError("morgan_size must be >= 8 and morgan_radius >= 0")

    def to_dict(self) -> dict:
        d = asdict(self)
        d["blocks"] = list(self.blocks)
        return d

    @classmethod
    def from_dict(cls, data: dict) -> FeaturizerConfig:
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ConfigError(f"unknown featurizer config key(s): {sorted(unknown)}")
        data = dict(data)
        if "blocks" in data:
            data["blocks"] = tuple(data["blocks"])
        return cls(**data)


@dataclass
class FeatureResult:
    """Features for every row (NaN rows where ``ok`` is False) and the errors of the others."""

    features: np.ndarray
    feature_names: list[str]
    ok: np.ndarray
    errors: list[RowError] = field(default_factory=list)

    def frame(self, index: pd.Index | None = None) -> pd.DataFrame:
        return pd.DataFrame(self.features, columns=self.feature_names, index=index, copy=False)

    def errors_frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            [
                {"row": e.row, "column": e.column, "value": e.value, "reason": e.reason}
                for e in self.errors
            ],
            columns=["row", "column", "value", "reason"],
        )


class FormulationFeaturizer:
    """Formulation rows -> named feature blocks.

    Parameters
    ----------
    config
        Layout of the features (Morgan size and radius, blocks, xTB on/off).
    """

    def __init__(self, config: FeaturizerConfig | None = None) -> None:
        self.config = config or FeaturizerConfig()
        self.blocks: list = []
        for name in self.config.blocks:
            if name == "orbital":
                from spepred.featurize.orbital import OrbitalBlock

                self.blocks.append(OrbitalBlock(self.config))
            else:
                self.blocks.append(BLOCKS[name](self.config))
        if self.config.use_xtb and "orbital" not in self.config.blocks:
            from spepred.featurize.orbital import OrbitalBlock

            self.blocks.append(OrbitalBlock(self.config))
        self.feature_names: list[str] = [n for b in self.blocks for n in b.feature_names]
        # a block's vectors in a FeatureCache are keyed by the block and the whole layout, so
        # featurizers of two layouts can never read each other's entries
        layout = json.dumps(self.config.to_dict(), sort_keys=True)
        self._namespaces = {b.name: (b.name, layout) for b in self.blocks}
        self._slices = {}
        start = 0
        for b in self.blocks:
            self._slices[b.name] = slice(start, start + len(b))
            start += len(b)

    def __len__(self) -> int:
        return len(self.feature_names)

    def block_slice(self, name: str) -> slice:
        return self._slices[name]

    def _column_of(self, X: np.ndarray) -> Callable[[str], np.ndarray]:
        index = {n: i for i, n in enumerate(self.feature_names)}

        def column(name: str) -> np.ndarray:
            if name not in index:
                return np.full(len(X), np.nan)
            return X[:, index[name]].astype(np.float64)

        return column

    def transform(
        self,
        table,
        *,
        ok: np.ndarray | None = None,
        source: str = "input",
        progress: Callable[[int, int], None] | None = None,
        cache: FeatureCache | None = None,
    ) -> FeatureResult:
        """Featurize a *validated* formulation table (see ``validate_formulations``).

        Parameters
        ----------
        table
            Normalized formulation rows: a DataFrame, or a mapping of column -> array
            (what ``validate_columns`` returns; avoids building a DataFrame per request).
        ok
            Rows already known to be bad (validation errors) are skipped: ``ok[i]`` False.
        progress
            Called as ``progress(done, total)`` over distinct building blocks.
        cache
            Building-block vectors kept across calls (a predictor's bounded cache, a
            screening worker's unbounded one), keyed by block and key. Each distinct key
            is computed once per call anyway; the cache saves the recomputation across
            calls. The features are the same with or without it.
        """
        n = len(np.asarray(table["monomer_smiles"], dtype=object))
        ok = np.ones(n, dtype=bool) if ok is None else ok.copy()
        X = np.full((n, len(self)), np.nan, dtype=np.float32)
        errors: list[RowError] = []
        keyed = [b for b in self.blocks if isinstance(b, KeyedBlock)]
        # distinct keys of every block first, so that progress has a total
        plans = []
        for block in keyed:
            # a key column the table does not carry (``liquids`` in an older table) is empty
            cols = [as_text_array(table[c]) if c in table else np.full(n, "", dtype=object) for c in block.key_columns]
            if len(cols) == 1:
                codes, uniques = pd.factorize(cols[0])
                keys = [(u,) for u in uniques]
            else:  # joined text keys factorize much faster than a MultiIndex
                joined = cols[0]
                for c in cols[1:]:
                    joined = joined + _KEY_SEP + c
                codes, uniques = pd.factorize(joined)
                keys = [tuple(u.split(_KEY_SEP)) for u in uniques]
            plans.append((block, codes, keys))
        total = sum(len(k) for _, _, k in plans)
        done = 0
        for block, codes, keys in plans:
            mat = np.full((len(keys) + 1, len(block)), np.nan, dtype=np.float32)
            bad_keys = np.zeros(len(keys) + 1, dtype=bool)
            used = np.zeros(len(keys), dtype=bool)
            used[np.unique(codes[ok])] = True
            for k, key in enumerate(keys):
                if used[k]:
                    try:
                        if cache is None:
                            mat[k] = block.compute(*key)
                        else:
                            mat[k] = cache.get_or_compute(
                                self._namespaces[block.name], key, partial(block.compute, *key)
                            )
                    except SpepredError as err:
                        bad_keys[k] = True
                        rows = np.flatnonzero((codes == k) & ok)
                        column = block.key_columns[0]
                        errors.extend(
                            RowError(source, int(i) + 1, column, key[0], str(err)) for i in rows
                        )
                    except Exception as err:  # an RDKit failure inside a descriptor
                        log.debug("featurizing %r failed", key, exc_info=True)
                        bad_keys[k] = True
                        rows = np.flatnonzero((codes == k) & ok)
                        errors.extend(
                            RowError(
                                source, int(i) + 1, block.key_columns[0], key[0],
                                f"could not compute {block.name} features ({type(err).__name__}: {err})",
                            )
                            for i in rows
                        )
                done += 1
                if progress is not None and done % 64 == 0:
                    progress(done, total)
            sl = self._slices[block.name]
            for start in range(0, n, _GATHER_CHUNK):  # bounded temporary memory
                stop = min(start + _GATHER_CHUNK, n)
                X[start:stop, sl] = mat[codes[start:stop]]
            ok &= ~bad_keys[codes]
        if progress is not None:
            progress(total, total)
        for block in self.blocks:
            if isinstance(block, ConditionsBlock):
                X[:, self._slices[block.name]] = block.compute_rows(table)
        for block in self.blocks:  # derived from the blocks above, so last
            if getattr(block, "derived", False):
                X[:, self._slices[block.name]] = block.compute_rows(table, self._column_of(X))
        X[~ok] = np.nan
        return FeatureResult(features=X, feature_names=self.feature_names, ok=ok, errors=errors)

"""Applicability domain: how much a query's building blocks resemble what a model saw.

Two signals, per formulation:

* ``domain_similarity``: for every structured building block of the query (matrix
  components, reacted crosslinkers), the maximum Tanimoto similarity (Morgan r=2, 2048
  bits) to the training set's building blocks of the same kind; the formulation takes the
  *lowest* of these (its least familiar part); 1.0 only for a component that is in
  training exactly (a different molecule with the same fingerprint gets at most 0.99);
* ``unseen_fragments``: how many Morgan fragments (unfolded, r=2) of the query's building
  blocks never occur in training.

``in_domain`` = similarity >= ``min_similarity`` and unseen fragments <= ``max_unseen``.
State is saved as NumPy arrays (no pickle).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from spepred.cache import FeatureCache
from spepred.chem import descriptors as D
from spepred.chem.resolve import resolve_crosslinkers, resolve_matrix
from spepred.featurize.formulation import as_text_array

def _components(monomer_smiles: str, crosslinker: str) -> tuple[list[str], list[str]]:
    matrix = [c.smiles for c in resolve_matrix(monomer_smiles)]
    xl = [c.reacted_smiles for c in resolve_crosslinkers(crosslinker) if c.reacted_smiles]
    return matrix, xl


#: Highest similarity of a component that is not itself in training: an identical Morgan
#: fingerprint does not make an identical molecule (``[*]CCO[*]`` and ``[*]CCOCCO[*]``
#: share every r=2 fragment), so 1.0 is kept for exact matches.
HOMOLOG_SIMILARITY = 0.99
#: Namespaces of the domain's scores in a :class:`~spepred.cache.FeatureCache`: distinct
#: building blocks, and distinct matrix/crosslinker pairs. A predictor hands its bounded
#: cache to :meth:`ApplicabilityDomain.score` (a long-running server sees an unbounded
#: stream of new molecules; unbounded score caches grew by about 7 MB per 1,000 of them).
COMPONENT_NAMESPACE = "domain.component"
PAIR_NAMESPACE = "domain.pair"


@dataclass
class ApplicabilityDomain:
    """Training building blocks (fingerprints, fragments) and the in-domain thresholds."""

    matrix_fps: np.ndarray  # packed bits, one row per distinct training matrix component
    crosslinker_fps: np.ndarray
    fragments: np.ndarray  # sorted int64 Morgan fragment ids seen in training
    min_similarity: float = 0.4
    max_unseen: int = 4
    #: canonical SMILES of the training components (``None`` in bundles that predate it)
    known_components: frozenset[str] | None = None

    def __post_init__(self) -> None:
        self._m = D.unpack_fingerprints(self.matrix_fps)
        self._x = D.unpack_fingerprints(self.crosslinker_fps)
        self._frag = set(int(f) for f in self.fragments)

    @classmethod
    def fit(cls, table: pd.DataFrame, **thresholds) -> ApplicabilityDomain:
        matrix: set[str] = set()
        xl: set[str] = set()
        keys = table[["monomer_smiles", "crosslinker"]].drop_duplicates()
        for m, x in keys.itertuples(index=False):
            mm, xx = _components(m, x)
            matrix.update(mm)
            xl.update(xx)
        frags: set[int] = set()
        for s in (*matrix, *xl):
            frags.update(D.fragment_ids(s))
        return cls(
            matrix_fps=D.packed_fingerprints(sorted(matrix)),
            crosslinker_fps=D.packed_fingerprints(sorted(xl)),
            fragments=np.array(sorted(frags), dtype=np.int64),
            known_components=frozenset(matrix | xl),
            **thresholds,
        )

    def _score_component(self, smiles: str, kind: str) -> tuple[float, int]:
        """(max Tanimoto to training components of this kind, unseen fragments)."""
        pool = self._m if kind == "matrix" else self._x
        sim = D.max_tanimoto(smiles, pool)
        if self.known_components is not None and smiles not in self.known_components:
            sim = min(sim, HOMOLOG_SIMILARITY)
        return sim, len(D.fragment_ids(smiles) - self._frag)

    def _score_pair(self, key: str, cache: FeatureCache) -> tuple[float, int]:
        m, x = key.split("\x1f")
        try:
            return self.score_one(m, x, cache=cache)
        except Exception:  # rows that cannot be parsed get no score (status says why)
            return (np.nan, -1)

    def score_one(
        self, monomer_smiles: str, crosslinker: str, *, cache: FeatureCache | None = None
    ) -> tuple[float, int]:
        """(lowest similarity of the pair's building blocks, their unseen fragments)."""
        cache = FeatureCache(maxsize=None) if cache is None else cache
        matrix, xl = _components(monomer_smiles, crosslinker)
        parts = [
            cache.get_or_compute(COMPONENT_NAMESPACE, (s, kind), lambda s=s, kind=kind: self._score_component(s, kind))
            for kind, smiles in (("matrix", matrix), ("crosslinker", xl))
            for s in smiles
        ]
        sims = [p[0] for p in parts]
        return (min(sims) if sims else math.nan), sum(p[1] for p in parts)

    def score(self, table, *, cache: FeatureCache | None = None) -> dict[str, np.ndarray]:
        """``domain_similarity``, ``unseen_fragments``, ``in_domain`` arrays, one value per
        row of ``table`` (a DataFrame or column mapping); computed once per distinct
        matrix/crosslinker pair and building block.

        ``cache``: a :class:`~spepred.cache.FeatureCache` of this domain's scores kept
        across calls (a predictor's); without one, the scores live for this call only. The
        scores are the same either way.
        """
        cache = FeatureCache(maxsize=None) if cache is None else cache
        m_col = as_text_array(table["monomer_smiles"])
        x_col = as_text_array(table["crosslinker"])
        codes, uniques = pd.factorize(m_col + "\x1f" + x_col)
        sim = np.full(len(uniques), np.nan)
        unseen = np.zeros(len(uniques), dtype=np.int64)
        for k, key in enumerate(uniques):
            sim[k], unseen[k] = cache.get_or_compute(PAIR_NAMESPACE, key, lambda key=key: self._score_pair(key, cache))
        s, u = sim[codes], unseen[codes]
        return {
            "domain_similarity": s,
            "unseen_fragments": u,
            "in_domain": (s >= self.min_similarity) & (u >= 0) & (u <= self.max_unseen),
        }

    # -- persistence (NumPy arrays, no pickle) ------------------------------------------
    def save(self, directory: Path) -> dict:
        np.save(directory / "domain_matrix_fps.npy", self.matrix_fps, allow_pickle=False)
        np.save(directory / "domain_crosslinker_fps.npy", self.crosslinker_fps, allow_pickle=False)
        np.save(directory / "domain_fragments.npy", self.fragments, allow_pickle=False)
        params = {"min_similarity": self.min_similarity, "max_unseen": self.max_unseen}
        if self.known_components is not None:
            params["known_components"] = sorted(self.known_components)
        return params

    @classmethod
    def load(cls, directory: Path, params: dict) -> ApplicabilityDomain:
        return cls(
            matrix_fps=np.load(directory / "domain_matrix_fps.npy", allow_pickle=False),
            crosslinker_fps=np.load(directory / "domain_crosslinker_fps.npy", allow_pickle=False),
            fragments=np.load(directory / "domain_fragments.npy", allow_pickle=False),
            min_similarity=float(params["min_similarity"]),
            max_unseen=int(params["max_unseen"]),
            known_components=(
                frozenset(params["known_components"]) if "known_components" in params else None
            ),
        )

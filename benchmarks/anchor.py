"""The published XGBoost recipe of Bradford et al. 2023, re-implemented as the anchor that
spepred's σ model is compared with.

Features (their ``make_balanced_train.py``): 128-bit Morgan bit vectors (radius 3) of the
polymer, lengthened to at least 30 heavy atoms and capped with carbon, and of the salt
(``[Li+]`` for single-ion polymers); log10(Mw) with blanks filled by 65,000 g/mol; molality
with blanks filled by 0; temperature in °C. Model: XGBoost regressor with its default
hyperparameters (their script does not set any).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from spepred.chem import descriptors as D
from spepred.chem.resolve import resolve_salt

ANCHOR_BITS = 128
ANCHOR_RADIUS = 3
ANCHOR_MIN_HEAVY = 30
ANCHOR_MW_FILL_G_MOL = 65000.0
SINGLE_ION_SALT = "[Li+]"


def anchor_features(table: pd.DataFrame) -> np.ndarray:
    """Anchor feature matrix (float32) of a validated formulation table.

    Only the first matrix component is used (the recipe knows one polymer per row); the
    crosslinker, filler and plasticizer columns are ignored, as the recipe has no place for them.
    """
    n = len(table)
    X = np.zeros((n, 2 * ANCHOR_BITS + 3), dtype=np.float32)
    poly_codes, polys = pd.factorize(table["monomer_smiles"].astype(str))
    poly_fp = np.stack(
        [D.long_chain_bits(p.split(".")[0], ANCHOR_MIN_HEAVY, ANCHOR_RADIUS, ANCHOR_BITS) for p in polys]
    )
    salt_codes, salts = pd.factorize(table["salt"].astype(str))
    salt_smiles = []
    for s in salts:
        comp = resolve_salt(s)
        salt_smiles.append(comp.smiles if comp is not None else SINGLE_ION_SALT)
    salt_fp = np.stack(
        [D.long_chain_bits(s, ANCHOR_MIN_HEAVY, ANCHOR_RADIUS, ANCHOR_BITS) for s in salt_smiles]
    )
    X[:, :ANCHOR_BITS] = poly_fp[poly_codes]
    X[:, ANCHOR_BITS : 2 * ANCHOR_BITS] = salt_fp[salt_codes]
    mw = table["mw_g_mol"].astype(float).fillna(ANCHOR_MW_FILL_G_MOL).to_numpy()
    X[:, -3] = np.log10(mw)
    X[:, -2] = table["salt_molality_mol_kg"].astype(float).fillna(0.0).to_numpy()
    X[:, -1] = table["temperature_C"].astype(float).to_numpy()
    return X


class AnchorModel:
    """The anchor regressor (scikit-learn contract: ``fit`` returns ``self``)."""

    def __init__(self, random_state: int = 0, n_jobs: int = 2) -> None:
        self.random_state = random_state
        self.n_jobs = n_jobs

    def fit(self, X: np.ndarray, y: np.ndarray) -> AnchorModel:
        from xgboost import XGBRegressor

        self.model_ = XGBRegressor(random_state=self.random_state, n_jobs=self.n_jobs)
        self.model_.fit(X, y)
        return self

    def predict(self, X: np.ndarray) -> np.ndarray:
        return self.model_.predict(X)

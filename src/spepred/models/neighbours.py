"""The nearest labelled systems: which training formulations a query most resembles.

A prediction is easier to trust (or to doubt) next to the measured values of the systems it
was learned from. Training keeps a small table of its labelled *systems* (one row per σ(T)
curve or per review record: formulation, measured points, source), saved in the bundle as
JSON plus packed Morgan fingerprints (NumPy, no pickle).

Similarity of a query to a system, in [0, 1]::

    0.6 · Tanimoto(matrix) + 0.25 · Tanimoto(reacted crosslinkers) + 0.15 · [same salt]

where each side's building blocks are merged into one fingerprint (Morgan r=2, 2048 bits,
bitwise OR of its components), and two formulations without a crosslinker count as
identical on that term. The weights say what a chemist looks at first: the matrix sets
most of σ, the crosslinker and salt shift it. For each neighbour the measured point nearest
to the query's temperature is reported.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from spepred.chem import descriptors as D
from spepred.chem.resolve import canonical_salt_label, resolve_crosslinkers, resolve_matrix

TABLE_FILE = "training_systems.json"
MATRIX_FPS_FILE = "training_systems_matrix_fps.npy"
CROSSLINKER_FPS_FILE = "training_systems_crosslinker_fps.npy"
WEIGHTS = {"matrix": 0.6, "crosslinker": 0.25, "salt": 0.15}
DEFAULT_K = 5
#: Columns of a system row, in file order (the points are lists, the rest scalars).
SYSTEM_COLUMNS = (
    "monomer_smiles",
    "crosslinker",
    "filler",
    "filler_wt_pct",
    "salt",
    "salt_molality_mol_kg",
    "plasticized",
    "temperatures_C",
    "log10_sigma_S_cm",
    "esw_V",
    "strength_MPa",
    "source",
    "record_id",
)
#: Citations of the built-in sources (a user's own table is named by its ``source``).
REVIEW_CITATION = (
    "Pei et al. 2025, Progress and perspectives on molecular design of crosslinked polymer "
    "electrolytes, doi:10.1016/j.revmat.2025.100013"
)


def _citations() -> dict[str, str]:
    from spepred.data.converters import REVIEW_SOURCE
    from spepred.data.sources import SOURCES

    return {REVIEW_SOURCE: REVIEW_CITATION, **{k: s.citation for k, s in SOURCES.items()}}


def _merged_fp(smiles: list[str]) -> np.ndarray:
    """One packed fingerprint for a set of building blocks (bitwise OR; zeros if none)."""
    if not smiles:
        return np.zeros(D.FP_BITS // 8, dtype=np.uint8)
    return np.bitwise_or.reduce(D.packed_fingerprints(smiles), axis=0)


def _blocks(monomer_smiles: str, crosslinker: str) -> tuple[list[str], list[str]]:
    matrix = [c.smiles for c in resolve_matrix(monomer_smiles)]
    xl = [c.reacted_smiles for c in resolve_crosslinkers(crosslinker) if c.reacted_smiles]
    return matrix, xl


def _tanimoto(query: np.ndarray, pool: np.ndarray) -> np.ndarray:
    """Tanimoto of one packed fingerprint to every row of ``pool``; two empty sets are 1."""
    both = np.bitwise_count(pool & query).sum(axis=1)
    either = np.bitwise_count(pool | query).sum(axis=1)
    return np.where(either == 0, 1.0, both / np.maximum(either, 1))


def _plain(v: object) -> object:
    if hasattr(v, "item") and not isinstance(v, str):
        v = v.item()
    if isinstance(v, float) and not math.isfinite(v):
        return None
    return v


@dataclass
class TrainingSystems:
    """The labelled training systems and their fingerprints (see the module docstring)."""

    rows: list[dict] = field(default_factory=list)
    matrix_fps: np.ndarray = field(default_factory=lambda: np.zeros((0, D.FP_BITS // 8), np.uint8))
    crosslinker_fps: np.ndarray = field(default_factory=lambda: np.zeros((0, D.FP_BITS // 8), np.uint8))
    citations: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._salts = np.array([r["salt_key"] for r in self.rows], dtype=object)
        self._query_cache: dict[tuple[str, str], tuple[np.ndarray, np.ndarray]] = {}

    def __len__(self) -> int:
        return len(self.rows)

    @classmethod
    def fit(cls, table: pd.DataFrame) -> TrainingSystems:
        """One system per σ(T) curve (``curve_id``) or, without one, per record, from the
        labelled rows of a validated training table."""
        labels = ["log10_sigma_S_cm", "esw_V", "strength_MPa"]
        t = table.copy()
        for c in (*SYSTEM_COLUMNS, "curve_id", "temperature_C"):
            if c not in t.columns and c not in ("temperatures_C",):
                t[c] = None
        key = t["curve_id"].where(t["curve_id"].notna() & (t["curve_id"].astype(str) != ""), t["record_id"])
        t["_system"] = t["source"].astype(str) + "\x1f" + key.astype(str)
        rows, matrix, xl = [], [], []
        fp_cache: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        for _, g in t.groupby("_system", sort=True):
            first = g.iloc[0]
            m, x = str(first["monomer_smiles"]), "" if first["crosslinker"] is None else str(first["crosslinker"])
            if (m, x) not in fp_cache:
                mm, xx = _blocks(m, x)
                fp_cache[(m, x)] = (_merged_fp(mm), _merged_fp(xx))
            fm, fx = fp_cache[(m, x)]
            sig = g[g["log10_sigma_S_cm"].notna()].sort_values("temperature_C")
            row = {c: _plain(first[c]) for c in SYSTEM_COLUMNS if c not in ("temperatures_C", *labels)}
            row["temperatures_C"] = [_plain(v) for v in sig["temperature_C"]]
            row["log10_sigma_S_cm"] = [round(float(v), 4) for v in sig["log10_sigma_S_cm"]]
            for lab in ("esw_V", "strength_MPa"):
                vals = g[lab].dropna()
                row[lab] = float(vals.iloc[0]) if len(vals) else None
            if not row["log10_sigma_S_cm"] and row["esw_V"] is None and row["strength_MPa"] is None:
                continue
            row["salt_key"] = canonical_salt_label(str(first["salt"])) if first["salt"] else "none"
            rows.append(row)
            matrix.append(fm)
            xl.append(fx)
        citations = _citations()
        used = {r["source"] for r in rows}
        return cls(
            rows=rows,
            matrix_fps=np.array(matrix, dtype=np.uint8).reshape(len(rows), D.FP_BITS // 8),
            crosslinker_fps=np.array(xl, dtype=np.uint8).reshape(len(rows), D.FP_BITS // 8),
            citations={k: v for k, v in citations.items() if k in used},
        )

    # -- bundle I/O -----------------------------------------------------------------------
    def save(self, directory: Path) -> dict:
        """Write the table and fingerprints into a bundle directory; returns the metadata
        entry that :meth:`load` reads. Each distinct fingerprint is stored once (many σ(T)
        curves share a polymer), and every row names its own by index."""
        columns = [*SYSTEM_COLUMNS, "salt_key"]
        m_unique, m_index = np.unique(self.matrix_fps, axis=0, return_inverse=True)
        x_unique, x_index = np.unique(self.crosslinker_fps, axis=0, return_inverse=True)
        payload = {
            "columns": [*columns, "matrix_fp", "crosslinker_fp"],
            "rows": [
                [*(r[c] for c in columns), int(mi), int(xi)]
                for r, mi, xi in zip(self.rows, m_index.ravel(), x_index.ravel(), strict=True)
            ],
            "citations": self.citations,
        }
        (directory / TABLE_FILE).write_text(json.dumps(payload, separators=(",", ":")), "utf-8")
        np.save(directory / MATRIX_FPS_FILE, m_unique.astype(np.uint8), allow_pickle=False)
        np.save(directory / CROSSLINKER_FPS_FILE, x_unique.astype(np.uint8), allow_pickle=False)
        return {
            "table": TABLE_FILE,
            "matrix_fps": MATRIX_FPS_FILE,
            "crosslinker_fps": CROSSLINKER_FPS_FILE,
            "n_systems": len(self.rows),
            "weights": WEIGHTS,
        }

    @classmethod
    def load(cls, directory: Path, params: dict) -> TrainingSystems:
        """Read what :meth:`save` wrote (files already checked against the manifest)."""
        payload = json.loads((directory / params["table"]).read_text("utf-8"))
        columns = payload["columns"]
        rows = [dict(zip(columns, r, strict=True)) for r in payload["rows"]]
        width = D.FP_BITS // 8
        fps = []
        for key in ("matrix_fps", "crosslinker_fps"):
            unique = np.load(directory / params[key], allow_pickle=False)
            if unique.ndim != 2 or unique.shape[1] != width or unique.dtype != np.uint8:
                raise ValueError(f"{params[key]}: fingerprints of shape {unique.shape}, expected (n, {width}) uint8")
            index = np.array([r.pop(key[:-1]) for r in rows], dtype=np.int64)
            if len(index) and (index.min() < 0 or index.max() >= len(unique)):
                raise ValueError(f"{params[key]}: a system names fingerprint {int(index.max())} of {len(unique)}")
            fps.append(unique[index] if len(index) else np.zeros((0, width), np.uint8))
        return cls(rows=rows, matrix_fps=fps[0], crosslinker_fps=fps[1], citations=dict(payload.get("citations", {})))

    # -- queries ---------------------------------------------------------------------------
    def _query(self, monomer_smiles: str, crosslinker: str) -> tuple[np.ndarray, np.ndarray]:
        key = (monomer_smiles, crosslinker)
        hit = self._query_cache.get(key)
        if hit is None:
            m, x = _blocks(monomer_smiles, crosslinker)
            hit = (_merged_fp(m), _merged_fp(x))
            if len(self._query_cache) >= 4096:  # bounded: a long-running server sees many
                self._query_cache.pop(next(iter(self._query_cache)))
            self._query_cache[key] = hit
        return hit

    def nearest(
        self,
        monomer_smiles: str,
        crosslinker: str | None = None,
        salt: str | None = "LiTFSI",
        temperature_C: float | None = 25.0,
        k: int = DEFAULT_K,
    ) -> list[dict]:
        """The ``k`` most similar systems, most similar first, each with ``similarity``,
        its formulation, the measured σ nearest to ``temperature_C`` (with that point's
        temperature), its window and strength where measured, ``source``, ``record_id``
        and ``reference``. Raises the resolver's :class:`~spepred.errors.SpepredError`
        for a formulation that cannot be read."""
        if not self.rows:
            return []
        qm, qx = self._query(monomer_smiles, crosslinker or "")
        salt_key = canonical_salt_label(salt) if salt else "none"
        score = (
            WEIGHTS["matrix"] * _tanimoto(qm, self.matrix_fps)
            + WEIGHTS["crosslinker"] * _tanimoto(qx, self.crosslinker_fps)
            + WEIGHTS["salt"] * (self._salts == salt_key)
        )
        order = np.argsort(-score, kind="stable")[: max(0, int(k))]
        t_query = 25.0 if temperature_C is None or not math.isfinite(float(temperature_C)) else float(temperature_C)
        out = []
        for i in order:
            r = self.rows[int(i)]
            item = {"similarity": round(float(score[i]), 3)}
            item |= {c: r[c] for c in ("monomer_smiles", "crosslinker", "filler", "filler_wt_pct", "salt",
                                       "salt_molality_mol_kg", "plasticized")}
            temps, sig = r["temperatures_C"], r["log10_sigma_S_cm"]
            if sig:
                j = int(np.argmin([abs(float(t) - t_query) for t in temps]))
                item["temperature_C"], item["log10_sigma_S_cm"] = temps[j], sig[j]
                item["sigma_S_cm"] = 10.0 ** sig[j]
                item["n_sigma_points"] = len(sig)
            else:
                item |= {"temperature_C": None, "log10_sigma_S_cm": None, "sigma_S_cm": None, "n_sigma_points": 0}
            item["esw_V"], item["strength_MPa"] = r["esw_V"], r["strength_MPa"]
            item["source"], item["record_id"] = r["source"], r["record_id"]
            item["reference"] = self.citations.get(r["source"], r["source"])
            out.append(item)
        return out


__all__ = ["TrainingSystems"]

"""Glass transition temperature of a polymer from its repeat unit: one XGBoost model.

Tg is what a chemist reasons with when reading σ(T) (segmental motion, VTF with
T0 ≈ Tg − 50 K), so spepred learns it from the ~6,900 polymers of PolyMetriX
(:mod:`spepred.data.tg`) with the features it already computes for a matrix (the
``matrix`` and ``transport`` blocks of :mod:`spepred.featurize.blocks`: Morgan counts of
the canonical repeat unit, RDKit descriptors, polar groups and chain-flexibility proxies).

What :meth:`TgModel.fit` does, as the σ/window/strength models do in
:mod:`spepred.models.train`:

* K-fold cross-validation grouped by canonical polymer (every spelling of one polymer in
  one fold), with the predict-the-mean baseline on the same folds;
* 90 % split-conformal intervals from the out-of-fold residuals, Mondrian by the query's
  domain similarity (:mod:`spepred.models.intervals`), their coverage measured with each
  fold's widths taken from the other folds' residuals; bounds clipped to the training range;
* a final fit on every polymer, and an applicability domain over its repeat units.

Saved as XGBoost UBJ plus JSON (and two NumPy arrays for the domain), never pickle: see
:meth:`TgModel.save`. ``spepred train`` writes these files into the model bundle
(:mod:`spepred.models.bundle`), and the predictor returns ``Tg_K_pred/lo/hi`` for every
formulation's matrix polymer.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import numpy as np
import pandas as pd

from spepred.chem.resolve import matrix_key
from spepred.data.splits import group_kfold
from spepred.errors import ConfigError, ModelBundleError, RowError, TableValidationError
from spepred.files import sha256_file
from spepred.featurize import FeaturizerConfig, FormulationFeaturizer
from spepred.featurize.formulation import as_text_array
from spepred.models.config import default_n_jobs
from spepred.models.domain import ApplicabilityDomain
from spepred.models.intervals import binned_quantiles, conformal_quantile, interval
from spepred.models.metrics import regression_metrics

LABEL = "Tg_K"
UNIT = "K"
FORMAT_VERSION = 1
#: Repeat-unit blocks only: Tg is a property of the polymer, not of the formulation.
TG_BLOCKS = ("matrix", "transport")
DEFAULT_TG_XGB = {
    "n_estimators": 800,
    "learning_rate": 0.05,
    "max_depth": 7,
    "min_child_weight": 2.0,
    "subsample": 0.8,
    "colsample_bytree": 0.5,
    "reg_lambda": 1.0,
}
_XGB_KEYS = frozenset(
    {"n_estimators", "learning_rate", "max_depth", "min_child_weight", "subsample",
     "colsample_bytree", "reg_lambda", "reg_alpha", "gamma", "max_bin"}
)
#: Files :meth:`TgModel.save` writes (a bundle can hold them beside its own).
MODEL_FILE = "tg_model.ubj"
META_FILE = "tg_model.json"
FPS_FILE = "tg_domain_matrix_fps.npy"
FRAGMENTS_FILE = "tg_domain_fragments.npy"


@dataclass(frozen=True)
class TgConfig:
    """Everything that decides a Tg model (saved with it)."""

    cv_folds: int = 5
    seed: int = 0
    alpha: float = 0.1  # 1 - interval coverage
    featurizer: FeaturizerConfig = field(default_factory=lambda: FeaturizerConfig(blocks=TG_BLOCKS))
    xgb: dict = field(default_factory=lambda: dict(DEFAULT_TG_XGB))
    n_jobs: int = field(default_factory=default_n_jobs)
    domain_min_similarity: float = 0.4
    domain_max_unseen: int = 4

    def __post_init__(self) -> None:
        if self.cv_folds < 2:
            raise ConfigError(f"cv_folds must be >= 2, got {self.cv_folds}")
        if not 0 < self.alpha < 1:
            raise ConfigError(f"alpha must be in (0, 1), got {self.alpha}")
        bad = set(self.xgb) - _XGB_KEYS
        if bad:
            raise ConfigError(f"xgb: unknown parameter(s) {sorted(bad)}; known: {sorted(_XGB_KEYS)}")
        if any(b not in TG_BLOCKS for b in self.featurizer.blocks):
            raise ConfigError(
                f"a Tg model uses repeat-unit blocks only ({list(TG_BLOCKS)}), got {list(self.featurizer.blocks)}"
            )

    def to_dict(self) -> dict:
        d = asdict(self)
        d["featurizer"] = self.featurizer.to_dict()
        return d

    @classmethod
    def from_dict(cls, data: dict) -> TgConfig:
        unknown = set(data) - {f.name for f in fields(cls)}
        if unknown:
            raise ConfigError(f"unknown Tg config key(s): {sorted(unknown)}")
        data = dict(data)
        if "featurizer" in data:
            data["featurizer"] = FeaturizerConfig.from_dict(data["featurizer"])
        return cls(**data)


_sha256 = sha256_file  # the one file hash of spepred


def _keys_table(smiles: np.ndarray) -> dict[str, np.ndarray]:
    """The columns the applicability domain reads, for repeat units alone."""
    return {"monomer_smiles": smiles, "crosslinker": np.full(len(smiles), "none", dtype=object)}


class TgModel:
    """Tg (K) of a polymer from its repeat-unit SMILES, with a 90 % conformal interval.

    Parameters
    ----------
    config
        Folds, seed, coverage, feature layout and XGBoost parameters.

    Attributes (after :meth:`fit` or :meth:`load`)
    ----------------------------------------------
    booster_, feature_names_, domain_, conformal_bins_, conformal_q_, label_range_,
    metrics_, baseline_metrics_, fold_mae_, n_polymers_; after :meth:`fit` also
    ``cv_predictions_`` (one row per training row: fold, measured, out-of-fold prediction
    and interval, mean baseline, domain similarity).
    """

    def __init__(self, config: TgConfig | None = None) -> None:
        self.config = config or TgConfig()

    # -- training -------------------------------------------------------------------
    def _params(self) -> tuple[dict, int]:
        p = dict(self.config.xgb)
        n_rounds = int(p.pop("n_estimators", 500))
        params = {
            "objective": "reg:squarederror",
            "tree_method": "hist",
            "eta": p.pop("learning_rate", 0.05),
            "seed": self.config.seed,
            "nthread": self.config.n_jobs,
            "verbosity": 0,
            **p,
        }
        return params, n_rounds

    def _featurize(self, smiles: np.ndarray, source: str):
        featurizer = FormulationFeaturizer(self.config.featurizer)
        return featurizer, featurizer.transform({"monomer_smiles": smiles}, source=source)

    def fit(
        self,
        smiles: Sequence[str],
        tg_K: Sequence[float],
        *,
        progress: Callable[[str], None] | None = None,
    ) -> TgModel:
        """Cross-validate, calibrate the intervals, then fit on every row.

        ``smiles`` are repeat units (one row per polymer is expected, see
        :func:`spepred.data.tg.merge_tg`; several spellings of one polymer are allowed and
        always share a fold).

        Raises
        ------
        TableValidationError
            Listing every row whose SMILES cannot be featurized or whose Tg is not a
            positive finite number in K (all rows are checked before anything is fitted).
        """
        from spepred.models.train import fit_booster  # training only: load/predict stay light

        smiles = as_text_array(smiles)
        y = np.asarray(tg_K, dtype=float)
        if len(smiles) != len(y):
            raise ConfigError(f"{len(smiles)} SMILES but {len(y)} Tg values")
        featurizer, feats = self._featurize(smiles, "Tg training")
        errors = list(feats.errors)
        bad_y = ~(np.isfinite(y) & (y > 0))
        errors += [
            RowError("Tg training", int(i) + 1, LABEL, y[i], "expected a positive temperature in K")
            for i in np.flatnonzero(bad_y)
        ]
        if errors:
            raise TableValidationError(sorted(errors, key=lambda e: e.row), what="Tg training table")
        keys = np.array([matrix_key(s) for s in smiles], dtype=object)
        k = self.config.cv_folds
        if len(np.unique(keys)) < k:
            raise TableValidationError(
                [RowError("Tg training", "all", "monomer_smiles", len(np.unique(keys)),
                          f"need at least {k} distinct polymers for {k}-fold CV")],
                what="Tg training table",
            )
        X = feats.features
        params, n_rounds = self._params()
        folds = group_kfold(keys, self.config.cv_folds, seed=self.config.seed)
        oof = np.full(len(y), np.nan)
        base = np.full(len(y), np.nan)
        fold_of = np.full(len(y), -1)
        sim = np.full(len(y), np.nan)
        for f, (tr, te) in enumerate(folds):
            booster = fit_booster(X[tr], y[tr], None, params, n_rounds)
            oof[te] = booster.inplace_predict(X[te])
            base[te] = y[tr].mean()
            fold_of[te] = f
            dom = self._domain(smiles[tr])
            sim[te] = dom.score(_keys_table(smiles[te]))["domain_similarity"]
            if progress is not None:
                progress(f"Tg fold {f + 1}/{len(folds)}")
        abs_res = np.abs(oof - y)
        alpha = self.config.alpha
        # coverage measured honestly: a fold's widths come from the other folds' residuals
        lo, hi = np.empty_like(oof), np.empty_like(oof)
        for f in range(len(folds)):
            te = fold_of == f
            q_f = binned_quantiles(abs_res[~te], sim[~te], alpha)
            lo[te], hi[te] = interval(oof[te], sim[te], q_f, q_f["q_all"], (y[~te].min(), y[~te].max()))
        self.conformal_bins_ = binned_quantiles(abs_res, sim, alpha)
        self.conformal_q_ = conformal_quantile(abs_res, alpha)
        self.metrics_ = regression_metrics(y, oof, lo=lo, hi=hi)
        self.baseline_metrics_ = regression_metrics(y, base)
        self.fold_mae_ = [float(abs_res[fold_of == f].mean()) for f in range(len(folds))]
        self.cv_predictions_ = pd.DataFrame(
            {
                "monomer_smiles": smiles,
                "polymer_key": keys,
                "fold": fold_of,
                "Tg_K": y,
                "Tg_K_pred": oof,
                "Tg_K_lo": lo,
                "Tg_K_hi": hi,
                "baseline": base,
                "domain_similarity": sim,
            }
        )
        self.feature_names_ = list(featurizer.feature_names)
        self.booster_ = fit_booster(X, y, self.feature_names_, params, n_rounds)
        self.domain_ = self._domain(smiles)
        self.label_range_ = (float(y.min()), float(y.max()))
        self.n_polymers_ = int(len(np.unique(keys)))
        self.n_rows_ = int(len(y))
        if progress is not None:
            progress("Tg final fit")
        return self

    def _domain(self, smiles: np.ndarray) -> ApplicabilityDomain:
        table = pd.DataFrame(_keys_table(np.unique(smiles)))
        return ApplicabilityDomain.fit(
            table, min_similarity=self.config.domain_min_similarity, max_unseen=self.config.domain_max_unseen
        )

    @property
    def beats_baseline(self) -> bool:
        return self.metrics_["mae"] < self.baseline_metrics_["mae"]

    # -- prediction -----------------------------------------------------------------
    def predict(self, smiles: Sequence[str] | pd.Series) -> pd.DataFrame:
        """One output row per input row, in order (a Series keeps its index).

        Columns: ``monomer_smiles``, ``Tg_K_pred``, ``Tg_K_lo``, ``Tg_K_hi`` (90 %),
        ``domain_similarity``, ``in_domain``, ``status`` (``ok``, or the reason the row
        could not be predicted, naming the value; its numbers are then NaN).
        """
        self._check_fitted()
        index = smiles.index if isinstance(smiles, pd.Series) else None
        text = as_text_array(smiles)
        _, feats = self._featurize(text, "input")
        status = np.full(len(text), "ok", dtype=object)
        for e in feats.errors:
            if status[e.row - 1] == "ok":
                status[e.row - 1] = e.reason
        pred = np.full(len(text), np.nan)
        ok = feats.ok
        if ok.any():
            pred[ok] = self.booster_.inplace_predict(feats.features[ok])
        dom = self.domain_.score(_keys_table(text))
        sim = np.where(ok, dom["domain_similarity"], np.nan)
        lo, hi = interval(pred, sim, self.conformal_bins_, self.conformal_q_, self.label_range_)
        return pd.DataFrame(
            {
                "monomer_smiles": text,
                f"{LABEL}_pred": pred,
                f"{LABEL}_lo": np.where(ok, lo, np.nan),
                f"{LABEL}_hi": np.where(ok, hi, np.nan),
                "domain_similarity": sim,
                "in_domain": dom["in_domain"] & ok,
                "status": status,
            },
            index=index,
        )

    def _check_fitted(self) -> None:
        if not hasattr(self, "booster_"):
            raise ModelBundleError("this Tg model is not fitted: call fit() or TgModel.load()")

    # -- persistence (XGBoost UBJ + JSON + NumPy, no pickle) ---------------------------
    def save(self, directory: str | Path) -> Path:
        """Write :data:`MODEL_FILE`, :data:`META_FILE` and the two domain arrays into
        ``directory`` (created if needed; other files there are left alone, so a model
        bundle can carry them). The JSON records the SHA-256 of the other three files,
        which :meth:`load` checks."""
        self._check_fitted()
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        self.booster_.save_model(str(directory / MODEL_FILE))
        np.save(directory / FPS_FILE, self.domain_.matrix_fps, allow_pickle=False)
        np.save(directory / FRAGMENTS_FILE, self.domain_.fragments, allow_pickle=False)
        meta = {
            "format_version": FORMAT_VERSION,
            "label": LABEL,
            "unit": UNIT,
            "config": self.config.to_dict(),
            "feature_names": self.feature_names_,
            "conformal_q": self.conformal_q_,
            "conformal_bins": self.conformal_bins_,
            "label_range": list(self.label_range_),
            "metrics": self.metrics_,
            "baseline_metrics": self.baseline_metrics_,
            "fold_mae": self.fold_mae_,
            "n_polymers": self.n_polymers_,
            "n_rows": self.n_rows_,
            "domain": {
                "min_similarity": self.domain_.min_similarity,
                "max_unseen": self.domain_.max_unseen,
                "known_components": sorted(self.domain_.known_components or ()),
            },
            "files": {f: _sha256(directory / f) for f in (MODEL_FILE, FPS_FILE, FRAGMENTS_FILE)},
        }
        (directory / META_FILE).write_text(json.dumps(meta, indent=1, sort_keys=True), "utf-8")
        return directory

    @classmethod
    def load(cls, directory: str | Path) -> TgModel:
        """Load what :meth:`save` wrote; refuse a missing, altered or foreign file.

        Raises
        ------
        ModelBundleError
            No model there; a file that fails its SHA-256; a format or feature layout that
            this spepred does not compute.
        """
        from spepred.models.xgb_native import load_booster

        directory = Path(directory)
        meta_path = directory / META_FILE
        try:
            meta = json.loads(meta_path.read_text("utf-8"))
            files = dict(meta["files"])
        except FileNotFoundError:
            raise ModelBundleError(f"no Tg model at {directory} (no {META_FILE})") from None
        except (OSError, ValueError, KeyError, TypeError):
            raise ModelBundleError(f"{meta_path} is corrupted (not a Tg model description)") from None
        if meta.get("format_version") != FORMAT_VERSION:
            raise ModelBundleError(
                f"{directory}: Tg model format {meta.get('format_version')!r} is not supported (expected {FORMAT_VERSION})"
            )
        for name in (MODEL_FILE, FPS_FILE, FRAGMENTS_FILE):
            path = directory / name
            if not path.is_file():
                raise ModelBundleError(f"{directory}: {name} is missing")
            if files.get(name) != _sha256(path):
                raise ModelBundleError(
                    f"{directory}: {name} fails its SHA-256 check: the file is truncated or was modified; refusing to load"
                )
        model = cls(TgConfig.from_dict(meta["config"]))
        computed = FormulationFeaturizer(model.config.featurizer).feature_names
        if computed != meta["feature_names"]:
            raise ModelBundleError(
                f"{directory}: the Tg model's feature layout ({len(meta['feature_names'])} features) differs "
                f"from what this spepred computes ({len(computed)}); retrain it"
            )
        try:
            fps = np.load(directory / FPS_FILE, allow_pickle=False)
            frags = np.load(directory / FRAGMENTS_FILE, allow_pickle=False)
        except (ValueError, OSError) as err:
            raise ModelBundleError(f"{directory}: Tg domain arrays cannot be loaded ({err})") from None
        dom = meta["domain"]
        model.domain_ = ApplicabilityDomain(
            matrix_fps=fps,
            crosslinker_fps=np.zeros((0, fps.shape[1] if fps.ndim == 2 else 256), dtype=np.uint8),
            fragments=frags,
            min_similarity=float(dom["min_similarity"]),
            max_unseen=int(dom["max_unseen"]),
            known_components=frozenset(dom["known_components"]),
        )
        model.booster_ = load_booster(directory / MODEL_FILE)
        model.feature_names_ = list(meta["feature_names"])
        model.conformal_q_ = float(meta["conformal_q"])
        model.conformal_bins_ = meta["conformal_bins"]
        model.label_range_ = tuple(float(v) for v in meta["label_range"])
        model.metrics_ = meta["metrics"]
        model.baseline_metrics_ = meta["baseline_metrics"]
        model.fold_mae_ = meta["fold_mae"]
        model.n_polymers_ = int(meta["n_polymers"])
        model.n_rows_ = int(meta["n_rows"])
        return model


"""A message-passing network (Chemprop 2, D-MPNN) for σ on the published polymer split.

The issue's last untried push: Bradford et al. reached their best σ model (ChemArr) with
Chemprop on the polymer and salt graphs and an Arrhenius output. This script trains that
form on the same folds as ``bradford_split.py``: a two-component D-MPNN (the polymer repeat
unit lengthened to >= 30 heavy atoms and capped with carbon, as in their recipe; the salt, or
[Li+] for single-ion polymers) plus log10(Mw) and molality embed each formulation.
``--head arrhenius`` (default) turns the embedding into a and b and predicts every
temperature of the σ(T) curve as log10 σ = a - softplus(b) (1000/T - 1000/T_ref);
``--head free`` gives an MLP the embedding and 1000/T of each point, with no physical form.
Training goes by curve (one graph pair per curve, its points in masked, padded slots), so a
formulation is encoded once per epoch, not once per temperature. Bradford rows only: the
review's 23 crosslinked rows never test on this split. Each fold's validation polymers
(which never train, as in the published recipe) choose the epoch.

Optional: needs ``pip install -e '.[mpnn]'`` (chemprop, torch CPU). Not part of the default
model: it is an experiment whose table goes to docs/benchmarks/sigma_mpnn.txt.

Run: SPEPRED_DATA_MIRROR=../shared/data python benchmarks/sigma_mpnn.py [--epochs 30] [--head free] [--folds 2,8]
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time

import numpy as np
import pandas as pd
from _bench import Clock, finish, header, load_rows, parser

T_REF_K = 333.15  # centre of the 1000/T axis (60 °C), so a is log10 σ there


def _inputs(rows: pd.DataFrame, raw: pd.DataFrame, lengthen: bool = True):
    """Polymer and salt SMILES, log10 Mw, molality, 1000/T and log10 σ of every Bradford
    row, filled as the anchor recipe fills them (:mod:`anchor`)."""
    from rdkit import Chem

    from spepred.chem import descriptors as D
    from spepred.chem.mol import parse_smiles
    from anchor import ANCHOR_MIN_HEAVY, ANCHOR_MW_FILL_G_MOL, SINGLE_ION_SALT
    from evaluation import upstream_smiles

    is_b = pd.notna(upstream_smiles(rows, raw))
    r = raw.iloc[rows.loc[is_b, "record_id"].str.split(":").str[1].astype(int)].reset_index(drop=True)
    graph = {}
    for s in r["smiles"].unique():
        unit = s.replace("[Cu]", "[*]").replace("[Au]", "[*]")
        graph[s] = Chem.MolToSmiles(D.long_chain(unit, ANCHOR_MIN_HEAVY) if lengthen else parse_smiles(unit))
    return pd.DataFrame(
        {
            "row": np.flatnonzero(is_b),
            "curve_id": rows["curve_id"].to_numpy()[is_b],
            "poly": r["smiles"].map(graph).to_numpy(),
            "salt": r["salt smiles"].fillna(SINGLE_ION_SALT).to_numpy(),
            "log_mw": np.log10(r["mw"].fillna(ANCHOR_MW_FILL_G_MOL).to_numpy(float)),
            "molality": r["molality"].fillna(0).to_numpy(float),
            "inv_t": 1000.0 / (r["temperature"].to_numpy(float) + 273.15),
            "y": r["conductivity"].to_numpy(float),
        }
    )


class Curves:
    """The rows of one split part folded into σ(T) curves: one graph pair per curve, its
    temperatures and σ values padded to ``width`` slots (NaN targets are masked)."""

    def __init__(self, part: pd.DataFrame, width: int) -> None:
        g = part.groupby("curve_id", sort=False)
        self.first = g.head(1).reset_index(drop=True)
        self.slot = g.cumcount().to_numpy()
        code = {c: i for i, c in enumerate(self.first["curve_id"])}
        self.curve = part["curve_id"].map(code).to_numpy()
        self.inv_t = np.zeros((len(self.first), width), np.float32)
        self.y = np.full((len(self.first), width), np.nan, np.float32)
        self.inv_t[self.curve, self.slot] = part["inv_t"].to_numpy()
        self.y[self.curve, self.slot] = part["y"].to_numpy()

    def dataset(self, comp_mean, comp_sd, y_mean=0.0, y_sd=1.0):
        from chemprop import data, featurizers

        feat = featurizers.SimpleMoleculeMolGraphFeaturizer()
        comp = (self.first[["log_mw", "molality"]].to_numpy(np.float32) - comp_mean) / comp_sd
        xd = np.hstack([comp, self.inv_t]).astype(np.float32)
        y = (self.y - y_mean) / y_sd
        d0 = [data.MoleculeDatapoint.from_smi(p, yy, x_d=x) for p, yy, x in zip(self.first["poly"], y, xd)]
        d1 = [data.MoleculeDatapoint.from_smi(s) for s in self.first["salt"]]
        sets = [data.MoleculeDataset(d0, feat), data.MoleculeDataset(d1, feat)]
        for d in sets:
            d.cache = True
        return data.MulticomponentDataset(sets)


def _model(args, y_mean: float, y_sd: float):
    import torch
    from chemprop import models, nn

    mp = nn.MulticomponentMessagePassing(
        blocks=[nn.BondMessagePassing(d_h=args.hidden, depth=args.depth, dropout=args.dropout) for _ in range(2)],
        n_components=2,
    )
    d_graph = mp.output_dim
    inv_t_ref = 1000.0 / T_REF_K

    class CurveFFN(nn.RegressionFFN):
        """Reads each curve's graph embedding, log10 Mw and molality once and predicts
        log10 σ at each of its temperature slots (``Z[:, d_graph + 2:]`` holds 1000/T)."""

        def forward(self, Z):  # prediction: log10 σ per slot
            return self._log_sigma(Z[:, : d_graph + 2], Z[:, d_graph + 2 :] - inv_t_ref)

        def train_step(self, Z):  # loss: in the targets' standardized units
            return (self.forward(Z) - y_mean) / y_sd

    class ArrheniusFFN(CurveFFN):
        """(a, b) per curve; log10 σ_k = a - softplus(b) (1000/T_k - 1000/T_ref): σ rises
        with T by construction, as in ChemArr."""

        def _log_sigma(self, H, x):
            ab = self.ffn(H)
            return ab[:, :1] * y_sd + y_mean - torch.nn.functional.softplus(ab[:, 1:2]) * x

    class FreeFFN(CurveFFN):
        """No physical form: the network sees (embedding, 1000/T_k - 1000/T_ref) per slot."""

        def _log_sigma(self, H, x):
            b, k = x.shape
            inp = torch.cat([H.unsqueeze(1).expand(b, k, H.shape[1]), x.unsqueeze(-1)], dim=-1)
            return self.ffn(inp.reshape(b * k, -1)).reshape(b, k) * y_sd + y_mean

    arrhenius = args.head == "arrhenius"
    ffn = (ArrheniusFFN if arrhenius else FreeFFN)(
        n_tasks=2 if arrhenius else 1,
        input_dim=d_graph + (2 if arrhenius else 3),
        hidden_dim=args.ffn_hidden,
        n_layers=args.ffn_layers,
        dropout=args.dropout,
        criterion=nn.metrics.MSE(),
    )
    return models.MulticomponentMPNN(mp, nn.MeanAggregation(), ffn, metrics=[nn.metrics.MSE()])


def _fit_predict(args, train: pd.DataFrame, val: pd.DataFrame, test: pd.DataFrame, clock) -> np.ndarray:
    """Train on ``train``'s curves, pick the epoch on ``val``'s, predict ``test``'s rows."""
    import lightning.pytorch as pl
    import torch
    from chemprop import data

    width = int(max(p.groupby("curve_id").size().max() for p in (train, val, test)))
    ctr, cva, cte = Curves(train, width), Curves(val, width), Curves(test, width)
    comp = ctr.first[["log_mw", "molality"]].to_numpy(np.float32)
    cm, cs = comp.mean(0), comp.std(0) + 1e-6
    ym, ys = float(train["y"].mean()), float(train["y"].std())
    dtr, dva, dte = ctr.dataset(cm, cs, ym, ys), cva.dataset(cm, cs, ym, ys), cte.dataset(cm, cs)
    model = _model(args, ym, ys)
    tl = data.build_dataloader(dtr, batch_size=args.batch_size, seed=args.seed, num_workers=0)
    vl = data.build_dataloader(dva, batch_size=256, shuffle=False, num_workers=0)
    te = data.build_dataloader(dte, batch_size=256, shuffle=False, num_workers=0)

    class EpochLog(pl.Callback):
        def on_validation_epoch_end(self, trainer, _module):
            if not trainer.sanity_checking and args.verbose:
                clock(f"  epoch {trainer.current_epoch}: val_loss {float(trainer.callback_metrics['val_loss']):.3f}")

    ckpt_dir = tempfile.mkdtemp(prefix="spepred-mpnn-")
    ckpt = pl.callbacks.ModelCheckpoint(dirpath=ckpt_dir, monitor="val_loss", mode="min", save_top_k=1)
    trainer = pl.Trainer(
        max_epochs=args.epochs,
        accelerator="cpu",
        devices=1,
        logger=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        callbacks=[ckpt, EpochLog()],
    )
    trainer.fit(model, tl, vl)
    model.load_state_dict(torch.load(ckpt.best_model_path, weights_only=False)["state_dict"])
    shutil.rmtree(ckpt_dir, ignore_errors=True)
    slots = torch.cat(trainer.predict(model, te)).numpy()
    clock(f"  best epoch by validation: val_loss {float(ckpt.best_model_score):.3f} (standardized MSE)")
    return slots[cte.curve, cte.slot]


def main() -> None:
    ap = parser(__doc__)
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--hidden", type=int, default=300, help="message size (Bradford: 2300)")
    ap.add_argument("--depth", type=int, default=3)
    ap.add_argument("--ffn-hidden", type=int, default=300)
    ap.add_argument("--ffn-layers", type=int, default=2)
    ap.add_argument("--dropout", type=float, default=0.15)
    ap.add_argument("--batch-size", type=int, default=32, help="curves per batch")
    ap.add_argument(
        "--head",
        choices=("arrhenius", "free"),
        default="arrhenius",
        help="arrhenius: a and b per curve (ChemArr's form); free: an MLP of the embedding and 1000/T per point",
    )
    ap.add_argument("--repeat-unit", action="store_true", help="graph of the repeat unit with its * ends instead of the >= 30-atom capped chain")
    ap.add_argument("--folds", default="", help="comma-separated fold numbers t to run (default all ten)")
    ap.add_argument("--verbose", action="store_true", help="print every epoch's validation loss")
    args = ap.parse_args()

    try:
        import chemprop  # noqa: F401
        import lightning.pytorch as pl
        import torch
    except ImportError as exc:
        sys.exit(f"sigma_mpnn.py needs Chemprop 2 ({exc}): pip install torch==2.13.0 && pip install -e '.[mpnn]'")

    from evaluation import fold_mae, format_table, published_folds, summarize

    torch.set_num_threads(args.n_jobs)
    pl.seed_everything(args.seed, workers=True)
    clock = Clock()
    _table, rows, raw, card = load_rows()
    folds = published_folds(rows, raw)
    if args.folds:
        keep = {f"t={x}" for x in args.folds.split(",")}
        folds = [f for f in folds if f.name in keep]
    inputs = _inputs(rows, raw, lengthen=not args.repeat_unit)
    pos = np.full(len(rows), -1)
    pos[inputs["row"].to_numpy()] = np.arange(len(inputs))
    label = "Chemprop D-MPNN, " + ("Arrhenius head" if args.head == "arrhenius" else "free T head")
    out = []
    for f in folds:
        tr = pos[f.train][pos[f.train] >= 0]
        te = pos[f.test]
        va = np.setdiff1d(np.arange(len(inputs)), np.concatenate([tr, te]))
        train, val, test = (inputs.iloc[ix].reset_index(drop=True) for ix in (tr, va, te))
        clock(
            f"fold {f.name}: {len(tr)} train rows ({train['curve_id'].nunique()} curves), "
            f"{len(va)} validation, {len(te)} test rows"
        )
        p = _fit_predict(args, train, val, test, clock)
        for model, pr in (("mean baseline", np.full(len(te), train["y"].mean())), (label, p)):
            out.append(
                test[["row", "curve_id"]].assign(
                    record_id=rows["record_id"].to_numpy()[test["row"].to_numpy()],
                    fold=f.name, model=model, y_true=test["y"], y_pred=pr, y_lo=np.nan, y_hi=np.nan
                )
            )
        done = pd.concat(out)
        mae = (done["y_true"] - done["y_pred"]).abs().groupby(done["model"]).mean()
        clock(f"fold {f.name} MAE {np.abs(p - test['y']).mean():.3f}; so far " + ", ".join(f"{k} {v:.3f}" for k, v in mae.items()))
    preds = pd.concat(out, ignore_index=True)
    summary = summarize(preds)
    name = "sigma_mpnn" if args.head == "arrhenius" else f"sigma_mpnn_{args.head}"
    lines = [
        header(name),
        f"Published polymer split, {len(folds)} folds, {len(preds) // 2} test rows (Bradford rows only); Chemprop "
        f"D-MPNN on polymer ({'repeat unit' if args.repeat_unit else '>= 30 heavy atoms, capped'}) and salt graphs, "
        f"hidden {args.hidden}, depth {args.depth}, FFN {args.ffn_layers}x{args.ffn_hidden}, dropout {args.dropout}, "
        f"{args.batch_size} curves per batch, <= {args.epochs} epochs (the best on the fold's validation polymers), "
        f"seed {args.seed}; {label.split(', ')[1]}. Compare with bradford_split.txt (same folds).",
        "",
        format_table(summary),
        "",
        "MAE per fold (log10 S/cm)",
        format_table(fold_mae(preds).reset_index()),
        "",
        f"total {time.perf_counter() - clock.t0:.0f} s",
    ]
    metrics = {f"mpnn.{m}": float(summary[m].iloc[-1]) for m in ("mae", "rmse", "r2", "spearman")}
    csv = args.out / f"{name}_predictions.csv"
    args.out.mkdir(parents=True, exist_ok=True)
    preds.to_csv(csv, index=False)
    params = {k: v for k, v in vars(args).items() if k not in ("out", "tracking_uri")} | {"data_hash": card.data_hash}
    finish(name, "\n".join(lines), args, params=params, metrics=metrics, files=[csv])


if __name__ == "__main__":
    main()

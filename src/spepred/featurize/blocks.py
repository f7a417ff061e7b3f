"""Feature blocks: each turns one kind of building block into named numbers.

A *keyed* block computes a vector per distinct value of its key columns (the matrix SMILES,
the crosslinker, the filler, the salt); the formulation featurizer computes each distinct
value once and gathers rows by index, so a million rows from a few hundred building blocks
cost a few hundred computations. A *row* block (conditions) is vectorized over rows.

Missing stays missing: a descriptor that does not apply is NaN (XGBoost routes NaN), and
where a default stands in for a value a flag feature says so.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from spepred.chem import descriptors as D
from spepred.chem.dictionary import CROSSLINK_TYPES, FILLER_CLASSES, LIQUID_CLASSES, PHYSICAL_TYPES
from spepred.chem.resolve import (
    is_none,
    resolve_crosslinkers,
    resolve_fillers,
    resolve_liquids,
    resolve_matrix,
    resolve_salt,
)

REACTIVE_GROUPS = (
    "acrylate",
    "methacrylate",
    "vinyl",
    "allyl",
    "acrylamide",
    "epoxide",
    "cyclic_ether",
    "isocyanate",
    "thiol",
    "hydroxyl",
    "amine",
    "carboxylic_acid",
    "aldehyde",
    "metal_ion",
    "other",
)
CROSSLINK_TYPE_VALUES = (*CROSSLINK_TYPES, "none")


class KeyedBlock:
    """Base class: a block computed once per distinct key."""

    name: str = ""
    key_columns: tuple[str, ...] = ()

    def __init__(self, config) -> None:
        self.config = config
        self.feature_names: list[str] = [f"{self.name}.{n}" for n in self._names()]

    def __len__(self) -> int:
        return len(self.feature_names)

    def _names(self) -> Sequence[str]:
        raise NotImplementedError

    def compute(self, *key: str) -> np.ndarray:
        """Feature vector (float32) for one distinct key; raises SpepredError on bad input."""
        raise NotImplementedError


class MatrixBlock(KeyedBlock):
    """Matrix: folded Morgan counts and RDKit 2D descriptors, averaged over components."""

    name = "matrix"
    key_columns = ("monomer_smiles",)

    def _names(self) -> Sequence[str]:
        size = self.config.morgan_size
        return [
            *(f"morgan_r{self.config.morgan_radius}_{i:04d}" for i in range(size)),
            *D.GENERAL_NAMES,
            "n_components",
        ]

    def compute(self, monomer_smiles: str) -> np.ndarray:
        comps = resolve_matrix(monomer_smiles)
        r, size = self.config.morgan_radius, self.config.morgan_size
        fp = np.mean([D.morgan_counts(c.smiles, r, size) for c in comps], axis=0)
        gen = np.mean([D.general_descriptors(c.smiles) for c in comps], axis=0)
        return np.concatenate([fp, gen, [len(comps)]]).astype(np.float32)


class TransportBlock(KeyedBlock):
    """Li+-transport chemistry: coordinating and other groups per unit and per heavy atom,
    chain-flexibility proxies; averaged over matrix components."""

    name = "transport"
    key_columns = ("monomer_smiles",)

    def _names(self) -> Sequence[str]:
        return [
            *(f"{g}_per_unit" for g in D.GROUP_NAMES),
            *(f"{g}_per_heavy_atom" for g in D.GROUP_NAMES),
            "coordinating_sites_per_heavy_atom",
            *D.BACKBONE_NAMES,
        ]

    _COORDINATING = ("ether_O", "carbonyl", "nitrile", "CF", "hydroxyl", "amine", "sulfonyl")

    def compute(self, monomer_smiles: str) -> np.ndarray:
        comps = resolve_matrix(monomer_smiles)
        counts = np.array([D.group_counts(c.smiles) for c in comps], dtype=np.float64)
        heavy = np.array(
            [max(D.general_descriptors(c.smiles)[0], 1.0) for c in comps], dtype=np.float64
        )
        density = counts / heavy[:, None]
        idx = [D.GROUP_NAMES.index(g) for g in self._COORDINATING]
        coord = density[:, idx].sum(axis=1)
        backbone = np.array([D.backbone_descriptors(c.smiles) for c in comps], dtype=np.float64)
        with np.errstate(invalid="ignore"):
            bb = np.array(
                [
                    np.nanmean(col) if np.isfinite(col).any() else np.nan
                    for col in backbone.T
                ]
            )
        return np.concatenate(
            [counts.mean(axis=0), density.mean(axis=0), [coord.mean()], bb]
        ).astype(np.float32)


class CrosslinkerBlock(KeyedBlock):
    """Crosslinker, identity-free: reactive group, functionality, size between reactive
    groups, flexibility and polarity of the reacted form; crosslink class and type."""

    name = "crosslinker"
    key_columns = ("crosslinker", "crosslink_type")

    def _names(self) -> Sequence[str]:
        return [
            "n_crosslinkers",
            "functionality_total",
            "functionality_max",
            *(f"group_{g}" for g in REACTIVE_GROUPS),
            "reacted_heavy_atoms",
            "reacted_mw_g_mol",
            "mw_per_reactive_group_g_mol",
            "reacted_rotatable_bond_frac",
            "reacted_ether_O_per_heavy_atom",
            "reacted_CF_per_heavy_atom",
            "inorganic_node",
            "class_physical",
            "class_chemical",
            "class_none",
            *(f"type_{t}" for t in CROSSLINK_TYPE_VALUES),
        ]

    def compute(self, crosslinker: str, crosslink_type: str) -> np.ndarray:
        comps = resolve_crosslinkers(crosslinker)
        n = len(comps)
        funcs = [c.functionality for c in comps if c.functionality is not None]
        groups = np.zeros(len(REACTIVE_GROUPS))
        for c in comps:
            g = c.reactive_group if c.reactive_group in REACTIVE_GROUPS else "other"
            if c.reactive_group not in ("none", ""):
                groups[REACTIVE_GROUPS.index(g)] = 1.0
        structured = [c for c in comps if c.reacted_smiles]
        if structured:
            gens = np.array([D.general_descriptors(c.reacted_smiles) for c in structured])
            cnts = np.array([D.group_counts(c.reacted_smiles) for c in structured])
            heavy = np.maximum(gens[:, 0], 1.0)
            mw = gens[:, 1]
            f = np.array([c.functionality or math.nan for c in structured])
            with np.errstate(invalid="ignore", divide="ignore"):
                per_group = np.nanmean(mw / f) if np.isfinite(f).any() else math.nan
            desc = [
                heavy.mean(),
                mw.mean(),
                per_group,
                gens[:, D.GENERAL_NAMES.index("rotatable_bond_frac")].mean(),
                (cnts[:, D.GROUP_NAMES.index("ether_O")] / heavy).mean(),
                (cnts[:, D.GROUP_NAMES.index("CF")] / heavy).mean(),
            ]
        else:
            desc = [math.nan] * 6
        inorganic = float(any(not c.reacted_smiles for c in comps))
        ctype = crosslink_type if crosslink_type in CROSSLINK_TYPE_VALUES else "none"
        klass = (
            "none" if ctype == "none" else "physical" if ctype in PHYSICAL_TYPES else "chemical"
        )
        type_onehot = [float(ctype == t) for t in CROSSLINK_TYPE_VALUES]
        return np.array(
            [
                n,
                float(sum(funcs)) if funcs else (0.0 if n == 0 else math.nan),
                float(max(funcs)) if funcs else (0.0 if n == 0 else math.nan),
                *groups,
                *desc,
                inorganic,
                float(klass == "physical"),
                float(klass == "chemical"),
                float(klass == "none"),
                *type_onehot,
            ],
            dtype=np.float32,
        )


class FillerBlock(KeyedBlock):
    """Filler class one-hot (several fillers: several ones) and count."""

    name = "filler"
    key_columns = ("filler",)

    def _names(self) -> Sequence[str]:
        return ["n_fillers", *(f"class_{c}" for c in FILLER_CLASSES), "class_none"]

    def compute(self, filler: str) -> np.ndarray:
        comps = resolve_fillers(filler)
        onehot = [float(any(c.filler_class == k for c in comps)) for k in FILLER_CLASSES]
        return np.array([len(comps), *onehot, float(not comps)], dtype=np.float32)


class SaltBlock(KeyedBlock):
    """Lithium salt: anion size, fluorination, charge delocalization; ``none`` flag."""

    name = "salt"
    key_columns = ("salt",)

    def _names(self) -> Sequence[str]:
        return [*D.ANION_NAMES, "none"]

    def compute(self, salt: str) -> np.ndarray:
        comp = resolve_salt(salt)
        if comp is None:
            return np.array([math.nan] * len(D.ANION_NAMES) + [1.0], dtype=np.float32)
        return np.array([*D.anion_descriptors(comp.smiles), 0.0], dtype=np.float32)


class OxidationBlock(KeyedBlock):
    """Oxidation chemistry of the whole network, for the electrochemical window (and the
    strength): how much of it is ether, carbonate, ester, nitrile, fluorinated carbon,
    amide / urethane / urea, hydroxyl, acid, amine, sulfonyl and aromatic ring.

    Anodic stability is set by the most easily oxidized groups of everything the electrode
    touches, so the matrix components *and* the reacted crosslinkers are pooled (the
    transport block describes the matrix alone): each group's count per heavy atom, averaged
    over the components. Ethers and hydroxyls oxidize first (PEO near 3.8-4 V), nitriles,
    carbonates and C-F bonds last. Identity-free on purpose: a window model with ~100 labels
    cannot afford fingerprints.
    """

    name = "oxidation"
    key_columns = ("monomer_smiles", "crosslinker")
    GROUPS = (
        "ether_O",
        "ethylene_oxide",
        "carbonate",
        "ester",
        "nitrile",
        "CF",
        "urethane",
        "urea",
        "amide",
        "hydroxyl",
        "carboxylic_acid",
        "amine",
        "sulfonyl",
    )

    def _names(self) -> Sequence[str]:
        return [*(f"{g}_per_heavy_atom" for g in self.GROUPS), "aromatic_atom_frac", "crosslinker_heavy_atom_frac"]

    def compute(self, monomer_smiles: str, crosslinker: str) -> np.ndarray:
        units = [c.smiles for c in resolve_matrix(monomer_smiles)]
        reacted = [c.reacted_smiles for c in resolve_crosslinkers(crosslinker) if c.reacted_smiles]
        smiles = units + reacted
        counts = np.array([D.group_counts(s) for s in smiles], dtype=np.float64)
        general = np.array([D.general_descriptors(s) for s in smiles], dtype=np.float64)
        heavy = np.maximum(general[:, D.GENERAL_NAMES.index("heavy_atoms")], 1.0)
        idx = [D.GROUP_NAMES.index(g) for g in self.GROUPS]
        density = (counts[:, idx] / heavy[:, None]).mean(axis=0)
        aromatic = general[:, D.GENERAL_NAMES.index("aromatic_atom_frac")].mean()
        # how much of the pooled network the crosslinkers make up (0 without one)
        xl_frac = heavy[len(units):].sum() / heavy.sum()
        return np.array([*density, aromatic, xl_frac], dtype=np.float32)


#: Descriptors of a liquid component, averaged over the liquids of a row that have a structure.
_LIQUID_GROUPS = ("carbonyl", "carbonate", "ester", "ether_O", "nitrile", "sulfonyl", "CF", "hydroxyl", "amide")


def liquid_class_of(smiles: str) -> str:
    """The class (:data:`LIQUID_CLASSES`) of a liquid drawn as a SMILES and not named in the
    dictionary: ionic (charged fragments) first, then the most polar group it carries."""
    counts = dict(zip(D.GROUP_NAMES, D.group_counts(smiles), strict=True))
    if "+" in smiles:
        return "ionic_liquid"
    for group, klass in (("carbonate", "carbonate"), ("nitrile", "nitrile"), ("sulfonyl", "sulfone"),
                         ("amide", "amide"), ("ester", "ester"), ("ether_O", "ether")):
        if counts[group] > 0:
            return klass
    return "other"


class LiquidBlock(KeyedBlock):
    """Liquid components of a gel (``liquids``: dictionary names or SMILES, several with
    ``;``): how many, the share of each class (carbonate, ether, nitrile, ionic liquid, ...,
    ``unspecified`` for a liquid electrolyte the source does not name), and the mean size
    and polar groups of those with a structure (the groups that solvate Li+ and set the
    dielectric constant). A table without the column reads as no liquid; ``plasticized``
    still says one is present."""

    name = "liquid"
    key_columns = ("liquids",)

    def _names(self) -> Sequence[str]:
        return [
            "n_liquids",
            *(f"class_{c}" for c in LIQUID_CLASSES),
            "mw_g_mol",
            "heavy_atoms",
            "ionic",
            *(f"{g}_per_heavy_atom" for g in _LIQUID_GROUPS),
            "logp_per_heavy_atom",
        ]

    def compute(self, liquids: str) -> np.ndarray:
        n_desc = len(self) - 1 - len(LIQUID_CLASSES)
        # NaN: a source row without the column (the review's), read as no liquid
        comps = () if liquids.strip().casefold() == "nan" else resolve_liquids(liquids)
        if not comps:
            return np.array([0.0, *([0.0] * len(LIQUID_CLASSES)), *([math.nan] * n_desc)], dtype=np.float32)
        kinds = [
            c.liquid_class if c.liquid_class in LIQUID_CLASSES else liquid_class_of(c.smiles) if c.smiles else "unspecified"
            for c in comps
        ]
        classes = np.array([[float(k == c) for c in LIQUID_CLASSES] for k in kinds]).mean(axis=0)
        drawn = [c.smiles for c in comps if c.smiles]
        if drawn:
            gens = np.array([D.general_descriptors(smi) for smi in drawn])
            cnts = np.array([D.group_counts(smi) for smi in drawn])
            heavy = np.maximum(gens[:, 0], 1.0)
            idx = [D.GROUP_NAMES.index(g) for g in _LIQUID_GROUPS]
            desc = [
                gens[:, 1].mean(),
                heavy.mean(),
                float(np.mean(["+" in smi for smi in drawn])),
                *(cnts[:, idx] / heavy[:, None]).mean(axis=0),
                gens[:, D.GENERAL_NAMES.index("logp_per_heavy_atom")].mean(),
            ]
        else:
            desc = [math.nan] * n_desc
        return np.array([len(comps), *classes, *desc], dtype=np.float32)


class RowBlock:
    """Base class: a block computed per row (vectorized), not per distinct key."""

    name: str = ""
    feature_names: list[str] = []

    def __init__(self, config) -> None:
        self.config = config

    def __len__(self) -> int:
        return len(self.feature_names)


class ConditionsBlock(RowBlock):
    """Row-level conditions: temperature, 1000/T, molality, log10 Mw, plasticizer, loading."""

    name = "conditions"
    feature_names = [
        "conditions.temperature_C",
        "conditions.inv_temperature_1000_per_K",
        "conditions.salt_molality_mol_kg",
        "conditions.log10_mw_g_mol",
        "conditions.plasticized",
        "conditions.filler_wt_pct",
    ]

    def compute_rows(self, table) -> np.ndarray:
        """``table``: a DataFrame or a mapping of column name -> array."""
        t = np.asarray(table["temperature_C"], dtype=np.float64)
        mw = np.asarray(table["mw_g_mol"], dtype=np.float64)
        with np.errstate(divide="ignore", invalid="ignore"):
            log_mw = np.log10(mw)
        fillers = np.asarray(table["filler"], dtype=object)
        codes, uniques = pd.factorize(fillers)
        none_of = np.array([is_none(u) for u in uniques] + [True], dtype=bool)
        no_filler = none_of[codes]
        loading = np.array(table["filler_wt_pct"], dtype=np.float64)
        loading[no_filler] = 0.0  # no filler is a true zero loading, not a missing one
        # rows already refused by validation may hold absurd values (1e308 °C); their
        # features are never used, so overflow to inf in float32 is not worth a warning
        with np.errstate(over="ignore"):
            return np.column_stack(
                [
                    t,
                    1000.0 / (t + 273.15),
                    np.asarray(table["salt_molality_mol_kg"], dtype=np.float64),
                    log_mw,
                    np.asarray(table["plasticized"], dtype=np.float64),
                    loading,
                ]
            ).astype(np.float32)


class CoordinationBlock(RowBlock):
    """Salt per Li+-coordinating site, per row: how crowded the solvating groups are.

    Derived from the molality and the matrix: Li+ per repeat unit = molality × repeat-unit
    mass / 1000, divided by the coordinating groups of the unit (ether O, carbonyl,
    nitrile, hydroxyl, amine, sulfonyl; NaN when it has none) and by its heavy atoms
    (a concentration that does not depend on which groups count). NaN without a molality.
    Kept because it helped on both grouped splits (``benchmarks/sigma_ablation.py``).
    """

    name = "coordination"
    derived = True  # computed from the other blocks' features, after them
    feature_names = ["coordination.li_per_coordinating_site", "coordination.li_per_heavy_atom"]
    SITES = ("ether_O", "carbonyl", "nitrile", "hydroxyl", "amine", "sulfonyl")

    def compute_rows(self, table, column) -> np.ndarray:
        """``column(name)``: the float64 values of an already computed feature (NaN column
        when its block is not in the layout)."""
        molality = np.asarray(table["salt_molality_mol_kg"], dtype=np.float64)
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            li_per_unit = molality * column("matrix.mw_g_mol") / 1000.0
            sites = sum(column(f"transport.{g}_per_unit") for g in self.SITES)
            per_site = np.where(sites > 0, li_per_unit / sites, np.nan)
            per_heavy = li_per_unit / column("matrix.heavy_atoms")
            return np.column_stack([per_site, per_heavy]).astype(np.float32)


class ContentBlock(RowBlock):
    """How much of each component, per row: liquid content (wt% of the electrolyte; 0
    without a liquid, NaN when a liquid is named without its amount, with a flag) and the
    part of it in each liquid class, filler loading per filler class, crosslinker content
    (``crosslinker_wt_pct``) and the reactive groups it brings per gram of electrolyte
    (content × functionality / reacted molar mass: a crosslink density proxy).
    Derived from the liquid, filler and crosslinker blocks (NaN where those are not in the
    layout) and from the content columns (a table without them: unknown amounts)."""

    name = "content"
    derived = True
    feature_names = [
        "content.liquid_wt_pct",
        "content.liquid_amount_unknown",
        *(f"content.liquid_wt_pct_{c}" for c in LIQUID_CLASSES),
        *(f"content.filler_wt_pct_{c}" for c in FILLER_CLASSES),
        "content.crosslinker_wt_pct",
        "content.reactive_groups_mmol_per_g",
    ]

    def compute_rows(self, table, column) -> np.ndarray:
        n = len(np.asarray(table["monomer_smiles"], dtype=object))

        def numbers(name: str) -> np.ndarray:
            return np.asarray(table[name], dtype=np.float64) if name in table else np.full(n, np.nan)

        n_liquids = column("liquid.n_liquids")
        plasticized = np.asarray(table["plasticized"], dtype=np.float64)
        liquid = numbers("liquid_wt_pct")
        present = (n_liquids > 0) | (plasticized > 0)
        liquid = np.where(present, liquid, 0.0)  # no liquid is a true zero content
        unknown = (present & ~np.isfinite(liquid)).astype(np.float64)
        per_class = [liquid * column(f"liquid.class_{c}") for c in LIQUID_CLASSES]
        loading = numbers("filler_wt_pct")
        loading = np.where(column("filler.n_fillers") > 0, loading, 0.0)
        n_fillers = np.maximum(column("filler.n_fillers"), 1.0)
        per_filler = [loading * column(f"filler.class_{c}") / n_fillers for c in FILLER_CLASSES]
        xl = numbers("crosslinker_wt_pct")
        xl = np.where(column("crosslinker.n_crosslinkers") > 0, xl, 0.0)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            groups = 10.0 * xl / column("crosslinker.mw_per_reactive_group_g_mol")  # wt% -> mmol/g
            return np.column_stack([liquid, unknown, *per_class, *per_filler, xl, groups]).astype(np.float32)


#: Block constructors by short key, in the order features are laid out.
BLOCKS = {
    "matrix": MatrixBlock,
    "transport": TransportBlock,
    "crosslinker": CrosslinkerBlock,
    "filler": FillerBlock,
    "salt": SaltBlock,
    "oxidation": OxidationBlock,
    "conditions": ConditionsBlock,
    "coordination": CoordinationBlock,
    "liquid": LiquidBlock,
    "content": ContentBlock,
}

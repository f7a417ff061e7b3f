"""Hatakeyama-Sato's database of organic Li electrolytes -> formulation rows.

K. Hatakeyama-Sato et al., J. Am. Chem. Soc. 2020 (doi:10.1021/jacs.9b11442); the database
of the authors' ``ion_predictor`` repository (MIT), two files of one commit: the
measurements (``Composite-…csv``: temperature °C, σ in S/cm, up to six component ids with
their mol or wt ratios, Tg, reference) and the compounds (``Chemical-…csv``: SMILES with
polymer attachment points written ``[Mg]`` and graft points ``[Ca]``, salts as their anion
without Li+).

How a row is read
-----------------
Each component is classified from its structure: a polymer (``[Mg]`` ends; a polyanion,
i.e. a single-ion polymer, when it carries a negative charge and no positive one), a salt
anion (negative, not a polymer: its Li+ is implied), an ionic liquid (a cation and an anion
without lithium) or a neutral small molecule (solvent or plasticizer). Ionic liquids and
neutral molecules are the row's **liquid components**.

``mol_ratio`` are mole ratios of repeat units, anions and molecules (not always normalized:
``0.909/0.0455`` is EO 0.909 to TFSI 0.0455, i.e. Li:EO 1:20); ``wt_ratio`` are mass ratios
(a salt's weight taken as its Li salt's). From either, the masses of the
components give the molality (mol salt per kg of polymer, the table's definition) and the
liquid content (wt% of the whole electrolyte).

Every row is accounted for: converted, or dropped with a reason counted in the notes.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from rdkit import Chem
from rdkit.Chem import Descriptors

from spepred.chem.mol import rdkit_quiet
from spepred.chem.polymer import canonical_polymer_smiles
from spepred.chem.resolve import canonical_salt_label, resolve_matrix
from spepred.errors import SpepredError

SOURCE = "hatakeyama2022"
LI_MASS_G_MOL = 6.94
#: Liquid components are named by canonical SMILES, ``;``-separated, with their content
#: (formulation columns declared in :mod:`spepred.data.columns`).
LIQUID_COLUMNS = ("liquids", "liquid_wt_pct")
#: Columns this converter fills beyond the review's: the liquid columns, and ``tg_C``, kept
#: beside the table (not a formulation column).
EXTRA_COLUMNS = (*LIQUID_COLUMNS, "tg_C")
_COMPONENTS = tuple(f"component{i}" for i in range(1, 7))


@dataclass(frozen=True)
class Compound:
    """One row of the chemicals file, read for what a formulation needs."""

    id: int
    smiles: str  # attachment points as [*]
    kind: str  # polymer, polyanion, polyzwitterion, polycation, anion, ionic_liquid, neutral
    mass_g_mol: float  # per repeat unit / molecule; for an anion, of its Li salt
    anion_charge: int
    network: bool
    graft: bool


def _kind(mol: Chem.Mol, polymer: bool) -> tuple[str, int]:
    """The compound's kind and, for an anion or a polyanion, its negative charge.

    Net charges of the fragments decide, not atom charges (perchlorate drawn as
    ``[O-][Cl+3]([O-])([O-])[O-]`` is an anion, not an ionic liquid).
    """
    nets = [sum(a.GetFormalCharge() for a in f.GetAtoms()) for f in Chem.GetMolFrags(mol, asMols=True)]
    neg = -sum(n for n in nets if n < 0)
    pos = sum(n for n in nets if n > 0)
    if polymer:
        if neg and not pos:
            return "polyanion", neg
        if pos and not neg:
            return "polycation", 0
        return ("polyzwitterion", 0) if pos else ("polymer", 0)
    if neg and not pos:
        return "anion", neg
    if neg and pos:
        return "ionic_liquid", 0
    return ("cation", 0) if pos else ("neutral", 0)


def read_compounds(path: Path) -> dict[int, Compound]:
    """The chemicals file as :class:`Compound` by id (unparsable SMILES are left out)."""
    raw = pd.read_csv(path)
    out: dict[int, Compound] = {}
    for rec in raw.to_dict("records"):
        text = str(rec.get("SMILES") or "").strip()
        graft = "[Ca]" in text
        smiles = text.replace("[Mg]", "[*]").replace("[Ca]", "[*]")
        with rdkit_quiet():
            mol = Chem.MolFromSmiles(smiles)
        if mol is None:
            continue
        polymer = "[Mg]" in text
        kind, charge = _kind(mol, polymer)
        frags = Chem.GetMolFrags(mol, asMols=True)
        if polymer:
            # a copolymer in one compound: mean repeat-unit mass, weighted by its own ratio
            weights = [float(w) for w in str(rec.get("mol_ratio") or "").split("/") if _is_number(w)]
            if len(weights) != len(frags):
                weights = [1.0] * len(frags)
            masses = [Descriptors.MolWt(f) for f in frags]
            mass = float(np.average(masses, weights=weights))
        else:
            mass = Descriptors.MolWt(mol) + (LI_MASS_G_MOL * charge if kind == "anion" else 0.0)
        structure = str(rec.get("Structure") or "")
        out[int(rec["id"])] = Compound(
            id=int(rec["id"]),
            # repeat units in their canonical frame, so a polymer has one spelling (and a
            # Bradford point entered again is recognized whatever its frame)
            smiles=canonical_polymer_smiles(mol) if polymer else Chem.MolToSmiles(mol),
            kind=kind,
            mass_g_mol=mass,
            anion_charge=charge,
            network="crosslink" in structure,
            graft=graft,
        )
    return out


def _is_number(text: str) -> bool:
    try:
        return math.isfinite(float(text))
    except ValueError:
        return False


def _reference_group(ref: object) -> str:
    text = str(ref or "").strip()
    if not text or text.casefold() == "not available":
        # no paper named: all such rows form one group, so none can straddle train and test
        return f"{SOURCE}:no-reference"
    text = re.sub(r"^(https?://)?(dx\.)?(doi\.)?org/", "", text, flags=re.I)
    text = re.sub(r"^0\.(\d{4,}/)", r"10.\1", text)  # a DOI that lost its leading 1
    # an Elsevier DOI without its registrant (upstream writes 'j.electacta.2013.09.151')
    text = re.sub(r"^(j\.[a-z]+\.\d{4}\.)", r"10.1016/\1", text, flags=re.I)
    return f"{SOURCE}:{text.casefold()}"


def _bradford_points(path: Path | None) -> set[tuple[str, str, float, float]]:
    if path is None:
        return set()
    from spepred.data.converters import convert_bradford

    rows, _ = convert_bradford(path)
    return set(
        zip(
            rows["monomer_smiles"],
            rows["salt"],
            rows["temperature_C"].round(0),
            rows["log10_sigma_S_cm"].round(2),
            strict=True,
        )
    )


def convert_hatakeyama(
    path: Path, chemicals_path: Path | None = None, bradford_path: Path | None = None
) -> tuple[pd.DataFrame, list[str]]:
    """The measurements file -> formulation rows (plus :data:`EXTRA_COLUMNS`), and notes.

    ``chemicals_path`` and ``bradford_path`` default to the pinned sources (fetched like any
    other); without Bradford the repeat-point check is skipped and the notes say so.
    """
    from spepred.data.sources import DataSourceError, fetch

    if chemicals_path is None:
        chemicals_path = fetch("hatakeyama2022_chemicals")
    notes: list[str] = []
    if bradford_path is None:
        try:
            bradford_path = fetch("bradford2023")
        except DataSourceError as err:
            notes.append(f"{SOURCE}: Bradford 2023 not available, repeat points not removed ({err})")
    compounds = read_compounds(chemicals_path)
    raw = pd.read_csv(path)
    dropped: Counter[str] = Counter()
    matrix_ok: dict[str, bool] = {}
    rows = []
    for rec in raw.to_dict("records"):
        ids = [int(rec[c]) for c in _COMPONENTS if not pd.isna(rec.get(c))]
        comps = [compounds.get(i) for i in ids]
        if any(c is None for c in comps):
            dropped["a component id has no parsable structure"] += 1
            continue
        kinds = [c.kind for c in comps]
        polymers = [c for c in comps if c.kind.startswith("poly")]
        anions = [c for c in comps if c.kind == "anion"]
        if not polymers:
            dropped["no polymer (liquid electrolyte)"] += 1
            continue
        if not anions and "polyanion" not in kinds:
            dropped["no lithium source (no Li salt or single-ion polymer)"] += 1
            continue
        if any(c.graft for c in polymers):
            dropped["graft polymer ([Ca] graft points): no repeat-unit form"] += 1
            continue
        if "cation" in kinds:
            dropped["a lone cation component"] += 1
            continue
        sigma = float(rec["conductivity"])
        temp = float(rec["temperature"])
        if not (math.isfinite(sigma) and sigma > 0 and math.isfinite(temp)):
            dropped["conductivity or temperature not a positive finite number"] += 1
            continue
        # composition -> moles and masses
        mol_text, wt_text = rec.get("mol_ratio"), rec.get("wt_ratio")
        text = mol_text if isinstance(mol_text, str) else wt_text if isinstance(wt_text, str) else ""
        parts = [p for p in text.split("/")] if text else []
        if len(comps) > 1 and len(parts) != len(comps):
            dropped["composition ratios missing or not one per component"] += 1
            continue
        if parts and not all(_is_number(p) and float(p) >= 0 for p in parts):
            dropped["a composition ratio is not a number"] += 1
            continue
        ratios = [float(p) for p in parts] if parts else [1.0]
        if isinstance(mol_text, str):
            moles = ratios
            masses = [n * c.mass_g_mol for n, c in zip(moles, comps, strict=True)]
        else:
            masses = ratios
            moles = [m / c.mass_g_mol for m, c in zip(masses, comps, strict=True)]
        polymer_mass = sum(m for m, c in zip(masses, comps, strict=True) if c.kind.startswith("poly"))
        total_mass = sum(masses)
        liquid_idx = [k for k, c in enumerate(comps) if c.kind in ("neutral", "ionic_liquid")]
        anion_moles: dict[str, float] = {}
        for n, c in zip(moles, comps, strict=True):
            if c.kind == "anion":
                anion_moles[c.smiles] = anion_moles.get(c.smiles, 0.0) + n
        flags = []
        if anion_moles:
            main = max(anion_moles, key=anion_moles.__getitem__)
            charge = next(c.anion_charge for c in anions if c.smiles == main)
            salt = canonical_salt_label(".".join(["[Li+]"] * charge + [main]))
            if len(anion_moles) > 1:
                flags.append("dual_salt")
            molality = (
                sum(anion_moles.values()) / (polymer_mass / 1000.0) if parts and polymer_mass > 0 else math.nan
            )
        else:
            salt, molality = "none", math.nan
        if "polyanion" in kinds:
            flags.append("single_ion")
        if not math.isnan(molality) and molality > 20.0:
            flags.append("molality_implausible")
        matrix = ".".join(dict.fromkeys(c.smiles for c in polymers))
        if matrix not in matrix_ok:
            try:
                resolve_matrix(matrix)
                matrix_ok[matrix] = True
            except SpepredError:
                matrix_ok[matrix] = False
        if not matrix_ok[matrix]:
            dropped["polymer structure not accepted as a repeat unit"] += 1
            continue
        if any(c.network for c in polymers):
            flags.append("network_crosslinker_unnamed")
        liquids = ";".join(comps[k].smiles for k in liquid_idx)
        liquid_wt = (
            100.0 * sum(masses[k] for k in liquid_idx) / total_mass if liquid_idx and parts else
            (math.nan if liquid_idx else 0.0)
        )
        tg = rec.get("Tg")
        group = _reference_group(rec.get("reference"))
        rows.append(
            {
                "record_id": f"{SOURCE}:{int(rec['id'])}",
                "source": SOURCE,
                "group": group,
                "curve_id": f"{group}|{'/'.join(map(str, ids))}|{text}",
                "monomer_smiles": matrix,
                "crosslinker": "",
                "crosslink_type": "none",
                "filler": "",
                "filler_wt_pct": math.nan,
                "salt": salt,
                "salt_molality_mol_kg": molality,
                "mw_g_mol": math.nan,
                "plasticized": bool(liquid_idx),
                "temperature_C": temp,
                "log10_sigma_S_cm": math.log10(sigma),
                "flags": ";".join(flags),
                "liquids": liquids,
                "liquid_wt_pct": liquid_wt,
                "tg_C": float(tg) if _is_number(str(tg)) else math.nan,
            }
        )
    out = pd.DataFrame(rows)
    points = _bradford_points(bradford_path)
    if points and len(out):
        # a dry linear row that sits on a Bradford point (same canonical polymer, salt,
        # temperature to 1 °C and log σ to 0.01) is the same measurement, entered twice
        key = zip(
            out["monomer_smiles"], out["salt"],
            out["temperature_C"].round(0), out["log10_sigma_S_cm"].round(2), strict=True,
        )
        repeat = np.array([k in points for k in key]) & ~out["plasticized"].to_numpy(bool)
        if repeat.any():
            dropped["repeats a Bradford 2023 point"] += int(repeat.sum())
            out = out[~repeat].reset_index(drop=True)
    n_flag = Counter(f for fl in out.get("flags", pd.Series(dtype=str)) for f in fl.split(";") if f)
    notes.append(
        f"{SOURCE}: {len(raw)} measurements, {len(out)} in the table, {len(raw) - len(out)} "
        "dropped: " + "; ".join(f"{reason}: {n}" for reason, n in dropped.most_common())
    )
    if n_flag:
        notes.append(f"{SOURCE}: flags " + ", ".join(f"{k} {v}" for k, v in sorted(n_flag.items())))
    return out, notes

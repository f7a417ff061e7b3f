"""Converters: each upstream source -> rows of the formulation table.

Every converter returns ``(rows, notes)``: ``rows`` in the formulation schema (not yet
validated) and ``notes``, a list of human-readable lines for the data card saying what was
changed, flagged or removed and why. Nothing is removed without a note.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd

from spepred.chem.mol import parse_smiles
from spepred.chem.polymer import canonical_polymer_smiles
from spepred.chem.resolve import canonical_salt_label, resolve_matrix
from spepred.errors import SpepredError

#: Salt molality above which a Bradford row is flagged as implausible (mol salt / kg polymer;
#: 20 mol/kg is already a polymer-in-salt regime, values up to 204 occur upstream).
IMPLAUSIBLE_MOLALITY = 20.0
REVIEW_SOURCE = "pei2025_review"


def _canonical_map(values: pd.Series) -> dict[str, str]:
    """Upstream polymer SMILES -> canonical SMILES, repeat units in their canonical frame
    (so two spellings of one polymer are one polymer, one ``group``)."""
    return {s: canonical_polymer_smiles(parse_smiles(s)) for s in values.dropna().unique()}


def _salt_map(values: pd.Series) -> dict[str, str]:
    return {s: canonical_salt_label(s) for s in values.dropna().unique()}


def _add(flags: pd.Series, mask: pd.Series | np.ndarray, flag: str) -> pd.Series:
    mask = np.asarray(mask, dtype=bool)
    flags = flags.copy()
    flags[mask] = [f"{f};{flag}" if f else flag for f in flags[mask]]
    return flags


def convert_bradford(path: Path) -> tuple[pd.DataFrame, list[str]]:
    """Bradford et al. 2023 experimental σ(T): the primary conductivity source.

    ``[Cu]``/``[Au]`` ends become ``[*]``; salt spellings are canonicalized to dictionary
    names (or canonical SMILES); blank salts of polyanions become ``none`` (single-ion);
    exact duplicate rows are removed; molalities above 20 mol/kg are flagged.
    """
    raw = pd.read_csv(path)
    notes = []
    dup = raw.duplicated()
    if dup.any():
        notes.append(f"bradford2023: {int(dup.sum())} exact duplicate rows removed")
    raw = raw[~dup]
    poly = raw["smiles"].map(_canonical_map(raw["smiles"]))
    salt_raw = raw["salt smiles"]
    salt = salt_raw.map(_salt_map(salt_raw))
    polyanion = raw["smiles"].str.contains("-", regex=False)
    flags = pd.Series([""] * len(raw), index=raw.index, dtype=object)
    no_salt = salt_raw.isna()
    flags = _add(flags, no_salt & polyanion, "single_ion")
    strange = no_salt & ~polyanion
    flags = _add(flags, strange, "salt_missing_upstream")
    if strange.any():
        notes.append(
            f"bradford2023: {int(strange.sum())} row(s) of a neutral polymer without salt kept "
            "with salt 'none' and flag salt_missing_upstream"
        )
    salt = salt.where(~no_salt, "none")
    implausible = raw["molality"] > IMPLAUSIBLE_MOLALITY
    flags = _add(flags, implausible, "molality_implausible")
    notes.append(
        f"bradford2023: {int(implausible.sum())} rows with molality > {IMPLAUSIBLE_MOLALITY:g} "
        "mol/kg flagged molality_implausible (kept: the published benchmark keeps them)"
    )
    canon_ids = {s: i for i, s in enumerate(sorted(set(poly)))}
    group = "bradford2023:P" + poly.map(canon_ids).map("{:03d}".format)
    out = pd.DataFrame(
        {
            "record_id": "bradford2023:" + raw.index.astype(str),
            "source": "bradford2023",
            "group": group,
            "monomer_smiles": poly,
            "crosslinker": "",
            "crosslink_type": "none",
            "filler": "",
            "filler_wt_pct": np.nan,
            "salt": salt,
            "salt_molality_mol_kg": raw["molality"],
            "mw_g_mol": raw["mw"],
            "plasticized": False,
            "temperature_C": raw["temperature"],
            "log10_sigma_S_cm": raw["conductivity"],
            "flags": flags,
        }
    )
    out["curve_id"] = (
        out["group"] + "|" + out["salt"] + "|" + out["salt_molality_mol_kg"].round(6).astype(str)
        + "|" + out["mw_g_mol"].astype(str)
    )
    return out.reset_index(drop=True), notes


def convert_htpmd(path: Path) -> tuple[pd.DataFrame, list[str]]:
    """HTP-MD 2022 simulated σ (353 K, LiTFSI): an auxiliary signal, not an experimental label."""
    raw = pd.read_csv(path)
    poly = raw["mol_smiles"].map(_canonical_map(raw["mol_smiles"]))
    sigma = raw["conductivity"].astype(float)
    out = pd.DataFrame(
        {
            "record_id": "htpmd2022:" + raw["trajectory_id"].astype(str),
            "source": "htpmd2022",
            "group": "htpmd2022:" + poly,
            "monomer_smiles": poly,
            "crosslinker": "",
            "crosslink_type": "none",
            "filler": "",
            "filler_wt_pct": np.nan,
            "salt": "LiTFSI",
            "salt_molality_mol_kg": raw["molarity"],
            "mw_g_mol": np.nan,
            "plasticized": False,
            "temperature_C": 353.0 - 273.15,
            "sim_log10_sigma_S_cm": np.log10(sigma.where(sigma > 0)),
            "flags": "simulated",
        }
    )
    out["curve_id"] = out["group"]
    notes = [
        "htpmd2022: MD-simulated conductivity stored as sim_log10_sigma_S_cm (auxiliary; never "
        "an experimental label); upstream 'molarity' used as molality"
    ]
    return out, notes


def convert_radonpy(path: Path) -> tuple[pd.DataFrame, list[str]]:
    """RadonPy PI1070: DFT HOMO/LUMO of the monomer and MD bulk modulus (auxiliary)."""
    raw = pd.read_csv(path)
    poly = raw["smiles"].map(_canonical_map(raw["smiles"]))
    out = pd.DataFrame(
        {
            "record_id": "radonpy_pi1070:" + raw["monomer_ID"].astype(str),
            "source": "radonpy_pi1070",
            "group": "radonpy_pi1070:" + poly,
            "monomer_smiles": poly,
            "crosslinker": "",
            "crosslink_type": "none",
            "filler": "",
            "filler_wt_pct": np.nan,
            "salt": "none",
            "salt_molality_mol_kg": np.nan,
            "mw_g_mol": np.nan,
            "plasticized": False,
            "temperature_C": raw["temp"].astype(float) - 273.15,
            "homo_eV": raw["qm_homo_monomer"],
            "lumo_eV": raw["qm_lumo_monomer"],
            "bulk_modulus_GPa": raw["bulk_modulus"] / 1e9,
            "flags": "computed",
        }
    )
    out["curve_id"] = out["group"]
    notes = [
        "radonpy_pi1070: computed monomer HOMO/LUMO (eV) and bulk modulus (Pa -> GPa) stored "
        "as auxiliary columns; no salt"
    ]
    return out, notes


def _cell(rec: dict, key: str) -> str:
    """The text of a record cell; '' for empty / NaN."""
    val = rec.get(key)
    if val is None or (isinstance(val, float) and math.isnan(val)):
        return ""
    return str(val).strip()


def _number(rec: dict, key: str) -> float:
    text = _cell(rec, key)
    return float(text) if text else math.nan


def _names_to_smiles(names: str, field: str) -> str:
    from spepred.chem.dictionary import load_dictionary

    dictionary = load_dictionary()
    parts = []
    for name in (n.strip() for n in names.split(";") if n.strip()):
        chem = dictionary.lookup(name, role=f"{field} name")
        if not chem.smiles:
            raise SpepredError(f"{field} {name!r} has no structure in the dictionary")
        parts.append(chem.smiles)
    return ".".join(parts)


def convert_review(records: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """The review's hand-curated records -> formulation rows.

    Matrix names become SMILES through the dictionary; crosslinkers and fillers stay as
    dictionary names. Labels listed in ``excluded_labels`` are dropped (the reason is in the
    record's notes); so are labels stated as bounds (``bounds`` ``col>``/``col<``: a bound is
    not a point) and σ values whose temperature the review does not state (kept out of the
    σ(T) fit rather than placed at 25 °C; both stay flagged on the row). "Room temperature"
    is read as 25 °C and flagged ``sigma_at_room_temperature``. Records without a matrix structure cannot be featurized and are listed
    in the notes instead of the table; so are records without any usable label, which are
    kept (they tell the applicability domain what the review covers) but flagged.
    """
    rows, notes = [], []
    skipped = []
    for rec in records.to_dict("records"):
        rid = rec["record_id"]
        matrix = _cell(rec, "matrix")
        try:
            smiles = _names_to_smiles(matrix, "matrix") if matrix.strip() else ""
            if not smiles:
                raise SpepredError("no matrix given")
            resolve_matrix(smiles)
        except SpepredError as err:
            skipped.append(f"{rid} ({rec['system']}): {err}")
            continue
        excluded = {e.strip() for e in _cell(rec, "excluded_labels").split(";") if e.strip()}
        # a value stated as a bound ("> 1 mS/cm", "> 4.8 V") is a bound, never a point label
        bounded = {b.strip()[:-1] for b in _cell(rec, "bounds").split(";") if b.strip()[-1:] in "<>"}
        flags = []

        def label(col: str) -> float:
            return math.nan if col in excluded or col in bounded else _number(rec, col)

        sigma = label("sigma_S_cm")
        temp = _number(rec, "sigma_T_C")
        if not math.isnan(sigma) and math.isnan(temp):
            # not placed at 25 °C: a σ without its temperature stays out of the σ(T) fit
            flags.append("sigma_temperature_unstated")
            sigma = math.nan
        elif not math.isnan(sigma) and _cell(rec, "sigma_T_basis") == "room_temperature":
            flags.append("sigma_at_room_temperature")
        if _cell(rec, "bounds"):
            flags.append("bounds:" + _cell(rec, "bounds").replace(";", ","))
        rows.append(
            {
                "record_id": rid,
                "source": REVIEW_SOURCE,
                "group": f"pei2025:ref{int(rec['ref'])}",
                "curve_id": f"pei2025:{rid}",
                "monomer_smiles": smiles,
                "crosslinker": _cell(rec, "crosslinkers"),
                "crosslink_type": rec["crosslink_type"],
                "filler": _cell(rec, "fillers"),
                "filler_wt_pct": _number(rec, "filler_wt_pct"),
                "salt": _cell(rec, "salt"),
                "salt_molality_mol_kg": math.nan,
                "mw_g_mol": _number(rec, "mw_g_mol"),
                "plasticized": _cell(rec, "plasticized").lower() == "true",
                "temperature_C": temp,
                "log10_sigma_S_cm": math.log10(sigma) if sigma > 0 else math.nan,
                "esw_V": label("esw_V"),
                "strength_MPa": label("strength_MPa"),
                "t_li": label("t_li"),
                "flags": ";".join(flags),
            }
        )
    if skipped:
        notes.append(
            f"{REVIEW_SOURCE}: {len(skipped)} record(s) without a matrix structure are not in the "
            "formulation table: " + "; ".join(skipped)
        )
    out = pd.DataFrame(rows)
    return out, notes


def read_review_records(path: Path | None = None) -> pd.DataFrame:
    """The curated review records (``data/raw/review/records.csv``, shipped with the package)."""
    if path is not None:
        return pd.read_csv(path)
    from importlib import resources

    with resources.files("spepred.resources").joinpath("records.csv").open("rb") as fh:
        return pd.read_csv(fh)


def convert_polyinfo(path: Path) -> tuple[pd.DataFrame, list[str]]:
    """PolyInfo screening candidates (unlabelled library in the Bradford format)."""
    raw = pd.read_csv(path)
    poly = raw["smiles"].map(_canonical_map(raw["smiles"]))
    salt = raw["salt smiles"].map(_salt_map(raw["salt smiles"]))
    out = pd.DataFrame(
        {
            "record_id": "polyinfo:" + raw.index.astype(str),
            "source": "polyinfo_candidates",
            "monomer_smiles": poly,
            "crosslinker": "",
            "salt": salt,
            "salt_molality_mol_kg": raw["molality"],
            # upstream 'mw' is 5.0 for every row: log10(Mw), i.e. 100 kg/mol
            "mw_g_mol": 10.0 ** raw["mw"].astype(float),
            "temperature_C": raw["temperature"],
        }
    )
    return out, ["polyinfo_candidates: upstream mw column read as log10(Mw / g mol-1)"]

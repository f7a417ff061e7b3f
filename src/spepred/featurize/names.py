"""Human-readable descriptions of feature names (for explanations and model cards)."""

from __future__ import annotations

import re

_BLOCK = {
    "matrix": "matrix",
    "transport": "matrix",
    "crosslinker": "crosslinker",
    "filler": "filler",
    "salt": "salt",
    "conditions": "",
    "coordination": "",
    "oxidation": "network: matrix and crosslinkers",
    "liquid": "liquid components",
    "content": "",
    "orbital": "xTB",
    "aux": "auxiliary model",
}
_SPECIAL = {
    "conditions.temperature_C": "temperature (°C)",
    "conditions.inv_temperature_1000_per_K": "1000/T (1/K)",
    "conditions.salt_molality_mol_kg": "salt molality (mol/kg)",
    "conditions.log10_mw_g_mol": "log10 polymer Mw (g/mol)",
    "conditions.plasticized": "plasticizer / liquid electrolyte present",
    "conditions.filler_wt_pct": "filler loading (wt%)",
    "coordination.li_per_coordinating_site": "Li+ per coordinating group (ether O, carbonyl, ...) of the matrix",
    "coordination.li_per_heavy_atom": "Li+ per heavy atom of the matrix",
    "transport.coordinating_sites_per_heavy_atom": "Li+-coordinating sites per heavy atom (matrix)",
    "crosslinker.functionality_total": "crosslinker functionality (total reactive groups)",
    "crosslinker.mw_per_reactive_group_g_mol": "crosslinker mass between reactive groups (g/mol)",
    "salt.anion_delocalization": "anion charge delocalization (O/N/F per charge)",
    "content.liquid_wt_pct": "liquid content (wt% of the electrolyte)",
    "content.liquid_amount_unknown": "a liquid is present, its amount unknown",
    "content.crosslinker_wt_pct": "crosslinker content (wt%)",
    "content.reactive_groups_mmol_per_g": "crosslinker reactive groups per gram of electrolyte (mmol/g)",
}


def describe_feature(name: str) -> str:
    """``matrix.morgan_r2_0013`` -> ``matrix Morgan fragment #13 (r=2)`` and so on."""
    if name in _SPECIAL:
        return _SPECIAL[name]
    block, _, rest = name.partition(".")
    where = _BLOCK.get(block, block)
    m = re.fullmatch(r"morgan_r(\d+)_(\d+)", rest)
    if m:
        return f"{where} Morgan fragment #{int(m.group(2))} (r={m.group(1)})"
    if rest.startswith("type_"):
        return f"crosslink type = {rest[5:]}"
    if rest.startswith("class_") and block == "crosslinker":
        return f"crosslink class = {rest[6:]}"
    if rest.startswith("class_") and block == "filler":
        return f"filler class = {rest[6:]}"
    if rest.startswith("class_") and block == "liquid":
        return f"share of liquids of class {rest[6:]}"
    if rest.startswith("liquid_wt_pct_"):
        return f"liquid content of class {rest[14:]} (wt%)"
    if rest.startswith("filler_wt_pct_"):
        return f"filler loading of class {rest[14:]} (wt%)"
    if rest.startswith("group_"):
        return f"crosslinker reactive group = {rest[6:]}"
    text = rest.replace("_per_heavy_atom", " per heavy atom").replace("_per_unit", " per repeat unit")
    text = text.replace("_eV", " (eV)").replace("_g_mol", " (g/mol)").replace("_A2", " (Å²)")
    text = text.replace("_", " ")
    return f"{text} ({where})" if where else text

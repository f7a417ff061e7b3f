"""spepred's vocabulary, declared once: the predicted properties and the formulation columns.

Everything that names a property or a formulation column is derived from the declarations
below: the prediction's output columns (:data:`OUTPUT_COLUMNS`), the training targets
(``spepred.models.config.TARGETS``), the screening objectives, plot axes, the HTTP request
and response models, the MLflow signature, the ``predict`` / ``screen`` options, the keyword
arguments of :func:`spepred.api.predict`, the library-spec keys and the validation of a
formulation table (one :meth:`Column.parse` per column, see :mod:`spepred.data.validate`).

Adding a formulation column is one :class:`FormulationColumn` in :data:`FORMULATION` (plus,
for the model to use it, a feature block that reads it from the validated frame); adding a
property is one :class:`Property` in :data:`PROPERTIES` (plus its label source and model).
``docs/architecture.md`` walks through both with ``liquids`` as the example.

This module imports nothing heavy (no NumPy, pandas or RDKit at import time), so that the
command line can build its options from it and still answer ``--help`` at once.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from spepred.chem.dictionary import CROSSLINK_TYPES  # stdlib only: no RDKit here
from spepred.values import MAX_SMILES_LENGTH

if TYPE_CHECKING:  # pragma: no cover
    from spepred.data.cells import Parsed

#: Crosslink types (the chemistry's own list, in the dictionary module) and ``none`` for
#: linear polymers: the categories of ``crosslink_type``.
CROSSLINK_TYPE_VALUES = (*CROSSLINK_TYPES, "none")
DEFAULT_SALT = "LiTFSI"
DEFAULT_TEMPERATURE_C = 25.0
TEMPERATURE_RANGE_C = (-100.0, 300.0)
#: Names and lists of names (fillers, salts) in a request: bounded like a SMILES, shorter.
MAX_NAME_LENGTH = 512


# -- properties -------------------------------------------------------------------------
@dataclass(frozen=True)
class Property:
    """One predicted property: its label, model, ranges and how it is shown.

    Parameters
    ----------
    key
        Training-target key (``spepred train --targets``, the bundle's ``targets``).
    label
        The label column of the formulation table; prediction columns are
        ``{label}_pred``, ``{label}_lo`` and ``{label}_hi``.
    unit
        Unit of the label column (σ: ``log10(S/cm)``).
    transform
        Space the model is fitted in: ``log10`` (positive labels spanning decades) or
        ``identity``.
    cv
        Cross-validation scheme: ``group_kfold`` or ``logo`` (leave one paper out).
    low, high
        Valid range of a label, in ``unit``.
    description
        What it is, in words (error messages, reports).
    name
        Short display name (tables, plots, objective descriptions): ``σ``, ``window``.
    objective
        Screening key (``--objective``, ``--require "window>=4.5"``, weights, ranges).
    quantity_unit
        The unit a chemist quotes the property in (S/cm, V, MPa).
    log_scale
        Ramps, thresholds and plots compare log10 of the quantity.
    label_is_log10
        The label holds log10 of the quantity (σ); the prediction then also carries the
        quantity itself as ``{quantity_column}_pred``.
    ramp
        Default desirability ramp ``(poor, good)`` in ``quantity_unit``.
    digits
        Decimals shown in tables.
    default_weight
        Weight in the combined screening objectives when none are given (0: only when
        asked for, as for t+, which bundles before it do not predict).
    """

    key: str
    label: str
    unit: str
    transform: str
    cv: str
    low: float
    high: float
    description: str
    name: str
    objective: str
    quantity_unit: str
    log_scale: bool
    ramp: tuple[float, float]
    label_is_log10: bool = False
    quantity_column: str = ""
    aliases: tuple[str, ...] = ()
    axis_label: str = ""
    digits: int = 2
    default_weight: float = 1.0

    @property
    def pred(self) -> str:
        return f"{self.label}_pred"

    @property
    def lo(self) -> str:
        return f"{self.label}_lo"

    @property
    def hi(self) -> str:
        return f"{self.label}_hi"

    def column(self, bound: str) -> str:
        """The prediction column of ``bound`` (``pred``, ``lo`` or ``hi``)."""
        return f"{self.label}_{bound}"

    @property
    def quantity_pred(self) -> str:
        """The point prediction in :attr:`quantity_unit` (``sigma_S_cm_pred``)."""
        return f"{self.quantity_column}_pred" if self.quantity_column else self.pred

    @property
    def output_columns(self) -> tuple[str, ...]:
        """This property's prediction columns, in output order."""
        extra = (self.quantity_pred,) if self.label_is_log10 and self.quantity_column else ()
        return (self.pred, self.lo, self.hi, *extra)

    def quantity(self, label_values):
        """Label-space values (NumPy array or float) -> :attr:`quantity_unit`."""
        return 10.0**label_values if self.label_is_log10 else label_values

    def log_quantity(self, label_values):
        """Label-space values -> log10 of the quantity (the space of ramps when
        :attr:`log_scale`); NaN for non-positive quantities."""
        if self.label_is_log10:
            return label_values
        import numpy as np

        with np.errstate(divide="ignore", invalid="ignore"):
            return np.log10(np.asarray(label_values, dtype=np.float64))

    @property
    def label_column(self) -> Column:
        """The label as a table column (parsed and range-checked like any number)."""
        return Column(self.label, "number", self.description, unit=self.unit, low=self.low, high=self.high)


PROPERTIES: dict[str, Property] = {
    p.key: p
    for p in (
        Property(
            "sigma", "log10_sigma_S_cm", "log10(S/cm)", "identity", "group_kfold", -16.0, 1.0,
            "ionic conductivity", name="σ", objective="sigma", quantity_unit="S/cm", log_scale=True,
            # σ 1e-6 S/cm is useless at room temperature, 1e-3 S/cm rivals a liquid
            ramp=(1e-6, 1e-3), label_is_log10=True, quantity_column="sigma_S_cm",
            aliases=("conductivity", "σ"), axis_label="log10 σ (S/cm)",
        ),
        Property(
            "esw", "esw_V", "V", "identity", "logo", 0.0, 10.0,
            "electrochemical stability window (vs Li/Li+)", name="window", objective="window",
            # 3.5 V stops at LiFePO4, 5 V suits high-voltage cathodes
            quantity_unit="V", log_scale=False, ramp=(3.5, 5.0),
            aliases=("esw", "esw_v"), axis_label="electrochemical window (V)",
        ),
        Property(
            "strength", "strength_MPa", "MPa", "log10", "logo", 0.0, 2000.0,
            "tensile / breaking strength", name="strength", objective="strength",
            # 0.1 MPa is a gel, 10 MPa a tough film
            quantity_unit="MPa", log_scale=True, ramp=(0.1, 10.0),
            aliases=("mpa",), axis_label="log10 strength (MPa)", digits=1,
        ),
        Property(
            "tli", "t_li", "1", "identity", "logo", 0.0, 1.0,
            "Li+ transference number", name="t+", objective="tli",
            # PEO/LiTFSI's is about 0.2, a single-ion conductor's near 1
            quantity_unit="", log_scale=False, ramp=(0.2, 0.6),
            aliases=("t_li", "t+", "transference"), axis_label="Li+ transference number t+",
            default_weight=0.0,
        ),
    )
}
#: Properties by screening key (``sigma``, ``window``, ``strength``).
OBJECTIVE_PROPERTIES: dict[str, Property] = {p.objective: p for p in PROPERTIES.values()}
LABELS = tuple(p.label for p in PROPERTIES.values())


def property_by_label(label: str) -> Property:
    """The property whose label column is ``label`` (``KeyError`` if none)."""
    for p in PROPERTIES.values():
        if p.label == label:
            return p
    raise KeyError(label)


# -- table columns ----------------------------------------------------------------------
#: Kinds of column, each with its parser in :mod:`spepred.data.cells`: ``matrix`` (``.``-joined
#: SMILES), ``chemicals`` (``;``-separated names or SMILES), ``category`` (one of
#: ``choices``), ``number`` (range-checked float, NaN allowed unless a default stands in)
#: and ``bool`` (true/false words).
KINDS = ("matrix", "chemicals", "category", "number", "bool")


@dataclass(frozen=True)
class Column:
    """A column of the formulation table and how its cells are parsed.

    Parameters
    ----------
    name
        Column name (the HTTP field, the MLflow input, the output echo).
    kind
        One of :data:`KINDS`.
    description
        What it holds (help texts, request models, error messages for ranges).
    unit
        Unit of a number.
    low, high
        Valid range of a number (inclusive).
    default
        What stands in for a missing cell; when it is not None/NaN, the rows where it did
        are flagged ``{name}_default`` in ``flags``.
    choices
        Allowed values of a category (casefolded).
    resolver
        ``"module:function"`` resolving one distinct cell of a chemical column (raises a
        :class:`~spepred.errors.SpepredError` naming the value); run when chemistry is
        checked.
    canonical
        The resolver returns the cell's canonical text (salts: ``LiTFSI``), which replaces it.
    """

    name: str
    kind: str
    description: str
    unit: str = ""
    low: float = -math.inf
    high: float = math.inf
    default: Any = None
    choices: tuple[str, ...] = ()
    resolver: str = ""
    canonical: bool = False

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"column {self.name}: unknown kind {self.kind!r} (known: {', '.join(KINDS)})")

    @property
    def has_default(self) -> bool:
        d = self.default
        return d is not None and not (isinstance(d, float) and math.isnan(d)) and d != ""

    @property
    def range_text(self) -> str:
        """``expected ...`` text of a number's range (error messages)."""
        return f"{self.description} between {self.low:g} and {self.high:g} {self.unit}".rstrip()

    def parse(self, column, n: int, *, check_chemistry: bool = True) -> Parsed:
        """Parse the cells of ``column`` (a Series, an array, a list; ``None`` when the
        table lacks it) into one value per row, plus one error per bad cell.

        See :class:`spepred.data.cells.Parsed`; the parser of each kind is in
        :mod:`spepred.data.cells`.
        """
        from spepred.data.cells import parse_column

        return parse_column(self, column, n, check_chemistry=check_chemistry)


@dataclass(frozen=True)
class FormulationColumn(Column):
    """A column that describes a formulation, and every way a user can give it.

    Parameters (beyond :class:`Column`)
    ----------
    option
        ``spepred predict`` option (``--molality``); ``None`` when there is none.
    aliases
        Keyword arguments of :func:`spepred.api.predict` that set this column besides its
        own name (``molality=``).
    spec_key
        Library-spec key (and ``spepred screen`` option ``--{spec_key}`` unless
        ``screen_option`` says otherwise) listing this column's levels; ``None`` when the
        column has no axis of its own (``filler_wt_pct`` comes with ``fillers``).
    screen_option
        ``spepred screen`` option when it differs from ``--{spec_key}``; ``""`` for none.
    required
        Every table must have it.
    max_length
        Longest text accepted over HTTP.
    list_sep
        Separator of several values in one cell (``.`` for the matrix, ``;`` for chemicals).
    many
        The ``predict`` option takes several values or ranges ``start:stop:step``, one
        output row each (the temperature).
    example
        Value in the HTTP request example.
    help
        Help text of the ``predict`` option.
    spec_help
        What the library-spec key holds (and the ``screen`` option's help).
    """

    option: str | None = None
    aliases: tuple[str, ...] = ()
    spec_key: str | None = None
    screen_option: str | None = None
    required: bool = False
    max_length: int | None = None
    list_sep: str = ""
    many: bool = False
    example: Any = None
    help: str = ""
    spec_help: str = ""

    @property
    def keywords(self) -> tuple[str, ...]:
        """Every keyword of :func:`spepred.api.predict` that sets this column."""
        return (*self.aliases, self.name)

    @property
    def screen_flag(self) -> str | None:
        """The ``spepred screen`` option of this column's axis, if it has one."""
        if self.screen_option is not None:
            return self.screen_option or None
        return f"--{self.spec_key.replace('_', '-')}" if self.spec_key else None


_SMILES = MAX_SMILES_LENGTH

#: The columns that describe a formulation, in table order.
FORMULATION: tuple[FormulationColumn, ...] = (
    FormulationColumn(
        "monomer_smiles", "matrix",
        "matrix monomers / repeat units ([*] ends), several joined with '.'",
        resolver="spepred.chem.resolve:resolve_matrix", option="--smiles", aliases=("smiles",),
        spec_key="monomers", spec_help="matrix monomer / repeat-unit SMILES (list)", required=True, max_length=_SMILES, list_sep=".", example="C=CC(=O)OCCO",
        help="matrix monomer or repeat-unit SMILES (repeat for several)",
    ),
    FormulationColumn(
        "crosslinker", "chemicals", "crosslinker name(s) or SMILES; several with ';'",
        resolver="spepred.chem.resolve:resolve_crosslinkers", option="--crosslinker",
        spec_key="crosslinkers",
        spec_help="crosslinker names or SMILES (list; 'none' for no crosslinker)", max_length=_SMILES, list_sep=";", example="PETEA",
        help="crosslinker name (PETEA, PEGDA, HDI, ...) or SMILES; several with ';'",
    ),
    FormulationColumn(
        "crosslinker_wt_pct", "number", "crosslinker content", unit="wt%", low=0.0, high=100.0,
        default=math.nan, option="--crosslinker-wt-pct", spec_key="crosslinker_wt_pct",
        spec_help="crosslinker contents in wt% (list or start:stop:step)",
        help="crosslinker content (wt% of the polymer part)",
    ),
    FormulationColumn(
        "crosslink_type", "category", "h_bond, ..., small_molecule, none (default: inferred)",
        choices=CROSSLINK_TYPE_VALUES, option="--crosslink-type", spec_key="crosslink_type",
        spec_help="crosslink type(s) (default: inferred from the crosslinker)", screen_option="", max_length=64,
        help="h_bond, metal_coordination, ..., small_molecule (default: inferred)",
    ),
    FormulationColumn(
        "filler", "chemicals", "filler name(s); several with ';'",
        resolver="spepred.chem.resolve:resolve_fillers", option="--filler", spec_key="fillers",
        spec_help="fillers with loadings: 'none', 'SiO2:5,10' or {name: SiO2, wt_pct: [5, 10]}",
        max_length=MAX_NAME_LENGTH, list_sep=";", help="filler name (SiO2, UiO-66, ...)",
    ),
    FormulationColumn(
        "filler_wt_pct", "number", "filler loading", unit="wt%", low=0.0, high=100.0,
        default=math.nan, option="--filler-wt-pct", help="filler loading (wt%)",
    ),
    FormulationColumn(
        "salt", "chemicals", "lithium salt name or SMILES (default LiTFSI); 'none' for single-ion",
        default=DEFAULT_SALT, resolver="spepred.chem.resolve:canonical_salt_label", canonical=True,
        option="--salt", spec_key="salts", spec_help="lithium salt names or SMILES (list)", max_length=MAX_NAME_LENGTH, example="LiTFSI",
        help="lithium salt name or SMILES (default LiTFSI); 'none' for single-ion",
    ),
    FormulationColumn(
        "salt_molality_mol_kg", "number", "salt per kg polymer", unit="mol/kg", low=0.0, high=1000.0,
        default=math.nan, option="--molality", aliases=("molality",), spec_key="salt_molality_mol_kg",
        spec_help="salt molalities in mol/kg (list or start:stop:step)",
        screen_option="--molality", help="salt molality (mol/kg polymer)",
    ),
    FormulationColumn(
        "mw_g_mol", "number", "polymer molecular weight", unit="g/mol", low=1.0, high=1e9,
        default=math.nan, option="--mw", spec_key="mw_g_mol", spec_help="polymer molecular weights in g/mol (list)", screen_option="--mw",
        help="polymer molecular weight (g/mol)",
    ),
    FormulationColumn(
        "liquids", "chemicals",
        "liquid components (solvents, plasticizers, ionic liquids): names or SMILES; several with ';'",
        resolver="spepred.chem.resolve:resolve_liquids", option="--liquids", spec_key="liquids",
        spec_help="liquid components, one mixture per level: 'none', 'EC;DEC', TEGDME (list)",
        max_length=_SMILES, list_sep=";",
        help="liquid components: dictionary names (EC, DEC, TEGDME, EMIM-TFSI) or SMILES; several with ';' "
        "(implies --plasticized)",
    ),
    FormulationColumn(
        "liquid_wt_pct", "number", "liquid content", unit="wt%", low=0.0, high=100.0,
        default=math.nan, option="--liquid-wt-pct", spec_key="liquid_wt_pct",
        spec_help="liquid contents in wt% of the electrolyte (list or start:stop:step)",
        help="liquid content (wt% of the whole electrolyte)",
    ),
    FormulationColumn(
        "plasticized", "bool", "liquid electrolyte or plasticizer present", default=False,
        option="--plasticized", spec_key="plasticized", spec_help="true / false (list)", screen_option="",
        help="a liquid electrolyte or plasticizer is present",
    ),
    FormulationColumn(
        "temperature_C", "number", "temperature", unit="°C", low=TEMPERATURE_RANGE_C[0],
        high=TEMPERATURE_RANGE_C[1], default=DEFAULT_TEMPERATURE_C, option="--temperature",
        aliases=("temperature",), spec_key="temperature_C", screen_option="--temperature", example=25,
        spec_help="temperatures in °C (list or start:stop:step)", many=True,
        help="°C: one or more values or ranges like 0:100:10 (default 25)",
    ),
)
FORMULATION_BY_NAME: dict[str, FormulationColumn] = {c.name: c for c in FORMULATION}
#: Formulation column names, in table order.
FORMULATION_COLUMNS = tuple(c.name for c in FORMULATION)
#: Keyword of :func:`spepred.api.predict` -> formulation column.
KEYWORDS: dict[str, str] = {k: c.name for c in FORMULATION for k in c.keywords}
#: Formulation column -> the ``spepred predict`` option a user typed.
OPTIONS: dict[str, str] = {c.name: c.option for c in FORMULATION if c.option}
#: Library-spec key -> formulation column.
SPEC_COLUMNS: dict[str, FormulationColumn] = {c.spec_key: c for c in FORMULATION if c.spec_key}
#: Number columns that describe conditions or composition.
CONDITION_COLUMNS = tuple(c for c in FORMULATION if c.kind == "number")

#: Experimental labels, one model each (from :data:`PROPERTIES`).
LABEL_COLUMNS = tuple(p.label_column for p in PROPERTIES.values())
#: Auxiliary computed/simulated signals: never mixed with the experimental labels.
AUX_COLUMNS = (
    Column("sim_log10_sigma_S_cm", "number", "MD-simulated conductivity", unit="log10(S/cm)", low=-16.0, high=1.0),
    Column("homo_eV", "number", "computed HOMO of the monomer", unit="eV", low=-30.0, high=10.0),
    Column("lumo_eV", "number", "computed LUMO of the monomer", unit="eV", low=-20.0, high=20.0),
    Column("bulk_modulus_GPa", "number", "MD bulk modulus", unit="GPa", low=0.0, high=1000.0),
)
AUX_LABELS = tuple(c.name for c in AUX_COLUMNS)
ID_COLUMNS = ("record_id", "source", "group", "curve_id")
#: Column order of the harmonized table.
COLUMNS = (*ID_COLUMNS, *FORMULATION_COLUMNS, *LABELS, *AUX_LABELS, "flags")
#: Columns a user's table may carry with a meaning (everything else is passed through).
INPUT_COLUMNS = frozenset(COLUMNS)


# -- prediction output ------------------------------------------------------------------
@dataclass(frozen=True)
class OutputColumn:
    """A prediction column that is not a property's: its JSON type, default and meaning."""

    name: str
    type: str  # float, int, bool, str
    description: str = ""
    required: bool = False
    empty: Any = None  # the value of a row that was not predicted


#: Tg columns of the matrix polymer (the bundle's Tg model; NaN without one).
TG_COLUMNS = ("Tg_K_pred", "Tg_K_lo", "Tg_K_hi")
_OTHER_OUTPUTS = (
    # glass transition of the matrix polymer: 90 % interval, and the row's temperature
    # above it (negative: below Tg)
    OutputColumn("Tg_K_pred", "float", "glass transition of the matrix polymer (no salt), K"),
    OutputColumn("Tg_K_lo", "float", "Tg 90 % interval, lower bound, K"),
    OutputColumn("Tg_K_hi", "float", "Tg 90 % interval, upper bound, K"),
    OutputColumn("T_minus_Tg_K", "float", "temperature minus predicted Tg, K (negative: below Tg)"),
    OutputColumn("repeat_unit_smiles", "str", "the canonical repeat units the model read, '.'-joined", empty=""),
    OutputColumn("crosslinker_reacted_smiles", "str", "the reacted crosslinkers the model read, ';'-joined", empty=""),
    OutputColumn("domain_similarity", "float", "Tanimoto of the least familiar building block to training"),
    OutputColumn("unseen_fragments", "int", "Morgan fragments never seen in training (-1: not scored)", empty=-1),
    OutputColumn("in_domain", "bool", "inside the applicability domain", empty=False),
    OutputColumn("warnings", "str", "weak models, out of domain, how a blend's Tg was made", empty=""),
    OutputColumn("model_version", "str", "the bundle that predicted", required=True),
    OutputColumn("status", "str", "ok, or why the row could not be predicted", required=True),
)
OUTPUTS: dict[str, OutputColumn] = {
    **{
        c: OutputColumn(c, "float", f"{p.description}: {what}, {p.quantity_unit if c == p.quantity_pred else p.unit}")
        for p in PROPERTIES.values()
        for c, what in zip(p.output_columns, ("prediction", "90 % interval, lower bound", "90 % interval, upper bound", "prediction"))
    },
    **{c.name: c for c in _OTHER_OUTPUTS},
}
#: Output columns of a prediction, in order, after the input columns.
OUTPUT_COLUMNS = tuple(OUTPUTS)


__all__ = [
    "AUX_COLUMNS", "AUX_LABELS", "COLUMNS", "CONDITION_COLUMNS", "CROSSLINK_TYPES", "CROSSLINK_TYPE_VALUES",
    "Column", "DEFAULT_SALT", "DEFAULT_TEMPERATURE_C", "FORMULATION", "FORMULATION_BY_NAME",
    "FORMULATION_COLUMNS", "FormulationColumn", "ID_COLUMNS", "INPUT_COLUMNS", "KEYWORDS", "LABELS",
    "LABEL_COLUMNS", "OBJECTIVE_PROPERTIES", "OPTIONS", "OUTPUTS", "OUTPUT_COLUMNS", "OutputColumn",
    "PROPERTIES", "Property", "SPEC_COLUMNS", "TEMPERATURE_RANGE_C", "TG_COLUMNS", "property_by_label",
]

"""Formulation fields (matrix SMILES, crosslinker, filler, salt) -> resolved components.

Each function takes the text of one cell and either returns a small frozen description or
raises one :class:`~spepred.errors.SpepredError` naming the field and the value.
Results are cached per distinct text, so a million rows built from a few hundred building
blocks cost a few hundred resolutions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from rdkit import Chem

from spepred.chem.dictionary import CROSSLINK_TYPES, Chemical, load_dictionary
from spepred.chem.mol import MAX_SMILES_LENGTH, formal_charge, parse_smiles, split_components
from spepred.chem.polymer import canonical_repeat_unit, network_unit, reactive_groups, reacted_form
from spepred.errors import InvalidSmilesError, InvalidValueError, UnknownChemicalError
from spepred.values import NONE_WORDS, is_none_word

#: Separator for several crosslinkers or fillers in one cell (never appears in SMILES).
LIST_SEP = ";"

#: At most this many components in one cell (matrix '.'-parts, ';'-separated crosslinkers
#: or fillers): with the per-molecule caps of :mod:`spepred.chem.mol`, this bounds the work
#: one cell can cause.
MAX_COMPONENTS = 32

_CROSSLINKER_ROLES = ("crosslinker", "chain_extender", "monomer", "filler", "polymer")
_MATRIX_ROLES = ("monomer", "polymer", "chain_extender", "crosslinker")


def is_none(text: object) -> bool:
    """True for empty cells and the words that mean 'nothing here' (:data:`NONE_WORDS`)."""
    return is_none_word(text)


@dataclass(frozen=True)
class MatrixComponent:
    """One matrix component as it sits in the network."""

    input: str
    smiles: str  # canonical SMILES of the network unit; a repeat unit in its canonical frame
    is_repeat_unit: bool


@dataclass(frozen=True)
class CrosslinkerComponent:
    """One crosslinker, identity-free: what reacts, how often, what is left in the network."""

    label: str
    reacted_smiles: str  # '' for inorganic nodes without a structure (MOF, SiO2...)
    reactive_group: str
    functionality: float | None
    crosslink_type: str
    filler_class: str


@dataclass(frozen=True)
class FillerComponent:
    label: str
    filler_class: str
    smiles: str


@dataclass(frozen=True)
class LiquidComponent:
    """One liquid component (solvent, plasticizer, ionic liquid) of a gel or a plasticized
    electrolyte. ``smiles`` is canonical; '' for a dictionary entry without a structure
    (``liquid electrolyte``: a source that does not name its solvents)."""

    label: str
    smiles: str
    liquid_class: str  # carbonate, ether, nitrile, ionic_liquid, ... ('' when unknown)


@dataclass(frozen=True)
class SaltComponent:
    label: str
    smiles: str  # canonical ionic SMILES
    anion_smiles: str


def _rdkit_step(fn, mol: Chem.Mol, text: str, field: str, what: str) -> Chem.Mol:
    """Run an RDKit edit; turn RDKit's own exceptions into one clear input error."""
    try:
        return fn(mol)
    except Exception as err:  # RDKit raises several exception types (Kekulize, Valence...)
        raise InvalidSmilesError(text, f"RDKit could not build its {what} ({err})", field=field) from None


def _parse_or_name(text: str, *, field: str, roles: tuple[str, ...]) -> tuple[Chem.Mol, str]:
    """Parse a SMILES; fall back to a dictionary name with a structure. Returns (mol, label)."""
    try:
        return parse_smiles(text, field=field), text
    except InvalidSmilesError as err:
        chem = load_dictionary().get(text)
        if chem is not None and chem.smiles and chem.has_role(*roles):
            return parse_smiles(chem.smiles, field=f"{field} ({chem.name})"), chem.name
        raise err


def _check_cell(text: str, field: str, parts: list[str], what: str) -> None:
    """Refuse a cell that is too long or lists too many components, before any parsing."""
    if len(text) > MAX_SMILES_LENGTH:  # the same words as parse_smiles
        raise InvalidSmilesError(text, f"longer than {MAX_SMILES_LENGTH} characters", field=field)
    if len(parts) > MAX_COMPONENTS:
        raise InvalidValueError(field, text, f"at most {MAX_COMPONENTS} {what} (got {len(parts)})")


@lru_cache(maxsize=65536)
def resolve_matrix(text: str, *, field: str = "monomer_smiles") -> tuple[MatrixComponent, ...]:
    """Matrix components of a ``.``-joined SMILES (dictionary names accepted too).

    Each repeat unit comes out in its canonical form
    (:func:`~spepred.chem.polymer.canonical_repeat_unit`): any rotation or whole multiple
    of one repeat unit resolves to the same component.
    """
    if is_none(text):
        raise InvalidSmilesError(str(text), "empty: at least one matrix SMILES is required", field=field)
    parts = split_components(text)
    if not parts:  # "." or "..": separators without a component
        raise InvalidSmilesError(str(text), "no component between the '.' separators", field=field)
    _check_cell(text, field, parts, "components joined with '.'")
    out = []
    for part in parts:
        mol, _ = _parse_or_name(part.strip(), field=field, roles=_MATRIX_ROLES)
        for frag in Chem.GetMolFrags(mol, asMols=True):
            unit = _rdkit_step(network_unit, frag, part, field, "network unit")
            # one key per polymer: [*]CCO[*], [*]COC[*] and [*]CCOCCO[*] are all PEO, and
            # everything keyed by this SMILES (features, domain, CV groups) must agree
            unit = _rdkit_step(canonical_repeat_unit, unit, part, field, "canonical repeat unit")
            out.append(
                MatrixComponent(
                    input=part.strip(),
                    smiles=Chem.MolToSmiles(unit),
                    is_repeat_unit=any(a.GetAtomicNum() == 0 for a in unit.GetAtoms()),
                )
            )
    return tuple(out)


def _crosslinker_from_chemical(chem: Chemical) -> CrosslinkerComponent:
    reacted = ""
    if chem.smiles:
        mol = parse_smiles(chem.smiles, field=f"crosslinker ({chem.name})")
        reacted = Chem.MolToSmiles(
            _rdkit_step(reacted_form, mol, chem.smiles, f"crosslinker ({chem.name})", "reacted form")
        )
    return CrosslinkerComponent(
        label=chem.name,
        reacted_smiles=reacted,
        reactive_group=chem.reactive_group,
        functionality=chem.functionality,
        crosslink_type=chem.crosslink_type,
        filler_class=chem.filler_class,
    )


def _crosslinker_from_smiles(text: str) -> CrosslinkerComponent:
    mol = parse_smiles(text, field="crosslinker")
    groups = reactive_groups(mol)
    if mol.HasSubstructMatch(_ACRYLATE):
        group = "acrylate"
    elif groups:
        group = max(groups, key=groups.get)
    else:
        group = "none"
    n = sum(groups.values())
    kind = "metal_coordination" if formal_charge(mol) > 0 and mol.GetNumAtoms() == 1 else "small_molecule"
    return CrosslinkerComponent(
        label=Chem.MolToSmiles(mol),
        reacted_smiles=Chem.MolToSmiles(
            _rdkit_step(reacted_form, mol, text, "crosslinker", "reacted form")
        ),
        reactive_group=group,
        functionality=float(n) if n else None,
        crosslink_type=kind,
        filler_class="",
    )


_ACRYLATE = Chem.MolFromSmarts("C=CC(=O)[O,N]")


def _split_list(text: str) -> list[str]:
    return [t.strip() for t in str(text).split(LIST_SEP) if t.strip()]


#: A crosslinker or salt written ``smiles:...`` is read as a SMILES without a name lookup.
SMILES_PREFIX = "smiles:"
#: Text that reads as a name rather than a SMILES: letters (and - _ space) only, no ring
#: digits, brackets, bonds or branches. ``FOO`` and ``NO`` parse as SMILES (F-O-O,
#: hydroxylamine) but a user who types them means a name; such text must be in the
#: dictionary, or be written ``smiles:FOO``.
_NAME_LIKE = re.compile(r"[A-Za-z][A-Za-z_ -]*")


def _explicit_smiles(item: str) -> str | None:
    """The SMILES of ``smiles:...`` (prefix in any case), else None."""
    if item[: len(SMILES_PREFIX)].casefold() == SMILES_PREFIX:
        return item[len(SMILES_PREFIX) :].strip()
    return None


def _parses(text: str) -> bool:
    try:
        parse_smiles(text)
    except InvalidSmilesError:
        return False
    return True


def _unknown_name(
    item: str, role: str, roles: tuple[str, ...], smiles_error: InvalidSmilesError | None = None
) -> UnknownChemicalError:
    """An unknown name with its did-you-mean; says how to pass a SMILES instead, or why the
    text is not one (``smiles_error``)."""
    suggestions = list(load_dictionary().suggestions(item, roles))
    if item.strip().casefold() in {"no", "nothing", "without", "empty"} and "none" not in suggestions:
        suggestions.insert(0, "none")
    err = UnknownChemicalError(item, role=role, suggestions=suggestions)
    if _NAME_LIKE.fullmatch(item) and _parses(item):
        head = str(err).split(" (not in the chemical dictionary")[0]
        err.args = (f"{head} (not in the chemical dictionary; to use {item!r} as a SMILES, write 'smiles:{item}')",)
    elif smiles_error is not None and not err.suggestions:
        head = str(err).split(" (not in the chemical dictionary")[0]
        err.args = (f"{head} (not in the chemical dictionary, and not a valid SMILES: {smiles_error.reason})",)
    return err


@lru_cache(maxsize=65536)
def resolve_crosslinkers(text: str) -> tuple[CrosslinkerComponent, ...]:
    """Crosslinkers of a cell: dictionary names or SMILES, several separated by ``;``."""
    if is_none(text):
        return ()
    dictionary = load_dictionary()
    items = _split_list(text)
    _check_cell(text, "crosslinker", items, "crosslinkers separated by ';'")
    out = []
    for item in items:
        smiles = _explicit_smiles(item)
        if smiles is not None:  # the user said it is a SMILES: its own error if it is not one
            out.append(_crosslinker_from_smiles(smiles))
            continue
        # names first: a SMILES is tried only for text that does not read as a name
        chem = dictionary.get(item)
        if chem is not None:
            out.append(_crosslinker_from_chemical(chem))
            continue
        if _NAME_LIKE.fullmatch(item):
            raise _unknown_name(item, "crosslinker", _CROSSLINKER_ROLES)
        try:
            out.append(_crosslinker_from_smiles(item))
        except InvalidSmilesError as err:
            raise _unknown_name(item, "crosslinker", _CROSSLINKER_ROLES, err) from None
    return tuple(out)


@lru_cache(maxsize=4096)
def resolve_fillers(text: str) -> tuple[FillerComponent, ...]:
    """Fillers of a cell: dictionary names, several separated by ``;``."""
    if is_none(text):
        return ()
    dictionary = load_dictionary()
    items = _split_list(text)
    _check_cell(text, "filler", items, "fillers separated by ';'")
    out = []
    for item in items:
        chem = dictionary.get(item)
        if chem is None:
            raise UnknownChemicalError(
                item, role="filler", suggestions=dictionary.suggestions(item, ("filler",))
            )
        out.append(
            FillerComponent(label=chem.name, filler_class=chem.filler_class or "other", smiles=chem.smiles)
        )
    return tuple(out)


#: Dictionary roles a liquid component may have (the literature corpus' own rule).
_LIQUID_ROLES = ("solvent", "plasticizer", "ionic_liquid", "monomer", "additive")


@lru_cache(maxsize=4096)
def resolve_liquids(text: str) -> tuple[LiquidComponent, ...]:
    """Liquid components of a cell: dictionary names or SMILES, several separated by ``;``.

    Names are looked up first (``EC``, ``DEC``, ``TEGDME``, ``EMIM-TFSI``); anything else
    must parse as a SMILES (the Hatakeyama-Sato converter writes SMILES such as ``COCCOC``,
    which reads like a name: so unlike crosslinkers, a SMILES of letters only is accepted
    here). A SMILES that spells a dictionary liquid gets its name. An unknown name is an
    :class:`UnknownChemicalError` with its did-you-mean.
    """
    if is_none(text):
        return ()
    dictionary = load_dictionary()
    items = _split_list(text)
    _check_cell(text, "liquids", items, "liquid components separated by ';'")
    out = []
    for item in items:
        smiles = _explicit_smiles(item)
        chem = dictionary.get(item) if smiles is None else None
        if chem is not None:
            if not chem.has_role(*_LIQUID_ROLES):
                raise InvalidValueError(
                    "liquids", item,
                    f"a liquid component (solvent, plasticizer, ionic liquid), not a {'/'.join(sorted(chem.roles))}",
                )
            canonical = Chem.MolToSmiles(parse_smiles(chem.smiles, field="liquids")) if chem.smiles else ""
            out.append(LiquidComponent(chem.name, canonical, chem.liquid_class))
            continue
        try:
            mol = parse_smiles(item if smiles is None else smiles, field="liquids")
        except InvalidSmilesError as err:
            if smiles is not None:
                raise
            raise _unknown_name(item, "liquid", _LIQUID_ROLES, err) from None
        canonical = Chem.MolToSmiles(mol)
        known = _LIQUID_NAMES().get(canonical)
        out.append(known or LiquidComponent(canonical, canonical, ""))
    return tuple(out)


@lru_cache(maxsize=1)
def _LIQUID_NAMES() -> dict[str, LiquidComponent]:
    """Canonical SMILES -> the dictionary's liquid of that structure (SMILES meet names)."""
    out = {}
    for chem in load_dictionary().chemicals:
        if chem.has_role("solvent", "plasticizer", "ionic_liquid") and chem.smiles:
            try:
                canonical = Chem.MolToSmiles(parse_smiles(chem.smiles))
            except InvalidSmilesError:
                continue
            out.setdefault(canonical, LiquidComponent(chem.name, canonical, chem.liquid_class))
    return out


@lru_cache(maxsize=4096)
def resolve_salt(text: str) -> SaltComponent | None:
    """A lithium salt by name (``LiTFSI``) or ionic SMILES; ``none`` for single-ion polymers."""
    if is_none(text):
        return None
    _check_cell(text, "salt", [text], "salt")
    dictionary = load_dictionary()
    explicit = _explicit_smiles(text.strip())
    chem = dictionary.get(text) if explicit is None else None
    if chem is not None:
        if not chem.has_role("salt") or not chem.smiles:
            raise InvalidValueError("salt", text, f"a lithium salt, not a {'/'.join(sorted(chem.roles))}")
        smiles, label = chem.smiles, chem.name
    elif explicit is not None:
        smiles, label = explicit, ""
    else:
        # names first, as for crosslinkers: text that reads as a name is not tried as SMILES
        if _NAME_LIKE.fullmatch(text.strip()):
            raise _unknown_name(text, "salt", ("salt",))
        try:
            parse_smiles(text, field="salt")
        except InvalidSmilesError as err:
            raise _unknown_name(text, "salt", ("salt",), err) from None
        smiles, label = text, ""
    mol = parse_smiles(smiles, field="salt")
    canonical = Chem.MolToSmiles(mol)
    if not label:
        label = _SALT_NAMES().get(canonical, canonical)
    anions = [f for f in Chem.GetMolFrags(mol, asMols=True) if formal_charge(f) < 0]
    anion = Chem.MolToSmiles(anions[0]) if anions else ""
    return SaltComponent(label=label, smiles=canonical, anion_smiles=anion)


@lru_cache(maxsize=1)
def _SALT_NAMES() -> dict[str, str]:
    """Canonical salt SMILES -> dictionary name, so that SMILES spellings meet names."""
    out = {}
    for chem in load_dictionary().chemicals:
        if chem.has_role("salt") and chem.smiles:
            try:
                out[Chem.MolToSmiles(parse_smiles(chem.smiles))] = chem.name
            except InvalidSmilesError:
                continue
    return out


def matrix_key(text: str, *, field: str = "monomer_smiles") -> str:
    """One key per matrix: its canonical components, sorted, joined with ``.``.

    Two cells with the same polymers in any spelling, order or frame share the key (CV
    groups, the screening library's de-duplication).
    """
    return ".".join(sorted(c.smiles for c in resolve_matrix(text, field=field)))


def canonical_salt_label(text: str) -> str:
    """The name of a salt if the dictionary knows it, else its canonical SMILES."""
    salt = resolve_salt(text)
    return "none" if salt is None else salt.label


def infer_crosslink_type(crosslinkers: tuple[CrosslinkerComponent, ...]) -> str:
    """The crosslink type implied by the crosslinkers (the first one that implies one)."""
    for c in crosslinkers:
        if c.crosslink_type in CROSSLINK_TYPES:
            return c.crosslink_type
    return "small_molecule" if crosslinkers else "none"

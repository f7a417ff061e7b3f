"""The formulation table: the one schema that training, prediction and screening share.

Split by job (this module keeps every public name its callers import):

- :mod:`spepred.data.columns`: what the columns and properties are (declared once);
- :mod:`spepred.data.cells`: how the cells of one column are parsed;
- :mod:`spepred.data.validate`: validating a whole table, a loop over the columns;
- :mod:`spepred.data.tables`: reading and writing table files.
"""

from __future__ import annotations

from spepred.data.columns import (
    AUX_COLUMNS,
    AUX_LABELS,
    COLUMNS,
    CONDITION_COLUMNS,
    CROSSLINK_TYPE_VALUES,
    DEFAULT_SALT,
    DEFAULT_TEMPERATURE_C,
    FORMULATION,
    FORMULATION_COLUMNS,
    ID_COLUMNS,
    INPUT_COLUMNS,
    LABEL_COLUMNS,
    LABELS,
    TEMPERATURE_RANGE_C,
    Column,
    FormulationColumn,
)
from spepred.data.tables import (
    MAX_COLUMNS,
    READ_CHUNK_ROWS,
    STDIN,
    iter_table,
    read_table,
    rename_smiles_column,
    write_table,
    write_table_chunks,
)
from spepred.data.validate import require_valid, validate_columns, validate_formulations

#: The old name of a number column's declaration (see :class:`~spepred.data.columns.Column`).
NumericColumn = Column
#: Names of the text columns of a formulation.
TEXT_COLUMNS = tuple(c.name for c in FORMULATION if c.kind in ("matrix", "chemicals", "category"))

__all__ = [
    "AUX_COLUMNS", "AUX_LABELS", "COLUMNS", "CONDITION_COLUMNS", "CROSSLINK_TYPE_VALUES", "Column",
    "DEFAULT_SALT", "DEFAULT_TEMPERATURE_C", "FORMULATION", "FORMULATION_COLUMNS", "FormulationColumn",
    "ID_COLUMNS", "INPUT_COLUMNS", "LABELS", "LABEL_COLUMNS", "MAX_COLUMNS", "NumericColumn",
    "READ_CHUNK_ROWS", "STDIN", "TEMPERATURE_RANGE_C", "TEXT_COLUMNS", "iter_table", "read_table",
    "rename_smiles_column", "require_valid", "validate_columns", "validate_formulations", "write_table",
    "write_table_chunks",
]

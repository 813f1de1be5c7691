"""Tell a table or column that one side has under one name and the other side under another as
one rename, instead of one thing missing and another in excess.

Schema items (schema.py) say "missing" for what the expected side (a lesson's models.py, or the
learner's) has and the database lacks, "extra" the other way round. A pair is a rename only when
it is plausible: a column of the same kind of type in the same table; a table whose columns are
the same, but for one renamed column at most; a unique constraint or an index on the same columns,
named on both sides.
"""
from collections.abc import Iterable

from ..facts import SchemaItem, SchemaKind


def kind_of(type_code: str | None) -> str:
    """sa.String(length=120) -> sa.String: the kind of value, whatever the length."""
    return (type_code or "").split("(", 1)[0]


def paired(items: Iterable[SchemaItem]) -> list[SchemaItem]:
    """`items` with each plausible rename as one item: RENAMED_TABLE (with the shape found),
    RENAMED_COLUMN (with the type and nullability found) or RENAMED_CONSTRAINT."""
    items = list(items)
    told = []
    for missing in [item for item in items if item.kind == SchemaKind.MISSING_TABLE]:
        extra = next((item for item in items if item.kind == SchemaKind.EXTRA_TABLE
                      and _same_table(missing.shape, item.shape)), None)
        if extra:
            items = [item for item in items if item is not missing and item is not extra]
            told.append(SchemaItem(SchemaKind.RENAMED_TABLE, expected=missing.table, found=extra.table,
                                   shape=extra.shape))
    for missing in [item for item in items if item.kind == SchemaKind.MISSING_COLUMN]:
        extra = next((item for item in items if item.kind == SchemaKind.EXTRA_COLUMN and item.table == missing.table
                      and kind_of(item.type) == kind_of(missing.type)), None)
        if extra and missing.type:
            items = [item for item in items if item is not missing and item is not extra]
            told.append(SchemaItem(SchemaKind.RENAMED_COLUMN, table=missing.table, expected=missing.column,
                                   found=extra.column, type=extra.type,
                                   nullable=True if extra.nullable is None else extra.nullable))
    for missing in [item for item in items if item.kind in NAMED_KINDS and item.name]:
        extra = next((item for item in items if item.kind == NAMED_KINDS[missing.kind][0] and item.name
                      and item.table == missing.table and item.columns == missing.columns), None)
        if extra:
            items = [item for item in items if item is not missing and item is not extra]
            told.append(SchemaItem(SchemaKind.RENAMED_CONSTRAINT, table=missing.table, columns=missing.columns,
                                   expected=missing.name, found=extra.name,
                                   detail=NAMED_KINDS[missing.kind][1]))
    return told + items


# What autogenerate tells apart by name (a foreign key it matches by its columns and target).
NAMED_KINDS = {SchemaKind.MISSING_UNIQUE: (SchemaKind.EXTRA_UNIQUE, "unique constraint"),
               SchemaKind.MISSING_INDEX: (SchemaKind.EXTRA_INDEX, "index")}


def _same_table(expected, found):
    if not expected or not found or len(expected) != len(found):
        return False
    kinds = sorted(map(kind_of, expected.values())) == sorted(map(kind_of, found.values()))
    return kinds and len(expected.keys() & found.keys()) >= len(expected) - 1

"""Compare a live database with a MetaData, using Alembic's autogenerate comparison.

The differences come back as plain dicts ("schema items") that messages.py can phrase:
{"kind": "missing_table", "table": "departments"} and so on. "missing" means the MetaData
has it and the database does not; "extra" the other way round.
"""
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

VERSION_TABLE = "alembic_version"


def reflect(connection):
    """The database's tables as a MetaData, so a later state can be compared with it."""
    metadata = sa.MetaData()
    metadata.reflect(bind=connection)
    if VERSION_TABLE in metadata.tables:
        metadata.remove(metadata.tables[VERSION_TABLE])
    return metadata


def differences(connection, metadata):
    """What the database lacks or has in excess compared with `metadata`, as schema items."""
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    items = []
    for diff in compare_metadata(context, metadata):
        # Changes to one column come grouped in a list; everything else is a single tuple.
        for change in diff if isinstance(diff, list) else [diff]:
            item = _describe(change, metadata)
            if item is not None:
                items.append(item)
    items.extend(_primary_key_differences(connection, metadata))
    return items


def _describe(change, metadata):
    kind = change[0]
    if kind == "add_table":
        return {"kind": "missing_table", "table": change[1].name}
    if kind == "remove_table":
        return {"kind": "extra_table", "table": change[1].name}
    if kind in ("add_column", "remove_column"):
        _, _, table, column = change
        state = "missing" if kind == "add_column" else "extra"
        return {"kind": f"{state}_column", "table": table, "column": column.name}
    if kind == "modify_nullable":
        _, _, table, column, _, found, expected = change
        # A primary key column is NOT NULL whatever the model says; SQLite may reflect it either way.
        if metadata.tables[table].c[column].primary_key:
            return None
        return {"kind": "nullable", "table": table, "column": column, "expected": expected}
    if kind == "modify_type":
        _, _, table, column, _, found, expected = change
        return {"kind": "type", "table": table, "column": column,
                "expected": _type_name(expected), "found": _type_name(found)}
    if kind in ("add_constraint", "remove_constraint", "add_fk", "remove_fk", "add_index", "remove_index"):
        constraint = change[1]
        state = "missing" if kind.startswith("add") else "extra"
        what = {"fk": "foreign_key", "index": "index"}.get(kind.split("_", 1)[1], _constraint_kind(constraint))
        return {"kind": f"{state}_{what}", "table": constraint.table.name, "name": constraint.name,
                "columns": [column.name for column in constraint.columns]}
    return {"kind": "other", "detail": kind}


def _constraint_kind(constraint):
    if isinstance(constraint, sa.UniqueConstraint):
        return "unique"
    if isinstance(constraint, sa.CheckConstraint):
        return "check"
    return "constraint"


def _type_name(type_):
    try:
        return type_.compile()
    except Exception:  # some types only compile for one dialect
        return type(type_).__name__.upper()


def _primary_key_differences(connection, metadata):
    """Alembic's autogenerate does not compare primary keys, so compare them here."""
    inspector = sa.inspect(connection)
    existing = set(inspector.get_table_names())
    items = []
    for table in metadata.sorted_tables:
        if table.name not in existing:
            continue
        expected = [column.name for column in table.primary_key.columns]
        found = inspector.get_pk_constraint(table.name).get("constrained_columns") or []
        if sorted(expected) != sorted(found):
            items.append({"kind": "primary_key", "table": table.name, "expected": expected, "found": found})
    return items

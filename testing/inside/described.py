"""Alembic's autogenerate differences told as plain schema items: {"kind": "missing_table", "table": ...}.

Both processes describe differences this way: the learner's, for models.py (only it can load that
file), and the grader's, for the databases it compares itself. The grader reads each item into a
typed facts.SchemaItem through its codec; a field or kind it does not know stops the grade.
"""
import sqlalchemy as sa


def items(diffs: list, metadata: sa.MetaData) -> list[dict]:
    """compare_metadata's list, as plain schema items."""
    found = []
    for diff in diffs:
        # Changes to one column come grouped in a list; everything else is a single tuple.
        for change in diff if isinstance(diff, list) else [diff]:
            item = _describe(change, metadata)
            if item is not None:
                found.append(item)
    return found


def type_code(type_: sa.types.TypeEngine) -> str:
    """A type as a migration writes it, e.g. sa.String(length=120), whatever the dialect reflected."""
    try:
        return f"sa.{type_.as_generic()!r}"
    except NotImplementedError:  # a dialect-only type has no generic form
        return f"sa.{type(type_).__name__}()"


def table_item(state: str, table: sa.Table) -> dict:
    """A table one side has and the other lacks, with its columns, for telling a rename."""
    return {"kind": f"{state}_table", "table": table.name,
            "shape": {column.name: type_code(column.type) for column in table.columns}}


def column_item(state: str, table: str, column: sa.Column) -> dict:
    return {"kind": f"{state}_column", "table": table, "column": column.name, "type": type_code(column.type),
            "nullable": column.nullable}


def _describe(change, metadata):
    kind = change[0]
    if kind in ("add_table", "remove_table"):
        return table_item("missing" if kind == "add_table" else "extra", change[1])
    if kind in ("add_column", "remove_column"):
        _, _, table, column = change
        return column_item("missing" if kind == "add_column" else "extra", table, column)
    if kind == "modify_nullable":
        _, _, table, column, _, found, expected = change
        # A primary key column is NOT NULL whatever the model says; SQLite may reflect it either way.
        if metadata.tables[table].c[column].primary_key:
            return None
        return {"kind": "nullable", "table": table, "column": column, "nullable": expected,
                "type": type_code(metadata.tables[table].c[column].type)}
    if kind == "modify_default":
        _, _, table, column, _, found, expected = change
        return {"kind": "server_default", "table": table, "column": column,
                "expected": _default_text(expected), "found": _default_text(found)}
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


def _default_text(default):
    """A server default as SQL text, e.g. 'Associate', or None for no default."""
    if default is None:
        return None
    argument = getattr(default, "arg", default)
    if isinstance(argument, str):
        return "'" + argument.replace("'", "''") + "'"
    return str(getattr(argument, "text", argument))

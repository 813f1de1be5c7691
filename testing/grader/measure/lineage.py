"""Put rows in, then find them again after a migration, wherever renames have moved them.

A snapshot is {table name: TableRows}: every row of every table, by its primary key.
`follow` compares two snapshots and returns losses (facts.Loss) that messages.py can phrase, such as
Loss(LossKind.TABLE_LOST, "department", rows=2, replaced_by="departments").
"""
import dataclasses
import datetime
import decimal
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import sqlalchemy as sa

from ...inside.described import type_code
from ..facts import DanglingReference, FilledColumn, Loss, LossKind
from .renames import kind_of
from .schema import VERSION_TABLE

ROWS_PER_TABLE = 3
Value = str | int | float | bool | None  # a cell as a snapshot keeps it (_plain)


def _not_the_aborted_pipelines_echo(record: logging.LogRecord) -> bool:
    return not str(record.msg).startswith("error ignored terminating")


# A schema that refuses seed()'s rows on PostgreSQL ends psycopg's pipeline in error, and psycopg logs
# that second error on stderr after raising the first, which seed() keeps as the table's reason.
logging.getLogger("psycopg").addFilter(_not_the_aborted_pipelines_echo)


@dataclass(frozen=True)
class TableRows:
    """One table as a snapshot holds it: the grader's working data, never a fact itself."""
    key: list[str]  # the primary key's columns (every column when it has none)
    columns: list[str]
    rows: dict[str, dict[str, Value]]  # repr of a row's key values -> {column: value}
    types: dict[str, str]  # column -> its type as a migration writes it
    nullable: dict[str, bool | None]  # column -> whether it allows NULL


Snapshot = dict[str, TableRows]  # table name -> its rows
Renames = dict[str, tuple[str, dict[str, str]]]  # old table -> (new table, {old column: new column})


def snapshot(connection: sa.Connection) -> Snapshot:
    result = {}
    for table in _tables(connection).sorted_tables:
        if table.name == VERSION_TABLE:
            continue
        key = [column.name for column in table.primary_key.columns] or list(table.columns.keys())
        rows = {}
        for row in connection.execute(sa.select(table)).mappings():
            values = {column: _plain(value) for column, value in row.items()}
            rows[repr([values[column] for column in key])] = values
        result[table.name] = TableRows(key, list(table.columns.keys()), rows,
                                       {column.name: type_code(column.type) for column in table.columns},
                                       {column.name: column.nullable for column in table.columns})
    return result


def _tables(connection: sa.Connection) -> sa.MetaData:
    """The database's tables with what a snapshot reads: columns, primary keys, and the foreign keys
    that order them as MetaData.reflect would. Three catalog queries, where a full reflection (indexes,
    constraints, comments…) takes a dozen: a walk takes a snapshot after every command."""
    inspector = sa.inspect(connection)
    tables = sa.MetaData()
    for (_, name), columns in sorted(inspector.get_multi_columns().items()):
        sa.Table(name, tables, *(sa.Column(column["name"], column["type"], nullable=column["nullable"])
                                 for column in columns))
    for (_, name), key in inspector.get_multi_pk_constraint().items():
        if name in tables.tables and key["constrained_columns"]:
            tables.tables[name].append_constraint(sa.PrimaryKeyConstraint(*key["constrained_columns"]))
    for (_, name), references in inspector.get_multi_foreign_keys().items():
        for reference in references:
            if name in tables.tables and reference["referred_schema"] is None \
                    and reference["referred_table"] in tables.tables:
                tables.tables[name].append_constraint(sa.ForeignKeyConstraint(
                    reference["constrained_columns"],
                    [tables.tables[reference["referred_table"]].c[column] for column in reference["referred_columns"]]))
    return tables


def _plain(value):
    """A JSON-friendly value that compares equal across databases and drivers."""
    if isinstance(value, (datetime.date, datetime.time, decimal.Decimal)):
        return str(value)
    if isinstance(value, bytes):
        return value.hex()
    return value


def seed(connection: sa.Connection, table_names: Iterable[str], first: int = 1,
         schema: sa.MetaData | None = None) -> dict[str, str]:
    """Insert ROWS_PER_TABLE rows of recognisable values into each of `table_names`, numbered from `first`
    (another number, other values); `schema`: the database's, if just reflected.

    The values depend only on the table's shape, so seeding the same schema twice gives the
    same rows. Returns the tables that could not be seeded, with the database's reason.
    """
    names = set(table_names)
    if schema is None:
        schema = sa.MetaData()
        schema.reflect(bind=connection, only=list(names))
    refused = {}
    for table in (table for table in schema.sorted_tables if table.name in names):
        try:
            with connection.begin_nested():
                rows = [_sample_row(connection, table, number) for number in range(first, first + ROWS_PER_TABLE)]
                connection.execute(sa.insert(table), rows)
        except (sa.exc.SQLAlchemyError, _Unseedable) as exc:
            refused[table.name] = str(exc).splitlines()[0]
    return refused


class _Unseedable(Exception):
    pass


def _sample_row(connection, table, number):
    row = {}
    for column in table.columns:
        if column.foreign_keys:
            row[column.name] = _referenced_value(connection, column, number)
            continue
        value = _sample_value(table.name, column, number)
        if value is None and not column.nullable and column.server_default is None:
            raise _Unseedable(f"no sample value for {table.name}.{column.name} ({column.type})")
        if value is not None:
            row[column.name] = value
    return row


def _referenced_value(connection, column, number):
    target = next(iter(column.foreign_keys)).column
    values = connection.execute(sa.select(target).order_by(target)).scalars().all()
    if not values:
        if column.nullable:
            return None
        raise _Unseedable(f"{column.table.name}.{column.name} needs a row in {target.table.name}")
    return values[(number - 1) % len(values)]


def _sample_value(table_name, column, number):
    type_ = column.type
    if isinstance(type_, sa.Boolean):
        return number % 2 == 0
    if isinstance(type_, sa.Integer):
        # Ids too: a migration that assumes the first row has id 1 finds no such row.
        return 1000 * number + 7
    if isinstance(type_, (sa.Float, sa.Numeric)):
        return number + 0.5
    if isinstance(type_, sa.DateTime):
        return datetime.datetime(2020, 1, number, 9, 30)
    if isinstance(type_, sa.Date):
        return datetime.date(2020, 1, number)
    if isinstance(type_, sa.String):
        text = f"{table_name} {column.name} {number}"
        length = getattr(type_, "length", None)
        return text[-length:] if length else text
    return None


def follow(before: Snapshot, after: Snapshot, allow_renames: bool = True,
           nulls_filled_ok: bool = False) -> tuple[list[Loss], Renames]:
    """Where did the rows of `before` go in `after`?

    Returns (losses, renames): [Loss], and {old table: (new table, {old column: new column})}
    for every table whose rows were found again. With allow_renames=False (checking that a
    downgrade restored the old state) rows must be back under their old names, and rows
    that were not there before count too. With nulls_filled_ok, a value in `after` where
    `before` had NULL is neither a loss nor a difference: a backfill fills them, and its
    downgrade may leave them.
    """
    losses, renames = [], {}
    appeared = [name for name in after if name not in before]
    for name, table in before.items():
        if not table.rows:
            continue
        candidates = [name] if name in after else (appeared if allow_renames else [])
        best = max(candidates, key=lambda other: _overlap(table, after[other]), default=None)
        if name in after and _overlap(table, after[name]) == 0:
            losses.append(Loss(LossKind.ROWS_LOST, name, rows=len(table.rows), of=len(table.rows)))
            continue
        if best is None or _overlap(table, after[best]) == 0:
            replaced_by = _look_alike(table, after, appeared)
            losses.append(Loss(LossKind.TABLE_LOST, name, rows=len(table.rows), replaced_by=replaced_by))
            continue
        column_map, table_losses = _follow_columns(name, table, after[best], allow_renames, nulls_filled_ok)
        renames[name] = (best, column_map)
        losses.extend(table_losses)
    if not allow_renames:
        losses.extend(_rows_added(before, after))
    return losses, renames


def _overlap(table, other):
    """How many of `table`'s values can be found in `other`, by row key."""
    matched = _matched_rows(table, other)
    return sum(1 for row, found in matched for value in row.values() if value in found.values())


def _matched_rows(table, other):
    if not all(column in other.columns for column in table.key):
        return []
    other_rows = {repr([row[column] for column in table.key]): row for row in other.rows.values()}
    return [(row, other_rows[key]) for key, row in table.rows.items() if key in other_rows]


def _look_alike(table, after, appeared):
    """A new, empty table with columns of the same kinds: a rename done as create + drop."""
    kinds = sorted(map(kind_of, table.types.values()))
    for other in appeared:
        if not after[other].rows and sorted(map(kind_of, after[other].types.values())) == kinds:
            return other
    return None


def _follow_columns(name, table, other, allow_renames, nulls_filled_ok=False):
    matched = _matched_rows(table, other)
    losses = []
    missing_rows = len(table.rows) - len(matched)
    if missing_rows:
        losses.append(Loss(LossKind.ROWS_LOST, name, rows=missing_rows, of=len(table.rows)))
    new_columns = [column for column in other.columns if column not in table.columns]
    column_map = {}
    for column in table.columns:
        holders = [column] if column in other.columns else []
        if allow_renames or not holders:
            holders += new_columns
        held = {holder: sum(1 for row, found in matched if found.get(holder) == row[column]) for holder in holders}
        best = max(held, key=lambda holder: held[holder], default=None)
        lost = len(matched) - (held[best] if best else 0)
        if nulls_filled_ok and best == column:
            lost = sum(1 for row, found in matched if row[column] is not None and found.get(column) != row[column])
        if best is not None and held[best] > 0 and (best == column or allow_renames):
            column_map[column] = best
        if lost == 0 or not matched:
            continue
        if column in other.columns:
            losses.append(Loss(LossKind.VALUES_CHANGED, name, rows=lost, column=column))
        elif allow_renames and _copied(column, table, other, matched):
            continue  # dropped once its values were copied into a column kept (expand, then contract)
        else:
            # Only an empty new column of the same kind could be this one renamed.
            replaced_by = next((c for c in new_columns if kind_of(other.types[c]) == kind_of(table.types[column])
                                and all(found.get(c) is None for _, found in matched)), None)
            losses.append(Loss(LossKind.COLUMN_LOST, name, rows=lost, column=column, replaced_by=replaced_by,
                               type=table.types[column], nullable=table.nullable[column]))
    return column_map, losses


def _copied(column, table, other, matched):
    """Whether a column that both states have holds the dropped `column`'s every value (not the key:
    the grader's sample ids and sample integers are alike)."""
    kept = [name for name in other.columns if name in table.columns and name != column
            and name not in table.key]
    return any(all(found.get(name) == row[column] for row, found in matched) for name in kept)


def new_column_values(before: Snapshot, after: Snapshot, renames: Renames,
                      default_of: Callable[[str, str], str | None]) -> list[FilledColumn]:
    """The values that rows already there got in the columns a migration added to their table:
    a FilledColumn for every added column. `default_of(table, column)`: its server default."""
    filled = []
    for name, (new_name, column_map) in renames.items():
        matched = _matched_rows(before[name], after[new_name])
        kept = set(column_map.values()) | set(before[name].columns)
        for column in after[new_name].columns:
            if column in kept or not matched:
                continue
            counts: dict[str | int | float | bool | None, int] = {}
            for _, row in matched:
                counts[row[column]] = counts.get(row[column], 0) + 1
            filled.append(FilledColumn(new_name, column, tuple(counts.items()), default_of(new_name, column)))
    return filled


def dangling_references(connection: sa.Connection, tables: sa.MetaData) -> list[DanglingReference]:
    """Rows whose foreign key value points at no row: [DanglingReference].

    `tables` is the database's schema, reflected. SQLite does not enforce foreign keys by default,
    so a wrong backfill goes unnoticed there.
    """
    items = []
    for table in tables.sorted_tables:
        for constraint in table.foreign_key_constraints:
            if len(constraint.elements) != 1:
                continue
            element = constraint.elements[0]
            column, target = element.parent, element.column
            orphan = sa.select(column).where(column.is_not(None), ~sa.exists().where(target == column))
            values = connection.execute(orphan).scalars().all()
            if values:
                items.append(DanglingReference(table.name, column.name, f"{target.table.name}.{target.name}",
                                               len(values), tuple(sorted(set(values), key=repr)[:3])))
    return items


def only_carried(losses: Iterable[Loss], carried: dict[str, list[str]]) -> list[Loss]:
    """The losses that concern `carried` ({table: [columns]}), the data that existed earlier."""
    kept = []
    for item in losses:
        if item.table not in carried:
            continue
        if item.kind in (LossKind.COLUMN_LOST, LossKind.VALUES_CHANGED) and item.column not in carried[item.table]:
            continue
        kept.append(item)
    return kept


def added_keys(before: Snapshot, after: Snapshot) -> dict[str, set[str]]:
    """{table: the keys of the rows `after` has and `before` had not}, for the tables that have such rows."""
    found = {name: set(table.rows) - set(before[name].rows if name in before else {}) for name, table in after.items()}
    return {name: keys for name, keys in found.items() if keys}


def delete(connection: sa.Connection, snapshot: Snapshot, keys: dict[str, set[str]], schema: sa.MetaData) -> bool:
    """Delete the rows of `snapshot` named in `keys` ({table: row keys}) by their primary keys, rows that
    refer to others first; `schema`: the database's. False, deleting nothing, where a table is not in
    `schema` or has no primary key of whole numbers or text (a snapshot's dates and bytes are strings:
    they would not find their rows)."""
    tables = [table for table in reversed(schema.sorted_tables) if table.name in keys]
    if len(tables) < len(keys) or not all(
            table.primary_key.columns and all(isinstance(column.type, (sa.Integer, sa.String))
                                              for column in table.primary_key.columns) for table in tables):
        return False
    for table in tables:
        held = snapshot[table.name]
        rows = [held.rows[key] for key in keys[table.name] & set(held.rows)]
        key_columns = list(table.primary_key.columns)
        if len(key_columns) == 1:
            connection.execute(sa.delete(table).where(key_columns[0].in_([row[key_columns[0].name] for row in rows])))
            continue
        for row in rows:
            connection.execute(sa.delete(table).where(*(column == row[column.name] for column in key_columns)))
    return True


def without(snapshot: Snapshot, keys: dict[str, set[str]]) -> Snapshot:
    """`snapshot` but the rows named in `keys` ({table: set of row keys})."""
    return {name: dataclasses.replace(table, rows={key: row for key, row in table.rows.items()
                                                   if key not in keys.get(name, set())})
            for name, table in snapshot.items()}


def restrict(snapshot: Snapshot, keys: dict[str, set[str]]) -> Snapshot:
    """Only the tables and rows named in `keys` ({table: set of row keys})."""
    return {name: dataclasses.replace(table, rows={key: row for key, row in table.rows.items() if key in keys[name]})
            for name, table in snapshot.items() if name in keys}


def _rows_added(before, after):
    items = []
    for name, table in after.items():
        old_keys = set(before[name].rows) if name in before else set()
        added = [key for key in table.rows if key not in old_keys]
        if name in before and added:
            items.append(Loss(LossKind.ROWS_ADDED, name, rows=len(added)))
    return items

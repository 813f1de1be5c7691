"""Compare a live database with a MetaData, using Alembic's autogenerate comparison.

The differences come back as schema items (facts.SchemaItem) that messages.py can phrase:
SchemaItem(SchemaKind.MISSING_TABLE, table="departments") and so on. "missing" means the MetaData
has it and the database does not; "extra" the other way round.
"""
import re
import urllib.parse
import warnings
from collections.abc import Iterable
from pathlib import Path

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.sql.schema import ColumnCollectionConstraint

from ...inside import described
from .. import codec
from ..facts import ConstraintKind, SchemaItem, SchemaKind, UnnamedConstraint

VERSION_TABLE = "alembic_version"

# SQLAlchemy 2.1 reflects PostgreSQL's CHECK ... NOT VALID by handing CheckConstraint a keyword it reads
# as a dialect's option, and warns on stderr at every reflection; the grader compares no such option.
warnings.filterwarnings("ignore", message="Can't validate argument 'dialect_options'", category=sa.exc.SAWarning)


def versions(connection: sa.Connection) -> list[str]:
    """The revision ids in alembic_version; none when there is no such table."""
    if not sa.inspect(connection).has_table(VERSION_TABLE):
        return []
    return sorted(connection.execute(sa.text(f"SELECT version_num FROM {VERSION_TABLE}")).scalars())


def read_only_sqlite(path: Path | str) -> sa.Engine:
    """An engine on a SQLite file that can neither write it nor create it. The path is quoted
    into SQLite's URI, where `#`, `?` and `%` in a folder's name would otherwise end it."""
    uri = f"file:{urllib.parse.quote(str(path))}"
    return sa.create_engine(sa.URL.create("sqlite", database=uri, query={"mode": "ro", "uri": "true"}))


# PostgreSQL's functions and procedures in the public schema but an extension's: a trigger's function
# outlives the table it ran on, and a migration run again would meet it ("already exists").
ROUTINES = """
SELECT p.oid::regprocedure::text FROM pg_proc p
WHERE p.pronamespace = 'public'::regnamespace AND p.prokind IN ('f', 'p')
  AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid
                  AND d.deptype = 'e')
"""


def drop_everything(connection: sa.Connection) -> None:
    """Drop every table, alembic_version included, and on PostgreSQL every routine a migration
    made: an empty database again."""
    tables = sa.MetaData()
    tables.reflect(bind=connection)
    tables.drop_all(bind=connection)
    if connection.dialect.name == "postgresql":
        for routine in connection.execute(sa.text(ROUTINES)).scalars().all():
            connection.exec_driver_sql(f"DROP ROUTINE IF EXISTS {routine} CASCADE")


def reflect(connection: sa.Connection) -> sa.MetaData:
    """The database's tables as a MetaData, so a later state can be compared with it."""
    metadata = sa.MetaData()
    metadata.reflect(bind=connection)
    if VERSION_TABLE in metadata.tables:
        metadata.remove(metadata.tables[VERSION_TABLE])
    return metadata


def differences_from_state(connection: sa.Connection, reflected: sa.MetaData,
                           metadata: sa.MetaData) -> list[SchemaItem]:
    """differences(), with a quick first look: when the tables and columns by name already differ,
    those name differences are the answer, and Alembic's full comparison (a reflection of its own
    each time) is spared. A chain is compared with every lesson state at every revision."""
    by_name = name_differences(reflected, metadata)
    return by_name if by_name else differences(connection, metadata)


def name_differences(reflected: sa.MetaData, metadata: sa.MetaData) -> list[SchemaItem]:
    """The tables and columns, by name, that `metadata` has and the `reflected` database lacks
    ("missing_…"), and the other way round ("extra_…")."""
    items = []
    for name in sorted(metadata.tables.keys() | reflected.tables.keys()):
        if name not in reflected.tables:
            items.append(typed(described.table_item("missing", metadata.tables[name])))
        elif name not in metadata.tables:
            items.append(typed(described.table_item("extra", reflected.tables[name])))
        else:
            expected, found = metadata.tables[name].c, reflected.tables[name].c
            items += [typed(described.column_item("missing", name, column)) for column in expected
                      if column.name not in found]
            items += [typed(described.column_item("extra", name, column)) for column in found
                      if column.name not in expected]
    return items


def differences(connection: sa.Connection, metadata: sa.MetaData) -> list[SchemaItem]:
    """What the database lacks or has in excess compared with `metadata`, as schema items."""
    context = MigrationContext.configure(connection, opts={"compare_type": True, "compare_server_default": True})
    items = [typed(item) for item in described.items(compare_metadata(context, metadata), metadata)]
    items.extend(_primary_key_differences(connection, metadata))
    return items


def typed(item: dict[str, object]) -> SchemaItem:
    """A plain schema item (testing/inside/described.py) as the facts' SchemaItem."""
    return codec.typed(SchemaItem, item, "a schema item")


RENAMED_KINDS = (SchemaKind.MISSING_TABLE, SchemaKind.EXTRA_TABLE, SchemaKind.MISSING_COLUMN, SchemaKind.EXTRA_COLUMN)


def with_renames(items: Iterable[SchemaItem], renames: dict[str, tuple[str, dict[str, str]]]) -> list[SchemaItem]:
    """`items` (a database against the state before it) with each rename the rows revealed told as
    one change, instead of one table or column missing and another extra."""
    told: list[SchemaItem] = []
    explained: set[tuple[str | None, str | None]] = set()
    for old, (new, columns) in renames.items():
        if old != new:
            told.append(SchemaItem(SchemaKind.TABLE_RENAMED, expected=old, found=new))
            explained |= {(old, None), (new, None)}
        for before, after in columns.items():
            if before != after:
                told.append(SchemaItem(SchemaKind.COLUMN_RENAMED, table=new, expected=before, found=after))
                explained |= {(new, before), (new, after)}
    return told + [item for item in items if item.kind not in RENAMED_KINDS
                   or (item.table, item.column) not in explained]


QUOTED = re.compile(r"^'((?:[^']|'')*)'(::[\w ]+)?$")


def default_value(column: sa.Column[object]) -> str | None:
    """A reflected column's server default as the text a row gets, e.g. Associate; None if it has none."""
    default = column.server_default
    if not isinstance(default, sa.DefaultClause):  # none, or a generated or identity column's
        return None
    text = str(getattr(default.arg, "text", default.arg)).strip()
    quoted = QUOTED.match(text)
    return quoted.group(1).replace("''", "'") if quoted else text


def unnamed_constraints(connection: sa.Connection, metadata: sa.MetaData) -> list[UnnamedConstraint]:
    """Constraints that `metadata` names but the database holds without a name.

    Autogenerate matches an unnamed constraint to a named one by its columns, so it does not
    see this; but a constraint without a name cannot be dropped later ("Constraint must have a name").
    """
    inspector = sa.inspect(connection)
    existing = set(inspector.get_table_names())
    items = []
    for table in metadata.sorted_tables:
        if table.name not in existing:
            continue
        found = {
            ConstraintKind.UNIQUE: [(c["name"], c["column_names"])
                                    for c in inspector.get_unique_constraints(table.name)],
            ConstraintKind.FOREIGN_KEY: [(c["name"], c["constrained_columns"])
                                         for c in inspector.get_foreign_keys(table.name)],
        }
        for constraint in table.constraints:
            what = {sa.UniqueConstraint: ConstraintKind.UNIQUE,
                    sa.ForeignKeyConstraint: ConstraintKind.FOREIGN_KEY}.get(type(constraint))
            if what is None or not constraint.name or not isinstance(constraint, ColumnCollectionConstraint):
                continue
            columns = sorted(column.name for column in constraint.columns)
            if any(name is None and sorted(names) == columns for name, names in found[what]):
                items.append(UnnamedConstraint(what, table.name, tuple(columns), str(constraint.name)))
    return items


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
            items.append(SchemaItem(SchemaKind.PRIMARY_KEY, table=table.name, expected_columns=tuple(expected),
                                    columns=tuple(found)))
    return items

"""What `lesson view` shows of a learner's database, read only. Their chain of migrations comes from
the grader's `climb` (their code never runs in the page's process)."""
import hashlib
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa

from ..grader import schema
from . import schema_files

ROWS_PER_PAGE = 25


@dataclass
class Table:
    name: str
    columns: list  # {"name", "type", "nullable", "default", "key"}
    constraints: list  # {"kind", "name", "columns"}
    row_count: int
    page: int  # the page of rows shown, from 1
    page_count: int
    rows: list


@dataclass
class Database:
    url: str
    problem: str | None = None  # why there is nothing to show, in the learner's words
    versions: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)

    def fingerprint(self) -> str:
        """Changes whenever a migration runs or rows come and go."""
        shape = [self.problem, self.versions, [(t.name, t.columns, t.constraints, t.row_count) for t in self.tables]]
        return hashlib.sha256(json.dumps(shape, default=str).encode()).hexdigest()[:16]


def database_url(server_dir: Path | str) -> sa.URL:
    """The learner's database: DATABASE_URL, or the app's SQLite file in instance/."""
    url = sa.make_url(os.environ.get("DATABASE_URL") or "sqlite:///app.db")
    if url.get_backend_name() == "sqlite" and url.database and not os.path.isabs(url.database):
        url = url.set(database=str(Path(server_dir) / "instance" / url.database))  # as Flask-SQLAlchemy does
    return url


def read_database(url: sa.URL, page_of: Callable[[str], int] = lambda table: 1) -> Database:
    """Everything the page shows of the database, read in one connection; `page_of(table)` is the
    page of rows to show for each table."""
    shown = url.render_as_string(hide_password=True)
    if url.get_backend_name() == "sqlite":
        if not url.database or not Path(url.database).is_file():
            return Database(shown, problem=f"There is no database at {url.database} yet. In server/, "
                                           "`flask db upgrade` creates it.")
        engine = schema.read_only_sqlite(url.database)
    else:
        options = {"postgresql_readonly": True} if url.get_backend_name() == "postgresql" else {}
        engine = sa.create_engine(url, execution_options=options)
    try:
        with engine.connect() as connection:
            if not sa.inspect(connection).has_table(schema.VERSION_TABLE):
                return Database(shown, problem="This database has no alembic_version table: no migration has "
                                               "run on it yet. In server/, `flask db upgrade` runs them.")
            tables = [_table(connection, table, page_of(table.name))
                      for table in sorted(schema.reflect(connection).tables.values(), key=lambda table: table.name)]
            return Database(shown, versions=schema.versions(connection), tables=tables)
    except sa.exc.SQLAlchemyError as exc:  # changed under our feet by a migration, or unreachable
        return Database(shown, problem=f"The database cannot be read: {str(getattr(exc, 'orig', exc)).splitlines()[0]}")
    finally:
        engine.dispose()


def _table(connection, table, page):
    key = {column.name for column in table.primary_key.columns}
    references = {fk.parent.name: f"→ {fk.target_fullname}" for fk in table.foreign_keys}
    columns = [{"name": column.name, "type": str(column.type), "nullable": column.nullable,
                "default": schema.default_value(column),
                "key": " ".join(filter(None, ["primary key" if column.name in key else "",
                                              references.get(column.name, "")]))}
               for column in table.columns]
    constraints = [{"kind": "primary key", "name": table.primary_key.name, "columns": sorted(key)}] if key else []
    constraints += [{"kind": "foreign key" if isinstance(constraint, sa.ForeignKeyConstraint) else "unique",
                     "name": constraint.name, "columns": [column.name for column in constraint.columns]}
                    for constraint in sorted(table.constraints, key=lambda constraint: str(constraint.name))
                    if isinstance(constraint, (sa.ForeignKeyConstraint, sa.UniqueConstraint))]
    count = connection.execute(sa.select(sa.func.count()).select_from(table)).scalar()
    page_count = max(1, -(-count // ROWS_PER_PAGE))
    page = min(page, page_count)  # a page past the last shows the last one
    order = list(table.primary_key.columns) or list(table.columns)
    rows = connection.execute(sa.select(table).order_by(*order)
                              .limit(ROWS_PER_PAGE).offset((page - 1) * ROWS_PER_PAGE)).all()
    return Table(table.name, columns, constraints, count, page, page_count, rows)


def files_fingerprint(server_dir: Path | str) -> str:
    """Changes when models.py, app.py or a migration file is added, removed or saved."""
    return hashlib.sha256(json.dumps(schema_files.stamps(server_dir)).encode()).hexdigest()[:16]

"""What `lesson view` shows, read from a learner's database (never written) and migrations folder."""
import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa

from ..grader import messages
from ..grader.chain import ChainProblem, load_chain
from ..grader.sandbox import sandbox
from ..grader.schema import VERSION_TABLE
from ..grader.supervisor import run_worker

ROWS_PER_PAGE = 25
CHANGES_TIME_LIMIT = 30  # seconds for any one migration while finding what each one changed


@dataclass
class Table:
    name: str
    columns: list  # {"name", "type", "nullable", "default", "key"}
    constraints: list  # {"kind", "name", "columns"}
    row_count: int


@dataclass
class Database:
    url: str
    problem: str | None = None  # why there is nothing to show, in the learner's words
    versions: list = field(default_factory=list)
    tables: list = field(default_factory=list)

    def fingerprint(self):
        """Changes whenever a migration runs or rows come and go."""
        shape = [self.problem, self.versions, [(t.name, t.columns, t.constraints, t.row_count) for t in self.tables]]
        return hashlib.sha256(json.dumps(shape, default=str).encode()).hexdigest()[:16]


def database_url(server_dir):
    """The learner's database: DATABASE_URL, or the app's SQLite file in instance/."""
    url = sa.make_url(os.environ.get("DATABASE_URL") or "sqlite:///app.db")
    if url.get_backend_name() == "sqlite" and url.database and not os.path.isabs(url.database):
        url = url.set(database=str(Path(server_dir) / "instance" / url.database))  # as Flask-SQLAlchemy does
    return url


def read_only_engine(url):
    """An engine that cannot write; None for a SQLite file that does not exist (it is not created)."""
    if url.get_backend_name() == "sqlite":
        if not Path(url.database).is_file():
            return None
        return sa.create_engine(f"sqlite:///file:{url.database}?mode=ro&uri=true")
    options = {"postgresql_readonly": True} if url.get_backend_name() == "postgresql" else {}
    return sa.create_engine(url, execution_options=options)


def read_database(url):
    shown = url.render_as_string(hide_password=True)
    engine = read_only_engine(url)
    if engine is None:
        return Database(shown, problem=f"There is no database at {url.database} yet. In server/, "
                                       "`flask db upgrade` creates it.")
    try:
        with engine.connect() as connection:
            inspector = sa.inspect(connection)
            names = inspector.get_table_names()
            if VERSION_TABLE not in names:
                return Database(shown, problem="This database has no alembic_version table: no migration has "
                                               "run on it yet. In server/, `flask db upgrade` runs them.")
            versions = sorted(connection.execute(sa.text(f"SELECT version_num FROM {VERSION_TABLE}")).scalars())
            tables = [_table(connection, inspector, name) for name in sorted(names) if name != VERSION_TABLE]
    except sa.exc.OperationalError as exc:
        return Database(shown, problem=f"The database cannot be read: {str(getattr(exc, 'orig', exc)).splitlines()[0]}")
    finally:
        engine.dispose()
    return Database(shown, versions=versions, tables=tables)


def _table(connection, inspector, name):
    key = set(inspector.get_pk_constraint(name).get("constrained_columns") or [])
    references = {column: f"→ {fk['referred_table']}.{fk['referred_columns'][i]}"
                  for fk in inspector.get_foreign_keys(name) for i, column in enumerate(fk["constrained_columns"])}
    columns = [{"name": column["name"], "type": str(column["type"]), "nullable": column["nullable"],
                "default": column.get("default"),
                "key": " ".join(filter(None, ["primary key" if column["name"] in key else "",
                                              references.get(column["name"], "")]))}
               for column in inspector.get_columns(name)]
    constraints = [{"kind": "primary key", "name": inspector.get_pk_constraint(name).get("name"), "columns": sorted(key)}]
    constraints += [{"kind": "foreign key", "name": fk.get("name"), "columns": fk["constrained_columns"]}
                    for fk in inspector.get_foreign_keys(name)]
    constraints += [{"kind": "unique", "name": unique.get("name"), "columns": unique["column_names"]}
                    for unique in inspector.get_unique_constraints(name)]
    count = connection.execute(sa.select(sa.func.count()).select_from(sa.table(name))).scalar()
    return Table(name, columns, constraints, count)


def rows(url, table, page):
    """(column names, the rows of page `page` (from 1), number of pages) of one table."""
    engine = read_only_engine(url)
    try:
        with engine.connect() as connection:
            reflected = sa.Table(table, sa.MetaData(), autoload_with=connection)
            total = connection.execute(sa.select(sa.func.count()).select_from(reflected)).scalar()
            order = list(reflected.primary_key.columns) or list(reflected.columns)
            found = connection.execute(sa.select(reflected).order_by(*order)
                                       .limit(ROWS_PER_PAGE).offset((page - 1) * ROWS_PER_PAGE)).all()
    finally:
        engine.dispose()
    return list(reflected.columns.keys()), found, max(1, -(-total // ROWS_PER_PAGE))


def read_chain(server_dir):
    """(revisions base to head, or None; a problem in the learner's words, or None)."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(Path(server_dir) / "migrations"))
    try:
        return load_chain(config, server_dir), None
    except ChainProblem as problem:
        return None, messages.chain_problem(problem.details)


def changes_by_revision(server_dir):
    """{revision id: [change]} from climbing the chain on a scratch copy; {} if it cannot climb."""
    with sandbox(server_dir) as (workdir, copy):
        facts = run_worker(copy, f"sqlite:///{workdir / 'changes.db'}", "sqlite", {}, CHANGES_TIME_LIMIT,
                           mode="changes")
    revisions = (facts.get("chain") or {}).get("revisions") or []
    return {revisions[climbed["index"]]["id"]: climbed["changes"] for climbed in facts.climbed}


def migrations_fingerprint(server_dir):
    """Changes when a migration file is added, removed or saved."""
    versions = Path(server_dir) / "migrations" / "versions"
    files = sorted((path.name, path.stat().st_mtime_ns, path.stat().st_size) for path in versions.glob("*.py")) \
        if versions.is_dir() else []
    return hashlib.sha256(json.dumps(files).encode()).hexdigest()[:16]

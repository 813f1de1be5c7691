"""What a migration stopped at the time limit was doing, as the database shows it (PostgreSQL).

A migration that takes too long is not always endless: a correct backfill may just be slow. So the
grader looks before it stops the learner's process: which statement the migration's connection is
running (or ran last), and how many rows of the columns the revision added already hold a value.
"""
import sqlalchemy as sa

from .linter import one_line
from .traffic import TRAFFIC_NAME

# The learner's connections: in this database, neither the grader's observers (the administrator's,
# as this query is) nor the traffic's. The one running a statement first, then the one that ran one last.
RUNNING = """
SELECT query FROM pg_stat_activity
WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'
  AND usename <> current_user AND application_name IS DISTINCT FROM :traffic AND query <> ''
ORDER BY state = 'active' DESC, state_change DESC
LIMIT 1
"""
LOOK_LIMIT = "SET lock_timeout = '1s'"  # a migration holding its table locked leaves the count out


def details(engine: sa.Engine, below: sa.MetaData) -> dict[str, object]:
    """{"running": statement, "filled": [ColumnFill as data]} for Stopped's details; `below`: the
    schema before the revision (MetaData). Empty when it cannot be read."""
    if engine.dialect.name != "postgresql":
        return {}
    found: dict[str, object] = {}
    try:
        with engine.connect() as connection:
            query = connection.execute(sa.text(RUNNING), {"traffic": TRAFFIC_NAME}).scalar()
            if query:
                found["running"] = one_line(query)
            connection.exec_driver_sql(LOOK_LIMIT)
            found["filled"] = _filled(connection, below)
    except sa.exc.DBAPIError:  # what could be read is reported
        pass
    return found


def _filled(connection, below):
    now = sa.inspect(connection)
    filled = []
    for table in now.get_table_names():
        if table not in below.tables:
            continue
        added = [column["name"] for column in now.get_columns(table) if column["name"] not in below.tables[table].c]
        for column in added:
            quote = connection.dialect.identifier_preparer.quote
            quoted_table, quoted_column = quote(table), quote(column)
            count, rows = connection.exec_driver_sql(
                f"SELECT count({quoted_column}), count(*) FROM {quoted_table}").one()
            filled.append({"table": table, "column": column, "filled": count, "rows": rows})
    return filled

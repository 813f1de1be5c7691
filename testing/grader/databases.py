"""Scratch databases for one grading run: a SQLite file, or a fresh database on PostgreSQL or MySQL.

A server comes from COURSE_POSTGRES_URL / COURSE_MYSQL_URL when set (the tests share one server
that way); otherwise one is started for this run in a temporary folder: embedded PostgreSQL, or
the MariaDB installed on the machine.
"""
import os
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from ..problems import UsageError

DATABASES = ("sqlite", "postgresql", "mysql")
POSTGRES_URL_VARIABLE = "COURSE_POSTGRES_URL"
MYSQL_URL_VARIABLE = "COURSE_MYSQL_URL"


@contextmanager
def scratch_database(kind: str, workdir: Path, progress: Callable[[str], None] | None = None) -> Iterator[str]:
    """Yield the SQLAlchemy URL of an empty database that only this run uses."""
    if kind == "sqlite":
        yield f"sqlite:///{workdir / 'scratch.db'}"
    elif kind in SERVERS:
        variable, start, quote, drop_suffix = SERVERS[kind]
        if progress and not os.environ.get(variable):
            progress(f"starting {NAMES[kind]} for this grade (a few seconds)...")
        with _server(variable, start) as server_url:
            with _database_on(server_url, quote, drop_suffix) as url:
                yield url
    else:
        raise UsageError(f"unknown database {kind!r}: choose one of {', '.join(DATABASES)}")


def server_socket(url: str) -> Path | None:
    """The Unix socket a server database's URL reaches it through, or None (SQLite, or a network address)."""
    import sqlalchemy as sa

    parsed = sa.make_url(url)
    if parsed.get_backend_name() == "postgresql":
        folder = parsed.query.get("host") or ""
        if not isinstance(folder, str):  # ?host=...&host=...: libpq tries each in turn, no one socket
            return None
        return Path(folder) / f".s.PGSQL.{parsed.port or 5432}" if folder.startswith("/") else None
    socket = parsed.query.get("unix_socket") if parsed.get_backend_name() == "mysql" else None
    if isinstance(socket, str) and socket:
        return Path(socket)
    return None


def through_socket(url: str, socket: Path) -> str:
    """`url`, with its server reached through `socket` (a link to the one it names)."""
    import sqlalchemy as sa

    parsed = sa.make_url(url)
    if parsed.get_backend_name() == "postgresql":  # libpq finds .s.PGSQL.<port> in the folder `host` names
        parsed = parsed.update_query_dict({"host": str(socket.parent)})
    else:
        parsed = parsed.update_query_dict({"unix_socket": str(socket)})
    return parsed.render_as_string(hide_password=False)


@contextmanager
def _server(variable, start):
    if os.environ.get(variable):
        yield os.environ[variable]
        return
    with start() as url:
        yield url


def _embedded_postgres():
    from . import postgres

    return postgres.embedded_server()


def _temporary_mariadb():
    from . import mariadb

    return mariadb.temporary_server()


NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL", "mysql": "MariaDB"}
# kind: (variable naming a running server, how to start one, identifier quote, DROP DATABASE suffix)
SERVERS = {
    "postgresql": (POSTGRES_URL_VARIABLE, _embedded_postgres, '"', " WITH (FORCE)"),
    "mysql": (MYSQL_URL_VARIABLE, _temporary_mariadb, "`", ""),
}


ADMIN_WAIT = 30  # seconds the grader's own CREATE and DROP DATABASE may wait on a lock


@contextmanager
def _database_on(server_url, quote, drop_suffix):
    import sqlalchemy as sa  # only here: a SQLite grade starts faster without it

    from .bounded import bounded_engine

    name = f"grade_{uuid.uuid4().hex[:16]}"
    admin = bounded_engine(server_url, lambda: ADMIN_WAIT, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(f"CREATE DATABASE {quote}{name}{quote}")
        yield sa.make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        admin.dispose()  # a connection kept idle for the whole grade may have been closed by its server
        with admin.connect() as connection:
            if admin.dialect.name in ("mysql", "mariadb"):
                _end_connections_to(connection, name)
            connection.exec_driver_sql(f"DROP DATABASE IF EXISTS {quote}{name}{quote}{drop_suffix}")
        admin.dispose()


def _end_connections_to(connection, name):
    """End the connections the learner's code left on database `name` (MariaDB's DROP DATABASE
    would wait for their locks; PostgreSQL's WITH (FORCE) ends them itself)."""
    import sqlalchemy as sa

    left = connection.execute(sa.text("SELECT id FROM information_schema.processlist WHERE db = :name"),
                              {"name": name}).scalars().all()
    for number in left:
        try:
            connection.exec_driver_sql(f"KILL CONNECTION {int(number)}")
        except sa.exc.DBAPIError:  # it ended on its own meanwhile
            pass

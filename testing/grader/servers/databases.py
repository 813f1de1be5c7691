"""Scratch databases for one grading run: a SQLite file, or a fresh database on PostgreSQL or MySQL,
with a login of its own (roles.py).

A server comes from COURSE_POSTGRES_URL / COURSE_MYSQL_URL when set (the tests share one server
that way): its administrator's URL, which must be able to create roles (users) and databases.
Otherwise one is started for this run in a temporary folder: embedded PostgreSQL, or the MariaDB
installed on the machine.
"""
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from ...command_errors import UsageError
from ...course import DATABASES

POSTGRES_URL_VARIABLE = "COURSE_POSTGRES_URL"
MYSQL_URL_VARIABLE = "COURSE_MYSQL_URL"


@dataclass(frozen=True)
class ScratchDatabase:
    url: str  # as the grade's own login: for the learner's code and the grader's work on the data
    observer_url: str  # as the administrator, on the same database: for pg_locks and pg_stat_activity
    statement_log: Path | None = None  # the server's log of every statement the login sends (statement_log.py)


@contextmanager
def scratch_database(kind: str, workdir: Path, progress: Callable[[str], None] | None = None
                     ) -> Iterator[ScratchDatabase]:
    """Yield a ScratchDatabase: an empty database that only this run uses."""
    if kind == "sqlite":
        url = f"sqlite:///{workdir / 'scratch.db'}"
        yield ScratchDatabase(url, url)
    elif kind in SERVERS:
        variable, start = SERVERS[kind]
        if progress and not os.environ.get(variable):
            progress(f"starting {NAMES[kind]} for this grade (a few seconds)...")
        with _server(variable, start) as server_url:
            from .roles import database_of_its_own  # SQLAlchemy loads only here: a SQLite grade starts faster

            with database_of_its_own(server_url) as (url, observer_url, log):
                yield ScratchDatabase(url, observer_url, log)
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
# kind: (variable naming a running server, how to start one)
SERVERS = {
    "postgresql": (POSTGRES_URL_VARIABLE, _embedded_postgres),
    "mysql": (MYSQL_URL_VARIABLE, _temporary_mariadb),
}



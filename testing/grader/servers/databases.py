"""Scratch databases for one grading run: a SQLite file, or a fresh database on PostgreSQL or MySQL,
with a login of its own (roles.py), on the server supply.py gives the grade.
"""
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from ...command_errors import UsageError
from ...course import DATABASES
from . import supply


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
    elif kind in supply.URL_VARIABLES:
        with supply.server(kind, progress) as server_url:
            from .roles import database_of_its_own  # SQLAlchemy loads only here: a SQLite grade starts faster

            with database_of_its_own(server_url) as (url, observer_url, log):
                yield ScratchDatabase(url, observer_url, log)
    else:
        raise UsageError(f"unknown database {kind!r}: choose one of {', '.join(DATABASES)}")


def server_socket(url: str) -> Path | None:
    """The Unix socket a server database's URL reaches it through, or None (SQLite, or a network address)."""
    if url.startswith("sqlite"):  # before SQLAlchemy loads: it then loads while the learner's process starts
        return None
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

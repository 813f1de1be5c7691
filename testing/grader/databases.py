"""Scratch databases for one grading run: a SQLite file, or a fresh database on PostgreSQL.

PostgreSQL comes from COURSE_POSTGRES_URL when it is set (the tests share one server that way),
otherwise from an embedded server started for this run in a temporary folder.
"""
import os
import uuid
from contextlib import contextmanager

import sqlalchemy as sa

from ..problems import UsageError

DATABASES = ("sqlite", "postgresql")
POSTGRES_URL_VARIABLE = "COURSE_POSTGRES_URL"


@contextmanager
def scratch_database(kind, workdir):
    """Yield the SQLAlchemy URL of an empty database that only this run uses."""
    if kind == "sqlite":
        yield f"sqlite:///{workdir / 'scratch.db'}"
    elif kind == "postgresql":
        with _postgres_server() as server_url:
            with _postgres_database(server_url) as url:
                yield url
    else:
        raise UsageError(f"unknown database {kind!r}: choose one of {', '.join(DATABASES)}")


@contextmanager
def _postgres_server():
    if os.environ.get(POSTGRES_URL_VARIABLE):
        yield os.environ[POSTGRES_URL_VARIABLE]
        return
    from . import postgres

    with postgres.embedded_server() as url:
        yield url


@contextmanager
def _postgres_database(server_url):
    name = f"grade_{uuid.uuid4().hex[:16]}"
    admin = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
        yield sa.make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()

"""A login of its own for each grade on a shared server: a role (PostgreSQL) or user (MariaDB) that
owns its scratch database and nothing else.

The learner's code, and the grader's own work on that database (sample rows, the app of the step
before, each statement replayed), connect as that login: no superuser, no new roles or databases,
no server settings, no program run by the server, no other session ended, no other grade's
database reached, and a trigger or function the learner wrote runs with the learner's rights even
when the grader's writes fire it. Only the grader's observers of locks and sessions connect as the
administrator. Both the login and its database are dropped after the grade, however it ended; what
a grading process killed outright left behind is dropped by the next grade on the server (owners.py).
"""
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa

from . import owners, postgres
from .bounded import bounded_engine

ADMIN_WAIT = 30  # seconds the grader's own CREATE and DROP may wait on a lock
CONNECTION_LIMIT = 64  # a learner's code that opens connections in a loop stops there, not at the server's


@contextmanager
def database_of_its_own(server_url: str) -> Iterator[tuple[str, str, Path | None]]:
    """On the server at `server_url` (its administrator's URL), a new database and a login that owns
    it: yield (the login's URL, the administrator's URL), both on that database, and the server's log
    of every statement the login sends (None where the grader cannot read one); drop both after."""
    name = owners.new_name()  # the login and its database
    password = secrets.token_urlsafe(24)
    admin = bounded_engine(server_url, lambda: ADMIN_WAIT, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    statements = _Postgres if admin.dialect.name == "postgresql" else _MariaDB
    try:
        with admin.connect() as connection:
            _sweep(connection, statements)
            statements.create(connection, name, password)
            log = statements.log_every_statement(connection, name)
        server = sa.make_url(server_url)
        yield (server.set(username=name, password=password, database=name).render_as_string(hide_password=False),
               server.set(database=name).render_as_string(hide_password=False), log)
    finally:
        with admin.connect() as connection:
            statements.drop(connection, name)
        admin.dispose()


def _sweep(connection, statements):
    """Drop the logins and databases that grading processes of this machine, killed before their
    `finally`, left on the server: a kill may come between any two of the statements that make or
    drop them, so both kinds of name are looked at."""
    for name in owners.left_by_dead_processes(statements.ours(connection)):
        try:
            statements.drop(connection, name)
        except sa.exc.DBAPIError:  # another grade, sweeping at the same moment, dropped it first
            pass


class _Postgres:
    @staticmethod
    def ours(connection):
        return connection.execute(sa.text("SELECT rolname FROM pg_roles WHERE rolname LIKE :like UNION "
                                          "SELECT datname FROM pg_database WHERE datname LIKE :like"),
                                  {"like": owners.LIKE}).scalars().all()

    @staticmethod
    def create(connection, name, password):
        quoted = connection.execute(sa.text("SELECT quote_literal(:password)"), {"password": password}).scalar()
        connection.exec_driver_sql(f'CREATE ROLE "{name}" LOGIN PASSWORD {quoted} NOSUPERUSER NOCREATEDB '
                                   f'NOCREATEROLE NOREPLICATION NOBYPASSRLS CONNECTION LIMIT {CONNECTION_LIMIT}')
        # An administrator that is not a superuser may make a database for a role it can SET ROLE to.
        if not connection.exec_driver_sql("SELECT rolsuper FROM pg_roles WHERE rolname = current_user").scalar():
            connection.exec_driver_sql(f'GRANT "{name}" TO current_user')
        connection.exec_driver_sql(f'CREATE DATABASE "{name}" OWNER "{name}"')
        # Every role may connect to a new database: only this grade's may connect to this one.
        connection.exec_driver_sql(f'REVOKE ALL ON DATABASE "{name}" FROM PUBLIC')

    @staticmethod
    def log_every_statement(connection, name):
        """The server's JSON log, once it logs every statement `name` sends; None where there is no log
        the grader can read (a server it did not start). Only a superuser may change log_statement."""
        log = postgres.statement_log_file(connection)
        if log is None:
            return None
        try:
            connection.exec_driver_sql(f'ALTER ROLE "{name}" SET log_statement = \'all\'')
        except sa.exc.DBAPIError:  # an administrator that is not a superuser may not
            return None
        return log

    @staticmethod
    def drop(connection, name):
        connection.execute(sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = :name"),
                           {"name": name})
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        # What the role made in the administrator's database (a temporary table, an object where
        # PUBLIC may create) would keep DROP ROLE from working.
        if _role_exists(connection, name):
            connection.exec_driver_sql(f'DROP OWNED BY "{name}"')
        connection.exec_driver_sql(f'DROP ROLE IF EXISTS "{name}"')


def _role_exists(connection, name):
    return connection.execute(sa.text("SELECT 1 FROM pg_roles WHERE rolname = :name"), {"name": name}).first()


class _MariaDB:
    @staticmethod
    def log_every_statement(connection, name):
        return None  # only PostgreSQL's statements are linted

    @staticmethod
    def ours(connection):
        return connection.execute(sa.text("SELECT user FROM mysql.user WHERE user LIKE :like UNION "
                                          "SELECT schema_name FROM information_schema.schemata "
                                          "WHERE schema_name LIKE :like"), {"like": owners.LIKE}).scalars().all()

    @staticmethod
    def create(connection, name, password):
        connection.execute(sa.text(f"CREATE USER `{name}`@localhost IDENTIFIED BY :password "
                                   f"WITH MAX_USER_CONNECTIONS {CONNECTION_LIMIT}"), {"password": password})
        connection.exec_driver_sql(f"CREATE DATABASE `{name}`")
        connection.exec_driver_sql(f"GRANT ALL PRIVILEGES ON `{name}`.* TO `{name}`@localhost")

    @staticmethod
    def drop(connection, name):
        # DROP DATABASE would wait for the locks of connections the learner's code left open.
        left = connection.execute(sa.text("SELECT id FROM information_schema.processlist WHERE user = :name"),
                                  {"name": name}).scalars().all()
        for number in left:
            try:
                connection.exec_driver_sql(f"KILL CONNECTION {int(number)}")
            except sa.exc.DBAPIError:  # it ended on its own meanwhile
                pass
        connection.exec_driver_sql(f"DROP DATABASE IF EXISTS `{name}`")
        connection.exec_driver_sql(f"DROP USER IF EXISTS `{name}`@localhost")

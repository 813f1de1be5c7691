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
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa

from ...command_errors import ServerStopped, Unavailable
from ...course import DATABASE_NAMES
from . import mariadb, owners, postgres, supply
from .bounded import bounded_engine

ADMIN_WAIT = 30  # seconds the grader's own CREATE and DROP may wait on a lock
CONNECTION_LIMIT = 64  # a learner's code that opens connections in a loop stops there, not at the server's


@contextmanager
def database_of_its_own(server_url: str) -> Iterator[tuple[str, str, Path | None]]:
    """On the server at `server_url` (its administrator's URL), a new database and a login that owns
    it: yield (the login's URL, the administrator's URL), both on that database, and the server's log
    of every statement the login sends (None where the grader cannot read one); drop both after.
    A server that stops answering, or starts again, before the drop raises ServerStopped."""
    name = owners.new_name()  # the login and its database
    password = secrets.token_urlsafe(24)
    admin = bounded_engine(server_url, lambda: ADMIN_WAIT, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    statements = _Postgres if admin.dialect.name == "postgresql" else _MariaDB
    started: float | None = None  # when the server started (seconds since the epoch), once read
    try:
        try:
            connection = admin.connect()
        except sa.exc.OperationalError as error:
            raise Unavailable(f"the grader could not connect to the {_server_name(admin)} server: "
                              f"{_first_line(error)}") from None
        with connection:
            _sweep(connection, statements)
            started = statements.started(connection)
            statements.create(connection, name, password)
            log = statements.log_every_statement(connection, name)
        server = sa.make_url(server_url)
        yield (server.set(username=name, password=password, database=name).render_as_string(hide_password=False),
               server.set(database=name).render_as_string(hide_password=False), log)
    finally:
        if started is not None:  # else nothing was made
            _drop_and_witness(admin, statements, name, started)
        admin.dispose()


def _drop_and_witness(admin, statements, name, started):
    """Drop the grade's login and database. A server that no longer answers, or that started again
    since the login was made, raises ServerStopped: the learner's code then met refused connections
    that were none of its doing. It may die while it drops them, too (one of many grades did)."""
    try:
        with admin.connect() as connection:
            restarted = not _same_start(connection, statements, started)
            statements.drop(connection, name)
    except sa.exc.DBAPIError as error:
        if _answers_as_before(admin, statements, started):
            raise  # the drop's own failure, on a server that is up: not a stop
        raise _stopped(admin, f"stopped answering during the grade ({_first_line(error)})") from None
    if restarted:
        raise _stopped(admin, "started again during the grade")


def _answers_as_before(admin, statements, started):
    """Whether the server answers a new connection, and is the one that started at `started`."""
    try:
        with admin.connect() as connection:
            return _same_start(connection, statements, started)
    except sa.exc.DBAPIError:
        return False


def _same_start(connection, statements, started):
    return abs(statements.started(connection) - started) <= statements.STARTED_WITHIN


def _stopped(admin, happened):
    kind = admin.dialect.name
    return ServerStopped(f"the {_server_name(admin)} server {happened}", started_here=supply.named(kind) is None,
                         log=mariadb.log_tail(admin.url) if kind == "mysql" else "")


def _server_name(engine):
    return DATABASE_NAMES[engine.dialect.name]


def _first_line(error):
    """The driver's own words: PyMySQL's are (code, text), psycopg's the text."""
    said = [part for part in getattr(error.orig, "args", ()) if isinstance(part, str)]
    return (said[-1] if said else str(error.orig or error)).strip().splitlines()[0]


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
    STARTED_WITHIN = 0  # seconds two reads of one server's start may differ by: it is kept

    @staticmethod
    def started(connection):
        return float(connection.exec_driver_sql("SELECT extract(epoch FROM pg_postmaster_start_time())").scalar())

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
    STARTED_WITHIN = 1.5  # reckoned from Uptime, in whole seconds

    @staticmethod
    def started(connection):
        # On this process's monotonic clock: a step of the wall clock mid-grade moves no start.
        uptime = connection.exec_driver_sql("SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS "
                                            "WHERE VARIABLE_NAME = 'UPTIME'").scalar()
        return time.monotonic() - float(uptime)

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

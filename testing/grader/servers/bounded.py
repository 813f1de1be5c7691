"""The grader's own connections to a scratch database: none of them waits past the grade's deadline.

A thread or connection the learner's code leaves behind may hold a lock on the database after its
command has answered: SQLite's write lock, PostgreSQL's ACCESS EXCLUSIVE on alembic_version (held
by a backend that never notices its client is gone), a MariaDB table lock. Each connection of the
grader's own gives up on a lock, or on a statement, once the seconds it is given have passed:
SQLite's busy timeout; PostgreSQL's lock_timeout and statement_timeout; MariaDB's
lock_wait_timeout, innodb_lock_wait_timeout and max_statement_time (MySQL: max_execution_time),
and the driver's socket timeouts. The OperationalError that follows stops the grade with a message.

Connections are kept in a pool between the grader's looks at the database: a new one costs a
password exchange and a server process (about 8 ms on PostgreSQL), and a PostgreSQL grade looks
about 140 times. One whose limits were set for more time than is now left is replaced when taken.
Kept connections hold no lock between looks (the pool rolls back each one it gets back) and, on
PostgreSQL, no prepared statement that a migration's change of a table could make fail.
"""
import math
from collections.abc import Callable

import sqlalchemy as sa
from sqlalchemy import event

SHORTEST_WAIT = 1.0  # seconds: even at the deadline, a free database answers well within this
OVERRUN = 0.5  # seconds a kept connection's limits may exceed the time left before it is replaced


def bounded_engine(url: str | sa.URL, seconds: Callable[[], float], **options: object) -> sa.Engine:
    """An engine whose every new connection waits at most `seconds()` (asked at each connect)."""
    engine = sa.create_engine(url, **options)
    backend = engine.dialect.name

    @event.listens_for(engine, "do_connect")
    def _driver_limits(dialect, record, cargs, cparams):
        wait = _wait(seconds)
        record.info["wait"] = wait
        if backend == "sqlite":
            cparams["timeout"] = wait  # sqlite3's busy timeout
        elif backend == "postgresql":
            limits = f"-c lock_timeout={int(wait * 1000)} -c statement_timeout={int(wait * 1000)}"
            cparams["options"] = f"{cparams['options']} {limits}" if cparams.get("options") else limits
            cparams["prepare_threshold"] = None  # psycopg would prepare a statement run 5 times
        elif backend in ("mysql", "mariadb"):
            cparams["read_timeout"] = cparams["write_timeout"] = math.ceil(wait) + 1  # the last resort

    @event.listens_for(engine, "checkout")
    def _replace_if_overrunning(connection, record, proxy):
        if record.info.get("wait", 0) > _wait(seconds) + OVERRUN:
            raise sa.exc.DisconnectionError("its limits were set for more time than is left")

    if backend in ("mysql", "mariadb"):
        @event.listens_for(engine, "connect")
        def _server_limits(connection, record):
            wait = record.info["wait"]
            with connection.cursor() as cursor:
                cursor.execute(f"SET SESSION lock_wait_timeout = {math.ceil(wait)}, "
                               f"innodb_lock_wait_timeout = {math.ceil(wait)}")
                try:  # MariaDB
                    cursor.execute(f"SET SESSION max_statement_time = {wait:.3f}")
                except connection.Error:  # a DB-API connection names its driver's errors
                    cursor.execute(f"SET SESSION max_execution_time = {int(wait * 1000)}")  # MySQL
    return engine


def observer_engine(url: str | sa.URL, seconds: Callable[[], float]) -> sa.Engine:
    """A bounded engine as the server's administrator on a database a grade's login owns, for looking
    at pg_locks and pg_stat_activity. That login may set the database's search_path (ALTER DATABASE)
    to put its own `public` before pg_catalog, where a function of its own named like a catalog's
    would run with the administrator's rights: each connection names its own path (pg_catalog
    comes first unless a path names it)."""
    options = {"connect_args": {"options": "-c search_path=public"}} if sa.make_url(url).get_backend_name() \
        == "postgresql" else {}
    return bounded_engine(url, seconds, **options)


def _wait(seconds: Callable[[], float]) -> float:
    return max(SHORTEST_WAIT, seconds())

"""Make a migration fail on purpose, right after one of its statements has changed the database.

    with fail_after_writes(engine, 1) as written:
        command.upgrade(config, revision)   # raises InjectedFailure after the first write

The grader uses it to see whether a failed migration leaves the database as it found it, where the
database cannot raise that failure itself (SQLite, MySQL/MariaDB, a PostgreSQL whose administrator
the grader was given is no superuser), and for `pipenv run faults`.
"""
import re
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, event

from .bookkeeping import is_alembic_bookkeeping

# Statements that change a schema or rows; Alembic's own bookkeeping is not the migration's work.
WRITE = re.compile(r"^\s*(CREATE|ALTER|DROP|INSERT|UPDATE|DELETE|REPLACE)\b", re.IGNORECASE)


class InjectedFailure(Exception):
    """The grader's own failure, raised inside the learner's migration."""


@contextmanager
def fail_after_writes(engine: Engine, count: int | None) -> Iterator[list[str]]:
    """Raise InjectedFailure once `count` write statements have run (None: never); yields the
    statements seen."""
    written: list[str] = []

    def after_cursor_execute(connection, cursor, statement, parameters, context, executemany):
        if len(written) == count:  # already failed: what runs now is clean-up (batch mode drops its copy)
            return
        if WRITE.match(statement) and not is_alembic_bookkeeping(statement):
            written.append(statement.strip())
            if len(written) == count:
                raise InjectedFailure(f"the grader stopped the migration after: {written[-1]}")

    event.listen(engine, "after_cursor_execute", after_cursor_execute)
    try:
        yield written
    finally:
        event.remove(engine, "after_cursor_execute", after_cursor_execute)

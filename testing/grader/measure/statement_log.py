"""What a grade's PostgreSQL role really ran, read from the server's own log, whatever the learner's
process says.

The servers the grader starts write a JSON log (postgres.py: `log_destination = 'jsonlog'`), and each
grade's role logs every statement it sends (`ALTER ROLE … SET log_statement = 'all'`, roles.py): a
setting only a superuser may change, so the learner's code can neither turn it off nor forge a line
(each line is one JSON object, a statement's line breaks escaped in it). Around a command the grader
notes where the log ends, then, after it, runs a sentinel statement of its own as the role and reads
up to that: every statement the role's other sessions sent in between, in the order the server
received them. The grader's own sessions of the role (the traffic's, the sentinel's) are told apart
by their backend pids; another grade on the same server, by its role's name.
"""
import json
import re
import time
import uuid
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from ...inside.bookkeeping import is_alembic_bookkeeping

# What log_statement writes: "statement: …" (simple protocol), "execute <unnamed>: …" (extended).
STATEMENT = re.compile(r"(?:statement|execute (?:fetch from )?\S+): (.*)", re.DOTALL)
FAILED = {"ERROR", "FATAL", "PANIC"}  # a statement followed by one of these in its session did not run
# Reads, and the savepoints the driver opens around its own look-ups: `flask db upgrade --sql` has none.
NOT_LINTED = re.compile(r"\s*(SELECT|SHOW|SAVEPOINT|RELEASE|ROLLBACK\s+TO)\b", re.IGNORECASE)
BEGINS = re.compile(r"\s*(BEGIN|START\s+TRANSACTION)\b", re.IGNORECASE)
ENDS = re.compile(r"\s*(COMMIT|ROLLBACK|END|ABORT)\b", re.IGNORECASE)
POLL = 0.02  # seconds between two looks for the sentinel
SENTINEL_WAIT = 10  # seconds at most, within the grade's deadline, for the log to reach the sentinel


@dataclass(frozen=True)
class StatementLog:
    path: Path  # the server's JSON log, readable by the grader
    role: str  # the grade's role, whose statements it holds


def end(log: StatementLog) -> int:
    """Where the log ends now: what a later read starts from."""
    return log.path.stat().st_size


def statements_since(log: StatementLog, start: int, engine: sa.Engine, own: Collection[int],
                     seconds_left: Callable[[], float] | None = None) -> list[str] | None:
    """What the role's sessions but `own` (backend pids) ran since `start`, in order, as `_ran` keeps it;
    `engine` connects as the role, for the sentinel. None when the sentinel did not reach the log within
    SENTINEL_WAIT seconds or `seconds_left()`, the grade's."""
    entries = _entries_until_sentinel(log, start, engine, own, seconds_left)
    return None if entries is None else _ran(entries)


def sent_since(log: StatementLog, start: int, engine: sa.Engine, own: Collection[int],
               seconds_left: Callable[[], float] | None = None) -> list[str] | None:
    """Every statement the role's sessions but `own` sent since `start`, in the order the server received
    them, but what the driver and Alembic send of their own accord (transaction control, the driver's
    look-ups as it connects, alembic_version's bookkeeping): what the learner's process must have shown
    the grader before it ran (statements.py). None as for `statements_since`."""
    entries = _entries_until_sentinel(log, start, engine, own, seconds_left)
    if entries is None:
        return None
    sent = [found.group(1) for found in map(_logged_statement, entries) if found]
    return [statement for statement in sent if not _of_their_own_accord(statement)]


def _entries_until_sentinel(log: StatementLog, start: int, engine: sa.Engine, own: Collection[int],
                            seconds_left: Callable[[], float] | None) -> list[dict] | None:
    """The log's entries of the role's sessions but `own` since `start`, up to a sentinel statement the
    grader sends now as the role (so that every statement sent before it is in)."""
    mark = f"course-grader-sentinel {uuid.uuid4().hex}"
    with engine.connect() as connection:
        sentinel_pid = connection.execute(sa.text("SELECT pg_backend_pid(), :mark"), {"mark": mark}).scalar_one()
    wait = min(SENTINEL_WAIT, seconds_left()) if seconds_left else SENTINEL_WAIT
    entries: list[dict] = []
    for entry in _entries(log.path, start, time.monotonic() + max(0.0, wait)):
        if entry.get("user") != log.role:
            continue
        if entry.get("pid") == sentinel_pid:  # a connection of the grader's, maybe one of `own`
            if mark in str(entry.get("message", "")) + str(entry.get("detail", "")):
                return entries
            continue
        if entry.get("pid") not in own:
            entries.append(entry)
    return None


def _entries(path: Path, start: int, deadline: float) -> Iterator[dict]:
    """Each JSON entry of the log from byte `start` on, waiting for more until `deadline`."""
    with open(path, "rb") as file:
        file.seek(start)
        pending = b""
        while True:
            chunk = file.read(1 << 20)
            if not chunk:
                if time.monotonic() > deadline:
                    return
                time.sleep(POLL)
                continue
            lines = (pending + chunk).split(b"\n")
            pending = lines.pop()  # a line the server has not finished writing yet
            for line in lines:
                try:
                    entry = json.loads(line)
                except ValueError:
                    continue
                if isinstance(entry, dict):
                    yield entry


def _ran(entries: list[dict]) -> list[str]:
    """The statements of `entries`, as a script to lint: a statement that failed and was sent again (a
    retry after lock_timeout) counts once; reads, and the savepoints the driver opens around its own
    look-ups, are left out, as `flask db upgrade --sql` has none, and with them the transactions that
    held nothing else."""
    sent: list[tuple[str, str, bool]] = []  # (session, statement, failed)
    for entry in entries:
        session, severity = str(entry.get("session_id")), entry.get("error_severity")
        found = _logged_statement(entry)
        if found:
            sent.append((session, found.group(1), False))
        elif severity in FAILED and sent and any(each[0] == session for each in sent):
            place = max(index for index, each in enumerate(sent) if each[0] == session)
            sent[place] = (session, sent[place][1], True)
    script: list[str] = []
    for index, (session, statement, failed) in enumerate(sent):
        retried = failed and any(later[:2] == (session, statement) for later in sent[index + 1:])
        if retried or NOT_LINTED.match(statement):
            continue
        if ENDS.match(statement) and script and BEGINS.match(script[-1]):
            script.pop()  # a transaction around reads only: nothing to lint in it
            continue
        script.append(statement)
    return script[:-1] if script and BEGINS.match(script[-1]) else script


def _logged_statement(entry: dict) -> re.Match[str] | None:
    """The statement of one of log_statement's own lines. They carry no context: a RAISE LOG of the
    learner's, made to look like one, does."""
    if entry.get("error_severity") != "LOG" or "context" in entry or "statement" in entry:
        return None
    return STATEMENT.fullmatch(str(entry.get("message", "")))


# What psycopg and SQLAlchemy send as a connection starts, outside any cursor of the app's: reads only.
DRIVER_LOOK_UPS = {"select pg_catalog.version()", "select current_schema()", "show transaction isolation level",
                   "show standard_conforming_strings"}
TYPE_LOOK_UP = re.compile(r"SELECT\s+typname AS name, oid, typarray AS array_oid,\s+oid::regtype::text AS regtype, "
                          r"typdelim AS delimiter\s+FROM pg_type t\s+WHERE t.oid = to_regtype\(\$1\)"
                          r"\s+ORDER BY t.oid\s*")
TRANSACTION_CONTROL = re.compile(r"\s*(BEGIN|START\s+TRANSACTION|COMMIT|ROLLBACK|END|ABORT|SAVEPOINT|RELEASE|"
                                 r"DEALLOCATE)\b[^;]*;?\s*", re.IGNORECASE)


def _of_their_own_accord(statement: str) -> bool:
    return (statement in DRIVER_LOOK_UPS or is_alembic_bookkeeping(statement)
            or any(pattern.fullmatch(statement) for pattern in (TYPE_LOOK_UP, TRANSACTION_CONTROL)))


def as_script(statements: list[str]) -> str:
    """The statements as `flask db upgrade --sql` writes them: each stripped, then `;` and a blank line
    (so an ignore comment sent on its own reads as squawk reads it there)."""
    return "".join(f"{statement.strip()};\n\n" for statement in statements)

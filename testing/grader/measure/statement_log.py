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
    mark = f"course-grader-sentinel {uuid.uuid4().hex}"
    with engine.connect() as connection:
        sentinel_pid = connection.execute(sa.text("SELECT pg_backend_pid(), :mark"), {"mark": mark}).scalar_one()
    wait = min(SENTINEL_WAIT, seconds_left()) if seconds_left else SENTINEL_WAIT
    entries: list[dict] = []
    for entry in _entries(log.path, start, time.monotonic() + max(0.0, wait)):
        if entry.get("user") != log.role or entry.get("pid") in own:
            continue
        if entry.get("pid") == sentinel_pid:
            if mark in str(entry.get("message", "")) + str(entry.get("detail", "")):
                return _ran(entries)
            continue
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
        # log_statement's own lines carry no context: a RAISE LOG of the learner's, made to look like one, does.
        found = STATEMENT.fullmatch(str(entry.get("message", ""))) \
            if severity == "LOG" and "context" not in entry and "statement" not in entry else None
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


def as_script(statements: list[str]) -> str:
    """The statements as `flask db upgrade --sql` writes them: each stripped, then `;` and a blank line
    (so an ignore comment sent on its own reads as squawk reads it there)."""
    return "".join(f"{statement.strip()};\n\n" for statement in statements)

"""What crosses the boundary between the grader and the learner's process, declared once.

The grader sends one command at a time; the learner's process (worker.py) runs it and answers with
one reply, each one JSON line. This side reads commands and writes replies with the standard
library alone; the grader reads a reply strictly, field by field (testing/grader/boundary/protocol.py): a
line that is not exactly a Reply is reported as "stopped", never as a fact.

Nothing in a reply decides a grade by itself: the grader measures the database after every command.
A reply only says whether the command ran, and the learner's error if it did not.
"""
import dataclasses
import enum
import json
from dataclasses import dataclass


class NotACommand(Exception):
    """A line from the grader that is not a Command (the grader never sends one)."""


class Op(enum.Enum):
    LOAD = "load"  # import app.py
    SCRIPTS = "scripts"  # import every migration file, as Alembic does
    UPGRADE = "upgrade"
    DOWNGRADE = "downgrade"
    MODELS = "models"  # compare the learner's models.py with the database as it is now
    OFFLINE = "offline"  # render the whole chain as SQL, as `flask db upgrade --sql` does
    RESUME = "resume"  # go on after a Pause


@dataclass(frozen=True)
class Command:
    op: Op
    target: str | None = None  # the Alembic revision to go to (UPGRADE, DOWNGRADE); OFFLINE: a range
    fail_after: int | None = None  # UPGRADE: stop the migration after this many writes (a probe)
    count_writes: bool = False  # UPGRADE: list the statements that write
    pause_first: int = 0  # UPGRADE: wait for RESUME before each of the migration's first this many statements


@dataclass(frozen=True)
class LearnerError:
    """An exception raised by the learner's code, in a form the grader's messages can phrase."""
    error: str  # "NameError: name 'Strng' is not defined"
    file: str | None = None  # the innermost frame inside the server folder, relative to it
    line: int | None = None


@dataclass(frozen=True)
class AppFacts:
    """What LOAD found: a Flask app with Migrate, and the database it opens."""
    problem: str | None  # None, "no_app" or "no_migrate"
    backend: str | None = None  # "sqlite", "postgresql", "mysql"
    database: str | None = None  # the database (for SQLite: the file's absolute path)
    url: str | None = None  # the whole URL, password hidden
    migrations: str | None = None  # the migrations folder Flask-Migrate uses (absolute)


@dataclass(frozen=True)
class Pause:
    """UPGRADE with pause_first: the migration is about to run `statement` and waits for RESUME."""
    statement: str
    parameters: dict | list | None  # as the driver gets them, when they are plain JSON values
    plain: bool  # False: it has parameters that are not plain values (left out)
    pid: int | None = None  # the backend of the connection it runs on
    many: bool = False  # run once for each of many sets of parameters (executemany; none sent)


@dataclass(frozen=True)
class Reply:
    ok: bool
    error: LearnerError | None = None  # when not ok: the learner's code raised
    error_file: str | None = None  # SCRIPTS: the migration file whose import failed
    app: AppFacts | None = None  # LOAD
    revisions: tuple[str, ...] = ()  # SCRIPTS: the revision ids Alembic found when it imported the files
    # UPGRADE with count_writes or fail_after: how many statements wrote, and the last of them (a
    # row-by-row backfill writes thousands: their count is what the walk needs, not their text)
    write_count: int = 0
    last_write: str | None = None
    models: tuple[dict, ...] | None = None  # MODELS: schema items (described.py), models.py against the database
    dialect: str | None = None  # OFFLINE: the SQL dialect the chain was rendered in
    sql: str | None = None  # OFFLINE with a target range: the SQL itself
    pause: Pause | None = None  # not an answer: the command waits for RESUME (UPGRADE with pause_first)


def encode(message: "Command | Reply") -> bytes:
    """One JSON line for a Command or a Reply."""
    return (json.dumps(_plain(message), separators=(",", ":")) + "\n").encode()


def _plain(value):
    if dataclasses.is_dataclass(value):
        return {item.name: _plain(getattr(value, item.name)) for item in dataclasses.fields(value)}
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    return value


def decode_command(line: bytes | str) -> Command:
    try:
        data = json.loads(line)
        return Command(op=Op(data.pop("op")), **data)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise NotACommand(f"not a command: {exc}") from None

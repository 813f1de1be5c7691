"""What crosses the boundary between the grader and the learner's process, declared once.

The grader sends one command at a time; the learner's process (inside/worker.py) runs it and
answers with one reply. Both ends use `encode` and the decoders here, so a misspelt field or kind
cannot pass unnoticed: a line that does not decode to exactly the expected reply is a
ProtocolError, which the grader reports as "stopped", never as a fact.

Nothing in a reply decides a grade by itself: the grader measures the database after every command.
A reply only says whether the command ran, and the learner's error if it did not.
"""
import dataclasses
import enum
import json
from dataclasses import dataclass, field


class ProtocolError(Exception):
    """A line from the learner's process that is not the reply the grader asked for."""


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
    """An exception raised by the learner's code, in a form messages.py can phrase."""
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
    pid: int | None  # the backend of the connection it runs on


@dataclass(frozen=True)
class Reply:
    ok: bool
    error: LearnerError | None = None  # when not ok: the learner's code raised
    error_file: str | None = None  # SCRIPTS: the migration file whose import failed
    app: AppFacts | None = None  # LOAD
    revisions: tuple = ()  # SCRIPTS: the revision ids Alembic found when it imported the files
    # UPGRADE with count_writes or fail_after: how many statements wrote, and the last of them (a
    # row-by-row backfill writes thousands: their count is what the walk needs, not their text)
    write_count: int = 0
    last_write: str | None = None
    models: tuple | None = None  # MODELS: schema items, models.py against the database
    dialect: str | None = None  # OFFLINE: the SQL dialect the chain was rendered in
    sql: str | None = None  # OFFLINE with a target range: the SQL itself
    pause: Pause | None = None  # not an answer: the command waits for RESUME (UPGRADE with pause_first)


def encode(message: Command | Reply) -> bytes:
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


def decode_command(line: bytes) -> Command:
    data = _object(line)
    try:
        return Command(op=Op(data.pop("op")), **data)
    except (KeyError, TypeError, ValueError) as exc:
        raise ProtocolError(f"not a command: {exc}") from None


def decode_reply(line: bytes) -> Reply:
    """The Reply in `line`, checked field by field; ProtocolError for anything else."""
    data = _object(line)
    try:
        reply = Reply(
            ok=_typed(data.pop("ok"), bool),
            error=_error(data.pop("error", None)),
            error_file=_typed(data.pop("error_file", None), str, optional=True),
            app=_app(data.pop("app", None)),
            revisions=tuple(_typed(item, str) for item in _typed(data.pop("revisions", []), list)),
            write_count=_typed(data.pop("write_count", 0), int),
            last_write=_typed(data.pop("last_write", None), str, optional=True),
            models=_models(data.pop("models", None)),
            dialect=_typed(data.pop("dialect", None), str, optional=True),
            sql=_typed(data.pop("sql", None), str, optional=True),
            pause=_pause(data.pop("pause", None)),
        )
    except KeyError as exc:
        raise ProtocolError(f"a reply without {exc}") from None
    if data:
        raise ProtocolError(f"a reply with unknown fields {sorted(data)}")
    return reply


def _object(line):
    try:
        data = json.loads(line)
    except (ValueError, UnicodeDecodeError):
        raise ProtocolError("a line that is not JSON") from None
    if not isinstance(data, dict):
        raise ProtocolError("a line that is not a JSON object")
    return data


def _typed(value, kind, optional=False):
    if (value is None and optional) or (isinstance(value, kind) and not (kind is int and isinstance(value, bool))):
        return value
    raise ProtocolError(f"{value!r:.60} where {kind.__name__} was expected")


def _error(data):
    if data is None:
        return None
    data = dict(_typed(data, dict))
    error = LearnerError(error=_typed(data.pop("error"), str), file=_typed(data.pop("file", None), str, True),
                         line=_typed(data.pop("line", None), int, True))
    if data:
        raise ProtocolError(f"an error with unknown fields {sorted(data)}")
    return error


def _app(data):
    if data is None:
        return None
    data = dict(_typed(data, dict))
    app = AppFacts(problem=_typed(data.pop("problem"), str, True), backend=_typed(data.pop("backend", None), str, True),
                   database=_typed(data.pop("database", None), str, True),
                   url=_typed(data.pop("url", None), str, True),
                   migrations=_typed(data.pop("migrations", None), str, True))
    if data:
        raise ProtocolError(f"app facts with unknown fields {sorted(data)}")
    return app


def _pause(data):
    if data is None:
        return None
    data = dict(_typed(data, dict))
    parameters = data.pop("parameters", None)
    if parameters is not None and not isinstance(parameters, (dict, list)):
        raise ProtocolError(f"parameters {parameters!r:.60} where an object or a list was expected")
    pause = Pause(statement=_typed(data.pop("statement"), str), parameters=parameters,
                  plain=_typed(data.pop("plain"), bool), pid=_typed(data.pop("pid", None), int, True))
    if data:
        raise ProtocolError(f"a pause with unknown fields {sorted(data)}")
    return pause


def _models(data):
    """Schema items as schema.differences makes them: JSON objects, each with its kind."""
    if data is None:
        return None
    items = []
    for item in _typed(data, list):
        item = _typed(item, dict)
        if not isinstance(item.get("kind"), str):
            raise ProtocolError("a schema item without a kind")
        items.append(item)
    return tuple(items)


@dataclass
class Stopped(Exception):
    """The learner's process did not answer as asked: it ran out of time, ended, or sent garbage."""
    reason: str  # "time_limit", "exited", "garbage", "changed_files", "database_held"
    action: str = "the grader"
    details: dict[str, object] = field(default_factory=dict)

    def as_fact(self) -> dict[str, object]:
        return {"reason": self.reason, "action": self.action, **self.details}

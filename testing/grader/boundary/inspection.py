"""What the grader does once the learner's process has started: load the app there, check the
database it opened, read the chain from the files as written, and walk it (walk.py).

Kept apart from session.py so that SQLAlchemy and Alembic load in the grader while the learner's
process starts and loads its own.
"""
from pathlib import Path

import sqlalchemy as sa

from .. import codec
from ..facts import AppFact, AppProblem, Chain, ChainProblemKind, Facts, Offline, Revision, StopReason
from ..measure.chain import ChainProblem, read_chain
from ..measure.statement_log import StatementLog
from ..measure.walk import ChainWalk
from ..servers.bounded import bounded_engine, observer_engine
from ..servers.databases import ScratchDatabase
from .protocol import Command, Op, Stopped
from .request import Mode, Request
from .scratch_copy import ScratchCopy
from .supervisor import LearnerProcess


def inspect_learner(learner: LearnerProcess, facts: Facts, box: ScratchCopy, scratch: ScratchDatabase,
                    request: Request, states: dict[int, sa.MetaData], learner_database: Path | None) -> None:
    """With LOAD sent to `learner` (session.py): the app, its database (`scratch`, a ScratchDatabase), its
    chain, and the walk that `request` asks for. `learner_database`: the copy of the learner's own."""
    mode = request.mode
    reply = learner.answer()
    if reply.app is None:
        if reply.error is None:  # what the worker never sends: a line the learner's code wrote
            raise Stopped(StopReason.GARBAGE, "importing app.py", {"why": "neither the app nor an error"})
        facts.app = AppFact(AppProblem.IMPORT, error=reply.error.error, file=reply.error.file, line=reply.error.line)
        return
    if reply.app.problem:
        facts.app = _app_problem(reply.app.problem)
        return
    engine, problem = _graded_database(reply.app, scratch.url, box.workdir, box.copy, learner.seconds_left)
    if problem:
        facts.app = problem
        return
    observer = observer_engine(scratch.observer_url, learner.seconds_left)
    try:
        if _has_tables(engine):
            facts.app = AppFact(AppProblem.CREATE_ALL)
            return
        facts.app = AppFact(None, database=reply.app.url)
        revisions = _chain(learner, reply.app, box.copy, facts)
        if revisions is None:
            return
        log = StatementLog(scratch.statement_log, engine.url.username or "") if scratch.statement_log else None
        walk = ChainWalk(engine, observer, learner, revisions, states, facts, box.copy, probe_steps=request.probe_steps,
                         describe_changes=mode == Mode.CHANGES,
                         graded=list(request.graded) if request.graded is not None else list(states),
                         statement_log=log)
        if mode == Mode.FAULTS:
            walk.run_faults()
            return
        if mode == Mode.CHANGES:
            walk.run_changes()
            return
        walk.run()
        if learner_database:
            facts.learner_database = walk.compare_database(learner_database)
        offline = learner.call(Command(Op.OFFLINE), "rendering the chain as SQL (flask db upgrade --sql)")
        facts.offline = Offline(offline.dialect) if offline.ok else Offline(None, offline.error)
    except sa.exc.OperationalError as exc:  # the grader's own connection: locked, or out of time (bounded.py)
        why = str(exc.orig or exc).strip().splitlines()[0][:200]
        raise Stopped(StopReason.DATABASE_HELD, learner.last_action, {"why": why}) from None
    finally:
        engine.dispose()
        observer.dispose()


def _app_problem(problem):
    """The app problem the learner's process names; one the grader does not know is not a reply."""
    try:
        return AppFact(AppProblem(problem))
    except ValueError:
        raise Stopped(StopReason.GARBAGE, "importing app.py", {"why": f"an unknown app problem {problem!r:.40}"}) \
            from None


def _graded_database(app, url, workdir, copy, seconds_left):
    """(an engine of the grader's own on the database the learner's app opened, None), or
    (None, an AppFact of the problem) when that is not the scratch database of this session.

    On SQLite any new file inside the scratch folder will do (an app.py that hard-codes
    `sqlite:///app.db` opens the copy's instance/app.db); a server database must be the one named
    in DATABASE_URL. The grader's engine waits on locks no longer than `seconds_left()` (bounded.py)."""
    expected = sa.make_url(url)
    shown = app.url.replace("\x00", "\\x00")  # a NUL byte, shown as written in app.py
    path = _resolved(app.database) if app.backend == "sqlite" and app.database != ":memory:" else None
    if path and path.is_relative_to(copy.resolve()):
        shown = f"sqlite:///{path.relative_to(copy.resolve())}"  # the learner's path
    found = AppFact(AppProblem.IGNORES_DATABASE_URL, expected=expected.get_backend_name(), found=shown,
                    **_setting_line(copy / "app.py"))
    if app.backend != expected.get_backend_name():
        return None, found
    if app.backend == "sqlite":
        if path is None or not path.is_relative_to(workdir.resolve()):
            return None, found
        return bounded_engine(sa.URL.create("sqlite", database=str(path)), seconds_left,
                              poolclass=sa.pool.NullPool), None
    if app.database != expected.database:
        return None, found
    return bounded_engine(url, seconds_left), None


def _resolved(database):
    """The SQLite file `database` names, resolved; None for none, or one no file can have (a NUL byte)."""
    if not database:
        return None
    try:
        return Path(database).resolve()
    except (ValueError, OSError):
        return None


def _setting_line(app_py):
    """{"line", "code"} of the line of app.py that sets the database URL, as far as a reading tells."""
    try:
        lines = app_py.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return {}
    for number, text in enumerate(lines, start=1):
        if "SQLALCHEMY_DATABASE_URI" in text:
            return {"line": number, "code": text.strip()}
    return {}


def _has_tables(engine):
    with engine.connect() as connection:
        return bool(sa.inspect(connection).get_table_names())


def _chain(learner, app, copy, facts):
    """The chain as written, or None once a chain problem is recorded."""
    location = Path(app.migrations or copy / "migrations")
    if not location.resolve().is_relative_to(copy.resolve()):
        facts.chain = Chain(ChainProblemKind.NO_MIGRATIONS, folder=str(location))
        return None
    try:
        revisions = tuple(codec.typed(Revision, written, "the chain") for written in read_chain(location, copy))
    except ChainProblem as problem:
        facts.chain = codec.typed(Chain, problem.details, "the chain's problem")
        return None
    reply = learner.call(Command(Op.SCRIPTS), "reading the migration files")
    if not reply.ok:  # a migration file that parses but fails when Alembic imports it
        error = reply.error
        facts.chain = Chain(ChainProblemKind.UNREADABLE, error=error.error, line=error.line, file=reply.error_file)
        return None
    if sorted(reply.revisions) != sorted(revision.id for revision in revisions):
        facts.chain = Chain(ChainProblemKind.UNREADABLE, error="your migration files name other revisions when "
                                                               "Alembic imports them than they do as written")
        return None
    facts.chain = Chain(None, revisions)
    return revisions

"""What the grader does once the learner's process has started: load the app there, check the
database it opened, read the chain from the files as written, and walk it (walk.py).

Kept apart from session.py so that SQLAlchemy and Alembic load in the grader while the learner's
process starts and loads its own.
"""
from pathlib import Path

import sqlalchemy as sa

from .chain import ChainProblem, read_chain
from .protocol import Command, Op
from .session import CHANGES, FAULTS
from .walk import ChainWalk


def inspect_learner(learner, facts, box, url, states, probe_steps, mode, learner_database, graded):
    """With the learner's app loaded in `learner`: its database, its chain, and the walk."""
    reply = learner.call(Command(Op.LOAD), "importing app.py")
    if reply.app is None:
        return facts.add("app", {"problem": "import", "error": reply.error.error, "file": reply.error.file,
                                 "line": reply.error.line})
    if reply.app.problem:
        return facts.add("app", {"problem": reply.app.problem})
    engine, problem = _graded_database(reply.app, url, box.workdir, box.copy)
    if problem:
        return facts.add("app", problem)
    try:
        if _has_tables(engine):
            return facts.add("app", {"problem": "create_all"})
        facts.add("app", {"problem": None, "database": reply.app.url})
        revisions = _chain(learner, reply.app, box.copy, facts)
        if revisions is None:
            return
        walk = ChainWalk(engine, learner, revisions, states, facts, probe_steps=probe_steps,
                         describe_changes=mode == CHANGES, server_copy=box.copy,
                         graded=graded if graded is not None else list(states))
        if mode == FAULTS:
            return walk.run_faults()
        if mode == CHANGES:
            return walk.run_changes()
        walk.run()
        if learner_database:
            facts.add("learner_database", walk.compare_database(learner_database))
        offline = learner.call(Command(Op.OFFLINE), "rendering the chain as SQL (flask db upgrade --sql)")
        facts.add("offline", {"dialect": offline.dialect, "error": None} if offline.ok else
                  {"dialect": None, "error": {"error": offline.error.error, "file": offline.error.file,
                                              "line": offline.error.line}})
    finally:
        engine.dispose()


def _graded_database(app, url, workdir, copy):
    """(an engine of the grader's own on the database the learner's app opened, None), or
    (None, the app problem) when that is not the scratch database of this session.

    On SQLite any new file inside the scratch folder will do (an app.py that hard-codes
    `sqlite:///app.db` opens the copy's instance/app.db); a server database must be the one named
    in DATABASE_URL."""
    expected = sa.make_url(url)
    shown = app.url
    if app.backend == "sqlite" and app.database and Path(app.database).resolve().is_relative_to(copy.resolve()):
        shown = f"sqlite:///{Path(app.database).resolve().relative_to(copy.resolve())}"  # the learner's path
    found = {"problem": "ignores_database_url", "expected": expected.get_backend_name(), "found": shown,
             **_setting_line(copy / "app.py")}
    if app.backend != expected.get_backend_name():
        return None, found
    if app.backend == "sqlite":
        path = Path(app.database).resolve() if app.database and app.database != ":memory:" else None
        if path is None or not path.is_relative_to(workdir.resolve()):
            return None, found
        return sa.create_engine(sa.URL.create("sqlite", database=str(path)), poolclass=sa.pool.NullPool), None
    if app.database != expected.database:
        return None, found
    return sa.create_engine(url, poolclass=sa.pool.NullPool), None


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
        facts.add("chain", {"problem": "no_migrations", "folder": str(location)})
        return None
    try:
        revisions = read_chain(location, copy)
    except ChainProblem as problem:
        facts.add("chain", problem.details)
        return None
    reply = learner.call(Command(Op.SCRIPTS), "reading the migration files")
    if not reply.ok:  # a migration file that parses but fails when Alembic imports it
        error = reply.error
        facts.add("chain", {"problem": "unreadable", "error": error.error, "line": error.line,
                            "file": reply.error_file})
        return None
    if sorted(reply.revisions) != sorted(revision["id"] for revision in revisions):
        facts.add("chain", {"problem": "unreadable", "file": None,
                            "error": "your migration files name other revisions when Alembic imports them "
                                     "than they do as written"})
        return None
    facts.add("chain", {"problem": None, "revisions": revisions})
    return revisions

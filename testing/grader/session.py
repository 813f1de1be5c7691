"""One grading session: a scratch copy, a scratch database, the learner's process, and the walk.

The order matters. The submission is copied and fingerprinted before any of the learner's code
runs; the learner's process imports the app and the migration files (LOAD), after which the grader
reads the chain from the files as written (chain.py: nothing imported) — the fingerprint, checked
after every command, proves they are the files that were submitted. Then the grader walks the chain
(walk.py), reading the database itself after every command.
"""
import shutil
from pathlib import Path

import sqlalchemy as sa

from .chain import ChainProblem, read_chain
from .containment import choose_isolation
from .databases import scratch_database
from .facts import Facts
from .fingerprint import course_and_packages
from .paths import in_learner_terms
from .protocol import Command, Op, Stopped
from .sandbox import sandbox
from .supervisor import LearnerProcess
from .walk import ChainWalk

GRADE, FAULTS, CHANGES = "grade", "faults", "changes"
TOTAL_LIMIT_FACTOR = 8  # the whole session may take this many single time limits, whatever happens


def run(server_dir, database, time_limit, states=None, probe_steps=(), mode=GRADE, learner_database=None,
        progress=None, stand_in=None, cut=(), cut_models=None, graded=None):
    """Walk the chain in `server_dir` and return what was found. `states`: {step: MetaData} of the
    lessons to compare with; `graded`: the steps graded (all of `states` when None); `probe_steps`: steps whose migration is made to fail on purpose.
    `mode` FAULTS: instead of grading, make every revision fail after each of its writes; CHANGES:
    only climb, saying what each revision changed. `learner_database`: the learner's own SQLite
    file, compared (as a copy) with what the chain builds at its alembic_version. `stand_in`:
    (relative path, text) of a file the grader adds to the copy (standin.py); `cut`: migration files
    left out of the copy, whose models.py is then `cut_models` (Part 3's, graded apart)."""
    facts = Facts()
    isolation = choose_isolation(database)
    facts.add("isolation", isolation.why)
    # Where the learner's code runs as the grader's own user, what it could change is fingerprinted
    # (not the learner's own folder: they may well save a file while `lesson watch` grades).
    watched = None if isolation.separate else course_and_packages()
    with sandbox(server_dir) as box:
        facts.add("not_copied", box.notes)
        if stand_in:
            (box.copy / stand_in[0]).write_text(stand_in[1], encoding="utf-8")
        for file in cut:
            (box.copy / file).unlink()
        if cut_models:
            shutil.copyfile(cut_models, box.copy / "models.py")
        if learner_database:  # a copy: the learner's file is only ever read, here
            learner_database = shutil.copyfile(learner_database, box.workdir / "learner.db")
        with scratch_database(database, box.workdir, progress) as url:
            learner = LearnerProcess(box.copy, box.workdir, url, isolation, time_limit,
                                     max(time_limit * TOTAL_LIMIT_FACTOR, 20), progress)
            with learner:
                try:
                    _session(learner, facts, box, url, states or {}, probe_steps, mode, learner_database,
                             graded)
                except Stopped as stopped:
                    facts.stopped = stopped.as_fact()
        in_learner_terms(facts, {box.copy: Path(server_dir), box.workdir: None})
    if watched:
        changed = course_and_packages(watched.roots).changed_since(watched)
        if changed:
            facts.add("changed_outside", changed)
    return facts


def _session(learner, facts, box, url, states, probe_steps, mode, learner_database, graded):
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

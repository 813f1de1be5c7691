"""The autograder's engine: it checks a server folder's migrations by what they do to rows.

    report = grade("server", up_to_step=3, database="sqlite")
    report.passed, report.to_dict()

Three entry points, each with a typed result: `grade` (a Report), `climb` (the chain and what
each revision changed, for `lesson view`) and `inject_faults` (every reference migration made to
fail, for `pipenv run faults`). The learner's code runs in a separate, contained process on a
temporary copy of the folder and a scratch database (session.py, supervisor.py, inside/); this
process reads the database itself and judges.
"""
import functools
import importlib.util
import os
from dataclasses import dataclass, field
from pathlib import Path

from .. import course
from ..problems import UsageError
from .cache import ReportCache
from .databases import DATABASES
from .judge import blocker, climb_failure, databases_to_try, probed_steps, verdict, without_other_databases
from .report import Report, render_text
from .standin import stand_in_merge, without_stand_in

DEFAULT_TIME_LIMIT = 30  # seconds any one piece of the learner's code may run

__all__ = ["DATABASES", "DEFAULT_TIME_LIMIT", "Climb", "FaultRun", "Report", "ReportCache", "UsageError",
           "climb", "grade", "graded_steps", "inject_faults", "render_text"]


def graded_steps(up_to_step=None):
    """Steps 1..up_to_step of the course (all of them when None)."""
    if up_to_step is None:
        return list(course.steps())
    course.step(up_to_step)  # an unknown step, or 0 (nothing to grade there), is a usage error
    return course.steps_up_to(up_to_step)


def grade(server_dir=course.SERVER_DIR, up_to_step=None, database="sqlite", time_limit=DEFAULT_TIME_LIMIT,
          progress=None, cache=None, evidence=None):
    """The Report of steps 1..up_to_step. `progress(text)` hears what is being done (for a
    terminal); `cache`, a ReportCache, keeps each database's result for unchanged files;
    `evidence`: what `lesson` saw of the learner's own database (testing/guide/evidence.py), None
    when only the submitted files are graded (`grade`, CodeGrade)."""
    steps = graded_steps(up_to_step)
    if database not in DATABASES:
        raise UsageError(f"unknown database {database!r}: choose one of {', '.join(DATABASES)}")
    learner_database = _learner_database(server_dir, database)
    cache = cache or ReportCache(None)
    key = cache.key(server_dir, database, steps, time_limit, learner_database)
    facts = cache.facts(key)
    if facts is None:
        facts = _walk(server_dir, steps, database, time_limit, progress, learner_database)
        facts = _past_two_heads(server_dir, steps, database, time_limit, facts, progress, learner_database)
        cache.keep_facts(key, facts)
    if evidence is not None:
        facts.add("evidence", evidence)
    # A step may ask for the whole chain on other databases too: graded there without that request.
    wanted = databases_to_try(facts, steps)
    if wanted:
        plain = [without_other_databases(step) for step in steps]
        facts.add("elsewhere", {other: _grade_elsewhere(server_dir, plain, other, time_limit, facts, database,
                                                        progress, cache)
                                for other in wanted})
    return verdict(facts, steps)


def _past_two_heads(server_dir, steps, database, time_limit, facts, progress=None, learner_database=None):
    """With two heads, the facts of the chain joined by a stand-in merge (standin.py); else `facts`."""
    chain = facts.get("chain") or {}
    if chain.get("problem") != "two_heads":
        return facts
    stand_in = stand_in_merge(server_dir, chain["files"])
    if stand_in is None:
        return facts
    joined = _walk(server_dir, steps, database, time_limit, progress, learner_database, stand_in=stand_in)
    return without_stand_in(joined, chain["files"]) or facts


def _walk(server_dir, steps, database, time_limit, progress=None, learner_database=None, stand_in=None):
    where = {"sqlite": "SQLite", "postgresql": "PostgreSQL", "mysql": "MariaDB"}[database]
    states = {step.number: _lesson_metadata(step.models_path) for step in steps}
    say = (lambda text: progress(f"{where}: {text}")) if progress else None
    from .session import run  # SQLAlchemy and Alembic: only once there is something to walk

    return run(server_dir, database, time_limit, states, probed_steps(steps), learner_database=learner_database,
               progress=say, stand_in=stand_in)


@functools.cache
def _lesson_metadata(path):
    """The MetaData of a lesson's models.py (the course's own file), loaded under a name of its own."""
    spec = importlib.util.spec_from_file_location(f"lesson_models_{abs(hash(str(path)))}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.db.metadata


def _learner_database(server_dir, database):
    """The SQLite file the learner's app uses by default, when grading on SQLite and it exists."""
    path = Path(server_dir) / "instance" / "app.db"
    return path if database == "sqlite" and not os.environ.get("DATABASE_URL") and path.is_file() else None


def _grade_elsewhere(server_dir, steps, database, time_limit, facts, graded_database, progress, cache):
    """The report of `steps` on `database` as a dict, or {"unavailable": why} without a server."""
    if database == graded_database:
        return verdict(facts, steps).to_dict()
    key = cache.key(server_dir, database, steps, time_limit, None)
    kept = cache.report(key)
    if kept is not None:
        return kept
    try:
        facts = _past_two_heads(server_dir, steps, database, time_limit,
                                _walk(server_dir, steps, database, time_limit, progress), progress)
        report = verdict(facts, steps).to_dict()
    except UsageError as problem:
        return {"unavailable": str(problem)}  # never kept: the server may be installed by the next run
    cache.keep_report(key, report)
    return report


@dataclass(frozen=True)
class Climb:
    """A chain climbed from an empty database: what each revision changed."""
    revisions: list = field(default_factory=list)  # {"id", "file", "message", "parents"} from base to head
    problem: str | None = None  # why there is no chain to show, in the learner's words
    changes: dict = field(default_factory=dict)  # revision id -> the schema items it changed
    failure: str | None = None  # where the climb stopped, in the learner's words


def climb(server_dir, time_limit=DEFAULT_TIME_LIMIT):
    from .session import CHANGES, run

    facts = run(server_dir, "sqlite", time_limit, mode=CHANGES)
    blocked = blocker(facts)
    if blocked:
        return Climb(problem=blocked[1])
    revisions = facts.get("chain")["revisions"]
    failure = climb_failure(facts, revisions)
    changes = {revisions[climbed["index"]]["id"]: climbed["changes"] for climbed in facts.climbed}
    return Climb(revisions, None, changes, failure[1] if failure else None)


@dataclass(frozen=True)
class FaultRun:
    """Every revision of a chain made to fail after each of its writes in turn."""
    revisions: list  # as in Climb
    writes: dict  # revision index -> how many writes its upgrade makes
    faults: list  # {"index", "after", "statement", "clean", "schema", "changed_tables", "version"}


def inject_faults(server_dir, database="sqlite", time_limit=DEFAULT_TIME_LIMIT):
    from .session import FAULTS, run

    facts = run(server_dir, database, time_limit, mode=FAULTS)
    chain = facts.get("chain") or {}
    if facts.stopped or not chain.get("revisions"):
        raise UsageError(f"the chain did not run: {facts.stopped or chain}")
    return FaultRun(chain["revisions"], {climbed["index"]: climbed["writes"] for climbed in facts.climbed},
                    facts.faults)

"""The autograder's engine: `grade()` checks a server folder's migrations by what they do to rows.

    report = grade("server", up_to_step=3, database="sqlite")
    report.passed, report.to_dict()

The learner's code runs in a separate process on a temporary copy of the folder and a scratch
database (see supervisor.py and worker.py); this process only judges what it reports.
"""
import os
import shutil
from pathlib import Path

from .. import course
from .databases import DATABASES, scratch_database
from .judge import databases_to_try, probed_steps, verdict, without_other_databases
from .paths import in_learner_terms
from ..problems import UsageError
from .report import Report, render_text
from .sandbox import sandbox
from .standin import stand_in_merge, without_stand_in
from .supervisor import run_worker

DEFAULT_TIME_LIMIT = 30  # seconds any one piece of the learner's code may run

__all__ = ["DATABASES", "Report", "UsageError", "grade", "graded_steps", "render_text"]


def graded_steps(up_to_step=None):
    """Steps 1..up_to_step of the course (all of them when None)."""
    if up_to_step is None:
        return list(course.steps())
    course.step(up_to_step)  # an unknown step, or 0 (nothing to grade there), is a usage error
    return course.steps_up_to(up_to_step)


def grade(server_dir=course.SERVER_DIR, up_to_step=None, database="sqlite", time_limit=DEFAULT_TIME_LIMIT,
          evidence=None):
    """`evidence`: what `lesson` saw of the learner's own database (testing/guide/evidence.py); None
    when only the submitted files are graded (`grade`, CodeGrade)."""
    steps = graded_steps(up_to_step)
    if database not in DATABASES:
        raise UsageError(f"unknown database {database!r}: choose one of {', '.join(DATABASES)}")
    facts = _walk(server_dir, steps, database, time_limit, learner_database=_learner_database(server_dir, database))
    facts = _past_two_heads(server_dir, steps, database, time_limit, facts)
    if evidence is not None:
        facts.add("evidence", evidence)
    # A step may ask for the whole chain on other databases too: graded there without that request.
    wanted = databases_to_try(facts, steps)
    if wanted:
        plain = [without_other_databases(step) for step in steps]
        facts.add("elsewhere", {other: _grade_elsewhere(server_dir, plain, other, time_limit, facts, database)
                                for other in wanted})
    return verdict(facts, steps)


def _past_two_heads(server_dir, steps, database, time_limit, facts):
    """With two heads, the facts of the chain joined by a stand-in merge (standin.py); else `facts`."""
    chain = facts.get("chain") or {}
    if chain.get("problem") != "two_heads":
        return facts
    stand_in = stand_in_merge(server_dir, chain["files"])
    if stand_in is None:
        return facts
    joined = _walk(server_dir, steps, database, time_limit, learner_database=_learner_database(server_dir, database),
                   stand_in=stand_in)
    return without_stand_in(joined, chain["files"]) or facts


def _walk(server_dir, steps, database, time_limit, learner_database=None, stand_in=None):
    with sandbox(server_dir) as (workdir, copy):
        if learner_database:  # a copy: the learner's file is only ever read, here
            learner_database = shutil.copyfile(learner_database, workdir / "learner.db")
        if stand_in:
            (copy / stand_in[0]).write_text(stand_in[1], encoding="utf-8")
        with scratch_database(database, workdir) as url:
            states = {step.number: step.models_path for step in steps}
            facts = run_worker(copy, url, database, states, time_limit, probed_steps(steps),
                               learner_database=learner_database)
        return in_learner_terms(facts, {copy: Path(server_dir), workdir: None})


def _learner_database(server_dir, database):
    """The SQLite file the learner's app uses by default, when grading on SQLite and it exists."""
    path = Path(server_dir) / "instance" / "app.db"
    return path if database == "sqlite" and not os.environ.get("DATABASE_URL") and path.is_file() else None


def _grade_elsewhere(server_dir, steps, database, time_limit, facts, graded_database):
    """The report of `steps` on `database` as a dict, or {"unavailable": why} without a server."""
    if database == graded_database:
        return verdict(facts, steps).to_dict()
    try:
        facts = _past_two_heads(server_dir, steps, database, time_limit, _walk(server_dir, steps, database, time_limit))
        return verdict(facts, steps).to_dict()
    except UsageError as problem:
        return {"unavailable": str(problem)}

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
from . import messages
from .databases import DATABASES, scratch_database
from .judge import databases_to_try, probed_steps, reached_index, verdict, without_other_databases
from ..problems import UsageError
from .report import Report, render_text
from .sandbox import sandbox
from .supervisor import run_worker

DEFAULT_TIME_LIMIT = 30  # seconds any one piece of the learner's code may run

__all__ = ["DATABASES", "Report", "UsageError", "grade", "graded_steps", "render_text"]


def graded_steps(up_to_step=None):
    """Steps 1..up_to_step of the course (all of them when None)."""
    if up_to_step is None:
        return list(course.steps())
    course.step(up_to_step)  # an unknown step, or 0 (nothing to grade there), is a usage error
    return course.steps_up_to(up_to_step)


def grade(server_dir=course.SERVER_DIR, up_to_step=None, database="sqlite", time_limit=DEFAULT_TIME_LIMIT):
    steps = graded_steps(up_to_step)
    if database not in DATABASES:
        raise UsageError(f"unknown database {database!r}: choose one of {', '.join(DATABASES)}")
    facts = _walk(server_dir, steps, database, time_limit, learner_database=_learner_database(server_dir, database))
    notes = []
    part3 = _part3_files(facts, steps)
    # Part 3 not graded (--step 12 and before): its migrations, which run on PostgreSQL only, are left out.
    if part3 and database != "postgresql" and not any(step.database for step in steps):
        facts = _walk(server_dir, steps, database, time_limit, cut=part3)
        notes.append(messages.part3_left_out(database))
    # Part 3's migrations run on PostgreSQL only: a chain that goes on into it is graded there.
    elif part3 and database != "postgresql":
        try:
            facts, graded_on = _walk(server_dir, steps, "postgresql", time_limit), database
            database = "postgresql"
            notes.append(messages.part3_on_postgresql(graded_on))
        except UsageError as problem:  # no PostgreSQL here: the grade on `database` stands
            notes.append(messages.part3_needs_postgresql(str(problem)))
    # A step may ask for the whole chain on other databases too: graded there without that request,
    # and without Part 3 (its revisions left out).
    wanted = databases_to_try(facts, steps)
    if wanted:
        plain = [without_other_databases(step) for step in steps if step.database is None]
        facts.add("elsewhere", {other: _grade_elsewhere(server_dir, plain, other, time_limit, facts, database, part3)
                                for other in wanted})
    report = verdict(facts, steps)
    report.notes[:0] = notes
    return report


def _part3_files(facts, steps):
    """The learner's migration files after the state of the last step before Part 3 (when it is
    graded and reached): [] if none."""
    before = [step for step in course.steps() if step.database is None][-1].number
    if before not in [step.number for step in steps]:
        return []
    last = reached_index(facts, steps, before)
    if last is None:
        return []
    return [revision["file"] for revision in facts.get("chain")["revisions"][last + 1:]]


def _walk(server_dir, steps, database, time_limit, learner_database=None, cut=()):
    """The worker's facts; `cut`: migration files left out of the copy, whose models.py is then the
    last graded step's state (the chain is graded up to there)."""
    with sandbox(server_dir) as (workdir, copy):
        for file in cut:
            (copy / file).unlink()
        if cut:
            shutil.copyfile(steps[-1].models_path, copy / "models.py")
        if learner_database:  # a copy: the learner's file is only ever read, here
            learner_database = shutil.copyfile(learner_database, workdir / "learner.db")
        with scratch_database(database, workdir) as url:
            states = {step.number: step.models_path for step in steps}
            return run_worker(copy, url, database, states, time_limit, probed_steps(steps),
                              learner_database=learner_database)


def _learner_database(server_dir, database):
    """The SQLite file the learner's app uses by default, when grading on SQLite and it exists."""
    path = Path(server_dir) / "instance" / "app.db"
    return path if database == "sqlite" and not os.environ.get("DATABASE_URL") and path.is_file() else None


def _grade_elsewhere(server_dir, steps, database, time_limit, facts, graded_database, cut=()):
    """The report of `steps` on `database` as a dict, or {"unavailable": why} without a server."""
    if database == graded_database:  # the chain already ran there, Part 3 included
        return verdict(facts, steps).to_dict()
    try:
        return verdict(_walk(server_dir, steps, database, time_limit, cut=cut), steps).to_dict()
    except UsageError as problem:
        return {"unavailable": str(problem)}

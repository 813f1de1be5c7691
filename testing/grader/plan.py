"""The grading plan: which walks a grade needs and in what order, and how their facts are judged.

One walk of the chain on the graded database (boundary/session.py runs it); again without Part 3's
migrations when Part 3 is not graded, or on PostgreSQL when it is; a second walk with a stand-in
merge when the chain has two heads; and the whole chain on the other databases a step asks for.
`collect` gathers the facts, `judged` turns them into a Report, `grade` is both.
"""
import dataclasses
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

from .. import course
from ..command_errors import ServerStopped, Unavailable, UsageError
from . import checks
from .boundary.request import Mode, Request
from .cache import ReportCache
from .facts import ChainProblemKind, Evidence, Facts, FailedCheck, OtherDatabase, Probe, Revision, SchemaItem
from .judging import messages
from .judging.judge import (
    blocker,
    climb_failure,
    databases_to_try,
    graded_database,
    probed_steps,
    verdict,
    without_other_databases,
)
from .judging.report import Report
from .measure import part3_kept
from .measure.lesson_models import models_module
from .measure.standin import stand_in_merge, without_stand_in
from .servers import supply
from .servers.databases import DATABASES

DEFAULT_TIME_LIMIT = 30  # seconds any one piece of the learner's code may run

def graded_steps(up_to_step: int | None = None) -> list[course.Step]:
    """Steps 1..up_to_step of the course (all of them when None)."""
    checks.refuse_unknown(course.steps())
    if up_to_step is None:
        return list(course.steps())
    course.step(up_to_step)  # an unknown step, or 0 (nothing to grade there), is a usage error
    return course.steps_up_to(up_to_step)


def grade(server_dir: Path | str = course.SERVER_DIR, up_to_step: int | None = None, database: str = "sqlite",
          time_limit: float = DEFAULT_TIME_LIMIT, progress: Callable[[str], None] | None = None,
          cache: ReportCache | None = None, evidence: Evidence | None = None) -> Report:
    """The Report of steps 1..up_to_step. `progress(text)` hears what is being done (for a
    terminal); `cache`, a ReportCache, keeps each database's result for unchanged files;
    `evidence`: a facts.Evidence of what `lesson` saw of the learner's own database
    (testing/guide/evidence.py), None when only the submitted files are graded (`grade`, CodeGrade)."""
    return judged(collect(server_dir, up_to_step, database, time_limit, progress, cache, evidence), up_to_step)


def collect(server_dir: Path | str = course.SERVER_DIR, up_to_step: int | None = None, database: str = "sqlite",
            time_limit: float = DEFAULT_TIME_LIMIT, progress: Callable[[str], None] | None = None,
            cache: ReportCache | None = None, evidence: Evidence | None = None) -> Facts:
    """Everything `grade` finds, before it is judged: the Facts that `judged` turns into its Report.
    Apart so that facts found once can be judged many times (the course's own tests do).
    A server this grade started that stops in the middle is started again, and the grade made again, once."""
    try:
        return _collected(server_dir, up_to_step, database, time_limit, progress, cache, evidence)
    except ServerStopped as stopped:
        if not stopped.started_here:
            raise
        if progress:
            progress(f"{stopped.what}: starting it again, and grading once more...")
    return _collected(server_dir, up_to_step, database, time_limit, progress, cache, evidence)


def _collected(server_dir: Path | str, up_to_step: int | None, database: str, time_limit: float,
               progress: Callable[[str], None] | None, cache: ReportCache | None, evidence: Evidence | None) -> Facts:
    steps = graded_steps(up_to_step)
    if database not in DATABASES:
        raise UsageError(f"unknown database {database!r}: choose one of {', '.join(DATABASES)}")
    learner_database = _learner_database(server_dir, database)
    cache = cache or ReportCache(None)
    key = cache.key(server_dir, database, steps, time_limit, learner_database)
    facts = cache.facts(key)
    # A step may ask for the whole chain on other databases too: graded there without that request,
    # and without Part 3 (its revisions left out).
    plain = [without_other_databases(step) for step in steps if step.database is None]
    with ExitStack() as servers:
        if facts is None:
            servers.enter_context(supply.started_ahead(_servers_ahead(server_dir, steps, plain, database,
                                                                      time_limit, cache), progress))
            with part3_kept.kept_in(cache):  # Part 3's measurements of migrations that did not change
                facts = _walked(server_dir, steps, database, time_limit, progress, learner_database)
            cache.keep_facts(key, facts)
        if evidence is not None:
            facts.evidence = evidence
        wanted = databases_to_try(facts, steps)
        if wanted:
            # At the same time: each walk mostly waits, on its server or on the learner's process.
            with ThreadPoolExecutor(max_workers=len(wanted), thread_name_prefix="elsewhere") as pool:
                found = [pool.submit(_grade_elsewhere, server_dir, plain, other, time_limit, facts,
                                     facts.part3_files, progress, cache) for other in wanted]
                facts.elsewhere = {other: future.result() for other, future in zip(wanted, found, strict=True)}
    return facts


def judged(facts: Facts, up_to_step: int | None = None) -> Report:
    """The Report that `facts` (from `collect`) earn for steps 1..up_to_step. Every step of the
    course is judged, so a step's verdict does not depend on how many steps are shown."""
    report = verdict(facts, course.steps(), graded_steps(up_to_step))
    report.notes[:0] = facts.part3_notes
    return report


def _walked(server_dir, steps, database, time_limit, progress, learner_database):
    """The facts of the chain, with Part 3 where it runs: on PostgreSQL only."""
    part3_graded = any(step.database for step in steps)
    on_postgresql, unavailable = None, None
    if part3_graded and database != "postgresql" and _likely_into_part3(server_dir):
        # Such a chain is graded on PostgreSQL: walked there first, the walk on `database` is spared.
        # Which files are Part 3's is read from that walk; with none, the chain is walked on `database` too.
        on_postgresql, unavailable = _joined_where_there_is_one(server_dir, steps, "postgresql", time_limit, progress)
        if on_postgresql is not None and _part3_files(on_postgresql):
            return _graded_on_postgresql(on_postgresql, database, _part3_files(on_postgresql))
    facts = _joined(server_dir, steps, database, time_limit, progress, learner_database)
    part3 = _part3_files(facts)
    if part3 and database != "postgresql" and not part3_graded:
        # Part 3 not graded (--step 12 and before): its migrations are left out.
        facts = _joined(server_dir, steps, database, time_limit, progress, learner_database, cut=part3)
        facts.part3_notes = (messages.part3_left_out(database),)
    elif part3 and database != "postgresql":
        # A chain that goes on into Part 3 is graded on PostgreSQL.
        if on_postgresql is None and unavailable is None:
            on_postgresql, unavailable = _joined_where_there_is_one(server_dir, steps, "postgresql", time_limit,
                                                                    progress)
        if on_postgresql is not None:
            return _graded_on_postgresql(on_postgresql, database, part3)
        # No PostgreSQL here: the grade on `database` stands.
        facts.part3_notes = (messages.part3_needs_postgresql(str(unavailable)),)
        facts.machine_dependent = True
    facts.part3_files = part3  # what the other databases leave out
    return facts


def _graded_on_postgresql(facts, database, part3):
    facts.part3_notes = (messages.part3_on_postgresql(database),)
    facts.part3_files = part3
    return facts


def _likely_into_part3(server_dir):
    """Whether the chain has more migration files than the course's own before Part 3: then it most
    likely goes on into Part 3. Only which walk comes first rests on this guess, never a verdict."""
    return _files_beyond(server_dir, course.last_step_on_any_database().number) > 0


def _files_beyond(server_dir, step_number):
    """How many more migration files the chain has than the course's own up to `step_number`."""
    reference = sum(len(step.migration_files) for step in course.steps() if step.number <= step_number)
    versions = Path(server_dir) / "migrations" / "versions"
    return (len(list(versions.glob("*.py"))) if versions.is_dir() else 0) - reference


def _servers_ahead(server_dir, steps, plain, database, time_limit, cache):
    """The servers worth starting while the chain is walked on `database`: PostgreSQL for a chain that
    likely goes into Part 3; each other database a step asks for, once the chain has the files of the
    steps before that step and its result there is not kept. A guess: it decides when a server
    starts, never a verdict."""
    ahead = {"postgresql"} if database != "postgresql" and any(step.database for step in steps) \
        and _likely_into_part3(server_dir) else set()
    for step in steps:
        for other in set(checks.other_databases_of(step)) - {database}:
            if _files_beyond(server_dir, step.number - 1) >= 0 and \
                    cache.report(cache.key(server_dir, other, plain, time_limit, None)) is None:
                ahead.add(other)
    return ahead & supply.needed(steps, database)


def _joined_where_there_is_one(server_dir, steps, database, time_limit, progress, cut=()):
    """(the facts of `_joined` on `database`, None), or (None, why this machine has no such server).
    A server that stopped in the middle is no missing server: ServerStopped goes on up to collect()."""
    try:
        return _joined(server_dir, steps, database, time_limit, progress, cut=cut), None
    except ServerStopped:
        raise
    except Unavailable as problem:
        return None, problem


def _joined(server_dir, steps, database, time_limit, progress=None, learner_database=None, cut=()):
    """The facts of one walk; with two heads, of the chain joined by a stand-in merge (standin.py)."""
    facts = _walk(server_dir, steps, database, time_limit, progress, learner_database, cut=cut)
    chain = facts.chain
    if chain is None or chain.problem != ChainProblemKind.TWO_HEADS:
        return facts
    stand_in = stand_in_merge(chain.files, chain.heads)
    if stand_in is None:
        return facts
    joined = _walk(server_dir, steps, database, time_limit, progress, learner_database, stand_in=stand_in, cut=cut)
    return without_stand_in(joined, chain.files) or facts


def _part3_files(facts):
    """The learner's migration files after the first revision that reaches the state of the last
    step before Part 3 (every step's state is compared, graded or not): () if none."""
    before = course.last_step_on_any_database().number
    reached = next((climbed.index for climbed in facts.climbed if before in climbed.matches
                    and not climbed.matches[before]), None)
    if reached is None:
        return ()
    return tuple(revision.file for revision in facts.revisions[reached + 1:])


def _walk(server_dir, steps, database, time_limit, progress=None, learner_database=None, stand_in=None, cut=()):
    """`cut`: Part 3's migration files, left out of the copy, whose models.py is then that of the
    last step before Part 3 (the state the chain reaches without them)."""
    where = course.DATABASE_NAMES[database]
    # Every step's state, graded or not: a revision reaching a later step's state is that step's work.
    def states():
        return {step.number: models_module(step.models_path).db.metadata for step in course.steps()}

    say = (lambda text: progress(f"{where}: {text}")) if progress else None
    from .boundary.session import run  # SQLAlchemy and Alembic: only once there is something to walk

    request = Request(Path(server_dir), database, time_limit, states=states,
                      graded=tuple(step.number for step in steps), probe_steps=frozenset(probed_steps(steps)),
                      learner_database=learner_database, stand_in=stand_in, cut=tuple(cut),
                      cut_models=course.last_step_on_any_database().models_path if cut else None)
    return run(request, say)


def _learner_database(server_dir, database):
    """The SQLite file the learner's app uses by default, when grading on SQLite and it exists."""
    path = Path(server_dir) / "instance" / "app.db"
    return path if database == "sqlite" and not os.environ.get("DATABASE_URL") and path.is_file() else None


def _grade_elsewhere(server_dir, steps, database, time_limit, facts, cut, progress, cache):
    """`steps` graded on `database`, or why they could not be (no server there). Every step of the
    course is judged there too, so Part 3's work stays Part 3's."""
    every = [without_other_databases(step) for step in course.steps()]
    if database == graded_database(facts):  # the chain already ran there, Part 3 included
        # The chain's own checks there: what `lesson` saw of the learner's database is not one.
        return _other_database(verdict(dataclasses.replace(facts, evidence=None), every, steps))
    key = cache.key(server_dir, database, steps, time_limit, None, cut=cut)
    kept = cache.report(key)
    if kept is not None:
        return kept
    joined, unavailable = _joined_where_there_is_one(server_dir, steps, database, time_limit, progress, cut=cut)
    if joined is None:
        return OtherDatabase(unavailable=str(unavailable))  # never kept: the server may be installed by the next run
    found = _other_database(verdict(joined, every, steps))
    cache.keep_report(key, found)
    return found


def _other_database(report):
    return OtherDatabase(len(report.steps), tuple(FailedCheck(step.step, check.name, check.message)
                                                  for step in report.steps for check in step.checks
                                                  if not check.passed))


@dataclass(frozen=True)
class Climb:
    """A chain climbed from an empty database: what each revision changed."""
    revisions: tuple[Revision, ...] = ()  # from base to head
    problem: str | None = None  # why there is no chain to show, in the learner's words
    changes: dict[str, tuple[SchemaItem, ...]] = field(default_factory=dict)  # revision id -> what it changed
    failure: str | None = None  # where the climb stopped, in the learner's words


def climb(server_dir: Path | str, time_limit: float = DEFAULT_TIME_LIMIT) -> Climb:
    from .boundary.session import run

    facts = run(Request(Path(server_dir), "sqlite", time_limit, Mode.CHANGES))
    blocked = blocker(facts)
    if blocked:
        return Climb(problem=blocked[1])
    revisions = facts.revisions
    failure = climb_failure(facts, revisions)
    changes = {revisions[climbed.index].id: climbed.changes for climbed in facts.climbed}
    return Climb(revisions, None, changes, failure[1] if failure else None)


@dataclass(frozen=True)
class FaultRun:
    """Every revision of a chain made to fail after each of its writes in turn."""
    revisions: tuple[Revision, ...]  # as in Climb
    writes: dict[int, int]  # revision index -> how many writes its upgrade makes
    faults: list[Probe]


def inject_faults(server_dir: Path | str, database: str = "sqlite", time_limit: float = DEFAULT_TIME_LIMIT) -> FaultRun:
    from .boundary.session import run

    facts = run(Request(Path(server_dir), database, time_limit, Mode.FAULTS))
    if facts.stopped or not facts.revisions:
        raise UsageError(f"the chain did not run: {facts.stopped or facts.chain}")
    return FaultRun(facts.revisions, {climbed.index: climbed.writes for climbed in facts.climbed}, facts.faults)

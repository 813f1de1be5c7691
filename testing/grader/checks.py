"""Every check the grader makes, declared once: its stable id, its title, the steps it belongs to,
what it looks at and where its evidence comes from. The judge, the report, `lesson`, the gradebook,
CodeGrade's tests and Classroom's commands all read this table; none of them knows a check by its
words.

A check's id (`rows-kept-on-upgrade`) is what CodeGrade's and Classroom's test names carry
(`step03-rows-kept-on-upgrade`): the title may be reworded, the id never changes. (The ids are the
titles the checks had when the course first gave points per check, with `-` for anything but a
letter or digit.)
"""
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # only for the annotations: the registry needs nothing of the course at run time
    from ..course import Step


class Scope(StrEnum):
    """What a check looks at. Whatever it looks at, a failure is laid on the step whose own work
    causes it: a check of the whole chain fails only the step whose revision breaks it."""
    STEP = "the step's own revisions"
    CHAIN = "the whole chain"


class Evidence(StrEnum):
    """Where a check's evidence comes from."""
    FILES = "the submitted files, walked on a scratch database"
    LEARNER_DATABASE = "the learner's own database, as `lesson` saw it"
    OTHER_DATABASES = "the submitted files, walked on PostgreSQL and MySQL/MariaDB"
    LIVE_TRAFFIC = "the submitted files, upgraded on PostgreSQL under the previous step's running app"
    SERVER_LOG = "the statements the grade's role ran on PostgreSQL, from the server's own log"
    # A server the grader did not start keeps no log it can read: squawk reads what `--sql` renders.
    LEARNER_RENDER = ("the SQL the learner's own process rendered (flask db upgrade --sql): no server log "
                      "the grader could read")
    # Only the learner's own process can load models.py, or run env.py to render SQL: what it reports
    # decides these checks, and nothing else.
    LEARNER_PROCESS = "models.py, compared by the learner's own app process"
    LEARNER_OFFLINE = "the chain rendered as SQL (flask db upgrade --sql) by the learner's own app process"
    # Step 11 where the SQLite file cannot be watched (sqlite_writes.py): the failure is the learner's word.
    UNWITNESSED_FAILURE = ("the submitted files, walked on a scratch database; that the grader's failure happened "
                           "rests on the learner's own process (the SQLite file could not be watched: no inotify, "
                           "or a write-ahead log)")
    # Step 11 on a PostgreSQL whose administrator the grader was given is no superuser (postgres_failure.py).
    UNRAISED_FAILURE = ("the submitted files, walked on a scratch database; that the grader's failure happened "
                        "rests on the learner's own process (the server's administrator is not a superuser, so "
                        "PostgreSQL could not raise it)")


class Status(StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    NOT_CHECKED = "not checked"  # something else has to pass first; the message says what
    # Evidence only `lesson`, on the learner's machine, can see: a grade of the files alone cannot
    # fail it, and says so.
    NEEDS_LEARNER_MACHINE = "needs the learner's machine"


COUNTS_AS_PASSED = frozenset({Status.PASSED, Status.NEEDS_LEARNER_MACHINE})


class Applies(StrEnum):
    """Which steps carry a check."""
    FIRST = "the first step"
    EVERY = "every step"
    WRITING = "every step that writes a migration"
    ASKED = "the steps that list it in lessons/course.toml"


@dataclass(frozen=True)
class Check:
    id: str  # stable: CodeGrade's and Classroom's test names carry it, whatever the title says
    title: str  # what the report shows
    applies: Applies
    scope: Scope
    evidence: Evidence = Evidence.FILES
    databases: tuple[str, ...] = ("sqlite", "postgresql", "mysql")


@dataclass(frozen=True)
class Outcome:
    """What the judge found for one check of one step."""
    status: Status
    message: str = ""
    evidence: Evidence | None = None  # where this outcome rests on other evidence than the check declares


def passed(message: str = "") -> Outcome:
    return Outcome(Status.PASSED, message)


def failed(message: str) -> Outcome:
    return Outcome(Status.FAILED, message)


def not_checked(reason: str) -> Outcome:
    from .judging import messages

    return Outcome(Status.NOT_CHECKED, messages.not_checked(reason))


def needs_learner_machine(message: str) -> Outcome:
    return Outcome(Status.NEEDS_LEARNER_MACHINE, message)


APP = Check("app-loads", "app loads", Applies.FIRST, Scope.CHAIN)
CHAIN = Check("migration-chain", "migration chain", Applies.FIRST, Scope.CHAIN)
FRESH_UPGRADE = Check("upgrade-from-an-empty-database", "upgrade from an empty database", Applies.FIRST, Scope.STEP)
REACHED = Check("schema-reached", "schema reached", Applies.EVERY, Scope.STEP)
ROWS = Check("rows-kept-on-upgrade", "rows kept on upgrade", Applies.WRITING, Scope.STEP)
ROUND_TRIP = Check("downgrade-round-trip", "downgrade round trip", Applies.EVERY, Scope.STEP)
MODELS = Check("models-py-matches-the-migrations", "models.py matches the migrations", Applies.EVERY, Scope.CHAIN,
               Evidence.LEARNER_PROCESS)
DEFAULTS = Check("existing-rows-get-the-default", "existing rows get the default", Applies.ASKED, Scope.STEP)
NAMED = Check("constraints-have-names", "constraints have names", Applies.ASKED, Scope.STEP)
REFERENCES = Check("every-reference-points-at-a-row", "every reference points at a row", Applies.ASKED, Scope.STEP)
PARAMETERS = Check("SQL-uses-bound-parameters", "SQL uses bound parameters", Applies.ASKED, Scope.STEP)
OFFLINE = Check("chain-renders-as-SQL", "chain renders as SQL", Applies.ASKED, Scope.CHAIN, Evidence.LEARNER_OFFLINE)
CHECK_CLEAN = Check("flask-db-check-finds-nothing", "flask db check finds nothing", Applies.ASKED, Scope.CHAIN,
                    Evidence.LEARNER_PROCESS)
MERGED = Check("branches-joined-by-a-merge", "branches joined by a merge", Applies.ASKED, Scope.STEP)
ROLLED_BACK = Check("a-failed-migration-changes-nothing", "a failed migration changes nothing", Applies.ASKED,
                    Scope.STEP)
ON_POSTGRESQL = Check("chain-runs-on-PostgreSQL", "chain runs on PostgreSQL", Applies.ASKED, Scope.CHAIN,
                      Evidence.OTHER_DATABASES)
ON_MYSQL = Check("chain-runs-on-MySQL-MariaDB", "chain runs on MySQL/MariaDB", Applies.ASKED, Scope.CHAIN,
                 Evidence.OTHER_DATABASES)
WENT_DOWN = Check("your-database-went-one-revision-down", "your database went one revision down", Applies.ASKED,
                  Scope.STEP, Evidence.LEARNER_DATABASE)
BACKUP_TRIED = Check("your-backup-brought-your-database-back", "your backup brought your database back", Applies.ASKED,
                     Scope.STEP, Evidence.LEARNER_DATABASE)
OWN_POSTGRESQL = Check("your-PostgreSQL-ran-the-chain", "your PostgreSQL ran the chain", Applies.ASKED, Scope.CHAIN,
                       Evidence.LEARNER_DATABASE, ("postgresql",))
LIVE = Check("the-running-app-keeps-working", "the running app keeps working", Applies.ASKED, Scope.STEP,
             Evidence.LIVE_TRAFFIC, ("postgresql",))
LINTED = Check("squawk-has-nothing-unanswered", "squawk has nothing unanswered", Applies.ASKED, Scope.CHAIN,
               Evidence.SERVER_LOG, ("postgresql",))

ALL = (APP, CHAIN, FRESH_UPGRADE, REACHED, ROWS, ROUND_TRIP, MODELS, DEFAULTS, NAMED, REFERENCES, PARAMETERS,
       OFFLINE, CHECK_CLEAN, MERGED, ROLLED_BACK, ON_POSTGRESQL, ON_MYSQL, WENT_DOWN, BACKUP_TRIED, OWN_POSTGRESQL,
       LIVE, LINTED)
BY_TITLE = {check.title: check for check in ALL}
ASKABLE = {check.title: check for check in ALL if check.applies == Applies.ASKED}
# The whole chain run on another database: grading there leaves these out, so it does not recurse.
OTHER_DATABASES = {ON_POSTGRESQL: "postgresql", ON_MYSQL: "mysql"}


def refuse_unknown(steps: "Iterable[Step]") -> None:
    """A UsageError, in one line as the manifest's other mistakes are told (course.py), when a step
    of `steps` asks for a check this registry does not have."""
    from ..command_errors import UsageError
    from ..course import MANIFEST

    for step in steps:
        unknown = [title for title in step.checks if title not in ASKABLE]
        if unknown:
            raise UsageError(f"{MANIFEST}: step {step.number}: unknown check {unknown[0]!r} "
                             f"(the judge knows: {', '.join(ASKABLE)})")


def of_step(step: "Step", first: bool) -> tuple[Check, ...]:
    """The checks `step` (a course.Step) carries, in the order the report shows them; `first`: it is
    the course's first step."""
    common = [check for check in ALL if check.applies == Applies.FIRST] if first else []
    common += [REACHED] + ([ROWS] if step.migration_files else []) + [ROUND_TRIP, MODELS]
    return tuple(common) + tuple(BY_TITLE[title] for title in step.checks)


def other_databases_of(step: "Step") -> list[str]:
    """The databases `step` asks the whole chain to run on, beyond the one graded."""
    return [OTHER_DATABASES[BY_TITLE[title]] for title in step.checks if BY_TITLE[title] in OTHER_DATABASES]

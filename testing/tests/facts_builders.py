"""Hand-built grading facts (testing/grader/facts.py), so a judge's test reads like the situation it
describes: a chain of revisions, which step's state each one reaches, then what went wrong where.

`walked(...)` builds a grade where everything went right; each `with_...` returns a copy with one
thing changed, the way a learner's mistake changes what the grader finds.
"""
import dataclasses

from testing import course
from testing.grader.boundary.protocol import LearnerError
from testing.grader.facts import (
    AppFact,
    Chain,
    Climbed,
    Comparison,
    ConstraintKind,
    DanglingReference,
    Direction,
    Evidence,
    Facts,
    FailureWitness,
    FilledColumn,
    LockWait,
    Look,
    Loss,
    LossKind,
    MeasuredRun,
    MigrationError,
    Offline,
    OtherDatabase,
    Phase,
    Probe,
    Replay,
    RequestError,
    Revision,
    RoundTrip,
    SchemaItem,
    SchemaKind,
    SqlFinding,
    Squawk,
    SquawkConfig,
    SquawkFinding,
    StatementCost,
    TrafficRun,
    TrafficSummary,
    UnnamedConstraint,
    UpgradeFailure,
)

SQLITE = "sqlite:////tmp/grade/instance/app.db"
POSTGRESQL = "postgresql+psycopg://grader@localhost:5432/grade"
# What a revision that does not reach a step's state leaves different from it.
NOT_THERE = SchemaItem(SchemaKind.MISSING_COLUMN, table="employees", column="title")
SEEDED_ROWS = 12  # the sample rows seed.py puts in, as a Look counts them

# The reference course, revision by revision: the steps whose state each reaches. The downgrade step
# (05), the review step (09), the other-databases step (12) and the lint step (16) write no migration
# and share the state of the step before; step 10's two given branches reach no state until merged.
COURSE = ((1,), (2,), (3,), (4, 5), (6,), (7,), (8, 9), (), (), (10,), (11, 12), (13,), (14,), (15, 16))
BRANCHES = (7, 8)  # step 10's teammate branches, both on top of step 08's revision
MERGE = 9


def file_of(index: int) -> str:
    return f"migrations/versions/r{index:02d}_step_work.py"


def id_of(index: int) -> str:
    return f"a{index:03d}"


def revision(index: int, parents: tuple[str, ...] | None = None, **changes) -> Revision:
    parents = (id_of(index - 1),) if parents is None and index else parents or ()
    return Revision(id_of(index), file_of(index), f"work of revision {index}", parents, **changes)


def climbed(index: int, reaches: tuple[int, ...], **changes) -> Climbed:
    """Revision `index` upgraded from the one before, at the states of `reaches` and no other step's."""
    matches: dict[int, tuple[SchemaItem, ...]] = {step.number: () if step.number in reaches else (NOT_THERE,)
                                                  for step in course.steps()}
    return Climbed(index, matches, **changes)


def clean_trip(index: int) -> RoundTrip:
    return RoundTrip(index, after_downgrade=Comparison(), after_reupgrade=Comparison())


def walked(*reaching: tuple[int, ...], parents: dict[int, tuple[str, ...]] | None = None,
           database: str = SQLITE) -> Facts:
    """A chain of one revision per argument, all climbed from an empty database: revision i reaches the
    states of the steps `reaching[i]` names. Every round trip gives back schema and rows; models.py
    matches head."""
    parents = parents or {}
    revisions = tuple(revision(index, parents.get(index)) for index in range(len(reaching)))
    return Facts(isolation="the learner", app=AppFact(None, database=database),
                 chain=Chain(None, revisions=revisions),
                 climbed=[climbed(index, tuple(steps)) for index, steps in enumerate(reaching)],
                 models_at_head=(), round_trips=[clean_trip(index) for index in reversed(range(len(reaching)))])


def up_to(number: int) -> tuple[tuple[int, ...], ...]:
    """The reference course's revisions up to step `number`'s state."""
    last = max(index for index, steps in enumerate(COURSE) if any(step <= number for step in steps))
    return tuple(tuple(step for step in steps if step <= number) for steps in COURSE[:last + 1])


def course_walked(number: int = 16) -> Facts:
    """The reference course up to step `number`, everything right (files only: no look at the learner's
    own database). The step's own checks find what they look for."""
    reaching = up_to(number)
    merge = {MERGE: (id_of(BRANCHES[0]), id_of(BRANCHES[1])), BRANCHES[1]: (id_of(6),)}
    facts = walked(*reaching, parents=merge if len(reaching) > MERGE else None,
                   database=POSTGRESQL if number >= 13 else SQLITE)
    if number >= 6:
        facts = with_climbed(facts, 4, filled=(FilledColumn("employees", "title", (("Associate", 3),), "Associate"),))
    facts.offline = Offline("postgresql")
    if number >= 11:
        facts.failure_probe = clean_probe(10)
    if number >= 12:
        facts.elsewhere = {"postgresql": OtherDatabase(steps=12), "mysql": OtherDatabase(steps=12)}
    if number >= 13:
        part3 = [(index, step) for index, step in ((11, 13), (12, 14), (13, 15)) if step <= number]
        facts.traffic = [calm_traffic(index, step) for index, step in part3]
        # Each Part 3 revision upgraded again statement by statement, nothing found.
        facts.measured = [MeasuredRun(index, step - 1, step, 20_000) for index, step in part3]
    return facts


def steps_up_to(number: int) -> list[course.Step]:
    return course.steps_up_to(number)


# -- what changes --------------------------------------------------------------------------------

def copy(facts: Facts, **changes) -> Facts:
    return dataclasses.replace(facts, **changes)


def chain_of(facts: Facts) -> Chain:
    """The chain of facts that loaded one, as every builder's facts did."""
    assert facts.chain is not None
    return facts.chain


def with_climbed(facts: Facts, index: int, **changes) -> Facts:
    """Revision `index`'s climb, with `changes` (losses, filled, dangling, unnamed...)."""
    climb = list(facts.climbed)
    climb[index] = dataclasses.replace(climb[index], **changes)
    return copy(facts, climbed=climb)


def with_loss(facts: Facts, index: int, *losses: Loss) -> Facts:
    return with_climbed(facts, index, losses=losses)


def rows_lost(table: str, rows: int, of: int) -> Loss:
    return Loss(LossKind.ROWS_LOST, table, rows, of=of)


def dropped_and_created(table: str, rows: int, replaced_by: str) -> Loss:
    """A rename written as drop + create: every row of `table` gone, `replaced_by` created empty."""
    return Loss(LossKind.TABLE_LOST, table, rows, replaced_by=replaced_by)


def error_in(index: int, error: str, direction: Direction = Direction.UPGRADE, line: int | None = 21) -> MigrationError:
    return MigrationError(id_of(index), file_of(index), direction, error, file=file_of(index), line=line)


def with_upgrade_failing(facts: Facts, index: int, error: str) -> Facts:
    """The climb from an empty database stops at revision `index`: nothing after it ran, models.py never
    compared; the revisions before it go down and up again (Part 3: the app ran while it failed)."""
    return copy(facts, climbed=facts.climbed[:index], upgrade_failed=UpgradeFailure(index, error_in(index, error)),
                round_trips=[trip for trip in facts.round_trips if trip.index < index], models_at_head=None,
                traffic=[run for run in facts.traffic if run.index <= index],
                measured=[run for run in facts.measured if run.index < index])


def with_round_trip(facts: Facts, trip: RoundTrip) -> Facts:
    return copy(facts, round_trips=[trip if each.index == trip.index else each for each in facts.round_trips])


def downgrade_losing(index: int, *losses: Loss) -> RoundTrip:
    """Revision `index` goes down and loses rows on the way."""
    return RoundTrip(index, after_downgrade=Comparison(losses=losses), after_reupgrade=Comparison())


def downgrade_failing(index: int, error: str) -> RoundTrip:
    return RoundTrip(index, downgrade_error=error_in(index, error, Direction.DOWNGRADE))


def with_models(facts: Facts, *items: SchemaItem, before_head: tuple[SchemaItem, ...] | None = None) -> Facts:
    """models.py against the database at head (and one revision below) differs by `items`."""
    return copy(facts, models_at_head=items, models_before_head=before_head)


def with_two_heads(facts: Facts, first: int, second: int) -> Facts:
    """Revisions `first` and `second` share a down_revision and nothing joins them (a stand-in merge
    did, for the grade)."""
    revisions = list(facts.revisions)
    revisions[second] = dataclasses.replace(revisions[second], parents=revisions[first].parents)
    return copy(facts, chain=dataclasses.replace(chain_of(facts), revisions=tuple(revisions)),
                unmerged_heads=(file_of(first), file_of(second)))


def before_the_merge() -> Facts:
    """Step 10 begun: the teammates' two branches upgraded together (through the grader's stand-in
    merge, forgotten since), no merge revision of the learner's yet."""
    facts = course_walked(10)
    climb = facts.climbed[:MERGE]
    climb[-1] = climbed(MERGE - 1, (10,))
    return copy(facts, chain=dataclasses.replace(chain_of(facts), revisions=facts.revisions[:MERGE]), climbed=climb,
                round_trips=[trip for trip in facts.round_trips if trip.index < MERGE],
                unmerged_heads=tuple(file_of(index) for index in BRANCHES))


def without_merge(facts: Facts) -> Facts:
    """Step 10's branches put one after the other (the teammate's down_revision edited) instead of merged."""
    revisions = list(facts.revisions)
    revisions[BRANCHES[1]] = dataclasses.replace(revisions[BRANCHES[1]], parents=(id_of(BRANCHES[0]),))
    revisions[MERGE] = dataclasses.replace(revisions[MERGE], parents=(id_of(BRANCHES[1]),))
    return copy(facts, chain=dataclasses.replace(chain_of(facts), revisions=tuple(revisions)))


def with_formatted_sql(facts: Facts, index: int, line: int, how: str) -> Facts:
    revisions = list(facts.revisions)
    revisions[index] = dataclasses.replace(revisions[index], formatted_sql=(SqlFinding(line, how),))
    return copy(facts, chain=dataclasses.replace(chain_of(facts), revisions=tuple(revisions)))


def dangling(table: str, column: str, target: str, *values: int) -> DanglingReference:
    return DanglingReference(table, column, target, len(values), values)


def unnamed(table: str, columns: tuple[str, ...], expected: str) -> UnnamedConstraint:
    return UnnamedConstraint(ConstraintKind.FOREIGN_KEY, table, columns, expected)


def offline_failing(index: int, error: str) -> Offline:
    """Rendering failed: the grader then knows no dialect (inspection.py keeps it from a reply that worked)."""
    return Offline(None, LearnerError(error, file=file_of(index), line=30))


# -- a migration made to fail on purpose (step 11) -------------------------------------------------

FIRST_CHANGE = "ALTER TABLE departments ADD COLUMN code VARCHAR(8)"


def clean_probe(index: int, witness: FailureWitness = FailureWitness.WRITTEN) -> Probe:
    """Rolled back whole; `witness`: what saw the failure happen (WRITTEN: the ALTER reached the SQLite file)."""
    return Probe(index, 1, FIRST_CHANGE, versions_before=(id_of(index - 1),), versions_after=(id_of(index - 1),),
                 clean=True, witness=witness)


def half_applied_probe(index: int) -> Probe:
    """The failure left the new column behind: SQLite committed the ALTER at once."""
    left = SchemaItem(SchemaKind.EXTRA_COLUMN, table="departments", column="code")
    return Probe(index, 1, FIRST_CHANGE, schema=(left,), versions_before=(id_of(index - 1),),
                 versions_after=(id_of(index - 1),), witness=FailureWitness.WRITTEN)


# -- Part 3: the previous step's app running while a migration upgrades -----------------------------

def traffic(errors: tuple[RequestError, ...] = (), waits: tuple[LockWait, ...] = ()) -> TrafficSummary:
    """What the running app saw around one migration: 20,000 rows, a 0.3 s bound on lock waits."""
    return TrafficSummary(rows=20_000, bound=0.3, hold=1.0, migration_seconds=0.4, requests=900, p50=0.002, p99=0.04,
                          slowest=0.12, errors=errors, waits=waits,
                          error_count=sum(error.during + error.after for error in errors))


def calm_traffic(index: int, step: int, squawk: Squawk = Squawk(from_server_log=True)) -> TrafficRun:
    return TrafficRun(index, step - 1, step, traffic(waits=(rename_wait(0.05),)), squawk)


def rename_wait(seconds: float) -> LockWait:
    """Requests that waited `seconds` behind a rename holding its lock until the migration commits."""
    return LockWait(seconds, "SELECT name FROM employees WHERE id = $1", "AccessShareLock",
                    "ALTER TABLE employees RENAME COLUMN name TO full_name", Phase.DURING, "AccessExclusiveLock",
                    True, "employees", count=40)


def column_gone(during: int, after: int) -> RequestError:
    return RequestError('column "name" does not exist', "SELECT name FROM employees WHERE id = $1", during, after)


def with_traffic(facts: Facts, step: int, seen: TrafficSummary | None = None, squawk: Squawk | None = None) -> Facts:
    """Step `step`'s run of the running app with what it saw, or squawk said, replaced."""
    runs = [dataclasses.replace(run, seen=seen or run.seen, squawk=squawk or run.squawk) if run.step == step else run
            for run in facts.traffic]
    return copy(facts, traffic=runs)


NOT_NULL_FINDING = SquawkFinding("adding-required-field",
                                 "Adding a NOT NULL field without a DEFAULT will fail for a populated table.", None,
                                 "ALTER TABLE employees ADD COLUMN manager_id INTEGER NOT NULL")


def lock_timeout_set_locally(facts: Facts, step: int) -> Facts:
    """Step `step`'s migration opens its autocommit block with `SET LOCAL lock_timeout`, which does nothing
    there, and its ADD COLUMN then queues behind the request that has not committed."""
    queued = LockWait(1.4, "UPDATE employees SET salary=$1 WHERE employees.id = $2", "RowExclusiveLock",
                      "ALTER TABLE employees ADD COLUMN full_name VARCHAR(80)", Phase.DURING, "AccessExclusiveLock",
                      False, "employees", count=25)
    statements = (StatementCost("SET LOCAL lock_timeout = '100ms'", Replay.MEASURED),
                  StatementCost("ALTER TABLE employees ADD COLUMN full_name VARCHAR(80)", Replay.MEASURED))
    facts = with_traffic(facts, step, seen=traffic(waits=(queued,)))
    return copy(facts, measured=[dataclasses.replace(run, statements=statements) if run.step == step else run
                                 for run in facts.measured])


def with_squawk_config(facts: Facts, silenced: tuple[str, ...], unexplained: tuple[str, ...] = ()) -> Facts:
    return copy(facts, squawk_config=SquawkConfig(silenced, unexplained))


# -- what `lesson` saw of the learner's own database ------------------------------------------------

def look(at_index: int | None, database: str = "sqlite", missing: tuple[str, ...] = (),
         versions: tuple[str, ...] | None = None) -> Look:
    """The learner's database seen at revision `at_index` (None: at base, emptied), with every sample
    row but `missing`."""
    if versions is None:
        versions = () if at_index is None else (id_of(at_index),)
    found = 0 if at_index is None else SEEDED_ROWS - len(missing)
    return Look("2026-12-06T03:00:00", database, versions, found, missing)


def with_looks(facts: Facts, *looks: Look, given: tuple[int, ...] = ()) -> Facts:
    """`lesson` saw the learner's database as `looks` say, oldest first; the last is how it is now."""
    return copy(facts, evidence=Evidence(now=looks[-1] if looks else None, looks=looks, given=given))

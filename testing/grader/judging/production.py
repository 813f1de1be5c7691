"""Part 3's migrations judged as production would meet them: `judge(facts, step) -> (passed, message)`.

What statements.py measured, statement by statement, decides; not whether a request happened to
wait at 20,000 rows. A statement fails when a lock that keeps the app's reads or writes waiting is
held while it does work on every row of a table (the lock its own, or one an earlier statement of
the same transaction took): that time grows with the table, so it is refused at any size, and the
message gives what it would take at a production size (PRODUCTION_ROWS); lock_timeout only bounds
the wait for a lock, not the time it is then held. A gap between two statements fails when a
request of the old or the new app fails there.
"""
from dataclasses import dataclass

from ..facts import Facts, GapError, Replay, StatementCost, TableWork, Work
from . import messages

PRODUCTION_ROWS = 1_000_000  # the size the lessons and the benchmarks call production
# Rows of employees a second each kind of work gets through with the table in memory, measured at
# 1,000,000 rows on the benchmarks' idle 2-core machine (each statement of steps 13-15 done the
# unsafe way, in a transaction rolled back; the median of three). A busy server, wider rows or a
# table not in memory are slower; every one of them grows with the table.
ROWS_PER_SECOND = {
    Work.SCAN: 4_000_000,  # SET NOT NULL: 0.24 s
    Work.VALIDATION: 5_000_000,  # a foreign key on a new, empty column: 0.20 s; a CHECK: 0.15 s
    Work.INDEX_BUILD: 1_500_000,  # 0.64 s
    Work.REWRITE: 400_000,  # ALTER COLUMN ... TYPE bigint: 2.4 s
    Work.UPDATE: 90_000,  # UPDATE employees SET full_name = name: 11 s
}
# The table-level locks that keep the app waiting (PostgreSQL's lock conflict table): what waits.
BLOCKS = {"AccessExclusiveLock": "every read and write", "ExclusiveLock": "every write",
          "ShareRowExclusiveLock": "every write", "ShareLock": "every write"}
MIN_ROWS = 1000  # a table with fewer rows while measured is not one the app grows


@dataclass(frozen=True)
class Held:
    """One statement that keeps requests waiting for as long as work that grows with a table takes."""
    statement: StatementCost
    table: TableWork
    work: Work
    seconds: float  # at PRODUCTION_ROWS, on the benchmarks' machine
    blocked: str  # what waits: "every write", "a write to any of its rows"...


def holding(cost: StatementCost) -> list[Held]:
    """The tables on which `cost`'s statement keeps requests waiting while it works on every row:
    the time grows with the table, whatever lock_timeout and retries make it look like at 20,000."""
    found = []
    for table in cost.tables:
        if table.rows < MIN_ROWS or not table.work:
            continue
        work = table.work[0]
        if table.lock in BLOCKS:
            blocked = BLOCKS[table.lock]
        elif work == Work.UPDATE:
            blocked = "a write to any of its rows"  # each updated row stays locked until the commit
        else:
            continue  # a lock that lets reads and writes go on (VALIDATE CONSTRAINT, CONCURRENTLY)
        found.append(Held(cost, table, work, PRODUCTION_ROWS / ROWS_PER_SECOND[work], blocked))
    return found


@dataclass(frozen=True)
class Judged:
    """Step `step`'s migrations as production would meet them."""
    refused: tuple[str, ...]  # what would block or break a live app, one message each
    unmeasured: tuple[str, ...]  # migrations that could not be replayed statement by statement, and why


def judge(facts: Facts, step: int) -> Judged:
    files = [revision.file for revision in facts.revisions]
    runs = [run for run in facts.measured if run.step == step]
    measured = {run.index for run in runs}
    unmeasured = [f"{files[run.index]} was not upgraded again statement by statement, since its downgrade "
                  "failed (see above)." for run in facts.traffic if run.step == step and run.index not in measured]
    refused = []
    last = max(measured, default=None)
    for run in runs:
        file = files[run.index]
        if run.why_not:
            unmeasured.append(f"{file} could not be upgraded again statement by statement: {run.why_not}")
            continue
        if run.not_shown is None:
            unmeasured.append(f"what {file} ran could not be checked against the server's log, which did not "
                              "reach the grader in time")
        refused += [messages.ran_unshown(statement, file) for statement in run.not_shown or ()]
        refused += [messages.held_in_production(held, file, PRODUCTION_ROWS)
                    for cost in run.statements for held in holding(cost)]
        # The step's migrations are done only after its last (a backfill may follow the schema's).
        gaps = run.gaps if run.index == last else tuple(gap for gap in run.gaps if gap.before is not None)
        refused += [messages.gap_failed(gap, file) for gap in _windows(gaps)]
    return Judged(tuple(refused), tuple(unmeasured))


def _windows(gaps: tuple[GapError, ...]):
    """One failure per window: the same request failing the same way in gaps one after another is
    one window, from the statement before the first to the statement after the last."""
    windows: list[GapError] = []
    for gap in gaps:
        last = windows[-1] if windows else None
        if last and (last.app_step, last.request, last.error) == (gap.app_step, gap.request, gap.error) \
                and last.before == gap.after:
            windows[-1] = GapError(last.app_step, last.request, last.error, last.after, gap.before)
        elif not any((seen.app_step, seen.after) == (gap.app_step, gap.after) for seen in windows):
            windows.append(gap)  # the first request of an app that fails in a gap tells what breaks
    return windows


def passed(facts: Facts, step: int) -> str:
    """What passed, for the check's message."""
    runs = [run for run in facts.measured if run.step == step]
    statements = [cost for run in runs for cost in run.statements]
    ran = sum(cost.replay == Replay.MEASURED for cost in statements)
    return messages.production_ok(len(statements), ran, runs[0].from_step if runs else step - 1, step)

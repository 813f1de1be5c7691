"""Part 3 judged as production would meet it: each statement measured by the grader (statements.py),
judged at a million rows (production.py), and what the old and new app meet between statements
(gaps.py). These judge hand-built facts; test_traffic.py judges the recorded grades."""
import re

import pytest

from testing.grader.facts import GapError, Replay, StatementCost, TableWork, Work
from testing.grader.judging import production

ROWS = 20_003
FILE = "migrations/versions/x.py"


def cost(statement, lock, *work, rows=ROWS, table="employees"):
    return StatementCost(statement, Replay.MEASURED, (TableWork(table, rows, lock, tuple(work)),))


def refused(statement_cost):
    return [production.messages.held_in_production(held, FILE, production.PRODUCTION_ROWS)
            for held in production.holding(statement_cost)]


@pytest.mark.parametrize("statement_cost, told", [
    (cost("ALTER TABLE employees ALTER COLUMN full_name SET NOT NULL", "AccessExclusiveLock", Work.SCAN),
     ["holds AccessExclusiveLock on employees while it reads every row (20,003 here)",
      "every read and write waits", "Instead: a CHECK (... IS NOT NULL) NOT VALID, VALIDATE it, then SET NOT NULL"]),
    (cost("UPDATE employees SET full_name=name", "RowExclusiveLock", Work.UPDATE),
     ["updates every row of employees (20,003 here) in one transaction",
      "Instead: backfill in batches of 1000 rows, each its own transaction: a DO loop that COMMITs"]),
    (cost("CREATE INDEX ix_employees_manager_id ON employees (manager_id)", "ShareLock", Work.INDEX_BUILD),
     ["holds ShareLock on employees while it builds an index from every row", "every write waits",
      "Instead: CREATE INDEX CONCURRENTLY"]),
    (cost("ALTER TABLE employees ADD CONSTRAINT fk FOREIGN KEY(manager_id) REFERENCES employees (id)",
          "ShareRowExclusiveLock", Work.VALIDATION),
     ["holds ShareRowExclusiveLock on employees while it checks every row against the new constraint",
      "Instead: add the foreign key NOT VALID"]),
    (cost("ALTER TABLE employees ALTER COLUMN salary TYPE bigint", "AccessExclusiveLock", Work.REWRITE),
     ["while it rewrites every row", "Instead: a change that rewrites the table"]),
])
def test_work_that_grows_under_a_lock_that_blocks_is_refused(statement_cost, told):
    found = refused(statement_cost)
    assert len(found) == 1
    for piece in told:
        assert piece in found[0]
    assert f"the statement\n    {statement_cost.statement}\n" in found[0]
    assert "That work grows with the table, and " in found[0]
    assert re.search(r"waits for it: at 1,000,000 rows about [\d.]+ s on an idle server, longer on a busy one",
                     found[0])
    assert "Work on every row under a lock that stops requests is refused at any size" in found[0]
    assert "lock_timeout bounds the wait for a lock, not the time it is held" in found[0]


def test_work_refused_under_the_bound_is_not_said_to_pass_it():
    """A foreign key validated at once takes about 0.2 s at a million rows, under the 0.4 s a request
    may wait: it is refused because its time grows with the table, and the message says that."""
    (told,) = refused(cost("ALTER TABLE employees ADD CONSTRAINT fk FOREIGN KEY(manager_id) REFERENCES employees (id)",
                           "ShareRowExclusiveLock", Work.VALIDATION))
    assert "every write waits for it: at 1,000,000 rows about 0.2 s on an idle server" in told
    assert "the bound is" not in told


def test_a_lock_taken_earlier_in_the_transaction_is_held_through_the_work_after_it():
    not_valid = "ALTER TABLE employees ADD CONSTRAINT fk FOREIGN KEY(manager_id) REFERENCES employees (id) NOT VALID"
    validate = "ALTER TABLE employees VALIDATE CONSTRAINT fk"
    (told,) = refused(StatementCost(validate, Replay.MEASURED, (
        TableWork("employees", ROWS, "ShareRowExclusiveLock", (Work.VALIDATION,), locked_by=not_valid),)))
    assert (f"the statement\n    {validate}\n    runs while the ShareRowExclusiveLock on employees that\n"
            f"    {not_valid}\n    took earlier in the same transaction is still held, and checks every row against "
            "the new constraint (20,003 here): a lock is held until the transaction commits.") in told
    assert "every write waits for it" in told
    assert "Instead: commit the statement that takes the lock before the work begins" in told
    assert "VALIDATE CONSTRAINT reads the rows under a lock that lets reads and writes go on only once" in told


def test_batches_of_one_transaction_update_every_row_under_its_locks():
    add_column = "ALTER TABLE employees ADD COLUMN full_name VARCHAR(80)"
    first_batch = "UPDATE employees SET full_name = name WHERE id > 0 AND id <= 1000"
    last_batch = "UPDATE employees SET full_name = name WHERE id > 34003 AND id <= 35003"
    (told,) = refused(StatementCost(last_batch, Replay.MEASURED, (
        TableWork("employees", ROWS, "AccessExclusiveLock", (Work.UPDATE,), locked_by=add_column,
                  updated_since=first_batch),)))
    assert f"that\n    {add_column}\n    took earlier in the same transaction is still held" in told
    assert f"and with the statements before it from\n    {first_batch}\n    on, updates every row (20,003 here)" in told
    assert "every read and write waits for it" in told
    assert "Instead: commit the statement that takes the lock before the work begins" in told
    assert "; backfill in batches of 1000 rows, each its own transaction" in told


@pytest.mark.parametrize("statement_cost", [
    # VALIDATE CONSTRAINT reads every row under a lock that lets reads and writes go on.
    cost("ALTER TABLE employees VALIDATE CONSTRAINT ck", "ShareUpdateExclusiveLock", Work.VALIDATION),
    # NOT VALID: the strongest lock, and nothing read under it.
    cost("ALTER TABLE employees ADD CONSTRAINT ck CHECK (full_name IS NOT NULL) NOT VALID", "AccessExclusiveLock"),
    # A batch of a backfill: a thousand rows, not every row.
    cost("UPDATE employees SET full_name = name WHERE id >= 1 AND id < 1001", "RowExclusiveLock"),
    # A small table is not one that grows.
    cost("ALTER TABLE departments ALTER COLUMN code SET NOT NULL", "AccessExclusiveLock", Work.SCAN, rows=3,
         table="departments"),
    # A scan under a lock that blocks nobody (a SELECT the migration reads its bounds with).
    cost("SELECT min(id), max(id) FROM employees", "AccessShareLock", Work.SCAN),
])
def test_what_stays_short_or_lets_requests_through_passes(statement_cost):
    assert refused(statement_cost) == []


@pytest.mark.parametrize("error, advice", [
    ('null value in column "name" of relation "employees" violates not-null constraint',
     "make the old one nullable before the trigger that fills it goes"),
    ('record "new" has no field "name"', "drop what reads a column (a trigger, its function) before the column"),
])
def test_a_request_that_fails_between_two_statements_is_told_where(error, advice):
    gap = GapError(13, "insert", error, "DROP TRIGGER employees_sync_full_name ON employees",
                   "ALTER TABLE employees ALTER COLUMN name DROP NOT NULL")
    told = production.messages.gap_failed(gap, FILE)
    assert ("Step 13's app\n    fails to insert after\n    DROP TRIGGER employees_sync_full_name ON employees\n"
            "    and before\n    ALTER TABLE employees ALTER COLUMN name DROP NOT NULL:\n    " + error) in told
    assert advice in told


def test_a_window_over_several_gaps_is_told_once():
    """The trigger dropped, then its function, then name made nullable: step 13's app cannot insert
    from the first statement to the last, and that is one window."""
    error = 'null value in column "name" of relation "employees" violates not-null constraint'
    drop_trigger, drop_function, nullable = ("DROP TRIGGER employees_sync_full_name ON employees",
                                             "DROP FUNCTION employees_sync_full_name()",
                                             "ALTER TABLE employees ALTER COLUMN name DROP NOT NULL")
    gaps = (GapError(13, "insert", error, drop_trigger, drop_function),
            GapError(13, "update full_name", error, drop_trigger, drop_function),
            GapError(13, "insert", error, drop_function, nullable))
    windows = production._windows(gaps)
    assert windows == [GapError(13, "insert", error, drop_trigger, nullable)]


def test_a_backfill_in_one_update_is_not_told_to_commit_what_it_committed():
    """The one UPDATE usually comes after the schema change, committed in the autocommit block."""
    (told,) = refused(cost("UPDATE employees SET full_name = name", "RowExclusiveLock", Work.UPDATE))
    assert "commit the schema change first" not in told


def test_an_error_no_lesson_names_still_gets_a_next_step():
    gap = GapError(14, "insert", 'new row for relation "employees" violates check constraint "ck_employees_title"',
                   "ALTER TABLE employees ADD CONSTRAINT ck_employees_title CHECK (title <> 'Associate')", None)
    told = production.messages.gap_failed(gap, FILE)
    assert "the running app can still use. The error above names what the app met" in told
    assert "add before you drop, and drop in a later migration (step 13, step 14)" in told

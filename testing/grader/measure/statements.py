"""Each statement of a Part 3 migration, measured by the grader as production would meet it.

The learner's process runs the migration and waits before each of its statements (protocol.Pause)
until the grader has looked. The grader, on its own connection:
1. runs the statement itself in a transaction it rolls back, when the migration has no uncommitted
   write (the database the grader sees is then the one the statement meets), and reads what it did:
   the locks it held on each table (pg_locks), the rows it read, updated or deleted
   (pg_stat_xact_user_tables), a rewrite (a new relfilenode), an index built, a constraint validated;
2. where the migration stands between two commits, sends the requests of the step's old and new
   app once each (gaps.py): what a request meets between two statements is seen every time, not
   when one happens to land there.
A statement that runs after another in the migration's own open transaction cannot be run while
that transaction holds its locks: the grader keeps the transaction's statements, upgrades the
revision once more, and at the pause before the transaction's first statement runs them all, one
after another, in one transaction it rolls back (`again`). So a lock taken early is seen held
through the work of every statement after it, and batches that together update every row are seen
as one transaction's work.
The database is the witness: what the learner's process says is only the statement to try.
"""
import dataclasses
import re
from collections.abc import Iterable

import sqlalchemy as sa

from ...inside.wire import Pause
from ..facts import GapError, MeasuredRun, Replay, StatementCost, TableWork, Work
from .gaps import AppRequests
from .linter import one_line

MEASURED_STATEMENTS = 300  # statements measured per migration; a row-by-row backfill runs on unmeasured
REPLAY_LOCK_TIMEOUT = "SET LOCAL lock_timeout = '2s'"
# SQLSTATEs of statements that cannot run inside a transaction block: CONCURRENTLY, VACUUM...
# (active_sql_transaction), and a DO block or procedure that commits (invalid_transaction_termination).
NOT_IN_A_TRANSACTION = {"25001", "2D000"}
# pg_locks modes, strongest first.
MODES = ("AccessExclusiveLock", "ExclusiveLock", "ShareRowExclusiveLock", "ShareLock", "ShareUpdateExclusiveLock",
         "RowExclusiveLock", "RowShareLock", "AccessShareLock")

BACKEND = """
SELECT backend_xid IS NULL AS clean FROM pg_stat_activity
WHERE pid = :pid AND datname = current_database() AND backend_type = 'client backend'
"""
TABLES = """
SELECT c.oid, c.relname AS name, c.relfilenode,
       coalesce(s.seq_tup_read, 0) AS seq_tup_read, coalesce(s.n_tup_upd, 0) + coalesce(s.n_tup_del, 0) AS changed,
       ARRAY(SELECT indexrelid FROM pg_index WHERE indrelid = c.oid) AS indexes,
       ARRAY(SELECT oid FROM pg_constraint WHERE conrelid = c.oid AND convalidated AND contype IN ('c', 'f'))
           AS validated
FROM pg_class c LEFT JOIN pg_stat_xact_user_tables s ON s.relid = c.oid
WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p')
"""
LOCKS = """
SELECT relation, mode FROM pg_locks WHERE pid = pg_backend_pid() AND locktype = 'relation' AND granted
"""
HELD = """
SELECT l.relation::regclass::text AS name, l.mode FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
WHERE l.pid = :pid AND l.locktype = 'relation' AND l.granted
  AND c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p')
"""


def strongest(modes: Iterable[str]) -> str:
    return min(modes, key=lambda mode: MODES.index(mode) if mode in MODES else len(MODES))


class Witness:
    """What one migration's statements did, measured at the pause before each (`pause`), and what
    the apps meet between them (`requests`: gaps.AppRequests). `run(index)` gives the MeasuredRun.
    When `transactions()` is not empty, the revision is upgraded once more with `again` as its pause:
    each of those transactions is then run by the grader from its first statement."""

    def __init__(self, engine: sa.Engine, observer: sa.Engine, requests: AppRequests, from_step: int, step: int,
                 rows: int) -> None:
        self.engine = engine  # as the grade's own role: a statement replayed has the learner's rights
        self.observer = observer  # as the administrator: where the migration's backend stands
        self.requests = requests
        self.from_step, self.step, self.rows = from_step, step, rows
        self.statements: list[StatementCost] = []
        self.pauses: list[Pause] = []  # what each of self.statements was, as the learner's process sent it
        self.opened: list[int] = []  # per statement: the index of the first statement of its open transaction
        self.gaps: list[GapError] = []
        self.last: str | None = None  # the statement before the current gap
        self.cut_short = False
        self.looked_again = 0  # pauses seen by `again`

    def pause(self, pause: Pause) -> None:
        """The learner's process is about to run `pause.statement` and waits until this returns."""
        if len(self.statements) >= MEASURED_STATEMENTS:
            self.cut_short = True
            return
        with self.observer.connect() as connection:
            clean = connection.execute(sa.text(BACKEND), {"pid": pause.pid}).scalar()
            held = () if clean else tuple(sorted(f"{row.name} ({row.mode})" for row in
                                                 connection.execute(sa.text(HELD), {"pid": pause.pid})))
        statement = one_line(pause.statement)
        index = len(self.statements)
        if clean is None:  # not a connection of this database: nothing to measure it by
            self.statements.append(StatementCost(statement, Replay.FAILED))
        elif not clean:
            self.statements.append(StatementCost(statement, Replay.IN_TRANSACTION, held=held))
        else:
            self._gap(pause.statement, done=False)
            self.statements.append(self._replay([pause])[0])
        self.pauses.append(pause)
        # A statement met in an open transaction belongs to the transaction of the statement before it;
        # one met on a clean backend may open one.
        self.opened.append(self.opened[-1] if not clean and clean is not None and self.opened else index)
        self.last = statement

    def finished(self) -> None:
        """The migration is over: what the apps meet now."""
        self._gap(None, done=True)

    def transactions(self) -> list[range]:
        """The statements (by index) of each transaction of the migration that has statements the grader
        could not run while it was open, from its first statement."""
        found: dict[int, int] = {}
        for index, cost in enumerate(self.statements):
            if cost.replay == Replay.IN_TRANSACTION:
                found[self.opened[index]] = index
        return [range(first, last + 1) for first, last in found.items()]

    def again(self, pause: Pause) -> None:
        """The pause of the revision's second upgrade: at the first statement of each transaction
        found before, the grader runs that transaction's statements itself, from the database the
        first one meets. A statement that differs from the first upgrade's is left as it was."""
        index, self.looked_again = self.looked_again, self.looked_again + 1
        group = next((each for each in self.transactions() if each.start == index), None)
        if group is None or index >= len(self.pauses) or pause.statement != self.pauses[index].statement:
            return
        for position, cost in zip(group, self._replay([self.pauses[each] for each in group]), strict=False):
            self.statements[position] = cost

    def run(self, index: int, not_shown: tuple[str, ...] | None = ()) -> MeasuredRun:
        return MeasuredRun(index, self.from_step, self.step, self.rows, tuple(self.statements), tuple(self.gaps),
                           cut_short=self.cut_short, not_shown=not_shown)

    def not_shown(self, sent: list[str]) -> tuple[str, ...]:
        """What the server says the migration sent (`sent`, from its log: statement_log.sent_since) that the
        learner's process did not show the grader first, in its turn: it ran unmeasured. Past the statements
        measured, nothing can be told."""
        shown = [(_same_shape(pause.statement), pause.many) for pause in self.pauses]
        missing: list[str] = []
        position = 0  # the next pause to match
        for statement in sent:
            shape = _same_shape(statement)
            if position and shown[position - 1] == (shape, True):
                continue  # executemany: one pause, many runs
            found = next((at for at in range(position, len(shown)) if shown[at][0] == shape), None)
            if found is not None:
                position = found + 1
            elif position < len(shown) or not self.cut_short:
                missing.append(one_line(statement))
        return tuple(missing)

    def _gap(self, before, done):
        for app_step, request, error in self.requests(done):
            self.gaps.append(GapError(app_step, request, error, self.last, before and one_line(before)))

    def _replay(self, pauses: list[Pause]) -> list[StatementCost]:
        """Run `pauses`' statements one after another in one transaction, rolled back, and measure each:
        its own work, and the locks the transaction holds while it runs (an earlier statement's too).
        Stops at the first that cannot be run so: the ones after it are left out."""
        costs: list[StatementCost] = []
        with self.engine.connect() as connection:
            transaction = connection.begin()
            try:
                connection.exec_driver_sql(REPLAY_LOCK_TIMEOUT)
                rows = {row.name: connection.exec_driver_sql(f'SELECT count(*) FROM "{row.name}"').scalar_one()
                        for row in connection.execute(sa.text(TABLES))}
                first = {row.oid: row for row in connection.execute(sa.text(TABLES))}
                counted = set(connection.execute(sa.text(LOCKS)))  # the counts' own AccessShareLocks
                taken: dict[tuple[int, str], int] = {}  # (table, mode) -> the position of the statement that took it
                updating: dict[int, int] = {}  # table -> the position of the first statement that updated rows of it
                before = first
                said = [one_line(pause.statement) for pause in pauses]
                for position, (pause, statement) in enumerate(zip(pauses, said, strict=True)):
                    if not pause.plain:
                        costs.append(StatementCost(statement, Replay.PARAMETERS))
                        break
                    failed = _run(connection, pause)
                    if failed:
                        costs.append(StatementCost(statement, failed))
                        break
                    after = {row.oid: row for row in connection.execute(sa.text(TABLES))}
                    locks: dict[int, list[str]] = {}
                    for row in set(connection.execute(sa.text(LOCKS))) - counted:
                        locks.setdefault(row.relation, []).append(row.mode)
                        taken.setdefault((row.relation, row.mode), position)
                    tables = []
                    for oid, old in first.items():
                        if oid not in locks:
                            continue
                        new = after.get(oid)
                        if new is not None and new.changed > before[oid].changed:
                            updating.setdefault(oid, position)
                        lock = strongest(locks[oid])
                        # Every row the table had in production: the filler's (rows of the grader's
                        # samples a backfill filled before may be left out).
                        every = min(rows[old.name], self.rows)
                        work = _table_work(before[oid], new, rows[old.name], lock, every)
                        if not work.work and new is not None and updating.get(oid, position) != position \
                                and _every_row_by_now(old, before[oid], new, every):
                            work = dataclasses.replace(work, work=(Work.UPDATE,), updated_since=said[updating[oid]])
                        locked_by = taken[(oid, lock)]
                        tables.append(work if locked_by == position
                                      else dataclasses.replace(work, locked_by=said[locked_by]))
                    costs.append(StatementCost(statement, Replay.MEASURED, tuple(tables)))
                    before = {oid: after.get(oid, row) for oid, row in before.items()}
            finally:
                transaction.rollback()
        return costs


def _same_shape(statement: str) -> str:
    """A statement as the driver sends it, whatever its placeholders: psycopg turns %(name)s and %s into
    $1, $2… and %% into %."""
    return PLACEHOLDER.sub("?", statement).replace("%%", "%").strip()


PLACEHOLDER = re.compile(r"%\(\w+\)s|%s|\$\d+")


def _every_row_by_now(first, before, after, every):
    """Whether the statements of one transaction, from its first to this one, have by now updated or
    deleted `every` row, and had not before this one."""
    return bool(every) and before.changed - first.changed < every <= after.changed - first.changed


def _run(connection, pause):
    """Run the statement of `pause` in a savepoint: None, or how it could not be run (a Replay)."""
    try:
        with connection.begin_nested():
            # The driver's own cursor, given what the migration's was given.
            connection.connection.driver_connection.cursor().execute(pause.statement, pause.parameters)
    except Exception as error:  # the driver's error, with the database's SQLSTATE
        code = getattr(error, "sqlstate", None)
        if code is None:
            raise
        return Replay.NOT_IN_A_TRANSACTION if code in NOT_IN_A_TRANSACTION else Replay.FAILED
    return None


def _table_work(old, new, rows, lock, every):
    """What a statement did to one table of `rows` rows, from the table's state before and after it.
    Updating `every` rows is updating every row."""
    if new is None:  # dropped
        return TableWork(old.name, rows, lock)
    read = new.seq_tup_read - old.seq_tup_read
    changed = new.changed - old.changed
    work = []
    if rows:
        if changed >= every:
            work.append(Work.UPDATE)
        if set(new.indexes) - set(old.indexes):
            work.append(Work.INDEX_BUILD)
        # A constraint validated here checks every row ("by scanning the table", as PostgreSQL's ALTER TABLE
        # says), whatever the plan at this size: once statistics know a new column is NULL everywhere (an
        # autoanalyze may run at any moment), a foreign key's check reads nothing through its index.
        if set(new.validated) - set(old.validated):
            work.append(Work.VALIDATION)
        if new.relfilenode != old.relfilenode:
            work.append(Work.REWRITE)
        if read >= rows and not work:
            work.append(Work.SCAN)
    return TableWork(old.name, rows, lock, tuple(work))

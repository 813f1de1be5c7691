"""Live traffic: the previous step's app keeps serving requests while a Part 3 migration runs.

Around the upgrade of one revision (walk.py's climb), on PostgreSQL only:
1. the big table (`employees`) gets FILLER_ROWS rows of its own, so the migration has work to do;
2. a "payroll job" opens a transaction that updates the table's last row and stays open HOLD
   seconds, as a slow request in production does (longer while a statement of the migration is
   queued behind it, until that statement has visibly waited or given up: lock_timeout); its first
   transaction stays open until a statement has queued behind it, however long the migration takes
   to get there, so the first statement that needs a lock against writers always meets it; any DDL
   that needs a lock against writers queues behind it, and every request after it queues behind
   the DDL; an UPDATE of every row waits for it too, holding the locks of the rows it has updated;
3. READERS and WRITERS threads run the previous step's models (its models.py, through the ORM):
   reads, updates and inserts, each in its own short transaction, rolled back so no row stays;
4. a monitor samples pg_stat_activity and pg_locks: which request waits on which lock, held or
   wanted by which statement of the migration, and for how long.
After the upgrade the same requests run AFTER seconds more against the new schema: the old code
must keep working, since every Part 3 step promises that. Then the filler rows are deleted, so the
rest of the walk sees the database as it would have without traffic.

Everything is bounded: a fixed number of threads, each stopped by one event, joined with a time limit.
What happened is reported as one TrafficRun fact per revision; judge.py decides what it means.
"""
import contextlib
import dataclasses
import os
import random
import statistics
import threading
import time
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import orm

from ... import course
from ..facts import Facts, LockWait, MeasuredRun, Phase, RequestError, Revision, Squawk, TrafficRun, TrafficSummary
from ..servers.bounded import bounded_engine
from . import part3_kept, squawk_config, statement_log
from .lesson_models import models_module
from .linter import lint, lint_revision, one_line

BIG_TABLE = "employees"  # the HR app's table that grows in production
FILLER_ROWS = int(os.environ.get("COURSE_TRAFFIC_ROWS", "20000"))
# The filler's ids are dense, as a table's ids are, with one gap in the middle, as rows deleted
# long ago leave: a backfill that walks ids in ranges sees both, and ends in a few hundred batches.
FILLER_FIRST_ID = 10_000  # past the walk's sample rows (ids from 1007)
FILLER_GAP = 5_000  # ids missing after the first half of the filler rows
TRAFFIC_NAME = "course-grader-traffic"  # the application_name of the traffic's connections
HOLD = 0.6  # seconds the payroll job keeps its transaction open
# ...and longer while a statement of the migration waits behind it, until that statement has waited
# this long (or gave up, as lock_timeout makes it): a statement that waits is seen to wait.
QUEUED_PROOF = 0.7
HOLD_LIMIT = 3.0  # seconds a payroll transaction stays open at most
GAP = 0.1  # seconds between two payroll transactions
AFTER = 0.4  # seconds of old-code requests against the new schema
# Seconds a request may wait on a lock of the migration's. Under lesson 13's lock_timeout (100 ms) the
# requests queued behind a statement wait about 0.1 s; without one, the statement waits QUEUED_PROOF
# behind the payroll job, and the first request behind it nearly as long: the bound stands 0.3 s from
# each, room for a busy machine's delays either way.
WAIT_BOUND = 0.4
READERS, WRITERS = 2, 2
SAMPLE_EVERY = 0.01  # seconds between two looks at pg_locks
JOIN_LIMIT = 5  # seconds a thread gets to stop
KEPT = 5  # distinct errors and waits reported
class Off:
    """No traffic: the walks that do not grade (faults, `lesson view`), and SQLite or MySQL."""

    def around(self, index: int, revision: Revision, reached: int | None) -> AbstractContextManager[None]:
        return contextlib.nullcontext()

    def recalled(self, index: int) -> MeasuredRun | None:
        return None

    def keep(self, index: int, measured: MeasuredRun) -> None:
        pass

    def settle(self, index: int, kept: int | None) -> None:
        pass


OFF = Off()


def for_walk(engine: sa.Engine, observer: sa.Engine, graded: Iterable[int], facts: Facts,
             render: Callable[[Revision], str], server_copy: Path, revisions: Sequence[Revision],
             seconds_left: Callable[[], float] | None = None,
             log: statement_log.StatementLog | None = None) -> "Traffic | Off":
    """The traffic around each upgrade of a grading walk: off unless on PostgreSQL with Part 3 graded.
    `engine` connects as the grade's own role, as the app would; `observer`, as the administrator,
    looks at pg_locks and pg_stat_activity (roles.py).
    squawk lints what the role ran during each upgrade, from the server's `log`; without one (a server
    the grader did not start), `render(revision)`: the revision's SQL, rendered by the learner's process.
    squawk runs in `server_copy`, where the learner's .squawk.toml applies. `revisions`: the chain, in
    order. `seconds_left()`: how long any statement of the traffic may wait (a lock the learner's
    code left must not hold it for ever)."""
    live = {number for number in graded if course.step(number).database == "postgresql"}
    if engine.dialect.name != "postgresql" or not live:
        return OFF
    facts.squawk_config = squawk_config.read(server_copy)
    return Traffic(engine, observer, live, facts, render, server_copy, revisions, seconds_left, log)


class Traffic:
    def __init__(self, engine: sa.Engine, observer: sa.Engine, live_steps: set[int], facts: Facts,
                 render: Callable[[Revision], str], server_copy: Path, revisions: Sequence[Revision],
                 seconds_left: Callable[[], float] | None = None,
                 log: statement_log.StatementLog | None = None) -> None:
        self.engine = engine
        self.observer = observer
        self.seconds_left = seconds_left
        self.live_steps = live_steps
        self.facts = facts
        self.render = render
        self.server_copy = server_copy
        self.revisions = revisions
        self.log = log
        # revision index -> the key its measurements are kept under (part3_kept.py)
        self.keys: dict[int, str | None] = {}
        self.recalled_runs: dict[int, MeasuredRun] = {}  # revision index -> its measurement, kept from before

    @contextlib.contextmanager
    def around(self, index: int, revision: Revision, reached: int | None) -> Iterator[None]:
        """Run the app of the last state reached around the upgrade of `revision`, if it leads to a Part 3
        step, or may be a backfill of one (`settle` says which, once it is climbed).

        `reached`: the last lesson state the chain has reached so far (None before any)."""
        following = next((step for step in course.steps() if reached is not None and step.number > reached), None)
        if reached is None or following is None or not {reached, following.number} & self.live_steps:
            yield
            return
        self.keys[index] = part3_kept.key(self.server_copy, part3_kept.later_files(self.revisions, index), index,
                                          FILLER_ROWS)
        kept = part3_kept.recall(self.keys[index])
        if kept and kept[0].from_step == reached and kept[0].step in (reached, following.number):
            yield  # measured before, with nothing it depends on changed since
            traffic_run, self.recalled_runs[index] = kept
            self.facts.traffic.append(dataclasses.replace(traffic_run, index=index))
            return
        advice = None if self.log else lint_revision(self.render, revision, self.server_copy)
        with running(self.engine.url, course.step(reached).models_path, FILLER_ROWS, self.seconds_left,
                     self.observer) as seen:
            start = statement_log.end(self.log) if self.log else 0
            yield
        if self.log:  # once the traffic is over: reading the log is no part of the migration's time
            advice = self._lint_what_ran(revision, self.log, start, seen.own_sessions)
        assert seen.summary is not None and advice is not None  # running() sums up as its block ends
        self.facts.traffic.append(TrafficRun(index, reached, following.number, seen.summary, advice))

    def _lint_what_ran(self, revision: Revision, log: statement_log.StatementLog, start: int,
                       own: Collection[int]) -> Squawk:
        """squawk's findings on what the role's sessions, other than the traffic's `own`, ran since `start`."""
        if len(revision.parents) != 1:
            return Squawk(from_server_log=True)  # a merge has no SQL of its own
        ran = statement_log.statements_since(log, start, self.engine, own, self.seconds_left)
        if ran is None:
            return Squawk(unavailable="the server's log of what your migration ran did not reach the grader in time",
                          from_server_log=True)
        return dataclasses.replace(lint(statement_log.as_script(ran), self.server_copy), from_server_log=True)

    def recalled(self, index: int) -> MeasuredRun | None:
        """Revision `index`'s statement-by-statement measurement, kept from an earlier grade, or None."""
        run = self.recalled_runs.get(index)
        return dataclasses.replace(run, index=index) if run else None

    def settle(self, index: int, kept: int | None) -> None:
        """Revision `index` is climbed: when it was a backfill that kept step `kept`'s state
        (ownership.py), its run is that step's; else the step it leads to, when that one is graded."""
        run = next((run for run in self.facts.traffic if run.index == index), None)
        if run is None:
            return
        self.facts.traffic.remove(run)
        if kept is not None:
            self.facts.traffic.append(dataclasses.replace(run, step=kept))
        elif run.step in self.live_steps:
            self.facts.traffic.append(run)

    def keep(self, index: int, measured: MeasuredRun) -> None:
        """Keep revision `index`'s measurements for the next grade (when `lesson` keeps anything)."""
        traffic_run = next((run for run in self.facts.traffic if run.index == index), None)
        if traffic_run and index not in self.recalled_runs:
            part3_kept.keep(self.keys.get(index), traffic_run, measured)


@dataclasses.dataclass
class Seen:
    """What `running` saw, once its block is over (the benchmarks read it too)."""
    summary: TrafficSummary | None = None
    own_sessions: set[int] = dataclasses.field(default_factory=set)  # the traffic's backend pids, as they come


@contextlib.contextmanager
def running(url: str | sa.URL, models_path: Path, rows: int, seconds_left: Callable[[], float] | None = None,
            observer: sa.Engine | None = None) -> Iterator[Seen]:
    """The app of `models_path` serving requests on the database at `url`, with `rows` rows in the
    big table, around what the block runs (a migration), and AFTER seconds after it. Yields a Seen
    whose summary is there after the block. `seconds_left()`, when given: how long a statement may wait.
    `observer`: the engine the lock monitor looks through (by default, one of the app's connections)."""
    # An engine of its own, its pool as large as the requests running at once.
    options = {"pool_size": READERS + WRITERS + 2, "connect_args": {"application_name": TRAFFIC_NAME}}
    engine = bounded_engine(url, seconds_left, **options) if seconds_left else sa.create_engine(url, **options)
    run = _Run(engine, observer or engine, models_module(models_path).db.Model, rows)
    seen = Seen(own_sessions=run.ours)
    try:
        run.start()
        started = time.monotonic()
        yield seen
        run.migrated(time.monotonic() - started)
        time.sleep(AFTER)
    finally:
        run.stop()
        engine.dispose()
        seen.summary = run.summary()


class _Run:
    """One migration's worth of traffic: filler rows, payroll job, request threads, monitor."""

    def __init__(self, engine, observer, models, rows):
        self.engine = engine
        self.observer = observer
        self.rows = rows
        self.migration_seconds = None
        self.table = models.metadata.tables[BIG_TABLE]
        self.mapper = next(mapper for mapper in models.registry.mappers if mapper.local_table is self.table)
        self.model = self.mapper.class_
        self.stopping = threading.Event()
        self.phase = Phase.DURING
        self.results = []  # (phase, seconds, error or None)
        self.errors = {}  # the database's error -> RequestError (the first request that got it, and counts)
        self.waits = {}  # (workload pid, query start) -> LockWait seen by the monitor
        self.ours = set()  # backend pids of the traffic itself
        self.payroll_pid = None
        self.queued = None  # how long a statement of the migration has waited behind the payroll job
        self.sampled = threading.Condition()  # notified after each sample of the monitor's
        self.sample_began = 0.0  # when the latest finished sample began (time.monotonic())
        self.threads = []
        self.last_id = filler_id(rows - 1, rows)

    # -- lifecycle ----------------------------------------------------------------------------

    def start(self):
        try:
            fill(self.engine, self.rows, known=set(self.table.columns.keys()))
        except sa.exc.DBAPIError as error:  # a schema the previous step's app does not fit: its requests say more
            self._record(Phase.DURING, 0.0, _describe(error))
        payroll_began = threading.Event()
        self._thread(self._monitor)
        self._thread(self._payroll, payroll_began)
        for _ in range(READERS):
            self._thread(self._requests, self._read)
        for _ in range(WRITERS):
            self._thread(self._requests, self._write)
        payroll_began.wait(JOIN_LIMIT)  # the migration starts while the payroll job is in its transaction

    def migrated(self, seconds):
        self.phase = Phase.AFTER
        self.migration_seconds = seconds

    def stop(self):
        self.stopping.set()
        with self.sampled:  # a payroll waiting for a sample stops waiting
            self.sampled.notify_all()
        deadline = time.monotonic() + JOIN_LIMIT
        for thread in self.threads:
            thread.join(max(deadline - time.monotonic(), 0))
        empty(self.engine, self.observer)

    def _thread(self, target, *args):
        thread = threading.Thread(target=self._guarded, args=(target, *args), daemon=True)
        self.threads.append(thread)
        thread.start()

    def _guarded(self, target, *args):
        try:
            target(*args)
        except Exception as error:  # a thread that dies says why instead of vanishing
            self._record(self.phase, 0.0, _describe(error))

    # -- the app's requests -----------------------------------------------------------------

    def _requests(self, request):
        with self.engine.connect() as connection:
            self.ours.add(connection.exec_driver_sql("SELECT pg_backend_pid()").scalar())
            connection.commit()
            session = orm.Session(bind=connection)
            while not self.stopping.is_set():
                phase, started = self.phase, time.monotonic()
                try:
                    request(session)
                    error = None
                except sa.exc.DBAPIError as failure:
                    error = _describe(failure)
                finally:
                    session.rollback()  # no request leaves a row behind
                    session.expunge_all()
                self._record(phase, time.monotonic() - started, error)
                time.sleep(0.005)

    def _read(self, session):
        wanted = filler_id(random.randrange(self.rows), self.rows)
        session.execute(sa.select(self.model).where(self.model.id == wanted)).scalars().first()

    def _write(self, session):
        if random.random() < 0.5:  # any row but the last, which the payroll job keeps locked
            row = session.get(self.model, filler_id(random.randrange(self.rows - 1), self.rows))
            if row is not None:
                key = number_attribute(self.mapper)
                setattr(row, key, (getattr(row, key) or 0) + 1)
        else:
            new_id = random.randrange(self.last_id + FILLER_GAP, 2**31 - 1)
            session.add(self.model(**new_row(session, self.mapper, new_id)))
        session.flush()

    def _payroll(self, began):
        """Transactions that write to the big table, one after another, each held open as _hold says: the
        first until a statement of the migration has queued behind it."""
        key = number_attribute(self.mapper)
        with self.engine.connect() as connection:
            self.payroll_pid = connection.exec_driver_sql("SELECT pg_backend_pid()").scalar()
            self.ours.add(self.payroll_pid)
            connection.commit()
            session = orm.Session(bind=connection)
            first = True
            while not self.stopping.is_set():
                phase, started = self.phase, time.monotonic()
                error = None
                try:
                    # The table's last row: a backfill in one UPDATE has locked every other row when it
                    # reaches this one, and waits.
                    session.execute(sa.update(self.model).where(self.model.id == self.last_id)
                                    .values({key: getattr(self.model, key)}))
                except sa.exc.DBAPIError as failure:
                    error = _describe(failure)
                began.set()
                self._hold(until_queued=first)
                first = False
                session.rollback()
                if error:
                    self._record(phase, time.monotonic() - started, error)
                self.stopping.wait(GAP)

    def _hold(self, until_queued):
        """Keep the payroll's transaction open HOLD seconds, then while a statement of the migration waits
        behind it, until that statement has waited QUEUED_PROOF or given up (HOLD_LIMIT at most).
        `until_queued`: stay open, however long it takes, until a statement has queued behind it, or the
        migration is over. Each look is at a sample taken after it was asked for: a monitor that is
        late on a loaded machine delays the end of a hold, never hides a statement that queued."""
        self.stopping.wait(HOLD)
        queued_at = None
        while not self.stopping.is_set():
            queued = self._queued_now()
            if queued is not None:
                queued_at = queued_at or time.monotonic()
                if queued >= QUEUED_PROOF or time.monotonic() - queued_at >= HOLD_LIMIT:
                    return
            elif queued_at is not None or not until_queued or self.phase is Phase.AFTER:
                return

    def _queued_now(self):
        """`queued` as a sample begun after this call sees it (None when the monitor is gone)."""
        asked = time.monotonic()
        with self.sampled:
            if not self.sampled.wait_for(lambda: self.sample_began >= asked or self.stopping.is_set(),
                                         timeout=JOIN_LIMIT):
                return None
            return self.queued

    def _record(self, phase, seconds, error):
        self.results.append((phase, seconds, error))
        if error:
            statement, message = error
            seen = self.errors.get(message, RequestError(message, statement))
            self.errors[message] = dataclasses.replace(seen, **{phase: getattr(seen, phase) + 1})

    # -- the monitor --------------------------------------------------------------------------

    def _monitor(self):
        with self.observer.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            self.ours.add(connection.exec_driver_sql("SELECT pg_backend_pid()").scalar())
            while not self.stopping.is_set():
                began = time.monotonic()
                self._sample(connection)
                with self.sampled:
                    self.sample_began = began
                    self.sampled.notify_all()
                time.sleep(SAMPLE_EVERY)

    def _sample(self, connection):
        activity = connection.execute(sa.text(ACTIVITY)).mappings().all()
        migration = {row["pid"]: row for row in activity if row["pid"] not in self.ours}
        self.queued = max((row["waited"] for row in migration.values()
                           if row["wait_event_type"] == "Lock" and self.payroll_pid in row["blockers"]), default=None)
        for row in activity:
            # No lock left ungranted (`wanted` is None): it was granted between the query's look at
            # pg_stat_activity and its look at pg_locks.
            if row["pid"] not in self.ours or row["wait_event_type"] != "Lock" or row["wanted"] is None:
                continue
            blockers = [migration[pid] for pid in row["blockers"] if pid in migration]
            if not blockers:
                continue
            key = (row["pid"], row["query_start"])
            if key in self.waits:  # still waiting: what it waits behind was noted when it began
                self.waits[key] = dataclasses.replace(self.waits[key],
                                                      seconds=max(self.waits[key].seconds, row["waited"]))
                continue
            blocker = blockers[0]
            held = connection.execute(sa.text(HELD), {"pid": blocker["pid"], "relation": row["wanted_oid"]}).first()
            self.waits[key] = LockWait(
                seconds=row["waited"], query=one_line(row["query"]), wanted=row["wanted"],
                statement=one_line(blocker["query"]), phase=self.phase,
                held=held.mode if held else None, granted=bool(held and held.granted),
                relation=held.relation if held else None)

    # -- the summary --------------------------------------------------------------------------

    def summary(self):
        during = sorted(seconds for phase, seconds, _ in self.results if phase == Phase.DURING)
        grouped: dict[str, LockWait] = {}  # statement -> its longest wait, counting the requests that waited behind it
        for wait in sorted(self.waits.values(), key=lambda wait: -wait.seconds):  # the longest first
            longest = grouped.get(wait.statement)
            grouped[wait.statement] = dataclasses.replace(longest, count=longest.count + 1) if longest else wait
        return TrafficSummary(
            rows=self.rows, bound=WAIT_BOUND, hold=HOLD, migration_seconds=self.migration_seconds,
            requests=len(self.results),
            p50=_quantile(during, 0.5), p99=_quantile(during, 0.99), slowest=during[-1] if during else None,
            errors=tuple(list(self.errors.values())[:KEPT]),
            error_count=sum(seen.during + seen.after for seen in self.errors.values()),
            waits=tuple(list(grouped.values())[:KEPT]),
        )


# A wait is timed from pg_locks.waitstart, while the lock is still not granted: from the query's start
# it would count a busy machine's delay before the lock was asked for, and a wait_event_type of
# 'Lock' stays until the backend runs again, after the lock was granted.
ACTIVITY = """
SELECT a.pid, a.wait_event_type, a.query, a.query_start,
       coalesce(w.waited, 0) AS waited,
       pg_blocking_pids(a.pid) AS blockers,
       w.relation AS wanted_oid,
       coalesce(w.relation::regclass::text, w.locktype) || ' (' || w.mode || ')' AS wanted
FROM pg_stat_activity a
LEFT JOIN LATERAL (SELECT l.relation, l.locktype, l.mode,
                          extract(epoch FROM clock_timestamp() - l.waitstart)::float AS waited
                   FROM pg_locks l WHERE l.pid = a.pid AND NOT l.granted LIMIT 1) w ON true
WHERE a.datname = current_database() AND a.pid <> pg_backend_pid() AND a.backend_type = 'client backend'
"""
# The strongest lock the migration's backend holds (or waits for) on the relation a request wants.
HELD = """
SELECT l.relation::regclass::text AS relation, l.mode, l.granted FROM pg_locks l
WHERE l.pid = :pid AND l.relation = :relation
ORDER BY array_position(ARRAY['AccessExclusiveLock', 'ExclusiveLock', 'ShareRowExclusiveLock', 'ShareLock',
                              'ShareUpdateExclusiveLock', 'RowExclusiveLock', 'RowShareLock', 'AccessShareLock'],
                        l.mode::text)
LIMIT 1
"""


def columns_of(models_path: Path) -> set[str]:
    """The columns of the big table the app of `models_path` knows."""
    return set(models_module(models_path).db.Model.metadata.tables[BIG_TABLE].columns.keys())


def filler_id(number: int, count: int) -> int:
    """The id of the `number`th (from 0) of `count` filler rows."""
    return FILLER_FIRST_ID + number + (FILLER_GAP if number >= count // 2 else 0)


def fill(engine: sa.Engine, count: int, known: Collection[str], untriggered: bool = False) -> None:
    """`count` rows in the big table, ids as filler_id gives them, in one statement. Columns the app
    does not know yet (`known`: its model's) stay empty where they may. `untriggered`: with the
    table's triggers off, so that a column a trigger would fill stays empty too: rows from before the
    step's migrations, the rows a backfill of its own has to fill."""
    with engine.begin() as connection:
        # The grade's role owns the table, and an owner may turn its triggers off, for this
        # transaction only, on any server (session_replication_role would need a superuser).
        off = _enabled_triggers(connection) if untriggered and connection.dialect.name == "postgresql" else []
        for name in off:
            connection.exec_driver_sql(f'ALTER TABLE "{BIG_TABLE}" DISABLE TRIGGER {_quoted(name)}')
        _fill(connection, count, known)
        for name in off:
            connection.exec_driver_sql(f'ALTER TABLE "{BIG_TABLE}" ENABLE TRIGGER {_quoted(name)}')


def _enabled_triggers(connection: sa.Connection) -> list[str]:
    """The big table's own triggers that fire as usual ('O'), those session_replication_role = replica
    would skip; a constraint's internal triggers (foreign keys) stay."""
    return list(connection.execute(sa.text(
        "SELECT tgname FROM pg_trigger WHERE tgrelid = to_regclass(:table) AND NOT tgisinternal "
        "AND tgenabled = 'O' ORDER BY tgname"), {"table": f'"{BIG_TABLE}"'}).scalars())


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _fill(connection: sa.Connection, count: int, known: Collection[str]) -> None:
    # Filler rows an earlier run left (empty() gives up when the table stays locked): gone first.
    connection.exec_driver_sql(f'DELETE FROM "{BIG_TABLE}" WHERE id >= {FILLER_FIRST_ID}')
    table = sa.Table(BIG_TABLE, sa.MetaData(), autoload_with=connection)
    columns, values = [], []
    for column in table.columns:
        value = _filler_value(column) if column.name in known or not column.nullable else None
        if value is not None:
            columns.append(column.name)
            values.append(value)
    select = ", ".join(values)
    names = ", ".join(f'"{name}"' for name in columns)
    connection.exec_driver_sql(
        f'INSERT INTO "{BIG_TABLE}" ({names}) SELECT {select} '
        f"FROM (SELECT {FILLER_FIRST_ID} + n + CASE WHEN n >= {count // 2} THEN {FILLER_GAP} ELSE 0 END AS g "
        f"FROM generate_series(0, {count - 1}) AS n) AS filler")
    connection.exec_driver_sql(f'ANALYZE "{BIG_TABLE}"')


def _filler_value(column):
    if column.primary_key:
        return "g"
    if column.foreign_keys:
        key = next(iter(column.foreign_keys))
        if key.column.table.name == BIG_TABLE:
            return None  # a reference inside the table stays empty
        return f'(SELECT min("{key.column.name}") FROM "{key.column.table.name}")'
    if isinstance(column.type, sa.Integer):
        return "mod(g, 100000)"
    if isinstance(column.type, sa.String):
        length = column.type.length or 80
        return f"left('Filler ' || g, {length})"
    return None


UNDEFINED_TABLE = "42P01"


def empty(engine: sa.Engine, observer: sa.Engine | None = None) -> None:
    """The filler rows out again. A lock or statement timeout is raised (the grade stops with a
    message): rows left behind would make the next fill fail on its own ids.

    Nothing references a filler row, but each row deleted is still checked against every foreign
    key that points at its table: with a self-reference and no index on it yet (step 15's manager_id,
    its index added after), a scan of the table per row, minutes for 20,000. The `observer` (the
    administrator) deletes them with those checks off, where the server lets it."""
    if observer is not None and observer.dialect.name == "postgresql":
        with observer.begin() as connection:
            if connection.exec_driver_sql("SELECT rolsuper FROM pg_roles WHERE rolname = current_user").scalar():
                connection.exec_driver_sql("SET LOCAL session_replication_role = replica")
                _delete_filler(connection)
                return
    with engine.begin() as connection:
        _delete_filler(connection)


def _delete_filler(connection: sa.Connection) -> None:
    try:
        connection.exec_driver_sql(f'DELETE FROM "{BIG_TABLE}" WHERE id >= {FILLER_FIRST_ID}')
    except sa.exc.ProgrammingError as error:  # no table: a migration dropped it, rows and all
        if getattr(error.orig, "sqlstate", None) != UNDEFINED_TABLE:
            raise


def number_attribute(mapper: orm.Mapper[object]) -> str:
    """The attribute of a plain number column the app updates (salary)."""
    return next(key for key, column in mapper.columns.items()
                if isinstance(column.type, sa.Integer) and not column.primary_key and not column.foreign_keys)


def new_row(session: orm.Session, mapper: orm.Mapper[object], new_id: int) -> dict[str, object]:
    """Values for a new row as the app would give them: every column it maps, references to a row that exists."""
    values: dict[str, object] = {}
    for key, column in mapper.columns.items():
        if column.primary_key:
            values[key] = new_id
        elif column.foreign_keys:
            if not column.nullable:
                target = next(iter(column.foreign_keys)).column
                values[key] = session.execute(sa.select(sa.func.min(target))).scalar()
        elif isinstance(column.type, sa.String):
            values[key] = f"Request {new_id}"[: column.type.length or 80]
        elif isinstance(column.type, sa.Integer):
            values[key] = new_id % 100000
    return values


def _describe(error):
    """(statement, first line of the database's error) for a failed request."""
    statement = getattr(error, "statement", None) or ""
    original = getattr(error, "orig", error)
    return one_line(statement), str(original).strip().splitlines()[0] if str(original).strip() else type(error).__name__


def _quantile(values, q):
    if not values:
        return None
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[round(q * 100) - 1]

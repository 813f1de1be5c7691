"""Walk a learner's chain on a scratch database and report what happened to the rows.

Climb: upgrade one revision at a time from an empty database. After each revision, compare the
schema with every lesson state, follow the rows put in earlier (across renames), and seed the
tables that have just appeared.
Descend: from head back to base, downgrade each revision, check that schema and rows are
exactly what they were before its upgrade, upgrade it again and check that too. Where a step
asks for it (`probe_steps`), the revision that reaches its state is also made to fail after its
first write, to see whether the failure leaves the database as it was (on PostgreSQL, after its first
schema change, by the server itself: postgres_failure.py).
Two other walks reuse the climb: `run_faults` (`pipenv run faults`) makes every revision fail after
each of its writes in turn; `run_changes` (`lesson view`) says what each revision changed.

This walk runs in the grader's own process: the learner's process only runs each Alembic command
it is asked for (`learner.call`), and everything recorded here is read from the database by the
grader itself, alembic_version included. Everything found goes into `facts` (facts.py); judge.py decides
what it means.
"""
import contextlib
import dataclasses
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa

from ... import course
from ...inside.wire import Command, Op
from .. import codec
from ..boundary.protocol import Stopped
from ..facts import (
    Climbed,
    Comparison,
    Direction,
    Facts,
    FailureWitness,
    LearnerDatabase,
    MigrationError,
    Probe,
    Revision,
    RoundTrip,
    SchemaItem,
    SchemaKind,
    UpgradeFailure,
)
from ..judging import messages
from . import (
    gaps,
    lineage,
    postgres_failure,
    schema,
    sqlite_header,
    sqlite_writes,
    stalled,
    statement_log,
    statements,
    traffic,
)
from .ownership import keeps_state
from .ownership import reached as ownership_reached

if TYPE_CHECKING:  # the walk only calls the learner's process; the boundary starts it
    from ..boundary.supervisor import LearnerProcess


@dataclass(frozen=True)
class _Record:
    """What the climb left after one revision, for the descent to compare with."""
    rows: dict  # lineage.snapshot after the upgrade
    seeded_rows: dict  # ... and after the tables it created got sample rows
    schema: sa.MetaData  # reflected after the upgrade
    writes: int
    new_tables: list
    carried: dict  # {table: [columns]} whose rows the upgrade brought from below
    carried_keys: dict  # {table: set of row keys} of those rows
    keeps_state: bool  # a backfill that left the lesson state it found (ownership.py)


@dataclass(frozen=True)
class Writes:
    """The statements that wrote during one command, as the learner's process counted them, and, for a
    migration made to fail on SQLite, whether the file saw any write at all."""
    count: int
    last: str | None
    witness: FailureWitness | None = None


NO_WRITES = Writes(0, None)


def _writes(reply, witness=None):
    return Writes(reply.write_count, reply.last_write, witness)


class ChainWalk:
    def __init__(self, engine: sa.Engine, observer: sa.Engine, learner: "LearnerProcess", revisions: Sequence[Revision],
                 states: dict[int, sa.MetaData], facts: Facts, server_copy: Path, probe_steps: Collection[int] = (),
                 describe_changes: bool = False, graded: Sequence[int] = (),
                 statement_log: statement_log.StatementLog | None = None) -> None:
        self.engine = engine  # as the grade's own login (roles.py)
        self.observer = observer  # as the administrator: for pg_locks and pg_stat_activity only
        self.learner = learner
        self.revisions = revisions
        self.states = states
        self.facts = facts
        self.probe_steps = probe_steps
        self.server_copy = server_copy
        self.graded = graded
        self.statement_log = statement_log  # what the grade's role ran, from the server's own log (or None)
        self.probe_index: int | None = None  # the revision to make fail on purpose
        self.describe_changes = describe_changes  # say what each revision changed (`lesson view`)
        self.records: list[_Record] = []  # one per climbed revision
        self.traffic: traffic.Traffic | traffic.Off = traffic.OFF  # grading turns it on (run())

    def run(self) -> None:
        self.traffic = traffic.for_walk(self.engine, self.observer, self.graded, self.facts, self._rendered,
                                        self.server_copy, self.revisions, self.learner.seconds_left,
                                        self.statement_log)
        self._climb()
        if len(self.records) == len(self.revisions):
            self.facts.models_at_head = self._models()
        self._descend()

    def _rendered(self, revision):
        """The SQL of `revision` alone, as `flask db upgrade --sql` renders it in the learner's process (for
        squawk's advice where the server keeps no log of what really ran)."""
        reply = self.learner.call(Command(Op.OFFLINE, target=f"{revision.parents[0]}:{revision.id}"),
                                  f"rendering {revision.file} as SQL")
        if not reply.ok:
            raise ValueError(reply.error.error if reply.error else "it does not render")
        return reply.sql

    def _models(self):
        """models.py against the database as it is now: the learner's process compares, since only it
        can load models.py. What it says decides nothing but the models.py check."""
        reply = self.learner.call(Command(Op.MODELS), "comparing models.py with your migrations")
        if not reply.ok or reply.models is None:
            why = reply.error.error if reply.error else "?"
            return (SchemaItem(SchemaKind.NOT_COMPARED, detail=why),)
        try:  # they come as plain data through the protocol
            return codec.typed(tuple[SchemaItem, ...], reply.models, "models.py's schema items")
        except codec.FactsError as problem:
            return (SchemaItem(SchemaKind.NOT_COMPARED, detail=str(problem)),)

    def compare_database(self, path: Path) -> LearnerDatabase:
        """A SQLite file of the learner's against the schema the chain builds at the revision its
        alembic_version names (items None if there is no such revision here to compare with)."""
        engine = schema.read_only_sqlite(path)
        try:
            with engine.connect() as connection:
                versions = tuple(schema.versions(connection))
                ids = [revision.id for revision in self.revisions]
                if any(version not in ids for version in versions):
                    return LearnerDatabase(versions, None)
                # Several heads (a branch not merged yet): the state after the newest of them.
                below = max((ids.index(version) + 1 for version in versions), default=0)
                if below > len(self.records):  # the climb stopped before it: nothing to compare with
                    return LearnerDatabase(versions, ())
                return LearnerDatabase(versions, tuple(schema.differences(connection, self._schema_below(below))))
        finally:
            engine.dispose()

    def run_changes(self) -> None:
        """Only climb: what each revision changed is in its Climbed fact."""
        self._climb()

    def run_faults(self) -> None:
        """Make every revision fail after each of its writes in turn; report what each failure left."""
        self._climb()
        if not self._rebuild(0):
            return
        for index in range(len(self.records)):
            for after in range(1, self.records[index].writes + 1):
                if not self._probe(index, after, fault=True):
                    return
            if not self._apply(index):
                return

    # -- climbing -------------------------------------------------------------------------

    def _climb(self):
        before: dict[str, lineage.TableRows] = {}
        reached = None
        matched_below: dict[int, tuple] = {}  # the matches of the revision below
        for index, revision in enumerate(self.revisions):
            # Part 3 on PostgreSQL: the last state's app keeps running while the revision upgrades.
            with self.traffic.around(index, revision, reached):
                error, written = self._migrate(Direction.UPGRADE, revision, revision.id, count_writes=True)
            if error:
                self.facts.upgrade_failed = UpgradeFailure(index, error, self._left_by_failure(index))
                return
            with self.engine.connect() as connection:
                after = lineage.snapshot(connection)
                reflected = schema.reflect(connection)
                # Steps whose models.py is the same share one state (lesson_models.py): compared once.
                compared: dict[int, tuple[SchemaItem, ...]] = {}
                for metadata in self.states.values():
                    if id(metadata) not in compared:
                        compared[id(metadata)] = tuple(schema.differences_from_state(connection, reflected, metadata))
                matches = {step: compared[id(metadata)] for step, metadata in self.states.items()}
                reached = max((step for step, items in matches.items() if not items), default=reached)
                # Constraint names matter only where a step's state is reached.
                unnamed = {step: tuple(schema.unnamed_constraints(connection, metadata))
                           for step, metadata in self.states.items() if not matches[step]}
                dangling = lineage.dangling_references(connection, reflected)
            changed_rows = any(table.rows != after[name].rows for name, table in before.items() if name in after)
            backfilled = changed_rows and not lineage.follow(before, after, nulls_filled_ok=True)[0]
            keeps = keeps_state(matched_below, matches, revision.parents, backfilled)
            losses, renames = lineage.follow(before, after, nulls_filled_ok=keeps)
            self.traffic.settle(index, ownership_reached(matched_below) if keeps else None)
            matched_below = matches
            filled = lineage.new_column_values(
                before, after, renames,
                lambda table, column: schema.default_value(reflected.tables[table].c[column]))  # noqa: B023 called at once
            if self.probe_index is None and any(not matches[step] for step in self.probe_steps):
                self.probe_index = index
            moved_to = {new for new, _ in renames.values()}
            new_tables = [name for name in after if name not in before and name not in moved_to]
            refused = self._seed(new_tables)
            with self.engine.connect() as connection:
                seeded = lineage.snapshot(connection)
            carried = {new: list(columns.values()) for new, columns in renames.values()}
            carried_keys = {new: set(before[old].rows) & set(after[new].rows)
                            for old, (new, _) in renames.items()}
            self.records.append(_Record(after, seeded, reflected, written.count, new_tables, carried, carried_keys,
                                        keeps))
            changes = self._changes(index, renames) if self.describe_changes else []
            self.facts.climbed.append(Climbed(
                index, matches, losses=tuple(losses), refused_seed=refused, new_tables=tuple(new_tables),
                filled=tuple(filled), dangling=tuple(dangling), writes=written.count, unnamed=unnamed,
                changes=tuple(changes), backfilled=backfilled))
            before = seeded

    def _left_by_failure(self, index):
        """What a failed upgrade of revision `index` left changed (SQLite commits each DDL at once).
        The database is put back as the climb had it, so that the downgrades after are judged on
        their own, not on the leftovers of the migration that failed."""
        with self.engine.connect() as connection:
            left = tuple(schema.differences(connection, self._schema_below(index)))
        if left:
            self._rebuild(index)
        return left

    def _changes(self, index, renames):
        """What revision `index`, just climbed, changed in the schema, renames told as renames."""
        with self.engine.connect() as connection:
            items = schema.differences(connection, self._schema_below(index))
        return schema.with_renames(items, renames)

    def _seed(self, table_names):
        refused = {}
        for name in table_names:
            with self.engine.begin() as connection:
                refused.update(lineage.seed(connection, [name]))
        return refused

    # -- descending -----------------------------------------------------------------------

    def _descend(self):
        for index in reversed(range(len(self.records))):
            revision = self.revisions[index]
            record = self.records[index]
            below_rows = self.records[index - 1].seeded_rows if index else {}
            below_schema = self._schema_below(index)
            result = RoundTrip(index)
            top, added = self._write_as_the_app(record)
            error, _ = self._migrate(Direction.DOWNGRADE, revision, parent_target(revision))
            put_back = True
            if error:
                result = dataclasses.replace(result, downgrade_error=error)
            else:
                # Only the rows the upgrade brought from below must survive, and those written since
                # (said apart); it may delete what it inserted.
                carried_rows = lineage.restrict(top, record.carried_keys)
                now = self._rows()
                later_losses, moved = lineage.follow(lineage.restrict(top, added), now)
                added_below = {moved[name][0]: keys for name, keys in added.items() if name in moved}
                compared = self._compare(carried_rows, now, below_schema, below_rows, carried=record.carried,
                                         nulls_filled_ok=record.keeps_state, written_since=added_below)
                result = dataclasses.replace(result, after_downgrade=dataclasses.replace(
                    compared, later_rows_lost=tuple(lineage.only_carried(later_losses, record.carried))))
                put_back = self._delete(now, added_below, below_schema)
                down = lineage.without(now, added_below)  # where the upgrade again starts from
                if index == len(self.revisions) - 1:
                    self.facts.models_before_head = self._models()
                    down = self._rows()  # the learner's process ran env.py: read the rows again
                error = self._upgrade_again(index, revision)
                result = dataclasses.replace(result, reupgrade_error=error) if error else dataclasses.replace(
                    result, after_reupgrade=self._compare(down, self._rows(), record.schema, record.rows,
                                                          carried=record.carried, carried_keys=record.carried_keys))
            self.facts.round_trips.append(result)
            if index == 0 and self.probe_index != 0:
                return  # nothing is walked below the first revision: no need to take it down once more
            if not self._back_below(revision, index, result, put_back):
                return
            if index == self.probe_index and not self._probe(index):
                return

    def _write_as_the_app(self, record):
        """Add rows to the tables whose rows the revision's downgrade must keep, as the app writes rows
        after an upgrade: (every row now, {table: the added rows' keys}). The learner's process has not
        seen them, so a downgrade that loses rows cannot look right by code that puts back what that
        process remembered."""
        with self.engine.begin() as connection:
            before = lineage.snapshot(connection)
            names = [name for name in record.carried if name in before]
            if not names:
                return before, {}
            lineage.seed(connection, names, first=lineage.ROWS_PER_TABLE + 1, schema=record.schema)
            after = lineage.snapshot(connection)
        return after, lineage.added_keys(before, after)

    def _delete(self, now, keys, schema):
        """Take the rows the grader wrote since the upgrade out again (`schema`: the database's, as the
        downgrade must have left it): False if they could not be."""
        if not keys:
            return True
        try:
            with self.engine.begin() as connection:
                return lineage.delete(connection, now, keys, schema)
        except sa.exc.DBAPIError:  # the downgrade left another schema: the walk builds the state again
            return False

    def _upgrade_again(self, index, revision):
        """Upgrade `revision` again; a Part 3 revision graded under traffic statement by statement,
        with the filler rows in, each statement measured by the grader (statements.py)."""
        run = next((run for run in self.facts.traffic if run.index == index), None)
        if run is None:
            return self._migrate(Direction.UPGRADE, revision, revision.id)[0]
        recalled = self.traffic.recalled(index)
        if recalled:  # measured by an earlier grade, nothing it depends on changed since (part3_kept.py)
            error = self._migrate(Direction.UPGRADE, revision, revision.id)[0]
            self.facts.measured.append(dataclasses.replace(recalled, why_not=error.error) if error else recalled)
            return error
        # The app deployed before the step runs throughout its migrations, a backfill's too.
        deployed = course.step(run.step)
        running = max((step for step in course.steps() if step.number < run.step), key=lambda step: step.number)
        requests = gaps.AppRequests(self.engine, (running.number, running.models_path),
                                    (deployed.number, deployed.models_path))
        witness = statements.Witness(self.engine, self.observer, requests, run.from_step, run.step,
                                     traffic.FILLER_ROWS)
        known = traffic.columns_of(running.models_path)
        # A backfill of its own (ownership.py) meets the rows as they were before its step began.
        traffic.fill(self.engine, traffic.FILLER_ROWS, known,
                     untriggered=run.from_step == run.step)
        not_shown: tuple[str, ...] | None = ()
        try:
            log = self.statement_log
            start = statement_log.end(log) if log else None
            with _sessions_of(self.engine) as own:
                error, _ = self._migrate(Direction.UPGRADE, revision, revision.id,
                                         pause_first=statements.MEASURED_STATEMENTS + 1, on_pause=witness.pause)
                if not error and log and start is not None:
                    not_shown = self._not_shown(witness, log, start, own)
            if not error:
                witness.finished()
                error = self._measure_transactions(revision, witness)
        finally:
            traffic.empty(self.engine, self.observer)
        measured = witness.run(index, not_shown)
        self.facts.measured.append(dataclasses.replace(measured, why_not=error.error) if error else measured)
        if not error:
            self.traffic.keep(index, measured)
        return error

    def _not_shown(self, witness, log, start, own):
        """The statements the server ran for the migration that the learner's process did not show the
        grader before it ran them (the grader's own sessions, `own`, left out); None if the server's log
        did not reach the grader in time."""
        sent = statement_log.sent_since(log, start, self.engine, own, self.learner.seconds_left)
        return None if sent is None else witness.not_shown(sent)

    def _measure_transactions(self, revision, witness):
        """Statements the grader could not run while the migration's own transaction was open: down and
        up once more, the grader running each such transaction itself from its first statement."""
        transactions = witness.transactions()
        if not transactions:
            return None
        error, _ = self._migrate(Direction.DOWNGRADE, revision, parent_target(revision))
        if error:
            return error
        return self._migrate(Direction.UPGRADE, revision, revision.id,
                             pause_first=max(each.stop for each in transactions), on_pause=witness.again)[0]

    def _probe(self, index, after=1, fault=False):
        """Make revision `index` fail after its `after`th write; report what that failure left behind
        (`fault`: as one of every revision's faults, else as the step's failure probe, after the first
        write that reached the database, where the file witnesses it, or after the first schema change,
        where PostgreSQL raises the failure itself).

        The database starts exactly as the climb left it below `index`, and is put back so if the
        failure changed it. False if it cannot be put back.
        """
        revision = self.revisions[index]
        rows_before, versions_before = self._rows(), tuple(self._versions())
        if not fault and postgres_failure.available(self.observer):
            statement, error, witness = self._failure_raised_by_server(revision)
        else:
            error, written = self._migrate(Direction.UPGRADE, revision, revision.id, fail_after=after)
            # Short of `after` writes, the failure (if any) is the migration's own: nothing was interrupted.
            interrupted = written.count == after
            if interrupted and not fault and written.witness == FailureWitness.NOTHING \
                    and after < self.records[index].writes:
                # That write changed nothing (an UPDATE of no rows), so neither did the failure: on to the next.
                return self._probe(index, after + 1)
            statement, error = (written.last, None) if interrupted else (None, error)
            witness = written.witness if interrupted else None
            if interrupted and not fault and self.engine.dialect.name == "postgresql":  # no superuser to raise it
                witness = FailureWitness.NO_SUPERUSER
        with self.engine.connect() as connection:
            left = tuple(schema.differences(connection, self._schema_below(index)))
        rows_after = self._rows()
        changed_tables = tuple(sorted(name for name in rows_before.keys() | rows_after.keys()
                                      if rows_before.get(name) != rows_after.get(name)))
        versions_after = tuple(self._versions())
        probe = Probe(index, after, statement, error, left, changed_tables, versions_before, versions_after,
                      clean=not left and not changed_tables and versions_before == versions_after, witness=witness)
        if fault:
            self.facts.faults.append(probe)
        else:
            self.facts.failure_probe = probe
        return probe.clean or self._rebuild(index)

    def _failure_raised_by_server(self, revision):
        """Upgrade `revision` with PostgreSQL set to fail it after its first schema change (the learner's
        process is told nothing): (the statement it failed after, the migration's own error, a witness)."""
        with postgres_failure.armed(self.observer, self.engine.url.username or "") as trap:
            error, _ = self._migrate(Direction.UPGRADE, revision, revision.id)
        claimed = postgres_failure.first_change(error.error if error else None)
        if trap.raised:
            return claimed or "?", None, FailureWitness.SERVER_RAISED
        if error and claimed is None:  # it failed on its own before the server's failure came
            return None, error, None
        return None, None, FailureWitness.NEVER_RAISED

    def _schema_below(self, index):
        return self.records[index - 1].schema if index else sa.MetaData()

    def _versions(self):
        with self.engine.connect() as connection:
            return schema.versions(connection)

    def _rows(self):
        with self.engine.connect() as connection:
            return lineage.snapshot(connection)

    def _compare(self, rows_before, now, expected_schema, expected_rows, carried=None, carried_keys=None,
                 nulls_filled_ok=False, written_since=None):
        """Follow the rows across the migration just run (`rows_before` to `now`, snapshots), then compare
        with the expected state.

        `carried` names the tables and columns whose rows the upgrade brought from the state
        below: after a downgrade, only those must come back; what the upgrade created may go.
        After upgrading again, `carried_keys` limits the comparison to those rows: rows the
        migration itself inserts may get new ids the second time (PostgreSQL's sequences move on).
        `nulls_filled_ok`: after the downgrade of a backfill, values it filled where the state
        below had none may stay (a backfill's downgrade need not empty the column again).
        `written_since`: rows the grader added after the upgrade ({table: keys}), which the state below
        never had.
        """
        losses, _ = lineage.follow(rows_before, now)
        if carried is not None:
            losses = lineage.only_carried(losses, carried)
        if carried_keys is None:
            expected_now = lineage.without(now, written_since) if written_since else now
            differences, _ = lineage.follow(expected_rows, expected_now, allow_renames=False,
                                            nulls_filled_ok=nulls_filled_ok)
        else:
            differences, _ = lineage.follow(lineage.restrict(expected_rows, carried_keys),
                                            lineage.restrict(now, carried_keys), allow_renames=False)
            differences = lineage.only_carried(differences, carried)
        with self.engine.connect() as connection:
            items = schema.differences(connection, expected_schema)
        return Comparison(tuple(items), tuple(losses), tuple(differences))

    def _back_below(self, revision, index, result, put_back=True):
        """Leave the database exactly as the climb left it below `index`, rebuilding if need be (and if the
        rows the grader added before the downgrade could not be taken out: `put_back`)."""
        clean = put_back and all(
            not comparison or not (comparison.schema or comparison.losses or comparison.differences
                                   or comparison.later_rows_lost)
            for comparison in (result.after_downgrade, result.after_reupgrade))
        if clean and not result.downgrade_error and not result.reupgrade_error:
            if not self._migrate(Direction.DOWNGRADE, revision, parent_target(revision))[0]:
                return True
        return self._rebuild(index)

    def _rebuild(self, count):
        """A fresh database with the first `count` revisions applied and seeded as in the climb."""
        self._drop_everything()
        return all(self._apply(index) for index in range(count))

    def _apply(self, index):
        """Upgrade revision `index` and seed the tables it creates, as the climb did; False if it fails."""
        revision = self.revisions[index]
        if self._migrate(Direction.UPGRADE, revision, revision.id)[0]:
            return False
        self._seed(self.records[index].new_tables)
        return True

    def _drop_everything(self):
        with self.engine.begin() as connection:
            schema.drop_everything(connection)

    def _migrate(self, direction, revision, target, count_writes=False, fail_after=None, pause_first=0,
                 on_pause=None):
        """Have the learner's process run one Alembic command; (a MigrationError or None, Writes).
        Success is the grader's to see: alembic_version must be where the command was asked to go."""
        details = {"revision": revision.id, "migration": revision.file, "direction": direction}
        op = Op.UPGRADE if direction == Direction.UPGRADE else Op.DOWNGRADE
        counted_before = sqlite_header.counters(self.engine)
        # A failure made on purpose is claimed by the learner's process: the file says whether it wrote.
        watched = sqlite_header.file_of(self.engine) if fail_after is not None else None
        try:
            with sqlite_writes.watching(watched) as watch:
                reply = self.learner.call(Command(op, target=target, count_writes=count_writes, fail_after=fail_after,
                                                  pause_first=pause_first),
                                          f"{direction} of {revision.file}", on_pause=on_pause, **details)
        except Stopped as stopped:
            if stopped.reason == "time_limit" and direction == Direction.UPGRADE:
                # Still running: what it was doing and how far it got, before its process is stopped.
                below = self._schema_below(self.revisions.index(revision))
                stopped.details.update(stalled.details(self.observer, below))
            raise
        counted_after = sqlite_header.counters(self.engine)
        if counted_before and (counted_after is None or counted_after.went_back_from(counted_before)):
            return MigrationError(**details, error=messages.database_file_put_back(counted_before, counted_after),
                                  file=revision.file), NO_WRITES
        if not reply.ok:
            error = reply.error
            if error is None:  # the worker always says why; a reply that does not is still a failure
                return MigrationError(**details, error="?", file=revision.file), _writes(reply)
            return MigrationError(**details, error=error.error, file=error.file, line=error.line), _writes(reply)
        if fail_after is not None and reply.write_count == fail_after:
            return None, _writes(reply, watch.witness)  # stopped on purpose: alembic_version stays where it was
        versions = self._versions()
        applied = self._applied(versions)
        expected = [revision.id] if direction == Direction.UPGRADE else revision.parents
        if any(version not in applied for version in expected) or \
                (direction == Direction.DOWNGRADE and revision.id in applied):
            found = ", ".join(versions) or "no revision"
            return MigrationError(**details, error=f"after the {direction}, alembic_version says {found}, "
                                                   f"not {', '.join(expected) or 'empty'}: a migration must not "
                                                   "change alembic_version itself", file=revision.file), NO_WRITES
        return None, _writes(reply)

    def _applied(self, versions):
        """The revisions alembic_version says are applied: those it names and all their ancestors."""
        parents = {revision.id: revision.parents for revision in self.revisions}
        applied, pending = set(), list(versions)
        while pending:
            current = pending.pop()
            if current not in applied:
                applied.add(current)
                pending.extend(parents.get(current, []))
        return applied


@contextlib.contextmanager
def _sessions_of(engine: sa.Engine) -> Iterator[set[int]]:
    """The PostgreSQL backends of the connections `engine` hands out while the block runs."""
    pids: set[int] = set()

    def taken(connection, record, proxy):
        pids.add(connection.info.backend_pid)

    sa.event.listen(engine, "checkout", taken)
    try:
        yield pids
    finally:
        sa.event.remove(engine, "checkout", taken)


def parent_target(revision: Revision) -> str:
    """The Alembic target that downgrades this one revision and nothing else."""
    parents = revision.parents
    if not parents:
        return "base"
    if len(parents) == 1:
        # "rev@parent" walks down this revision's own branch only; a plain "parent" would
        # also take back a sibling branch that has the same parent.
        return f"{revision.id}@{parents[0]}"
    return parents[0]  # a merge: going down to one parent leaves both parents applied

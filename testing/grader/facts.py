"""Everything one grading session found, as the judge reads it, declared once.

The grader's own process records these while it walks the learner's chain (walk.py, session.py,
inspection.py, traffic.py). Only models.py's schema items come from the learner's process: as
plain data through the protocol, typed again by codec.py like anything else read back. judge.py
and messages.py read attributes; codec.py turns the whole record into JSON data and back (the
report cache keeps it so), refusing anything not declared here.
"""
import enum
from dataclasses import dataclass, field

from ..inside.wire import LearnerError
from . import codec

Scalar = str | int | float | bool | None  # a value a row holds, as lineage.snapshot reads it


class SchemaKind(enum.StrEnum):
    """How a database differs from the schema it is compared with (schema.py). "missing": the
    expected side has it and the database lacks it; "extra": the other way round."""
    MISSING_TABLE = "missing_table"
    EXTRA_TABLE = "extra_table"
    MISSING_COLUMN = "missing_column"
    EXTRA_COLUMN = "extra_column"
    NULLABLE = "nullable"
    TYPE = "type"
    SERVER_DEFAULT = "server_default"
    PRIMARY_KEY = "primary_key"
    MISSING_UNIQUE = "missing_unique"
    EXTRA_UNIQUE = "extra_unique"
    MISSING_CHECK = "missing_check"
    EXTRA_CHECK = "extra_check"
    MISSING_CONSTRAINT = "missing_constraint"
    EXTRA_CONSTRAINT = "extra_constraint"
    MISSING_FOREIGN_KEY = "missing_foreign_key"
    EXTRA_FOREIGN_KEY = "extra_foreign_key"
    MISSING_INDEX = "missing_index"
    EXTRA_INDEX = "extra_index"
    OTHER = "other"  # a difference Alembic names that has no kind here (its name in `detail`)
    NOT_COMPARED = "not_compared"  # models.py: the comparison itself failed (why, in `detail`)
    # A missing and an extra one told as one rename (renames.paired): the database has `found`
    # where the expected side has `expected`.
    RENAMED_TABLE = "renamed_table"
    RENAMED_COLUMN = "renamed_column"
    RENAMED_CONSTRAINT = "renamed_constraint"  # the same columns, another name (`detail`: unique, index...)
    # What a revision did, its rows followed (schema.with_renames): `expected` became `found`.
    TABLE_RENAMED = "table_renamed"
    COLUMN_RENAMED = "column_renamed"


class LossKind(enum.StrEnum):
    """What became of rows followed across a migration (lineage.follow)."""
    TABLE_LOST = "table_lost"
    ROWS_LOST = "rows_lost"
    COLUMN_LOST = "column_lost"
    VALUES_CHANGED = "values_changed"
    ROWS_ADDED = "rows_added"  # only when a state must come back exactly (a downgrade, an upgrade again)


class ConstraintKind(enum.StrEnum):
    UNIQUE = "unique"
    FOREIGN_KEY = "foreign_key"


class AppProblem(enum.StrEnum):
    IMPORT = "import"
    NO_APP = "no_app"
    NO_MIGRATE = "no_migrate"
    CREATE_ALL = "create_all"
    IGNORES_DATABASE_URL = "ignores_database_url"


class ChainProblemKind(enum.StrEnum):
    NO_MIGRATIONS = "no_migrations"
    NO_REVISIONS = "no_revisions"
    SYNTAX = "syntax"
    NO_REVISION = "no_revision"
    UNREADABLE = "unreadable"
    BAD_ID = "bad_id"
    DUPLICATE_ID = "duplicate_id"
    MISSING_PARENT = "missing_parent"
    CYCLE = "cycle"
    TWO_HEADS = "two_heads"


class StopReason(enum.StrEnum):
    TIME_LIMIT = "time_limit"
    EXITED = "exited"
    GARBAGE = "garbage"
    CHANGED_FILES = "changed_files"
    DATABASE_HELD = "database_held"  # the grader's own connection could not read the database (bounded.py)


class Direction(enum.StrEnum):
    UPGRADE = "upgrade"
    DOWNGRADE = "downgrade"


class Phase(enum.StrEnum):
    """When a request of the running app ran: during the migration, or after it against the new schema."""
    DURING = "during"
    AFTER = "after"


# -- schemas and rows -----------------------------------------------------------------------

@dataclass(frozen=True)
class SchemaItem:
    """One difference between a database and the schema it is compared with; the fields its kind uses."""
    kind: SchemaKind
    table: str | None = None
    column: str | None = None
    type: str | None = None  # a column's type as a migration writes it: sa.String(length=80)
    nullable: bool | None = None  # a column's; for NULLABLE, what the expected side says
    expected: str | None = None  # TYPE, SERVER_DEFAULT, renames: the expected side's
    found: str | None = None  # ... and the database's
    name: str | None = None  # a constraint's or an index's
    columns: tuple[str, ...] = ()  # a constraint's or an index's; PRIMARY_KEY: the database's
    expected_columns: tuple[str, ...] = ()  # PRIMARY_KEY: the expected side's
    shape: dict[str, str] | None = None  # a table's columns and their types, to tell a rename
    detail: str | None = None  # OTHER: what Alembic or the grader calls it; RENAMED_CONSTRAINT: its kind


@dataclass(frozen=True)
class Loss:
    """Rows of the sample data that a migration lost or changed (lineage.follow)."""
    kind: LossKind
    table: str
    rows: int
    of: int | None = None  # ROWS_LOST: how many there were
    column: str | None = None
    replaced_by: str | None = None  # a table or column created empty instead: a rename done as drop + create
    type: str | None = None  # COLUMN_LOST: the column's
    nullable: bool | None = None


@dataclass(frozen=True)
class FilledColumn:
    """The values that rows already there got in a column a migration added."""
    table: str
    column: str
    values: tuple[tuple[Scalar, int], ...]  # (value, how many rows)
    default: str | None = None  # the column's server default, as a row gets it


@dataclass(frozen=True)
class DanglingReference:
    """Rows whose foreign key value points at no row."""
    table: str
    column: str
    target: str  # table.column
    rows: int
    values: tuple[Scalar, ...]  # the first few


@dataclass(frozen=True)
class UnnamedConstraint:
    """A constraint the lesson names that the database holds without a name."""
    what: ConstraintKind
    table: str
    columns: tuple[str, ...]
    expected: str  # the name the naming convention gives it


# -- the app and the chain --------------------------------------------------------------------

@dataclass(frozen=True)
class AppFact:
    """Whether the learner's app loaded and opened the scratch database; if not, why."""
    problem: AppProblem | None
    database: str | None = None  # the URL it opened (password hidden), when it loaded
    error: str | None = None  # IMPORT: the learner's exception
    file: str | None = None
    line: int | None = None  # IMPORT: of `file`; IGNORES_DATABASE_URL: app.py's line setting the URL
    code: str | None = None  # IGNORES_DATABASE_URL: that line
    expected: str | None = None  # IGNORES_DATABASE_URL: the backend the grader set
    found: str | None = None  # ... and the database the app opened


@dataclass(frozen=True)
class SqlFinding:
    """SQL built by formatting values into a string (sqltext.py)."""
    line: int
    how: str


@dataclass(frozen=True)
class Revision:
    """One migration file as written."""
    id: str
    file: str  # relative to the server folder
    message: str
    parents: tuple[str, ...]
    formatted_sql: tuple[SqlFinding, ...] = ()


@dataclass(frozen=True)
class Chain:
    """The chain as written, from base to head, or the problem that stops it being read."""
    problem: ChainProblemKind | None
    revisions: tuple[Revision, ...] = ()
    folder: str | None = None  # NO_MIGRATIONS, NO_REVISIONS
    file: str | None = None
    line: int | None = None
    error: str | None = None  # SYNTAX, UNREADABLE
    revision: str | None = None  # DUPLICATE_ID
    parent: str | None = None  # MISSING_PARENT
    files: tuple[str, ...] = ()  # DUPLICATE_ID, CYCLE, TWO_HEADS
    heads: tuple[str, ...] = ()  # TWO_HEADS: their revision ids, as `files`


# -- the walk -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class MigrationError:
    """An upgrade or downgrade of one revision that went wrong: the learner's exception, or an
    alembic_version that is not where the command was asked to go."""
    revision: str
    migration: str  # the revision's file
    direction: Direction
    error: str
    file: str | None = None  # where the exception was raised
    line: int | None = None


@dataclass(frozen=True)
class UpgradeFailure:
    """The revision where the climb from an empty database stopped."""
    index: int
    error: MigrationError
    left: tuple[SchemaItem, ...] = ()  # what the failure left changed (SQLite commits each DDL at once)


@dataclass(frozen=True)
class Climbed:
    """One revision upgraded on the climb from an empty database, and what it did."""
    index: int
    matches: dict[int, tuple[SchemaItem, ...]]  # step -> how the database differs from its state
    losses: tuple[Loss, ...] = ()
    refused_seed: dict[str, str] = field(default_factory=dict)  # table -> why it got no sample rows
    new_tables: tuple[str, ...] = ()
    filled: tuple[FilledColumn, ...] = ()
    dangling: tuple[DanglingReference, ...] = ()
    writes: int = 0  # statements its upgrade ran that write
    backfilled: bool = False  # it changed rows that were there only by filling their empty (NULL) values
    unnamed: dict[int, tuple[UnnamedConstraint, ...]] = field(default_factory=dict)  # steps whose state it reaches
    changes: tuple[SchemaItem, ...] = ()  # what it changed (`lesson view` only)


@dataclass(frozen=True)
class Comparison:
    """A database against the state it must be in after a migration."""
    schema: tuple[SchemaItem, ...] = ()
    losses: tuple[Loss, ...] = ()  # rows the migration just run lost
    differences: tuple[Loss, ...] = ()  # rows not as the state had them
    # After a downgrade: what it lost of the rows the grader wrote after the upgrade (walk.py)
    later_rows_lost: tuple[Loss, ...] = ()


@dataclass(frozen=True)
class RoundTrip:
    """One revision downgraded, then upgraded again, on the descent from head."""
    index: int
    downgrade_error: MigrationError | None = None
    after_downgrade: Comparison | None = None
    reupgrade_error: MigrationError | None = None
    after_reupgrade: Comparison | None = None


class FailureWitness(enum.StrEnum):
    """What, beside the learner's process, saw the failure made on purpose happen: the SQLite file
    (sqlite_writes.py) or PostgreSQL, which raised it itself (postgres_failure.py)."""
    WRITTEN = "a write reached the file"
    NOTHING = "nothing reached the file"
    NO_INOTIFY = "not watched: this system has no inotify"
    WAL = "not watched: in write-ahead-log mode a rolled-back write leaves no trace on disk"
    SERVER_RAISED = "PostgreSQL raised it, after the migration's first schema change"
    NEVER_RAISED = "PostgreSQL never raised it: the migration made no schema change, or did not go on after it"
    NO_SUPERUSER = "not raised by PostgreSQL: the server's administrator is not a superuser"


@dataclass(frozen=True)
class Probe:
    """A revision made to fail on purpose after its `after`th write, and what the failure left."""
    index: int
    after: int
    # The write it failed after; None when it failed on its own before it. Where PostgreSQL raised the
    # failure, the first schema change as the failure's message brought it back (for the learner to read).
    statement: str | None
    error: MigrationError | None = None  # that failure of its own
    schema: tuple[SchemaItem, ...] = ()  # against the state before the revision
    changed_tables: tuple[str, ...] = ()
    versions_before: tuple[str, ...] = ()  # alembic_version
    versions_after: tuple[str, ...] = ()
    clean: bool = False
    witness: FailureWitness | None = None  # None: MySQL/MariaDB, where nothing but the learner's process sees it


@dataclass(frozen=True)
class LearnerDatabase:
    """The learner's own SQLite file against what the chain builds at its alembic_version."""
    versions: tuple[str, ...]
    items: tuple[SchemaItem, ...] | None  # None: no revision of the chain has that id


@dataclass(frozen=True)
class Offline:
    """The whole chain rendered as SQL, as `flask db upgrade --sql` does."""
    dialect: str | None
    error: LearnerError | None = None


@dataclass(frozen=True)
class ColumnFill:
    """How far a migration stopped midway had filled a column it added (read by the grader)."""
    table: str
    column: str
    filled: int  # rows whose value is not NULL
    rows: int  # rows in the table


@dataclass(frozen=True)
class Stop:
    """The learner's process did not answer as asked (protocol.Stopped): the grade stops there."""
    reason: StopReason
    action: str = "the grader"
    revision: str | None = None  # the migration being run, if one was
    migration: str | None = None
    direction: Direction | None = None
    seconds: int | float | None = None  # TIME_LIMIT: the limit reached, as the learner set it
    files: tuple[str, ...] = ()  # CHANGED_FILES
    why: str | None = None  # GARBAGE, DATABASE_HELD
    code: int | None = None  # EXITED: the exit code
    output: str | None = None  # EXITED: the end of what it printed
    # TIME_LIMIT on PostgreSQL, read from the database by the grader: the migration's statement
    # running then (or the last it ran), and how far the columns it added were filled
    running: str | None = None
    filled: tuple[ColumnFill, ...] = ()


# -- Part 3: live traffic (traffic.py) --------------------------------------------------------

@dataclass(frozen=True)
class RequestError:
    error: str  # the database's, first line
    statement: str  # the first request that got it
    during: int = 0  # how many requests got it during the upgrade
    after: int = 0  # ... and after it


@dataclass(frozen=True)
class LockWait:
    """Requests that waited behind one statement of the migration."""
    seconds: float  # the longest wait
    query: str  # the request's
    wanted: str  # the lock it wanted
    statement: str  # the migration's statement
    phase: Phase
    held: str | None  # the lock mode the migration holds or waits for on that relation
    granted: bool
    relation: str | None
    count: int = 1


@dataclass(frozen=True)
class TrafficSummary:
    """What the running app saw around one migration."""
    rows: int  # in the big table
    bound: float  # seconds a request may wait on a lock
    hold: float  # seconds the payroll job keeps its transaction open
    migration_seconds: float | None
    requests: int
    p50: float | None  # seconds, during the migration
    p99: float | None
    slowest: float | None
    errors: tuple[RequestError, ...] = ()
    error_count: int = 0
    waits: tuple[LockWait, ...] = ()

    @property
    def troubled(self) -> bool:
        """A request failed or waited past the bound: what the traffic happened to meet, which timing decides."""
        return bool(self.errors) or any(wait.seconds > self.bound for wait in self.waits)


@dataclass(frozen=True)
class SquawkFinding:
    rule: str
    message: str
    help: str | None
    statement: str


@dataclass(frozen=True)
class Squawk:
    """squawk's findings on a revision's SQL, or why it did not run."""
    findings: tuple[SquawkFinding, ...] = ()
    unavailable: str | None = None  # why squawk gave no findings: not installed, timed out, odd output...
    configuration: str | None = None  # ...or squawk's own words refusing server/.squawk.toml
    # What squawk read: the statements the role ran, from the server's log (statement_log.py), or else
    # the SQL the learner's process rendered (`flask db upgrade --sql`).
    from_server_log: bool = False


@dataclass(frozen=True)
class SquawkConfig:
    """server/.squawk.toml's excluded_rules as the grader read them (squawk_config.py)."""
    silenced: tuple[str, ...] = ()
    unexplained: tuple[str, ...] = ()  # silenced without a reason written next to them


@dataclass(frozen=True)
class TrafficRun:
    """One Part 3 revision upgraded while the previous step's app kept serving requests."""
    index: int
    from_step: int  # whose app ran
    step: int  # the step the revision leads to
    seen: TrafficSummary
    squawk: Squawk


# -- Part 3: each statement measured as production would meet it (statements.py, production.py) ---

class Work(enum.StrEnum):
    """Work on every row of a table, done by one statement: it grows with the table."""
    SCAN = "scan"  # reads every row (pg_stat seq_tup_read)
    REWRITE = "rewrite"  # writes the table anew (a new relfilenode)
    INDEX_BUILD = "index build"  # builds an index, not CONCURRENTLY
    VALIDATION = "validation"  # checks a new constraint against every row
    UPDATE = "update"  # updates or deletes every row in one statement (n_tup_upd, n_tup_del)


class Replay(enum.StrEnum):
    """Whether the grader could run the statement itself, in a transaction it rolled back."""
    MEASURED = "measured"
    # The migration's own transaction was open and could not be run again from its start: its locks are read instead.
    IN_TRANSACTION = "in a transaction"
    NOT_IN_A_TRANSACTION = "not in a transaction"  # CONCURRENTLY, a DO block that commits...
    FAILED = "failed"  # it failed when the grader ran it (it may depend on the session's state)
    PARAMETERS = "parameters"  # its parameters are not plain values


@dataclass(frozen=True)
class TableWork:
    """What one statement did to one table that existed before it."""
    table: str
    rows: int  # in the table, when measured
    lock: str  # the strongest lock held on it while the statement ran (pg_locks mode)
    work: tuple[Work, ...] = ()  # what grows with the table
    # The earlier statement of the same transaction that took `lock`, still held (None: this one took it).
    locked_by: str | None = None
    # UPDATE done by several statements of one transaction: the first of them (None: this one alone).
    updated_since: str | None = None


@dataclass(frozen=True)
class StatementCost:
    """One statement of a Part 3 migration, as the database showed it to the grader."""
    statement: str
    replay: Replay
    tables: tuple[TableWork, ...] = ()
    held: tuple[str, ...] = ()  # IN_TRANSACTION: "table (mode)" the migration's transaction holds then


@dataclass(frozen=True)
class GapError:
    """A request of one app that fails on the database as a migration leaves it between two statements."""
    app_step: int  # whose app: the step before (old code) or the step itself (new code)
    request: str  # "insert", "update name", "read"...
    error: str  # the database's, first line
    after: str | None  # the statement the gap follows (None: before the first)
    before: str | None  # the statement that ends it (None: after the last)


@dataclass(frozen=True)
class MeasuredRun:
    """One Part 3 revision upgraded again statement by statement, each measured by the grader."""
    index: int
    from_step: int
    step: int
    rows: int  # in the big table while measured
    statements: tuple[StatementCost, ...] = ()
    gaps: tuple[GapError, ...] = ()
    cut_short: bool = False  # more statements ran than were measured (a backfill row by row)
    why_not: str | None = None  # it could not be measured: why
    # Statements the server's log says the migration ran, which the learner's process did not show the
    # grader first (statements.py): never measured. None: the log did not reach the grader in time.
    not_shown: tuple[str, ...] | None = ()


# -- what `lesson` saw, and other databases ---------------------------------------------------

@dataclass(frozen=True)
class Look:
    """The learner's own database as `lesson` once saw it (testing/guide/evidence.py)."""
    at: str
    database: str  # sqlite, postgresql, ...
    versions: tuple[str, ...]
    found: int  # seed.py's rows held with every value
    missing: tuple[str, ...]  # "table: name" of the others


@dataclass(frozen=True)
class Evidence:
    now: Look | None
    looks: tuple[Look, ...] = ()  # oldest first
    given: tuple[int, ...] = ()  # steps `lesson start` did for the learner


@dataclass(frozen=True)
class FailedCheck:
    step: int
    name: str
    message: str


@dataclass(frozen=True)
class OtherDatabase:
    """The chain graded on another database, for a step that asks for it."""
    steps: int = 0  # how many steps were graded there
    failed: tuple[FailedCheck, ...] = ()
    unavailable: str | None = None  # why it could not run there


# -- the whole record ---------------------------------------------------------------------------

@dataclass
class Facts:
    """Everything one grading session found. Filled in as the walk goes; a field left at its
    default means that part was not reached (or does not apply)."""
    isolation: str = ""  # who the learner's code ran as, for instructors
    not_copied: tuple[str, ...] = ()  # notes on files the sandbox did not copy
    changed_outside: tuple[str, ...] = ()  # files outside the copy the learner's code changed
    app: AppFact | None = None
    chain: Chain | None = None
    climbed: list[Climbed] = field(default_factory=list)
    upgrade_failed: UpgradeFailure | None = None
    models_at_head: tuple[SchemaItem, ...] | None = None  # models.py against the database at head
    models_before_head: tuple[SchemaItem, ...] | None = None  # ... and one revision below
    round_trips: list[RoundTrip] = field(default_factory=list)
    failure_probe: Probe | None = None
    faults: list[Probe] = field(default_factory=list)  # `pipenv run faults` only
    traffic: list[TrafficRun] = field(default_factory=list)  # Part 3 on PostgreSQL
    squawk_config: SquawkConfig | None = None  # server/.squawk.toml, when Part 3 runs and there is one
    measured: list[MeasuredRun] = field(default_factory=list)  # ... each statement of its migrations
    learner_database: LearnerDatabase | None = None
    offline: Offline | None = None
    stopped: Stop | None = None
    unmerged_heads: tuple[str, ...] = ()  # files of two heads a stand-in merge joined (standin.py)
    machine_dependent: bool = False  # a result this machine's state decided: never kept
    part3_files: tuple[str, ...] = ()  # Part 3's migrations, left out on other databases
    part3_notes: tuple[str, ...] = ()
    evidence: Evidence | None = None  # what `lesson` saw; None when only the files are graded
    elsewhere: dict[str, OtherDatabase] = field(default_factory=dict)  # database -> the chain graded there

    @property
    def revisions(self) -> tuple[Revision, ...]:
        """The chain's revisions from base to head; none when it could not be read."""
        return self.chain.revisions if self.chain else ()

    def to_dict(self) -> object:
        """JSON-ready data, fields at their defaults left out (json.dumps writes int step keys as strings)."""
        return codec.plain(self)

    @classmethod
    def from_dict(cls, data: object) -> "Facts":
        """Facts as to_dict gave them, through JSON or not; codec.FactsError if they do not fit."""
        return codec.typed(cls, data)

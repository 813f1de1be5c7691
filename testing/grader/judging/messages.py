"""Every sentence the grader says to a learner, in one place.

Functions take the facts the grader found (facts.py: schema items, losses, errors...) and return
text. Nothing here decides pass or fail. A sentence names another lesson by its key, as
lessons/course.toml has it (`lesson("look-before-you-leap")` gives "step" and its number; in a constant,
"{lesson:look-before-you-leap}"), never by its number or folder.
"""
import difflib
import re
from collections.abc import Collection, Iterable, Sequence
from typing import TYPE_CHECKING, Protocol

from ... import course
from ..facts import (
    AppFact,
    AppProblem,
    Chain,
    ChainProblemKind,
    DanglingReference,
    Direction,
    FailedCheck,
    FilledColumn,
    GapError,
    LearnerDatabase,
    LockWait,
    Loss,
    LossKind,
    MigrationError,
    Offline,
    Probe,
    Scalar,
    SchemaItem,
    SchemaKind,
    SqlFinding,
    Squawk,
    SquawkFinding,
    Stop,
    StopReason,
    TrafficRun,
    UnnamedConstraint,
)
from ..measure.renames import paired

if TYPE_CHECKING:  # production.py phrases its findings with this module; the walk, a SQLite file's counters
    from ..measure.sqlite_header import Counters
    from .production import Held


class Placed(Protocol):
    """What names a place in the learner's code: an error, an app problem, a chain problem."""
    @property
    def file(self) -> str | None: ...
    @property
    def line(self) -> int | None: ...


def code(text: object) -> str:
    return f"`{text}`"


def lesson(key: str) -> str:
    """"step NN": the lesson whose folder is NN-`key`, numbered as the manifest has it now."""
    return f"step {course.step_by_key(key).label}"


def lesson_readme(key: str) -> str:
    return course.relative(course.step_by_key(key).readme)


LESSON_REFERENCE = re.compile(r"\{(lesson|readme):([a-z0-9-]+)\}")


def with_lessons(text: str) -> str:
    """`text` with each "{lesson:KEY}" and "{readme:KEY}" of a constant spoken as `lesson(KEY)` and
    `lesson_readme(KEY)` (a constant cannot ask the manifest while this module is imported)."""
    spoken = {"lesson": lesson, "readme": lesson_readme}
    return LESSON_REFERENCE.sub(lambda found: spoken[found.group(1)](found.group(2)), text)


# -- the app and the chain ---------------------------------------------------------------

def app_problem(details: AppFact) -> str:
    problem = details.problem
    if problem == AppProblem.IMPORT and details.error == "ModuleNotFoundError: No module named 'app'":
        return ("There is no app.py in the server folder: grade the folder that holds app.py, models.py "
                "and migrations/ (server/ in the course).")
    if problem == AppProblem.IMPORT:
        return with_known_fix(f"Python could not load your app: {where(details)}{details.error}\n"
                              "Fix that line; `flask db upgrade` fails the same way until you do.", details.error)
    if problem == AppProblem.NO_APP:
        return "app.py must create a Flask app called `app` (or a `create_app()` function)."
    if problem == AppProblem.NO_MIGRATE:
        return "app.py never calls `Migrate(app, db)`, so there are no `flask db` commands to grade."
    if problem == AppProblem.CREATE_ALL:
        return ("Importing app.py already creates tables: remove `db.create_all()`. With migrations,\n"
                "`flask db upgrade` creates the tables; both together end in \"table already exists\".")
    setting = f"app.py line {details.line} (`{details.code}`)" if details.line else "app.py"  # IGNORES_DATABASE_URL
    return (f"app.py ignores DATABASE_URL: the grader set it to a scratch {details.expected} database, "
            f"and your app opened {details.found}.\n"
            f"Change {setting} to read it: `os.environ.get(\"DATABASE_URL\", \"sqlite:///app.db\")`.")


def chain_problem(details: Chain) -> str:
    problem = details.problem
    if problem == ChainProblemKind.NO_MIGRATIONS:
        return (f"There is no migrations folder ({details.folder}) yet.\n"
                "In server/, run `flask db init`, then `flask db migrate -m \"create employees table\"`.")
    if problem == ChainProblemKind.NO_REVISIONS:
        return (f"{details.folder}/versions has no migration scripts yet.\n"
                "Run `flask db migrate -m \"create employees table\"`, read the script, then `flask db upgrade`.")
    if problem == ChainProblemKind.SYNTAX:
        place = f"{details.file} line {details.line}" if details.line else details.file
        return with_known_fix(f"{place} is not valid Python ({details.error}).\n"
                              "Alembic reads every migration file, so one broken file stops them all.",
                              details.error)
    if problem == ChainProblemKind.NO_REVISION:
        return (f"{details.file} has no `revision = '...'` line, so Alembic cannot tell which migration "
                "it is.\nPut the file back as it was (`git checkout` it), or delete it if it is not a migration.")
    if problem == ChainProblemKind.UNREADABLE:
        return f"A migration file could not be read: {where(details)}{details.error}"
    if problem == ChainProblemKind.BAD_ID:
        return (f"{details.file}: `revision` and `down_revision` must be strings of the id, "
                "like revision = 'ae1027a6acf'.")
    if problem == ChainProblemKind.DUPLICATE_ID:
        return (f"Two files have the same revision id {details.revision!r}: {', '.join(details.files)}.\n"
                "A copied file keeps its id: delete the copy, or run `flask db revision` for a new one.")
    if problem == ChainProblemKind.MISSING_PARENT:
        return (f"{details.file} says down_revision = {details.parent!r}, but no migration has that id.\n"
                "Point it at the revision just before it (`flask db history` lists them).")
    if problem == ChainProblemKind.CYCLE:
        return (f"These migrations point at each other in a circle: {', '.join(details.files)}.\n"
                "Each down_revision must name an older revision; the first one has down_revision = None.")
    return (f"Your chain has {len(details.files)} heads: {', '.join(details.files)}.\n"  # TWO_HEADS
            "Two migrations have the same down_revision, and `flask db upgrade` stops with \"Multiple head\n"
            "revisions are present\". " + with_lessons(MERGE_COMMANDS))


def where(details: Placed) -> str:
    if details.file and details.line:
        return f"{details.file} line {details.line}: "
    if details.file:
        return f"{details.file}: "
    return ""


def learner_code_failed(error: MigrationError) -> str:
    function = f"{error.direction}()"
    place = f" (line {error.line})" if error.line and error.file == error.migration else ""
    text = f"{function} of {error.migration} failed{place}: {error.error}"
    if error.file and error.file != error.migration:
        text += f"\n  raised in {where(error).rstrip(': ')}"
    return with_known_fix(text, error.error)


def left_changed(items: tuple[SchemaItem, ...]) -> str:
    """The lines after a failed upgrade that left the database half changed ("" if it did not)."""
    if not items:
        return ""
    return ("\nIt failed halfway and left the grader's scratch database changed: it\n"
            + schema_items(items, "the revision before")
            + "\nThis migration broke the database, not the ones that ran after it: `flask db upgrade` would run it\n"
            "again on top of those leftovers. The grader starts from an empty database each time; if it failed the\n"
            "same way on your own database, restore your backup there "
            f"({lesson('look-before-you-leap')}) before you run it again.")


def with_known_fix(text: str, error: str | None) -> str:
    """`text`, followed by what to write instead when `error` is one the lessons teach about."""
    if error is None:
        return text
    fix = next((with_lessons(fix) for known, fix in KNOWN_FIXES if known in error), None) or did_you_mean(error)
    return f"{text}\n{fix}" if fix else text


# Flask-SQLAlchemy's `db` says only the name it lacks ("AttributeError: interger"); SQLAlchemy
# itself names the module ("module 'sqlalchemy' has no attribute 'Interger'").
MISSING_NAME = re.compile(r"^AttributeError: (?:module 'sqlalchemy' has no attribute '(\w+)'|(\w+))$")


def did_you_mean(error: str) -> str | None:
    """"Did you mean `db.Integer`?" for a misspelt SQLAlchemy name, else None."""
    found = MISSING_NAME.match(error.strip())
    if not found:
        return None
    import sqlalchemy  # only for a misspelt name: most grades never need its list of names

    names: dict[str, str] = {}
    # Of names alike but for case, the one models are written with: Integer, not INTEGER or integer.
    for name in sorted(dir(sqlalchemy), key=lambda name: (name.isupper(), name.islower())):
        if not name.startswith("_"):
            names.setdefault(name.lower(), name)
    typed = found.group(1) or found.group(2)
    close = difflib.get_close_matches(typed.lower(), names, n=1, cutoff=0.75)
    if not close:
        return None
    prefix = "sa." if found.group(1) else "db."
    return f"{code(prefix + typed)} does not exist: did you mean {code(prefix + names[close[0]])}?"


NOT_NULL_WITHOUT_DEFAULT = (
    "The table already has rows, and a NOT NULL column needs a value for each of them. Python's\n"
    "default= is only used by SQLAlchemy for new rows; the database needs server_default=, e.g.\n"
    "sa.Column('title', sa.String(length=80), server_default='Associate', nullable=False)\n"
    "(or add the column nullable, fill it with an UPDATE, then make it NOT NULL with that server_default).")
NAMELESS_CONSTRAINT = (
    "Batch mode cannot add or drop a constraint that has no name. Give MetaData a naming_convention\n"
    "in models.py and name the constraint in both functions: batch_op.f('uq_departments_name').")
SUBQUERY_ADVICE = (
    "Look the id up in the same statement, with a bound parameter, never a fixed number:\n"
    "UPDATE employees SET department_id = (SELECT id FROM departments WHERE name = :name)")
NOT_TEXT = "Python reads a migration as UTF-8 text: save the file as plain text, in UTF-8."
DUPLICATE_VALUES = (
    "Two rows would hold the same value in a unique column: a server default gives every existing row\n"
    "the same one. Add the column nullable, give each row its own value in one UPDATE, then make it\n"
    "NOT NULL and unique.")

# Errors a database raises for a mistake the lessons teach about, with what to write instead.
KNOWN_FIXES = [
    ("require the existing type",
     "MySQL rewrites the whole column: give op.alter_column() the column's current type and nullability,\n"
     "e.g. existing_type=sa.String(length=120), existing_nullable=True (as models.py has them)."),
    ("Cannot add a NOT NULL column with default value NULL", NOT_NULL_WITHOUT_DEFAULT),
    ("contains null values", NOT_NULL_WITHOUT_DEFAULT),
    ("NOT NULL constraint failed", NOT_NULL_WITHOUT_DEFAULT),
    ("Constraint must have a name", NAMELESS_CONSTRAINT),
    ("No such constraint", NAMELESS_CONSTRAINT),
    ("UNIQUE constraint failed", DUPLICATE_VALUES),
    ("could not create unique index", DUPLICATE_VALUES),
    ("Duplicate entry", DUPLICATE_VALUES),
    ("FOREIGN KEY constraint failed", SUBQUERY_ADVICE),
    ("violates foreign key constraint", SUBQUERY_ADVICE),
    ("foreign key constraint fails", SUBQUERY_ADVICE),
    ("cannot run inside a transaction block",
     "It cannot run in Alembic's transaction: put it inside `with op.get_context().autocommit_block():`\n"
     "({lesson:indexes-and-foreign-keys})."),
    ("null bytes", NOT_TEXT),
    ("codec can't decode", NOT_TEXT),
    ("batch mode with dialect sqlite requires a live database",
     "SQLite rebuilds a table to change it, which needs a live database. Render the SQL for the database\n"
     "it is meant for: DATABASE_URL=postgresql+psycopg://localhost/hr flask db upgrade --sql"),
    ("'NoneType' object has no attribute",
     "With --sql nothing runs, so a query gives nothing back to read in Python. Let the database do the\n"
     "work in SQL, in op.execute(), and never read a value back into Python: the SQL itself looks up\n"
     "what it needs ({lesson:a-foreign-key-on-existing-data}'s subquery, {lesson:rename-without-downtime}'s batches)."),
]


def stopped(details: Stop) -> str:
    action = details.action
    reason = details.reason
    if reason == StopReason.TIME_LIMIT:
        return (f"{action} did not finish within {details.seconds} seconds, so the grader stopped it.\n"
                + _stalled_at(details) + "Look for a loop that never ends, or code that waits for input.")
    if reason == StopReason.CHANGED_FILES:
        return (f"While the grader ran {action}, your code changed {', '.join(map(code, details.files))}.\n"
                "A migration or app.py must not write migration or Python files: the grade stops here.")
    if reason == StopReason.DATABASE_HELD:
        return (f"After {action}, the grader could not read the database ({details.why}).\n"
                "Something your code started still holds it: a thread, a connection or a transaction. Close every\n"
                "connection you open, and let no thread run on, once a migration returns: the grade stops here.")
    if reason == StopReason.GARBAGE:
        return (f"During {action}, something wrote to the grader's own channel ({details.why}).\n"
                "Your code must not write to file descriptors it did not open: the grade stops here.")
    return (f"{action} ended the grading process (exit code {details.code}).\n"
            "Your code must not call os._exit() or end the process.")


def _stalled_at(details: Stop) -> str:
    """What the database showed of a migration stopped at the time limit, line by line."""
    lines = [f"Its last statement: {details.running}\n"] if details.running else []
    lines += [f"By then {code(f'{fill.table}.{fill.column}')} had a value in {fill.filled:,} of {fill.rows:,} rows.\n"
              for fill in details.filled]
    return "".join(lines)


def changed_outside(paths: Iterable[str]) -> str:
    return ("While it was being graded, your code changed files outside its scratch copy:\n"
            + "\n".join(f"  {path}" for path in paths) + "\n"
            "A grade cannot stand on that. Put them back (`git checkout` the course's files, or reinstall "
            "with `pipenv install --dev`), then grade again.")


# -- schemas ------------------------------------------------------------------------------

def schema_item(item: SchemaItem, expected_name: str) -> str:
    kind = item.kind
    if kind == SchemaKind.RENAMED_TABLE:
        return (f"has table {code(item.found)} where {expected_name} has {code(item.expected)}, "
                f"with the same columns: the rows are still in {code(item.found)}")
    if kind == SchemaKind.RENAMED_COLUMN:
        return (f"has column {code(f'{item.table}.{item.found}')} where {expected_name} has "
                f"{code(item.expected)}, of the same type: the values are still in {code(item.found)}")
    if kind == SchemaKind.MISSING_TABLE:
        return f"has no table {code(item.table)}"
    if kind == SchemaKind.EXTRA_TABLE:
        return f"has table {code(item.table)}, which {expected_name} does not"
    if kind == SchemaKind.MISSING_COLUMN:
        return f"has no column {code(f'{item.table}.{item.column}')}"
    if kind == SchemaKind.EXTRA_COLUMN:
        return f"has column {code(f'{item.table}.{item.column}')}, which {expected_name} does not"
    if kind == SchemaKind.NULLABLE:
        column = code(f"{item.table}.{item.column}")
        if item.nullable:
            return f"makes {column} NOT NULL; {expected_name} allows NULL"
        return f"allows NULL in {column}; {expected_name} says NOT NULL (nullable=False)"
    if kind == SchemaKind.TYPE:
        return (f"stores {code(f'{item.table}.{item.column}')} as {item.found}; "
                f"{expected_name} says {item.expected}")
    if kind == SchemaKind.SERVER_DEFAULT:
        column = code(f"{item.table}.{item.column}")
        found = f"server default {default_shown(item.found)}" if item.found else "no server default"
        expected = f"says {default_shown(item.expected)}" if item.expected else "has none"
        return f"gives {column} {found}; {expected_name} {expected}"
    if kind == SchemaKind.PRIMARY_KEY:
        return (f"has primary key ({', '.join(item.columns)}) on {code(item.table)}; "
                f"{expected_name} says ({', '.join(item.expected_columns)})")
    if kind == SchemaKind.RENAMED_CONSTRAINT:
        return (f"has {item.detail} {code(item.found)} on {item.table}({', '.join(item.columns)}) where "
                f"{expected_name} has {code(item.expected)}: the same {item.detail} under another name")
    if kind == SchemaKind.TABLE_RENAMED:
        return f"has table {code(item.found)}, renamed from {code(item.expected)}"
    if kind == SchemaKind.COLUMN_RENAMED:
        return f"has column {code(f'{item.table}.{item.found}')}, renamed from {code(item.expected)}"
    if kind == SchemaKind.OTHER:
        return f"differs in a way Alembic calls {item.detail!r}"
    if kind == SchemaKind.NOT_COMPARED:
        return f"could not be compared: {item.detail}"
    # A constraint or an index, missing or extra.
    state, what = kind.split("_", 1)
    label = f"{what.replace('_', ' ')} {code(item.name or 'without a name')} on {item.table}({', '.join(item.columns)})"
    return f"has no {label}" if state == "missing" else f"has {label}, which {expected_name} does not"


CAST_LITERAL = re.compile(r"^('(?:[^']|'')*')::[\w ]+$")


def default_shown(text: str) -> str:
    """A server default as models.py writes it: PostgreSQL's 'Associate'::character varying is 'Associate'."""
    return CAST_LITERAL.sub(r"\1", text)


def schema_items(items: Iterable[SchemaItem], expected_name: str) -> str:
    return "\n".join(f"  - {schema_item(item, expected_name)}" for item in items)


def state_reached(file: str) -> str:
    return f"reached by {file}"


def state_reached_together(later_step: int, file: str) -> str:
    return f"reached together with step {later_step:02d} by {file} (several steps in one migration is fine)"


NEVER_RENAMED = "No migration renames it yet. Write, in the migration of this step,"


def state_not_reached(step: course.Step, closest_file: str | None, items: Iterable[SchemaItem]) -> str:
    models = course.relative(step.models_path)
    text = f"Your migrations never reach the schema of step {step.label} ({models})."
    if closest_file:
        items = paired(items)
        text += f"\nThe closest is after {closest_file}, where the database\n{schema_items(items, 'the lesson')}"
        for item in items:
            if item.kind == SchemaKind.RENAMED_TABLE:
                text += "\n" + rename_table_advice(item.found, item.expected, NEVER_RENAMED)
            elif item.kind == SchemaKind.RENAMED_COLUMN:
                text += "\n" + rename_column_advice(item.table, item.found, item.expected, item.type,
                                                    item.nullable, NEVER_RENAMED)
            elif item.kind == SchemaKind.RENAMED_CONSTRAINT:
                text += "\n" + constraint_name_advice(item, closest_file)
    return text + f"\nFollow {course.relative(step.readme)}, then run `flask db upgrade`."


def constraint_name_advice(item: SchemaItem, file: str) -> str:
    """Why the name the course's naming convention gives matters, and where to write it."""
    return ("Migrations find a constraint by its name (a downgrade() drops it by name), so the course names\n"
            "every one with the naming convention of the lesson's models.py: the same name on every database,\n"
            "the one every later step expects. Use that convention in your models.py, and name it "
            f"{code(item.expected)}\n"
            f"in upgrade() and downgrade() of {file}\n(`flask db downgrade` first if your database has run it).")


# -- rows ---------------------------------------------------------------------------------

def rows(count: int) -> str:
    return f"{count} row" if count == 1 else f"{count} rows"


def sample_rows(count: int) -> str:
    """Rows the grader put in itself: a learner's own rows are never in its scratch database."""
    return f"the {rows(count)} the grader put in as samples" if count != 1 else "the row the grader put in as a sample"


def loss(item: Loss, file: str, direction: Direction) -> str:
    """One lost-data finding of `direction` ("upgrade" or "downgrade") in `file`."""
    doer = f"{direction}() of {file}"
    kind, table = item.kind, item.table
    if kind == LossKind.TABLE_LOST and item.replaced_by:
        old, new = (table, item.replaced_by) if direction == Direction.UPGRADE else (item.replaced_by, table)
        return (f"{doer} drops table {code(table)} and creates {code(item.replaced_by)} empty: "
                f"{sample_rows(item.rows)} are lost.\n" + rename_table_advice(old, new))
    if kind == LossKind.TABLE_LOST:
        return f"{doer} drops table {code(table)} and {sample_rows(item.rows)}."
    if kind == LossKind.COLUMN_LOST and item.replaced_by:
        old_column, new_column = (item.column, item.replaced_by) if direction == Direction.UPGRADE \
            else (item.replaced_by, item.column)
        return (f"{doer} drops column {code(f'{table}.{item.column}')} and adds "
                f"{code(item.replaced_by)} empty: the values of {sample_rows(item.rows)} are lost.\n"
                + rename_column_advice(table, old_column, new_column, item.type, item.nullable))
    if kind == LossKind.COLUMN_LOST:
        return (f"{doer} drops column {code(f'{table}.{item.column}')} and its values in "
                f"{sample_rows(item.rows)}.")
    if kind == LossKind.ROWS_LOST:
        assert item.of is not None  # a ROWS_LOST loss says how many rows there were
        return f"{doer} loses {item.rows} of {sample_rows(item.of)} in {code(table)}."
    if kind == LossKind.VALUES_CHANGED:
        return f"{doer} changes {code(f'{table}.{item.column}')} in {rows(item.rows)} of the grader's samples."
    return f"after {doer}, {code(table)} has {rows(item.rows)} it did not have before."  # ROWS_ADDED


AUTOGENERATE_BLIND = "Autogenerate cannot see a rename. Write"


def rename_table_advice(old: str | None, new: str | None, lead: str = AUTOGENERATE_BLIND) -> str:
    return (f"{lead}\n"
            f"    op.rename_table(\"{old}\", \"{new}\")         in upgrade()\n"
            f"    op.rename_table(\"{new}\", \"{old}\")         in downgrade()")


def existing(type_code: str | None, nullable: bool | None) -> str:
    """The arguments that tell MySQL what a column is while it is renamed (the other-databases lesson)."""
    if not type_code:
        return ""
    return f", existing_type={type_code}, existing_nullable={nullable}"


def rename_column_advice(table: str | None, old: str | None, new: str | None, type_code: str | None = None,
                         nullable: bool | None = True, lead: str = AUTOGENERATE_BLIND) -> str:
    keep = existing(type_code, nullable)
    return (f"{lead}\n"
            f"    op.alter_column(\"{table}\", \"{old}\", new_column_name=\"{new}\"{keep})    in upgrade()\n"
            f"    op.alter_column(\"{table}\", \"{new}\", new_column_name=\"{old}\"{keep})    in downgrade()\n"
            "(inside a batch block: batch_op.alter_column(...) with the same names).")


def rows_kept(files: list[str]) -> str:
    return f"every row survives {', '.join(files)}" if files else "no migration of this step to check"


def seed_refused(table: str, reason: str) -> str:
    return f"(the grader could not put sample rows in {code(table)}: {reason})"


# -- round trips --------------------------------------------------------------------------

def downgrade_not_undone(file: str, items: Iterable[SchemaItem]) -> str:
    return (f"downgrade() of {file} does not give back the schema from before its upgrade(); the database\n"
            f"{schema_items(items, 'the schema before')}\n"
            "downgrade() must undo exactly what upgrade() does, in reverse order.")


def reupgrade_differs(file: str, items: Iterable[SchemaItem]) -> str:
    return (f"after a downgrade, upgrade() of {file} builds a different schema than the first time; the database\n"
            f"{schema_items(items, 'the first upgrade')}")


def not_as_before(item: Loss, file: str, direction: Direction) -> str:
    """Rows that differ from the state before the migration ran: `item` is a Loss."""
    table = code(item.table)
    after = f"after {direction}() of {file},"
    if item.kind == LossKind.TABLE_LOST:
        return f"{after} table {table} is gone with its {rows(item.rows)}."
    if item.kind == LossKind.ROWS_LOST:
        assert item.of is not None  # a ROWS_LOST loss says how many rows there were
        return f"{after} {table} has {item.of - item.rows} of its {rows(item.of)} from before."
    if item.kind == LossKind.ROWS_ADDED:
        return f"{after} {table} has {rows(item.rows)} it did not have before."
    if item.kind == LossKind.COLUMN_LOST:
        return f"{after} column {code(f'{item.table}.{item.column}')} has lost its values in {rows(item.rows)}."
    return f"{after} {code(f'{item.table}.{item.column}')} differs in {rows(item.rows)} from before."


def later_rows_lost(item: Loss, file: str) -> str:
    """A downgrade that brings back the rows from before its upgrade, but not rows written after it."""
    table = code(item.table)
    if item.kind == LossKind.TABLE_LOST:
        lost = "they went with the table"
    elif item.kind == LossKind.ROWS_LOST:
        lost = f"{item.rows} of them are gone"
    elif item.kind == LossKind.COLUMN_LOST:
        lost = f"their values of {code(f'{item.table}.{item.column}')} are gone ({rows(item.rows)})"
    else:
        lost = f"their values of {code(f'{item.table}.{item.column}')} changed ({rows(item.rows)})"
    return (f"downgrade() of {file} brings back the rows from before its upgrade, but not the rows written after it.\n"
            f"The grader added rows to {table} before the downgrade, as the app would: {lost}.\n"
            "A downgrade must carry every row as it is when it runs, not put back what was there before the upgrade.")


def round_trip_ok(files: list[str]) -> str:
    if len(files) == 1:
        return f"{files[0]} downgrades and upgrades again with every row"
    return f"all {len(files)} migrations downgrade and upgrade again with every row"


# -- models.py ----------------------------------------------------------------------------

def models_match_head() -> str:
    return "models.py matches the database your migrations build (`flask db check` agrees)"


def models_match_before_head(file: str) -> str:
    return (f"models.py matches the revision before {file}: you downgraded one step. That is fine for "
            "this step;\n`flask db upgrade` takes you to head again (then put models.py back too).")


def models_differ(items: Iterable[SchemaItem]) -> str:
    items = paired(items)
    not_compared = next((item for item in items if item.kind == SchemaKind.NOT_COMPARED), None)
    if not_compared:
        return models_not_compared(not_compared.detail)
    renamed = [item for item in items if item.kind in (SchemaKind.RENAMED_TABLE, SchemaKind.RENAMED_COLUMN)]
    drift = [item for item in items if item.kind in (SchemaKind.NULLABLE, SchemaKind.TYPE, SchemaKind.SERVER_DEFAULT)]
    other = [item for item in items if item not in renamed and item not in drift]
    lines = ["models.py and the database your migrations build differ (what `flask db check` reports):"]
    lines += [f"  - {models_drift(item)}" for item in drift]
    if other:
        lines += ["compared with models.py, the database", schema_items(other, "models.py")]
    for item in renamed:
        lines.append(models_rename(item))
    if other:
        lines.append("Run `flask db migrate -m \"...\"` for a change you made in models.py, check the script, "
                     "then `flask db upgrade`.")
        dropped = [code(item.table if item.kind == SchemaKind.EXTRA_TABLE else f"{item.table}.{item.column}")
                   for item in other if item.kind in (SchemaKind.EXTRA_TABLE, SchemaKind.EXTRA_COLUMN)]
        if dropped:
            lines.append(f"That script would drop {', '.join(dropped)} and the data in it: if models.py lost it "
                         "by mistake,\nput it back in models.py instead.")
    elif drift and not renamed:
        lines.append("No data is at stake: put models.py back as your migrations have it, or run\n"
                     "`flask db migrate -m \"...\"` (it writes the op.alter_column() for it), read the script, "
                     "then `flask db upgrade`.")
    return "\n".join(lines)


def models_not_compared(why: str | None) -> str:
    """The comparison itself failed in the learner's process: no command can tell what differs yet."""
    return (f"models.py could not be compared with your migrations: {why}\n"
            "Fix that first: `flask db check` stops with the same error.")


def models_drift(item: SchemaItem) -> str:
    """A column that models.py and the migrations both have, differing only in nullability, type or
    server default."""
    column = code(f"{item.table}.{item.column}")
    if item.kind == SchemaKind.NULLABLE:
        said, built = ("nullable", "NOT NULL") if item.nullable else ("NOT NULL", "nullable")
        return f"{column} is {said} in models.py but {built} in your migrations (only that differs)"
    if item.kind == SchemaKind.SERVER_DEFAULT:
        said, built = (f"server default {default_shown(text)}" if text else "no server default"
                       for text in (item.expected, item.found))
        return f"{column} has {said} in models.py but {built} in your migrations (only that differs)"
    return f"{column} is {item.expected} in models.py but {item.found} in your migrations (only the type differs)"


def models_rename(item: SchemaItem) -> str:
    """What to do when models.py and the migrations name one table or column differently."""
    if item.kind == SchemaKind.RENAMED_TABLE:
        what, models_name, built = "table", item.expected, item.found
        keep_migrations = f"in models.py, set __tablename__ = \"{built}\""
        forward = rename_table_advice(built, models_name, lead="")[1:]
    else:
        what, models_name, built = "column", item.expected, item.found
        keep_migrations = f"in models.py, rename {code(models_name)} to {code(built)} (nothing else changes)"
        forward = rename_column_advice(item.table, built, models_name, item.type, item.nullable, lead="")[1:]
        models_name, built = f"{item.table}.{models_name}", f"{item.table}.{built}"
    return (f"models.py calls the {what} {code(models_name)}; your migrations call it {code(built)}: "
            "one of them misses a rename.\n"
            "Do not run `flask db migrate` for this: autogenerate cannot see a rename, so its script would drop\n"
            f"{code(built)} with its data and create {code(models_name)} empty. Settle it one of two ways:\n"
            f"  - your migrations are right: {keep_migrations};\n"
            f"  - models.py is right: `flask db revision -m \"rename\"`, and write in the new script\n{forward}")


# -- the checks a step asks for --------------------------------------------------------------

def no_server_default(files: list[str]) -> str:
    return (f"No column added by {', '.join(files)} has a server default, so a row added later without a\n"
            "value gets nothing from the database. Write server_default='...' on the column, in models.py and\n"
            "in the migration (keep it there too when an UPDATE fills the rows already in the table).")


def placeholder_values(item: FilledColumn, file: str, empty: list[tuple[Scalar, int]]) -> str:
    found = ", ".join(f"{value!r} in {rows(count)}" for value, count in empty)
    return (f"after upgrade() of {file}, the rows already in {code(item.table)} hold {found} in "
            f"{code(item.column)}:\na value that says nothing. Leave those rows to the server default "
            f"{item.default!r}, or give each row its own value in the UPDATE.")


def defaults_given(items: Iterable[FilledColumn]) -> str:
    return "; ".join(_filled_with(item) for item in items)


def _filled_with(item):
    values = [value for value, _ in item.values]
    shown = ", ".join(repr(value) for value in values[:3]) + (", …" if len(values) > 3 else "")
    default = f" (server default {item.default!r})" if item.default is not None else ""
    return f"existing rows got {item.table}.{item.column} = {shown}{default}"


def unnamed_constraints(file: str, items: Sequence[UnnamedConstraint]) -> str:
    lines = [f"  - the {item.what.replace('_', ' ')} constraint on {item.table}({', '.join(item.columns)}) "
             f"should be called {code(item.expected)}" for item in items]
    return (f"after {file}, the database holds constraints without a name:\n" + "\n".join(lines) + "\n"
            "Autogenerate matches them by columns, but without a name they can never be dropped.\n"
            "Let Alembic create them (op.create_foreign_key / op.create_unique_constraint, in a batch block\n"
            f"on SQLite) with the convention's name, e.g. batch_op.f('{items[0].expected}').")


def constraints_named() -> str:
    return "every constraint has the name the naming convention gives it"


def dangling(item: DanglingReference, file: str) -> str:
    values = ", ".join(map(str, item.values))
    return (f"after upgrade() of {file}, {rows(item.rows)} of {code(item.table)} have "
            f"{code(item.column)} = {values},\nbut {code(item.target)} has no such row. " + SUBQUERY_ADVICE)


def references_ok(files: list[str]) -> str:
    return f"after {', '.join(files)}, every foreign key value points at an existing row"


def formatted_sql(file: str, finding: SqlFinding) -> str:
    return (f"{file} line {finding.line} builds SQL with {finding.how}. A value with a quote in it breaks\n"
            "such SQL (that is how SQL injection happens). Bind the value instead:\n"
            "    sa.text(\"... WHERE name = :name\").bindparams(name=\"Unassigned\")")


def parameters_ok(files: list[str]) -> str:
    return f"{', '.join(files)} binds its values; no SQL is built from strings"


def offline_failed(offline: Offline) -> str:
    error = offline.error
    assert error is not None  # said of a chain that failed to render
    rendered = f"{offline.dialect} SQL" if offline.dialect else "the SQL"
    text = f"`flask db upgrade --sql` ({rendered}, as a DBA would review it) fails: {where(error)}{error.error}"
    return with_known_fix(text, error.error)


def offline_ok(dialect: str | None) -> str:
    return f"the whole chain renders as {dialect} SQL (`flask db upgrade --sql`)"


MERGE_COMMANDS = ("Join them with a merge revision: `flask db merge heads -m \"merge\"`, then "
                  "`flask db upgrade`\n({lesson:branches-and-merges}, {readme:branches-and-merges}).")


def merge_heads(files: Iterable[str]) -> str:
    return f"{', '.join(files)} are two heads, not joined yet. " + with_lessons(MERGE_COMMANDS)


def no_merge(files: list[str]) -> str:
    return (f"{', '.join(files)} follow one another: no merge revision joins two branches.\n"
            "If you changed your teammate's down_revision, put it back: never edit a migration others have\n"
            "applied. Then join the two heads with `flask db merge heads -m \"merge\"` and `flask db upgrade`.")


def merged(files: list[str]) -> str:
    return f"{', '.join(files)} joins the branches; both are applied"


def probe_not_run(file: str) -> str:
    return not_checked(f"the grader could not put the database back in the state before {file}.")


def nothing_to_interrupt(file: str, error: MigrationError | None) -> str:
    if error:
        return not_checked(f"{file} failed on its own before changing anything: {error.error}")
    return not_checked(f"{file} changes nothing in the database, so there is nothing to interrupt.")


def _leftovers(probe, expected_name):
    """What a failed migration left in the database, each to follow "the database …"."""
    named = {item.table for item in probe.schema}
    return ([schema_item(item, expected_name) for item in probe.schema]
            + [f"holds other rows in {code(table)}" for table in probe.changed_tables if table not in named])


def left_behind(probe: Probe) -> list[str]:
    """What a migration stopped after its first change left in the database, as lines."""
    lines = [f"  - the database {leftover}" for leftover in _leftovers(probe, "the revision before")]
    if probe.versions_before != probe.versions_after:
        lines.append(f"  - alembic_version changed from {', '.join(probe.versions_before) or 'nothing'} "
                     f"to {', '.join(probe.versions_after) or 'nothing'}")
    return lines


def half_applied(probe: Probe) -> str:
    """One line for a database a failed migration left half changed, and what to do."""
    found = "; ".join(_leftovers(probe, "that revision")) or "changed"
    return (f"half applied: the database {found}, but alembic_version says "
            f"{', '.join(probe.versions_after) or 'nothing'}: restore your backup")


def _interrupted(file, statement):
    first = statement.splitlines()[0]
    return f"The grader made {file} fail right after its first change ({first[:80]})"


def rolled_back(file: str, statement: str) -> str:
    return f"{_interrupted(file, statement)}: schema, rows and alembic_version were exactly as before."


def _raised_by_server(file, statement):
    first = statement.splitlines()[0]
    return f"The grader made {file} fail after its first schema change ({first[:80]}); PostgreSQL itself raised it"


def rolled_back_by_server(file: str, statement: str) -> str:
    return f"{_raised_by_server(file, statement)}: schema, rows and alembic_version were exactly as before."


def failure_never_raised(file: str) -> str:
    return (f"The grader's failure never happened: PostgreSQL was set to fail {file} after its first schema\n"
            "change, but never raised it, because the upgrade made no schema change there (it did when the grader\n"
            "climbed the chain), or stopped right after one. A failed migration is judged on what it did to the\n"
            "database, so let `flask db upgrade` run it through Alembic's connection, the same way every time.")


def failure_never_happened(file: str, statement: str) -> str:
    first = statement.splitlines()[0] if statement else "?"
    return (f"The grader's failure never happened: your app's process said {file} had failed right after its\n"
            f"first change ({first[:80]}), but nothing reached the database: SQLite made no journal and\n"
            "the file did not change. A failed migration is judged on what it did to the database, so let\n"
            "`flask db upgrade` run it through Alembic's connection, and leave SQLite's journal_mode as it is\n"
            "(MEMORY and OFF keep the journal off the disk).")


def half_changed(file: str, statement: str, lines: Iterable[str]) -> str:
    return (f"{_interrupted(file, statement)}, and the failure left the database half changed:\n"
            + "\n".join(lines) + "\n"
            "The next `flask db upgrade` would run the migration again on top of those leftovers.\n"
            "Python's sqlite3 opens no transaction before a CREATE, ALTER or DROP, so each commits at once\n"
            f"unless SQLAlchemy has begun one: add {lesson('when-a-migration-fails-halfway')}'s two event listeners "
            "to app.py\n"
            f"({lesson_readme('when-a-migration-fails-halfway')}).")


def half_changed_on_postgres(file: str, statement: str, lines: Iterable[str], raised_by_server: bool) -> str:
    interrupted = _raised_by_server(file, statement) if raised_by_server else _interrupted(file, statement)
    return (f"{interrupted}, and the failure left the database half changed:\n"
            + "\n".join(lines) + "\n"
            "The next `flask db upgrade` would run the migration again on top of those leftovers.\n"
            "PostgreSQL takes back a failed transaction's schema changes too, so something in the migration\n"
            "committed on its own (an `autocommit_block()`, a COMMIT, `op.get_bind().commit()`): keep all of\n"
            "it in the one transaction Alembic runs it in.")


def mysql_cannot_roll_back(file: str, statement: str, lines: Iterable[str]) -> str:
    return (f"{_interrupted(file, statement)}; on MySQL/MariaDB this stayed behind:\n"
            + "\n".join(lines) + "\n"
            "MySQL and MariaDB commit every CREATE, ALTER and DROP at once, and no setting changes that,\n"
            "so this is not held against you. There: keep migrations small and back up first.")


def fails_elsewhere(where: str, database: str, failed: tuple[FailedCheck, ...]) -> str:
    """The first check that fails on another database, in full; later ones mostly follow from it."""
    first = failed[0]
    lines = [f"On {where}, step {first.step:02d} {first.name} fails:"]
    lines += [f"  {line}" for line in first.message.splitlines()]
    if len(failed) > 1:
        lines.append(f"and {len(failed) - 1} more check{'s' if len(failed) > 2 else ''} after it. "
                     f"All of them: pipenv run grade --database {database}")
    return "\n".join(lines)


def passes_elsewhere(where: str, count: int) -> str:
    return f"every check of steps {course.steps()[0].label}-{count:02d} passes on {where} too"


def learner_database(found: LearnerDatabase | None) -> list[str]:
    """[a note] when the learner's own database is not what their migrations build, else []."""
    if not found or found.items == ():
        return []
    named = ", ".join(found.versions) or "no revision"
    if found.items is None:
        return [f"Your database instance/app.db is at {named}, which none of your migration files has.\n"
                f"Put the missing file back, or see {lesson('branches-and-merges')} for `flask db stamp`."]
    return [f"Your database instance/app.db is not what your migrations build at {named} (its alembic_version):\n"
            + schema_items(found.items, "that revision") + "\n"
            "A migration failed halfway, or one was changed after it ran. Put your backup back "
            f"({lesson('look-before-you-leap')}),\n"
            "or `pipenv run lesson start N` for a fresh database at the start of step N."]


# -- the learner's own database, as `lesson` saw it -------------------------------------------------

def evidence_not_here(step: course.Step) -> str:
    return (f"not seen by this grade: only `pipenv run lesson check {step.number}`, on the learner's machine, "
            "looks at their own database")


def evidence_given(step: course.Step) -> str:
    return f"done for you: `pipenv run lesson start` began a later step than {step.label}"


def revision_names(versions: Iterable[str]) -> str:
    return ", ".join(versions) if versions else "base (no revision)"


def went_down(below: Iterable[str], file: str, stopped: bool) -> str:
    text = (f"lesson saw your database at {revision_names(below)}, one revision below {file}, "
            "with every row seed.py put in")
    if stopped:
        text += "\nStopping here is fine for this step; `flask db upgrade` takes you to head again"
    return text


def went_down_losing(below: Iterable[str], missing: Iterable[str]) -> str:
    return (f"lesson saw your database at {revision_names(below)}, but without these rows of seed.py: "
            f"{', '.join(missing)}.\n"
            "A downgrade() that drops instead of renaming loses them. Fix it, `flask db upgrade`, `python seed.py`,\n"
            "then go down again.")


def not_seen_down(below: Iterable[str], step: course.Step) -> str:
    return (f"Not seen yet: lesson looks at your own database. Run `flask db downgrade`, then, while your\n"
            f"database is at {revision_names(below)}, `pipenv run lesson check {step.number}`.")


def not_seen_emptied(step: course.Step) -> str:
    return ("Not seen yet: back up instance/app.db, `flask db downgrade base`, then "
            f"`pipenv run lesson check {step.number}`\nwhile your database is empty "
            f"({course.relative(step.readme)}, \"Back up, and try the backup\").")


def not_seen_restored(step: course.Step) -> str:
    return ("lesson saw your database emptied by `flask db downgrade base`; put your backup back\n"
            f"(cp instance/app-before-upgrade.db instance/app.db), then `pipenv run lesson check {step.number}` again.")


def backup_worked() -> str:
    return "lesson saw your database emptied, then back at head with every row: your backup works"


def postgresql_seen() -> str:
    return "lesson saw your PostgreSQL at head with every row seed.py put in"


def not_seen_on_postgresql(step: course.Step, seen_behind: bool) -> str:
    text = ("lesson saw your PostgreSQL, but not at head with every row seed.py put in. " if seen_behind else
            "Not seen yet: lesson looks at the database DATABASE_URL names. ")
    return text + ("With your PostgreSQL running and DATABASE_URL exported,\n"
                   f"`flask db upgrade`, `python seed.py`, then `pipenv run lesson check {step.number}`.")


def never_seen_up(file: str, versions: tuple[str, ...] | None) -> str:
    where = f" (it is at {revision_names(versions)})" if versions is not None else ""
    return (f"lesson has not seen your own database at {file} yet, with every row seed.py put in{where}.\n"
            "Go up first: `flask db upgrade` (the step before this one), then `pipenv run lesson check`, "
            "then come down.")


def server_database_behind(file: str, database: str, versions: tuple[str, ...] | None) -> str:
    """The learner's own server database (Part 3's PostgreSQL) has not been seen at the step's state."""
    name = course.DATABASE_NAMES.get(database, database)
    where = (f"lesson last saw your {name} at {revision_names(versions)}" if versions is not None
             else f"lesson has not seen your {name} yet")
    return (f"Your migrations reach this step's schema ({file}), but {where}: it has not run them.\n"
            f"This step runs on {name}, not on instance/app.db: `pipenv run pg`, then "
            "`export DATABASE_URL=\"$(pipenv run pg url)\"`,\n`flask db upgrade`, and `pipenv run lesson check` "
            "while it runs.")


def models_compared_later(label: str) -> str:
    return f"models.py is compared with the step your newest work is on: step {label}"


def chain_stops_at(label: str) -> str:
    return f"the chain stops before this step's schema, at step {label}'s migration (see there)."


def offline_fails_later(offline: Offline, label: str) -> str:
    """The chain renders up to a later step's migration: that migration, not this step, is at fault."""
    error = offline.error
    assert error is not None  # said of a chain that failed to render
    return (f"your migrations up to this step render as {offline.dialect} SQL; a migration of step {label} "
            f"does not, and `flask db upgrade --sql` stops there: {where(error)}{error.error}")


def database_behind(file: str, versions: tuple[str, ...]) -> str:
    return (f"Your migrations reach this step's schema ({file}), but your own database is at "
            f"{revision_names(versions)}:\nit has not run them yet. Run `flask db upgrade`.")


def rows_gone(missing: Iterable[str], droppers: list[str]) -> str:
    text = f"Your database has lost rows that seed.py put in: {', '.join(missing)}."
    if droppers:
        text += f"\n{', '.join(droppers)} loses rows of those tables (see the checks above): fix that first."
    return text + ("\nTo get them back: `pipenv run lesson restore` (a backup), or `python seed.py` "
                   "(it puts in the sample rows that are missing).")


def not_checked(reason: str) -> str:
    return f"Not checked: {reason}"


def fix_step_first(label: str) -> str:
    return f"fix the problems shown under step {label} first."


# -- Part 3: migrations under live traffic (traffic.py) ------------------------------------

def postgresql_only() -> str:
    return "Part 3 runs on PostgreSQL: pipenv run grade --database postgresql"


def part3_on_postgresql(database: str) -> str:
    return (f"Your chain goes on into Part 3, whose migrations run on PostgreSQL only, so it was graded on "
            f"PostgreSQL instead of {database}. "
            f"Steps {course.steps()[0].label}-{course.step_by_key('other-databases').label} "
            f"on {database}: {lesson('other-databases')}'s checks run them there.")


def part3_left_out(database: str) -> str:
    return (f"Your chain goes on into Part 3, whose migrations run on PostgreSQL only: graded on {database} "
            f"without them, up to {lesson('other-databases')}. Part 3 itself: pipenv run grade --database postgresql")


def part3_needs_postgresql(problem: str) -> str:
    return (f"Your chain goes on into Part 3, whose migrations run on PostgreSQL only, and PostgreSQL could "
            f"not be started: {problem}")


def traffic_setting(run: TrafficRun) -> str:
    return (f"step {run.from_step:02d}'s app kept serving requests, with {run.seen.rows:,} rows in employees "
            f"and a request that writes to it and takes {run.seen.hold} s or more to commit")


def traffic_trouble(run: TrafficRun, file: str, set_local: bool = False) -> str:
    """`set_local`: the migration ran `SET LOCAL lock_timeout`, and requests still waited past the bound."""
    lines = [f"While {file} upgraded, {traffic_setting(run)}:"]
    seen = run.seen
    for error in seen.errors:
        counts = [f"{count} {when}" for count, when in ((error.during, "during the upgrade"),
                                                        (error.after, "after it")) if count]
        lines.append(f"  - requests failed ({', '.join(counts)}): {error.statement}\n"
                     f"    {error.error}")
        lines.append(f"    Safer: {safer_for_gap(error.error)}")
    for wait in seen.waits:
        if wait.seconds <= seen.bound:
            continue
        lines.append(f"  - {wait.count} request{'s' if wait.count > 1 else ''} waited up to "
                     f"{wait.seconds:.2f} s (the bound is {seen.bound} s) behind the migration's\n"
                     f"    {wait.statement}\n    {lock_told(wait)}")
        lines.append(f"    Safer: {safer_for_statement(wait.statement, wait.held is not None and not wait.granted)}")
    waited = any(wait.seconds > seen.bound for wait in seen.waits)
    if set_local and waited:
        lines.append(with_lessons(SET_LOCAL_OUTSIDE_A_TRANSACTION))
    return "\n".join(lines)


# What a lock mode keeps waiting, as PostgreSQL's table-level lock table has it.
BLOCKS = {"AccessExclusiveLock": "every read and write", "ExclusiveLock": "every write",
          "ShareRowExclusiveLock": "every write", "ShareLock": "every write"}


def lock_told(wait: LockWait) -> str:
    if wait.held is None:
        if wait.wanted.startswith("transactionid"):
            return "which has locked rows the requests update: they wait until the migration commits."
        return f"(a request wanted {wait.wanted})"
    blocked = BLOCKS.get(wait.held, "the requests that conflict with it")
    if wait.granted:
        return f"which holds {wait.held} on {wait.relation}: {blocked} on it waits until the migration commits."
    return (f"which waits for {wait.held} on {wait.relation} behind a request that has not committed;\n"
            f"    {blocked} on it queues behind the migration meanwhile.")


def safer_for_error(error: str) -> str:
    if "does not exist" in error:
        return ("the running app still uses what the migration took away. Expand, then contract: add the new "
                "column beside the old one and keep both in sync; drop the old one in a later step, once no "
                f"code reads it ({lesson('rename-without-downtime')}).")
    return ("a migration must leave a schema the running app can still use. The error above names what the app "
            "met: keep what it reads and writes in place, and give it what it needs, until no running code uses "
            "the old form; add before you drop, and drop in a later migration "
            f"({lesson('rename-without-downtime')}, {lesson('drop-the-old-column')}).")


# What to write instead, by the statement that made requests wait: the first pattern that matches.
SAFER_STATEMENTS = [
    ("RENAME", "a rename breaks the running app: add a new column, sync, backfill, then drop the old one "
               "later ({lesson:rename-without-downtime})."),
    ("CREATE INDEX", "CREATE INDEX CONCURRENTLY, inside `with op.get_context().autocommit_block():` "
                     "({lesson:indexes-and-foreign-keys})."),
    ("FOREIGN KEY", "add the foreign key NOT VALID (postgresql_not_valid=True), then VALIDATE CONSTRAINT "
                    "in its own transaction ({lesson:indexes-and-foreign-keys})."),
    ("SET NOT NULL", "a CHECK (... IS NOT NULL) NOT VALID, VALIDATE it, then SET NOT NULL: no scan "
                     "under the lock ({lesson:drop-the-old-column})."),
    ("UPDATE", "backfill in batches of 1000 rows, each its own transaction: a DO loop that COMMITs after each "
               "batch, inside `op.get_context().autocommit_block()` ({lesson:rename-without-downtime})."),
]
LOCK_TIMEOUT_ADVICE = ("set lock_timeout (say '100ms') before a schema change, so it gives up instead of "
                       "holding every request in the queue behind it, and try again "
                       "({lesson:rename-without-downtime}).")


# SET LOCAL lasts until the end of its transaction; in autocommit_block() that is the SET itself.
SET_LOCAL_OUTSIDE_A_TRANSACTION = (
    "  Your migration sets it with `SET LOCAL lock_timeout`, which lasts only to the end of its transaction:\n"
    "  inside `autocommit_block()` each statement is a transaction of its own, so it does nothing there\n"
    "  (PostgreSQL only warns: SET LOCAL can only be used in transaction blocks). Write `SET lock_timeout`,\n"
    "  and `RESET lock_timeout` at the end of the block ({lesson:rename-without-downtime}).")


def safer_for_statement(statement: str, queued: bool) -> str:
    """What to write instead; `queued`: the statement was waiting for its lock, not holding it."""
    upper = statement.upper()
    advice = next((advice for keyword, advice in SAFER_STATEMENTS if keyword in upper), None)
    if advice is None:
        return with_lessons(LOCK_TIMEOUT_ADVICE[0].upper() + LOCK_TIMEOUT_ADVICE[1:])
    return with_lessons(f"{advice} And {LOCK_TIMEOUT_ADVICE}" if queued else advice)


# What a statement does to every row of a table, in the learner's words (production.py's Work).
WORK_TOLD = {"scan": "reads every row", "validation": "checks every row against the new constraint",
             "index build": "builds an index from every row", "rewrite": "rewrites every row",
             "update": "updates every row in one statement"}
SAFER_WORK = {
    "rewrite": "a change that rewrites the table: add a new column instead, fill it in batches, and switch "
               "the code over ({lesson:rename-without-downtime}).",
    "scan": "do the reading under a lock that lets requests go on: a constraint added NOT VALID, then "
            "VALIDATE CONSTRAINT ({lesson:drop-the-old-column}).",
    "validation": "add the constraint NOT VALID, then VALIDATE CONSTRAINT, which reads the rows under a lock "
                  "that lets reads and writes go on ({lesson:indexes-and-foreign-keys}).",
}


# A lock is held until its transaction ends: work after the statement that took it is done under it.
COMMIT_FIRST = ("commit the statement that takes the lock before the work begins: inside "
                "`with op.get_context().autocommit_block():` each statement commits on its own "
                "({lesson:rename-without-downtime})")
VALIDATE_ALONE = ("; VALIDATE CONSTRAINT reads the rows under a lock that lets reads and writes go on only once "
                  "the constraint added NOT VALID has committed ({lesson:indexes-and-foreign-keys})")


def ran_unshown(statement: str, file: str) -> str:
    """A statement the server ran for a Part 3 migration that the learner's process did not show the grader."""
    return (f"{file}: PostgreSQL ran {code(statement[:200])} for this migration, but your app's process did not "
            "show it to the grader first,\nso it was never measured. The grader measures each statement of a Part 3 "
            "migration before it runs:\nsend every statement through Alembic's connection (op.execute, "
            "op.get_bind()), not around it.")


def held_in_production(held: "Held", file: str, production_rows: int) -> str:
    """A statement production.py refuses: the statement, the lock (and which statement took it), what
    grows, what it would take at production size, the safe way."""
    table = held.table
    work = WORK_TOLD[held.work.value]
    if table.updated_since:
        work = f"with the statements before it from\n    {table.updated_since}\n    on, updates every row"
    if table.locked_by:
        what = (f"runs while the {table.lock} on {table.table} that\n    {table.locked_by}\n    took earlier in "
                f"the same transaction is still held, and {work.removesuffix(' in one statement')} "
                f"({table.rows:,} here): a lock is held until the transaction commits.")
    elif held.work.value == "update":
        what = (f"{work.removesuffix(' in one statement')} of {table.table} ({table.rows:,} here) in one transaction:"
                " each stays locked until it commits.")
    else:
        what = f"holds {table.lock} on {table.table} while it {work} ({table.rows:,} here)."
    if table.locked_by or table.updated_since:
        ways = [COMMIT_FIRST + (VALIDATE_ALONE if "VALIDATE" in held.statement.statement.upper() else "")
                ] if table.locked_by else []
        ways += [SAFER_STATEMENTS[-1][1].removesuffix(".")] if table.updated_since else []
        safer = "; ".join(ways) + "."
    else:
        safer = next((advice for keyword, advice in SAFER_STATEMENTS if keyword in held.statement.statement.upper()),
                     SAFER_WORK.get(held.work.value, SAFER_STATEMENTS[-1][1] if held.work.value == "update"
                                    else SAFER_WORK["scan"]))
    return (f"{file}: the statement\n    {held.statement.statement}\n    {what}\n"
            f"    That work grows with the table, and {held.blocked} waits for it: at {production_rows:,} rows "
            f"about {held.seconds:.2g} s on an idle server, longer on a busy one, and more as the table grows.\n"
            "    Work on every row under a lock that stops requests is refused at any size, and lock_timeout and "
            "retries do not shorten it: lock_timeout bounds the wait for a lock, not the time it is held.\n"
            f"    Instead: {with_lessons(safer)}")


def gap_failed(gap: GapError, file: str) -> str:
    """A request of an app that fails between two statements of a migration."""
    if gap.before is None:
        where = "once the migration is done"
    elif gap.after is None:
        where = "before its first statement"
    else:
        where = f"after\n    {gap.after}\n    and before\n    {gap.before}"
    return (f"{file}: between two statements the database is what every running request meets. "
            f"Step {gap.app_step:02d}'s app\n"
            f"    fails to {gap.request} {where}:\n    {gap.error}\n"
            f"    Instead: {safer_for_gap(gap.error)}")


def safer_for_gap(error: str) -> str:
    if "violates not-null constraint" in error:
        return ("a NOT NULL column the running code does not write must be filled for it: keep the old and the "
                "new column in sync both ways while both exist, and make the old one nullable before the trigger "
                f"that fills it goes ({lesson('drop-the-old-column')}).")
    if "then reads" in error:
        return ("keep the two columns in sync both ways: a trigger that copies the old column to the new one "
                "when old code writes, and the new one to the old when new code writes "
                f"({lesson('rename-without-downtime')}).")
    if "rows have no" in error:
        return f"fill every row that exists, in batches ({lesson('rename-without-downtime')})."
    if "has no field" in error:
        return ("drop what reads a column (a trigger, its function) before the column, and the column only "
                f"once no running code uses it ({lesson('drop-the-old-column')}).")
    return safer_for_error(error)


def production_ok(statements: int, ran: int, running: int, deployed: int) -> str:
    return (f"Each of its {statements} statements measured ({ran} run by the grader itself): none keeps requests "
            f"waiting while it works on every row; between statements step {running:02d}'s app works, and step "
            f"{deployed:02d}'s once it is done")


def traffic_ok(runs: list[TrafficRun], files: list[str]) -> str:
    longest = max((wait.seconds for run in runs for wait in run.seen.waits), default=0)
    requests = sum(run.seen.requests for run in runs)
    p99 = max((run.seen.p99 or 0) for run in runs)
    return (f"{', '.join(files)}: {requests} requests of step {runs[0].from_step:02d}'s app, none failed; "
            f"the longest lock wait {longest:.2f} s, p99 {p99 * 1000:.0f} ms")


def squawk_advice(found: Iterable[tuple[str, Squawk]]) -> list[str]:
    """squawk's findings as advice: [lines]. What the traffic saw decides pass or fail."""
    lines = []
    for file, result in found:
        if result.configuration:
            refused = f"squawk: could not read server/.squawk.toml, so it gave no advice: {result.configuration}"
            if refused not in lines:
                lines.append(refused)
            continue
        if result.unavailable:
            lines.append(f"squawk: not run on {file}: {result.unavailable}")
            continue
        rules: dict[str, SquawkFinding] = {}
        for finding in result.findings:
            rules.setdefault(finding.rule, finding)
        for rule, finding in rules.items():
            lines.append(f"squawk, as advice ({file}): {rule}: {finding.message}")
    return lines


def squawk_config_refused(words: str) -> str:
    """squawk refused server/.squawk.toml (`words`: what it said) and linted nothing."""
    refused = re.search(r"invalid rule name (\S+)", words)
    what = (f"`{refused.group(1)}` is not the name of one of its rules" if refused
            else "it is not the TOML squawk reads")
    fix = ("Correct the name: squawkhq.com/docs/rules lists every rule" if refused
           else 'Write it as `excluded_rules = ["rule-name", ...]`, each rule with its reason')
    return (f"squawk refuses server/.squawk.toml: {what}, and lints nothing until it can read it.\n"
            f"    squawk says: Configuration error: {words}\n"
            f"{fix} ({lesson('lint-in-review')}).")


def squawk_unavailable(file: str, reason: str) -> str:
    return f"squawk did not run on {file}: {reason}. Without it this check cannot pass."


# How a reason is written, shown to a learner whose .squawk.toml silences a rule without one.
REASON_EXAMPLE = """    excluded_rules = [
        # The contract phase drops only what no running code uses any more.
        "ban-drop-column",
        "prefer-text-field",  # our VARCHAR lengths are the app's own limits
    ]"""


def reasons_missing(rules: Collection[str]) -> str:
    """Rules server/.squawk.toml silences with no reason next to them."""
    named = ", ".join(rules)
    return (f"server/.squawk.toml silences {len(rules)} rule{'s' if len(rules) > 1 else ''} without a reason: "
            f"{named}.\nWrite why as a # comment on the line just above the rule or at the end of its line; "
            f"rules on the lines right under one comment share it ({lesson('lint-in-review')}):\n{REASON_EXAMPLE}")


def lint_unanswered(findings: list[tuple[str, SquawkFinding]]) -> str:
    """[(file, finding)] squawk still reports: by rule, with where it first appears."""
    rules: dict[str, list[tuple[str, SquawkFinding]]] = {}
    for file, finding in findings:
        rules.setdefault(finding.rule, []).append((file, finding))
    lines = [f"squawk still has {len(findings)} finding{'s' if len(findings) > 1 else ''} on your Part 3 migrations:"]
    for rule, found in rules.items():
        file, first = found[0]
        lines.append(f"  - {rule} ({len(found)}x), first in {file}: {first.message}\n    {first.statement}")
    if any(finding.rule == "unused-ignore" and finding.message.endswith(";") for _, finding in findings):
        lines.append(with_lessons(IGNORE_WITH_SEMICOLON))
    lines.append("Fix the migration, or, once you have decided a rule does not apply to this app, add it to\n"
                 f"excluded_rules in server/.squawk.toml with a comment saying why ({lesson('lint-in-review')}).")
    return "\n".join(lines)


# squawk's "unknown name RULE;": an ignore comment written as op.execute("-- squawk-ignore RULE").
IGNORE_WITH_SEMICOLON = (
    "`--sql` ends every op.execute() with `;`, and squawk reads it as part of the rule's name: end the\n"
    "comment with its reason after a second `--` (`-- squawk-ignore RULE -- why`), and write the\n"
    "comment in the same op.execute() as the statement it answers ({lesson:lint-in-review}).")


def lint_clean(files: list[str]) -> str:
    return f"squawk finds nothing unanswered in {len(files)} Part 3 migration{'s' if len(files) > 1 else ''}"


def database_file_put_back(before: "Counters", after: "Counters | None") -> str:
    """The SQLite file's own counters went back during a command (sqlite_header.py)."""
    if after is None:
        now = "the file is gone"
    elif after.schema_version < before.schema_version:
        now = f"its schema version went back from {before.schema_version} to {after.schema_version}"
    else:
        now = f"its change counter went back from {before.changes} to {after.changes}"
    return (f"the database file was replaced, not migrated: {now}. A migration changes the database through "
            "Alembic's connection (op.* or op.execute), never by copying or deleting its file")

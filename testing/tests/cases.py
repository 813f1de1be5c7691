"""The cases whose grades are recorded (recorded.py), by group."""
import shutil
from pathlib import Path

from testing import author, course
from testing.build import build_state
from testing.grader.checks import other_databases_of

from .corpus import CORPUS, models_of
from .recorded import Case

PART3 = [step.number for step in course.steps() if step.database == "postgresql"]
PART3_SUBMISSIONS = [mistake for mistake in author.all_mistakes() if mistake.start in PART3]


def end_state(step):
    """The course's own end state of `step`: its server folder, built by `build_state`."""
    return lambda folder: build_state(step, folder / "server")


def edited(name, step, change, up_to=None, database="sqlite"):
    """Step `step`'s end state, changed by `change(server)` as a learner would."""
    def build(folder):
        server = build_state(step, folder / "server")
        change(server)
        return server

    return Case(name, build, up_to, database)


CORPUS_CASES = [edited(submission.name, submission.start, submission.work, submission.up_to, database)
                for database in ("sqlite", "postgresql") for submission in CORPUS]

# The facts of step 12's end state, every step graded: judged again with each kind of evidence.
EVIDENCE_CASE = Case("end state of step 12", end_state(12))

PART3_REFERENCE = Case("end state of the course", end_state(PART3[-1]), database="postgresql")
PART3_START = Case("start of Part 3", end_state(PART3[0] - 1), PART3[-1], "postgresql")
LINT_START = Case("start of the lint step", end_state(PART3[-1] - 1), PART3[-1], "postgresql")
PART3_ON_SQLITE = Case("Part 3 chain graded on SQLite", end_state(PART3[0]), PART3[0])
BEFORE_PART3_WITH_ITS_FILES = Case("graded up to step 12 with Part 3's files", end_state(PART3[1]), PART3[0] - 1)


# -- test_grader.py: references, starting states and mistakes, on every database ------------------

STEPS = [step.number for step in course.steps() if step.database is None]
# A step that grades the chain on the other databases too (step 12) is graded from SQLite only:
# from there it already runs on all three.
GRADES_EVERY_DATABASE = [step.number for step in course.steps()
                         if other_databases_of(step)]
BEFORE_OTHER_DATABASES = GRADES_EVERY_DATABASE[0] - 1
SERVERS = ("postgresql", "mysql")


def reference(step, database="sqlite"):
    return Case(f"end state of step {step:02d}", end_state(step), step, database)


def starting_state(step, database="sqlite"):
    return Case(f"start of step {step:02d}", end_state(step - 1), step, database)


def with_mistake(mistake, database=None, up_to=None):
    """The mistake made in its step's end state, graded up to the step it fails (or `up_to`). On
    SQLite with a time limit of 8 s: a migration that never ends is stopped then, while importing
    app.py still ends well within it on a loaded machine (at a load of 7, 3 s was not enough)."""
    database = database or mistake.database
    return Case(mistake.name, lambda folder: mistake.build(folder / "server"), up_to or mistake.step, database,
                time_limit=8 if database == "sqlite" else 20)


def on_later_state(mistake, step):
    """The mistake made in a later step's end state (step 12's, for the chain on other databases)."""
    return edited(f"{mistake.name}, at step {step:02d}", step, mistake.apply, step)


STEPS_THAT_CHANGE_FILES = [step.number for step in course.steps() if step.changes_files and step.database is None]
MISTAKES = author.all_mistakes("sqlite")
# The mistakes that lose rows; the others' messages quote each database's own error text.
RENAME_MISTAKES = [mistake for mistake in MISTAKES if mistake.name in (
    "table rename as create + drop", "column rename as batch add + drop", "column rename as plain add + drop",
    "downgrade is pass", "downgrade does not reverse the rename")]
# Mistakes that pass on SQLite and show on a server database only (Part 3's: test_traffic.py).
ELSEWHERE = [mistake for mistake in author.all_mistakes()
             if mistake.database != "sqlite" and course.step(mistake.start).database is None]
# Mistakes of SQLite's that every server database must explain too.
ON_SERVERS_TOO = [author.mistake(name) for name in (
    "a NOT NULL column without a server default", "one server default for a unique column")]

REFERENCES = [reference(step) for step in STEPS] + [reference(BEFORE_OTHER_DATABASES, database)
                                                    for database in SERVERS]
STARTING_STATES = [starting_state(step) for step in STEPS_THAT_CHANGE_FILES] + [
    starting_state(step, database) for database in SERVERS for step in (3, 8)]
MISTAKE_CASES = (
    [with_mistake(mistake) for mistake in MISTAKES]
    + [with_mistake(mistake, database) for mistake in RENAME_MISTAKES + ON_SERVERS_TOO for database in SERVERS]
    + [with_mistake(mistake, database, mistake.start) for mistake in ELSEWHERE
       for database in ("sqlite", mistake.database)]
    + [with_mistake(author.mistake("sqlite3's own transactions"), "mysql")]
    + [on_later_state(author.mistake(name), GRADES_EVERY_DATABASE[0])
       for name in ("a rename without existing_type", "SQL only SQLite knows")]
)


def both_renames_in_step_03s_migration(server):
    author.with_functions(server, 3, BOTH_RENAMES)
    author.migration_of(server, 4).unlink()


BOTH_RENAMES = '''def upgrade():
    op.rename_table('department', 'departments')
    op.alter_column('departments', 'address', new_column_name='location')


def downgrade():
    op.alter_column('departments', 'location', new_column_name='address')
    op.rename_table('departments', 'department')
'''


def departments_created_at_once(server):
    """Creating `departments` straight away skips step 02's `department`."""
    author.migration_of(server, 3).unlink()
    author.migration_of(server, 4).unlink()
    step2 = author.migration_of(server, 2)
    author.edit(step2, "op.create_table('department',", "op.create_table('departments',")
    author.edit(step2, "sa.Column('address'", "sa.Column('location'")
    author.edit(step2, "op.drop_table('department')", "op.drop_table('departments')")


BRANCH = '''"""{message}"""
revision = '{revision}'
down_revision = {parents}
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
'''


def branch_joined_by_a_merge(server):
    """A teammate's migration from the same parent as step 02's, joined by a merge revision."""
    versions = server / "migrations" / "versions"
    (versions / "f1e2d3c4b5a6_teammate_adds_nothing.py").write_text(BRANCH.format(
        revision="f1e2d3c4b5a6", parents="'b1f3c2a9d401'", message="teammate adds nothing"))
    (versions / "a9b8c7d6e5f4_merge.py").write_text(BRANCH.format(
        revision="a9b8c7d6e5f4", parents="('c2d4e6f8a002', 'f1e2d3c4b5a6')", message="merge"))
    author.edit(author.migration_of(server, 3), "down_revision = 'c2d4e6f8a002'", "down_revision = 'a9b8c7d6e5f4'")


STEP_06 = course.step(6)
THE_OTHER_WAY = (STEP_06.tries_dir / "the_other_way.py").read_text()
# The grader's sample salaries are all below 100000: the rows get the ELSE value, not the default.
THE_OTHER_WAY_STAFF = THE_OTHER_WAY.replace("ELSE 'Associate'", "ELSE 'Staff'")


def only_the_begin_listener(server):
    app = server / "app.py"
    text = app.read_text()
    start, end = text.index('@event.listens_for(Engine, "connect")'), text.index('@event.listens_for(Engine, "begin")')
    app.write_text(text[:start] + text[end:])


STOP_AFTER_THE_DOWNGRADE = edited("models.py of step 03 at step 05", 5, lambda server: models_of(server, 3), 5)
MODELS_ONE_BEHIND = edited("models.py of step 03 at step 04", 4, lambda server: models_of(server, 3), 4)
MODELS_ONE_BEHIND_EVERY_STEP = edited("models.py of step 02 at step 03, every step graded", 3,
                                      lambda server: models_of(server, 2))
BOTH_RENAMES_IN_ONE = edited("steps 03 and 04 in one migration", 4, both_renames_in_step_03s_migration, 4)
STEP_02_SKIPPED = edited("departments created at once", 4, departments_created_at_once, 4)
NOTHING_DONE = Case("the starter, nothing done", end_state(0), 1)
BRANCH_AND_MERGE = edited("a branch joined by a merge", 3, branch_joined_by_a_merge, 3)


def the_other_way(server):
    author.with_functions(server, 6, THE_OTHER_WAY_STAFF)


OTHER_WAY = {database: edited("step 06 the other way", 11, the_other_way, 11, database)
             for database in ("sqlite", "postgresql")}
BEGIN_LISTENER_ALONE = edited("only the begin listener", 11, only_the_begin_listener, 11)

PART3_MISTAKES = {mistake.name: with_mistake(mistake) for mistake in PART3_SUBMISSIONS}

# Part 3 as learners write it in other forms, right and wrong (part3_forms/): a form replaces the
# upgrade() and downgrade() of its step's migration, and may add a migration after it or change
# server/.squawk.toml.
PART3_FORMS_DIR = Path(__file__).parent / "part3_forms"


def form_of(step, functions=None, revision=None, change=None):
    """`change(server)` after the form's files: a learner's edits elsewhere."""
    def build(server):
        if functions:
            author.with_functions(server, step, (PART3_FORMS_DIR / functions).read_text())
        if revision:
            shutil.copyfile(PART3_FORMS_DIR / revision, server / "migrations" / "versions" / revision)
        if change:
            change(server)
    return build


def form(name, step, functions=None, revision=None, change=None):
    return edited(name, step, form_of(step, functions, revision, change), step, "postgresql")


def squawk_toml(name):
    return lambda server: shutil.copyfile(PART3_FORMS_DIR / name, server / ".squawk.toml")


# Each Part 3 migration answers its own findings with one ignore-file comment, its reason after "--".
IGNORE_FILE = {
    13: "require-statement-timeout, prefer-robust-stmts, prefer-text-field -- the expand phase: each change "
        "commits alone under lock_timeout and is retried, and VARCHAR(80) is the app's own limit",
    14: "require-statement-timeout, prefer-robust-stmts, ban-drop-constraint, ban-drop-not-null, ban-drop-function, "
        "ban-drop-column -- the contract phase: it drops what no running code uses, each change retried",
    15: "require-statement-timeout, prefer-robust-stmts, prefer-bigint-over-int -- manager_id matches the INTEGER id "
        "it points at; each change commits alone and is retried",
}


def ignore_file_comments(server):
    (server / ".squawk.toml").unlink()
    for step, answer in IGNORE_FILE.items():
        author.edit(author.migration_of(server, step), "def upgrade():\n",
                    f'def upgrade():\n    op.execute("-- squawk-ignore-file {answer}")\n')


def drops_answered_where_they_are(server):
    """The general rules in .squawk.toml; each drop of step 14 answered by a comment just above it."""
    squawk_toml("step16_general_rules_only.squawk.toml")(server)
    contract = author.migration_of(server, 14)
    reason = {"ban-drop-constraint": "the CHECK only stood in for the NOT NULL it proved",
              "ban-drop-not-null": "step 13's app never writes name, so it must take NULL",
              "ban-drop-function": "the trigger that called it is gone",
              "ban-drop-column": "no running code reads name since step 13"}
    author.edit(contract, '"ALTER TABLE employees DROP CONSTRAINT ck_employees_full_name_not_null"',
                f'"-- squawk-ignore ban-drop-constraint -- {reason["ban-drop-constraint"]}\\n"\n'
                '                  "ALTER TABLE employees DROP CONSTRAINT ck_employees_full_name_not_null"')
    author.edit(contract,
                "        with_retries(lambda: op.alter_column('employees', 'name', "
                "existing_type=sa.String(length=80), nullable=True))\n"
                "        with_retries(lambda: op.execute(\"DROP TRIGGER",
                '        with_retries(lambda: op.execute("-- squawk-ignore ban-drop-not-null -- '
                f'{reason["ban-drop-not-null"]}\\n"\n'
                '                                        "ALTER TABLE employees ALTER COLUMN name DROP NOT NULL"))\n'
                '        with_retries(lambda: op.execute("DROP TRIGGER')
    author.edit(contract,
                '        op.execute("DROP FUNCTION employees_sync_full_name()")\n'
                '        with_retries(lambda: op.drop_column',
                f'        op.execute("-- squawk-ignore ban-drop-function -- {reason["ban-drop-function"]}\\n"\n'
                '                   "DROP FUNCTION employees_sync_full_name()")\n'
                '        with_retries(lambda: op.drop_column')
    author.edit(contract, "        with_retries(lambda: op.drop_column('employees', 'name'))",
                '        with_retries(lambda: op.execute("-- squawk-ignore ban-drop-column -- '
                f'{reason["ban-drop-column"]}\\n"\n'
                '                                        "ALTER TABLE employees DROP COLUMN name"))')


RANGE_WALK_STUCK = form("step 13 with a range walk that never moves on", 13, "step13_range_walk_that_never_moves.py")
# A backfill in a migration of its own is the work of the step whose schema it keeps.
BACKFILL_REVISION = form("step 13: the backfill in a migration of its own", 13, "step13_expand_without_backfill.py",
                         "step13_backfill_revision.py")
# Right: each passes every step it is graded on.
PART3_RIGHT_FORMS = [
    # The filler's ids are dense, with one gap, as a table's are: walking them from min(id) to max(id)
    # 1000 at a time takes a few dozen batches, not a million empty ones.
    form("step 13 with a range-walk backfill", 13, "step13_range_walk_backfill.py"),
    form("step 13: keyset batches in Python", 13, "step13_keyset_in_python.py"),
    form("step 13: a range walk of op.execute() with bound parameters", 13, "step13_range_walk_with_op_execute.py"),
    form("step 13: batches until none is left", 13, "step13_until_none_left.py"),
    form("step 13: the backfill as a procedure, CALLed", 13, "step13_procedure.py"),
    form("step 13: a trigger for each direction", 13, "step13_two_triggers.py"),
    form("step 13: four triggers with WHEN clauses", 13, "step13_triggers_with_when.py"),
    form("step 13: raw SQL that can run again", 13, "step13_raw_sql.py"),
    form("step 13: the column added in a batch_alter_table block", 13, "step13_batch_alter_table.py"),
    form("step 13: a FOR loop over generate_series", 13, "step13_generate_series_loop.py"),
    form("step 13: lock_timeout in a context manager", 13, "step13_lock_timeout_context.py"),
    BACKFILL_REVISION,
    form("step 14: the CHECK with op.create_check_constraint", 14, "step14_op_helpers.py"),
    form("step 14: NOT NULL NOT VALID, then VALIDATE (PostgreSQL 18)", 14, "step14_not_null_not_valid.py"),
    form("step 14: raw SQL, the trigger dropped with its function", 14, "step14_raw_sql_function_cascade.py"),
    form("step 14: name given a default instead of NULL", 14, "step14_name_gets_a_default.py"),
    form("step 14: the column changes in batch_alter_table blocks", 14, "step14_batch_alter_table.py"),
    form("step 14: name dropped in a migration of its own", 14, "step14_contract_in_two_revisions.py",
         "step14_drop_name_revision.py"),
    form("step 15: raw SQL with IF NOT EXISTS", 15, "step15_raw_sql.py"),
    form("step 15: the index first, then the foreign key", 15, "step15_index_first.py"),
    form("step 15: the foreign key in a migration of its own", 15, "step15_foreign_key_later.py",
         "step15_foreign_key_revision.py"),
    form("step 15: a leftover invalid index dropped first", 15, "step15_invalid_index_dropped_first.py"),
    # The foreign key before its index: deleting rows of employees checks manager_id by a scan each.
    form("step 15: the foreign key NOT VALID first, validated and indexed in the next migration", 15,
         "step15_foreign_key_not_valid_first.py", "step15_validated_and_indexed_next.py"),
    form("step 16: reasons at the end of each line", 16, change=squawk_toml("step16_reasons_at_line_end.squawk.toml")),
    form("step 16: an ignore-file comment in each migration", 16, change=ignore_file_comments),
    form("step 16: drops answered where they are", 16, change=drops_answered_where_they_are),
]
# Wrong in a form of the learner's own; the wrong forms worth a lesson are author/step.toml mistakes.
# A lock taken early in Alembic's one transaction is held until it commits: through every statement after it.
BATCHES_IN_ONE_TRANSACTION = form("step 13: batches from Python, all in Alembic's transaction", 13,
                                  "step13_batches_in_one_transaction.py")
VALIDATED_IN_THE_SAME_TRANSACTION = form("step 15: NOT VALID, then VALIDATE in the same transaction", 15,
                                         "step15_validated_in_the_same_transaction.py")
# A data migration is its step's work: graded up to that step, its backfill is judged too.
BACKFILL_REVISION_IN_ONE_UPDATE = form("step 13: the backfill in a migration of its own, in one UPDATE", 13,
                                       "step13_expand_without_backfill.py",
                                       "step13_backfill_revision_in_one_update.py")
PART3_WRONG_FORMS = [RANGE_WALK_STUCK, BATCHES_IN_ONE_TRANSACTION, VALIDATED_IN_THE_SAME_TRANSACTION,
                     BACKFILL_REVISION_IN_ONE_UPDATE]
# What each fails with at its step, in "the running app keeps working" (the range walk: test_traffic.py).
WRONG_FORM_MESSAGES = {
    BATCHES_IN_ONE_TRANSACTION.name:
        "    runs while the AccessExclusiveLock on employees that\n"
        "    ALTER TABLE employees ADD COLUMN full_name VARCHAR(80)\n"
        "    took earlier in the same transaction is still held, and with the statements before it from\n"
        "    UPDATE employees SET full_name = name WHERE id > %(last)s AND id <= %(end)s\n"
        "    on, updates every row (20,003 here): a lock is held until the transaction commits.",
    VALIDATED_IN_THE_SAME_TRANSACTION.name:
        "    ALTER TABLE employees VALIDATE CONSTRAINT fk_employees_manager_id_employees\n"
        "    runs while the ShareRowExclusiveLock on employees that\n"
        "    ALTER TABLE employees ADD CONSTRAINT fk_employees_manager_id_employees FOREIGN KEY(manager_id) "
        "REFERENCES employees (id) NOT VALID\n"
        "    took earlier in the same transaction is still held, and checks every row against the new constraint",
    BACKFILL_REVISION_IN_ONE_UPDATE.name:
        "step13_backfill_revision_in_one_update.py: the statement\n"
        "    UPDATE employees SET full_name = name WHERE full_name IS NULL\n"
        "    updates every row of employees (20,003 here) in one transaction: each stays locked until it commits.",
}

GROUPS = {
    "corpus": CORPUS_CASES,
    "evidence": [EVIDENCE_CASE],
    "part3": [PART3_REFERENCE, PART3_START, LINT_START, PART3_ON_SQLITE, BEFORE_PART3_WITH_ITS_FILES,
              *PART3_MISTAKES.values(), *PART3_RIGHT_FORMS, *PART3_WRONG_FORMS],
    "grader": [*REFERENCES, *STARTING_STATES, *MISTAKE_CASES, STOP_AFTER_THE_DOWNGRADE, MODELS_ONE_BEHIND,
               MODELS_ONE_BEHIND_EVERY_STEP, BOTH_RENAMES_IN_ONE, STEP_02_SKIPPED, NOTHING_DONE, BRANCH_AND_MERGE,
               *OTHER_WAY.values(), BEGIN_LISTENER_ALONE],
}

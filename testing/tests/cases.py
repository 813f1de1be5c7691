"""The cases whose grades are recorded (recorded.py), by group."""
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
    SQLite with a time limit of 3 s: a migration that never ends is stopped then."""
    database = database or mistake.database
    return Case(mistake.name, lambda folder: mistake.build(folder / "server"), up_to or mistake.step, database,
                time_limit=3 if database == "sqlite" else 20)


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

# Step 13 as learners write it in other forms (their upgrade() and downgrade(): part3_forms/).
PART3_FORMS_DIR = Path(__file__).parent / "part3_forms"


def step_13_with(form):
    return lambda server: author.with_functions(server, PART3[0], (PART3_FORMS_DIR / form).read_text())


RANGE_WALK = edited("step 13 with a range-walk backfill", PART3[0], step_13_with("range_walk_backfill.py"),
                    PART3[0], "postgresql")
RANGE_WALK_STUCK = edited("step 13 with a range walk that never moves on", PART3[0],
                          step_13_with("range_walk_that_never_moves.py"), PART3[0], "postgresql")

GROUPS = {
    "corpus": CORPUS_CASES,
    "evidence": [EVIDENCE_CASE],
    "part3": [PART3_REFERENCE, PART3_START, LINT_START, PART3_ON_SQLITE, BEFORE_PART3_WITH_ITS_FILES,
              *PART3_MISTAKES.values(), RANGE_WALK, RANGE_WALK_STUCK],
    "grader": [*REFERENCES, *STARTING_STATES, *MISTAKE_CASES, STOP_AFTER_THE_DOWNGRADE, MODELS_ONE_BEHIND,
               MODELS_ONE_BEHIND_EVERY_STEP, BOTH_RENAMES_IN_ONE, STEP_02_SKIPPED, NOTHING_DONE, BRANCH_AND_MERGE,
               *OTHER_WAY.values(), BEGIN_LISTENER_ALONE],
}

"""The grader passes every reference state, and fails starting states and wrong submissions
with the message a learner needs."""
import pytest

from testing import author, course
from testing.author import edit, migration_of, with_functions
from testing.build import build_state
from .servers import SERVER_FIXTURES, start_servers_for_other_databases
from testing import grader
from testing.grader import grade, judge, mariadb
from testing.grader.databases import MYSQL_URL_VARIABLE

# Part 3's steps run on PostgreSQL only, under live traffic: testing/tests/test_traffic.py.
STEPS = [step.number for step in course.steps() if step.database is None]
# The realistic mistakes of the steps' author/step.toml that show on SQLite.
WRONG_SUBMISSIONS = author.all_mistakes("sqlite")


def failing(report, step, check_name):
    result = report.steps[step - 1]
    return next(check for check in result.checks if check.name == check_name)


def assert_reference_passes(step, database, tmp_path):
    report = grade(build_state(step, tmp_path / "server"), up_to_step=step, database=database)
    assert report.passed, [c.message for s in report.steps for c in s.checks if not c.passed]
    assert [s.step for s in report.steps] == list(range(1, step + 1))


# A step that grades the chain on the other databases too (step 12) is graded from SQLite only:
# from there it already runs on all three.
GRADES_EVERY_DATABASE = [step.number for step in course.steps()
                         if any(name in judge.OTHER_DATABASES for name in step.checks)]


@pytest.mark.parametrize("step", [step for step in STEPS if step not in GRADES_EVERY_DATABASE])
def test_reference_end_state_passes_every_step_so_far(step, tmp_path):
    assert_reference_passes(step, "sqlite", tmp_path)


def test_reference_end_state_passes_every_step_on_servers(server_database, tmp_path):
    """On PostgreSQL and MariaDB, the end state before step 12 (which grades on them itself):
    every check of every earlier step, in one grade."""
    assert_reference_passes(GRADES_EVERY_DATABASE[0] - 1, server_database, tmp_path)


@pytest.mark.parametrize("step", GRADES_EVERY_DATABASE)
def test_reference_end_state_passes_on_every_database(step, tmp_path, request):
    start_servers_for_other_databases(step, request)
    assert_reference_passes(step, "sqlite", tmp_path)


# Part 3's starting states are graded under traffic (test_traffic.py). The messages do not depend on
# the database: the servers check a table rename and a foreign key.
STEPS_THAT_CHANGE_FILES = [step.number for step in course.steps() if step.changes_files and step.database is None]
STARTING_STATES = [("sqlite", step) for step in STEPS_THAT_CHANGE_FILES] + [
    (database, step) for database in ("postgresql", "mysql") for step in (3, 8)]


@pytest.mark.parametrize("database, step", STARTING_STATES)
def test_starting_state_fails_its_step(database, step, tmp_path, request):
    if database in SERVER_FIXTURES:
        request.getfixturevalue(SERVER_FIXTURES[database])
    report = grade(build_state(step - 1, tmp_path / "server"), up_to_step=step, database=database)
    starting = author.starting_state(course.step(step))
    assert not report.steps[step - 1].passed
    assert starting.message in failing(report, step, starting.check).message
    assert all(result.passed for result in report.steps[: step - 1])


@pytest.mark.parametrize("submission", WRONG_SUBMISSIONS, ids=[s.name for s in WRONG_SUBMISSIONS])
def test_wrong_submission_fails_with_its_message(submission, tmp_path):
    report = grade(submission.build(tmp_path / "server"), up_to_step=submission.step, database="sqlite", time_limit=3)
    check = failing(report, submission.step, submission.check)
    assert not check.passed
    assert submission.message in check.message
    assert "Traceback" not in check.message


# The mistakes that lose rows; the others' messages quote each database's own error text.
RENAME_MISTAKES = [s for s in WRONG_SUBMISSIONS if s.name in (
    "table rename as create + drop", "column rename as batch add + drop", "column rename as plain add + drop",
    "downgrade is pass", "downgrade does not reverse the rename")]


@pytest.mark.parametrize("submission", RENAME_MISTAKES, ids=[s.name for s in RENAME_MISTAKES])
def test_rename_mistakes_fail_on_server_databases_too(submission, server_database, tmp_path):
    report = grade(submission.build(tmp_path / "server"), up_to_step=submission.step, database=server_database)
    check = failing(report, submission.step, submission.check)
    assert not check.passed
    assert submission.message in check.message


# Mistakes that pass on SQLite and show on a server database only (Part 3's: test_traffic.py).
ELSEWHERE = [mistake for mistake in author.all_mistakes()
             if mistake.database != "sqlite" and course.step(mistake.start).database is None]


@pytest.mark.parametrize("submission", ELSEWHERE, ids=[s.name for s in ELSEWHERE])
def test_a_mistake_of_one_database_passes_on_sqlite_and_fails_there(submission, tmp_path, request):
    request.getfixturevalue(SERVER_FIXTURES[submission.database])
    server = submission.build(tmp_path / "server")
    assert grade(server, up_to_step=submission.start, database="sqlite").passed
    check = failing(grade(server, up_to_step=submission.start, database=submission.database), submission.step,
                    submission.check)
    assert not check.passed
    assert submission.message in check.message


def test_a_learner_may_stop_after_the_downgrade(tmp_path):
    server = build_state(5, tmp_path / "server")
    (server / "models.py").write_text(course.step(3).models_path.read_text())
    report = grade(server, up_to_step=5)
    assert report.passed
    assert "matches the revision before" in failing(report, 1, judge.MODELS).message


def test_models_one_behind_is_not_accepted_before_the_downgrade_step(tmp_path):
    server = build_state(4, tmp_path / "server")
    (server / "models.py").write_text(course.step(3).models_path.read_text())
    check = failing(grade(server, up_to_step=4), 1, judge.MODELS)
    assert not check.passed
    assert ("models.py calls the column `departments.address`; your migrations call it `departments.location`"
            in check.message)
    assert "Run `flask db migrate" not in check.message  # it would drop `location` with its values


def test_models_one_behind_is_not_accepted_before_the_downgrade_step_is_reached(tmp_path):
    """Grading every step: a learner on step 03 who wrote its migration but not its models.py."""
    server = build_state(3, tmp_path / "server")
    (server / "models.py").write_text(course.step(2).models_path.read_text())
    check = failing(grade(server), 1, judge.MODELS)
    assert not check.passed
    assert "models.py calls the table `department`; your migrations call it `departments`" in check.message


def test_several_steps_in_one_migration_are_fine(tmp_path):
    """Steps 03 and 04 done by one migration: both renames, rows kept."""
    server = build_state(4, tmp_path / "server")
    step3, step4 = migration_of(server, 3), migration_of(server, 4)
    text = step3.read_text()
    step3.write_text(text[: text.index("def upgrade():")] + '''def upgrade():
    op.rename_table('department', 'departments')
    op.alter_column('departments', 'address', new_column_name='location')


def downgrade():
    op.alter_column('departments', 'location', new_column_name='address')
    op.rename_table('departments', 'department')
''')
    step4.unlink()
    report = grade(server, up_to_step=4)
    assert report.passed, report.to_dict()
    assert "reached together with step 04" in failing(report, 3, judge.REACHED).message


def test_skipping_a_step_names_the_state_never_reached(tmp_path):
    """Creating `departments` straight away skips step 02's `department`."""

    server = build_state(4, tmp_path / "server")
    migration_of(server, 3).unlink()
    migration_of(server, 4).unlink()
    step2 = migration_of(server, 2)
    edit(step2, "op.create_table('department',", "op.create_table('departments',")
    edit(step2, "sa.Column('address'", "sa.Column('location'")
    edit(step2, "op.drop_table('department')", "op.drop_table('departments')")
    report = grade(server, up_to_step=4)
    assert "never reach the schema of step 02" in failing(report, 2, judge.REACHED).message


def test_checks_before_the_blocking_problem_still_pass(tmp_path):
    report = grade(build_state(0, tmp_path / "server"), up_to_step=1)
    assert failing(report, 1, judge.APP).passed
    assert not failing(report, 1, judge.CHAIN).passed


def test_an_upgrade_that_raises_fails_the_fresh_upgrade_check(tmp_path):
    raising = next(s for s in WRONG_SUBMISSIONS if s.name == "an upgrade that raises")
    check = failing(grade(raising.build(tmp_path / "server")), 1, judge.FRESH_UPGRADE)
    assert not check.passed
    assert "no such table: departmnet" in check.message


def test_a_branch_joined_by_a_merge_grades_like_a_straight_chain(tmp_path):
    """A teammate's migration from the same parent as step 02's, joined by a merge revision:
    every revision, the merge included, must go down and up again on its own."""
    server = build_state(3, tmp_path / "server")
    versions = server / "migrations" / "versions"
    (versions / "f1e2d3c4b5a6_teammate_adds_nothing.py").write_text(BRANCH.format(
        revision="f1e2d3c4b5a6", parents="'b1f3c2a9d401'", message="teammate adds nothing"))
    (versions / "a9b8c7d6e5f4_merge.py").write_text(BRANCH.format(
        revision="a9b8c7d6e5f4", parents="('c2d4e6f8a002', 'f1e2d3c4b5a6')", message="merge"))
    edit(migration_of(server, 3), "down_revision = 'c2d4e6f8a002'", "down_revision = 'a9b8c7d6e5f4'")
    report = grade(server, up_to_step=3)
    assert report.passed, [c.message for s in report.steps for c in s.checks if not c.passed]
    checked = report.steps[1].files + report.steps[2].files  # the round trips of steps 02 and 03
    assert "migrations/versions/a9b8c7d6e5f4_merge.py" in checked
    assert "migrations/versions/f1e2d3c4b5a6_teammate_adds_nothing.py" in checked


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


# What each server database makes of step 06 without a server default: PostgreSQL refuses the
# column; MariaDB fills the rows with '' on its own, which the schema comparison then catches.
NOT_NULL_WITHOUT_DEFAULT_MESSAGES = {
    "postgresql": 'column "title" of relation "employees" contains null values\nThe table already has rows',
    "mysql": "gives `employees.title` no server default; the lesson says 'Associate'",
}


def test_a_not_null_column_without_default_fails_on_server_databases_too(server_database, tmp_path):
    submission = next(s for s in WRONG_SUBMISSIONS if s.name == "a NOT NULL column without a server default")
    report = grade(submission.build(tmp_path / "server"), up_to_step=6, database=server_database)
    check = failing(report, 6, judge.REACHED)
    assert not check.passed
    assert NOT_NULL_WITHOUT_DEFAULT_MESSAGES[server_database] in check.message


STEP_06 = course.step(6)
THE_OTHER_WAY = (STEP_06.tries_dir / "the_other_way.py").read_text()


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_step_06_the_other_way_passes_as_the_lesson_shows_it(database, tmp_path, request):
    """Fill the rows with an UPDATE, then NOT NULL with the server default: each row its own title."""
    if database == "postgresql":
        request.getfixturevalue("postgres_server")
    assert THE_OTHER_WAY.split("\n\n\n")[0] in STEP_06.readme.read_text(), "the README shows another version"
    # The grader's sample salaries are all below 100000: the rows get the ELSE value, not the default.
    server = build_state(11, tmp_path / "server")
    with_functions(server, 6, THE_OTHER_WAY.replace("ELSE 'Associate'", "ELSE 'Staff'"))
    report = grade(server, up_to_step=11, database=database)
    assert report.passed, [c.message for s in report.steps for c in s.checks if not c.passed]
    assert failing(report, 6, judge.DEFAULTS).message == (
        "existing rows got employees.title = 'Staff' (server default 'Associate')")


def test_the_begin_listener_alone_rolls_back_on_this_python(tmp_path):
    """What hint 11-2 says: since Python 3.6 sqlite3 no longer commits before DDL, so once BEGIN is
    sent the DDL stays in the transaction; the connect listener alone fails (a wrong submission)."""
    server = build_state(11, tmp_path / "server")
    app = server / "app.py"
    text = app.read_text()
    start, end = text.index('@event.listens_for(Engine, "connect")'), text.index('@event.listens_for(Engine, "begin")')
    app.write_text(text[:start] + text[end:])
    check = failing(grade(server, up_to_step=11), 11, judge.ROLLED_BACK)
    assert check.passed, check.message


def test_mysql_cannot_roll_back_and_is_not_failed_for_it(mysql_server, tmp_path):
    submission = next(s for s in WRONG_SUBMISSIONS if s.name == "sqlite3's own transactions")
    check = failing(grade(submission.build(tmp_path / "server"), up_to_step=11, database="mysql"), 11,
                    judge.ROLLED_BACK)
    assert check.passed
    assert "has column `departments.code`, which the revision before does not" in check.message
    assert "so this is not held against you" in check.message


def test_a_rename_without_existing_type_fails_step_12_on_mysql_only(postgres_server, mysql_server, tmp_path):
    server = author.mistake("a rename without existing_type").apply(build_state(12, tmp_path / "server"))
    report = grade(server, up_to_step=12)
    assert [result.passed for result in report.steps] == [True] * 11 + [False]
    assert failing(report, 12, judge.ON_POSTGRESQL).passed
    check = failing(report, 12, judge.ON_MYSQL)
    assert not check.passed
    assert check.message.startswith("On MySQL/MariaDB, step 01 upgrade from an empty database fails:\n"
                                    "  upgrade() of migrations/versions/e4f6a8b0c004_rename_address_to_location.py "
                                    "failed (line 22): CommandError: All MySQL CHANGE/MODIFY COLUMN operations "
                                    "require the existing type.")
    assert "All of them: pipenv run grade --database mysql" in check.message


def test_sql_only_sqlite_knows_fails_step_12_on_postgresql(postgres_server, mysql_server, tmp_path):
    server = author.mistake("SQL only SQLite knows").apply(build_state(12, tmp_path / "server"))
    report = grade(server, up_to_step=12)
    assert [result.passed for result in report.steps] == [True] * 11 + [False]
    check = failing(report, 12, judge.ON_POSTGRESQL)
    assert not check.passed
    assert check.message.startswith("On PostgreSQL, step 01 upgrade from an empty database fails:\n"
                                    "  upgrade() of migrations/versions/f1a3b5c7d011_add_department_code.py "
                                    "failed (line 27): ProgrammingError: function printf(unknown, integer) does not exist\n")


def test_without_mariadb_the_mysql_check_says_what_to_install(postgres_server, tmp_path, monkeypatch):
    monkeypatch.delenv(MYSQL_URL_VARIABLE, raising=False)
    monkeypatch.setattr(mariadb, "server_binary", lambda: None)
    check = failing(grade(build_state(12, tmp_path / "server")), 12, judge.ON_MYSQL)
    assert not check.passed
    assert check.message == ("Not checked: MariaDB is not installed: `apt install mariadb-server` (as root), "
                             "or set COURSE_MYSQL_URL to a server of your own")


def test_other_databases_are_not_tried_before_step_12_is_reached(tmp_path, monkeypatch):
    walked_on, walk = [], grader._walk
    monkeypatch.setattr(grader, "_walk", lambda server, steps, database, *rest, **options: (
        walked_on.append(database) or walk(server, steps, database, *rest, **options)))
    report = grade(build_state(10, tmp_path / "server"))
    assert walked_on == ["sqlite"]
    assert failing(report, 12, judge.ON_MYSQL).message == judge.NOT_REACHED


def test_one_server_default_for_a_unique_column_is_explained_on_server_databases_too(server_database, tmp_path):
    submission = next(s for s in WRONG_SUBMISSIONS if s.name == "one server default for a unique column")
    check = failing(grade(submission.build(tmp_path / "server"), up_to_step=11, database=server_database), 11,
                    judge.REACHED)
    assert not check.passed
    assert "Two rows would hold the same value in a unique column" in check.message

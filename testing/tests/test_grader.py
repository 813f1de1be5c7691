"""The grader passes every reference state, and fails starting states and wrong submissions
with the message a learner needs.

Each grade is judged from the facts recorded when it was graded end to end (recorded.py, group
"grader"): the slow tier grades them all again. Two grades here run end to end in this tier,
one on each server database, and one on SQLite that checks which databases a grade walks."""

import pytest

from testing import author, course, grader
from testing.build import build_state
from testing.grader import grade, plan
from testing.grader.checks import Status
from testing.grader.judging import judge, messages
from testing.grader.servers import mariadb
from testing.grader.servers.supply import URL_VARIABLES

from . import recorded
from .cases import (
    BEFORE_OTHER_DATABASES,
    BEGIN_LISTENER_ALONE,
    BOTH_RENAMES_IN_ONE,
    BRANCH_AND_MERGE,
    ELSEWHERE,
    GRADES_EVERY_DATABASE,
    MISTAKES,
    MODELS_ONE_BEHIND,
    MODELS_ONE_BEHIND_EVERY_STEP,
    NOTHING_DONE,
    ON_SERVERS_TOO,
    OTHER_WAY,
    RENAME_MISTAKES,
    SERVERS,
    STARTING_STATES,
    STEP_02_SKIPPED,
    STEP_06,
    STEPS,
    STOP_AFTER_THE_DOWNGRADE,
    THE_OTHER_WAY,
    on_later_state,
    reference,
    with_mistake,
)
from .clones import course_command
from .corpus import add_migration
from .test_attacks import processes_with


def judged(case):
    return recorded.report("grader", case)


def failures(report):
    return [c.message for s in report.steps for c in s.checks if not c.passed]


def assert_reference_passes(report, step):
    assert report.passed, failures(report)
    assert [s.step for s in report.steps] == list(range(1, step + 1))


@pytest.mark.parametrize("step", STEPS)
def test_reference_end_state_passes_every_step_so_far(step):
    """Step 12's grade runs the chain on PostgreSQL and MariaDB too."""
    assert_reference_passes(judged(reference(step)), step)


@pytest.mark.parametrize("database", SERVERS)
def test_reference_end_state_passes_every_step_on_servers(database):
    """On PostgreSQL and MariaDB, the end state before step 12 (which grades on them itself):
    every check of every earlier step, in one grade."""
    assert_reference_passes(judged(reference(BEFORE_OTHER_DATABASES, database)), BEFORE_OTHER_DATABASES)


def test_reference_end_state_passes_end_to_end_on_servers(server_database, tmp_path):
    """The same, graded here and now: one end-to-end grade per server database in the fast tier."""
    report = grade(build_state(BEFORE_OTHER_DATABASES, tmp_path / "server"), up_to_step=BEFORE_OTHER_DATABASES,
                   database=server_database)
    assert_reference_passes(report, BEFORE_OTHER_DATABASES)


@pytest.mark.parametrize("case", STARTING_STATES, ids=lambda case: case.key)
def test_starting_state_fails_its_step(case):
    step = case.up_to
    report = judged(case)
    starting = author.starting_state(course.step(step))
    assert starting is not None, f"step {step} says how its start fails"
    assert not report.steps[step - 1].passed
    assert starting.message in report.check(step, starting.check).message
    assert all(result.passed for result in report.steps[: step - 1])


def assert_fails_with_its_message(report, mistake):
    check = report.check(mistake.step, mistake.check)
    assert not check.passed
    assert mistake.message in check.message
    assert "Traceback" not in check.message


@pytest.mark.parametrize("mistake", MISTAKES, ids=[mistake.name for mistake in MISTAKES])
def test_wrong_submission_fails_with_its_message(mistake):
    assert_fails_with_its_message(judged(with_mistake(mistake)), mistake)


@pytest.mark.parametrize("database", SERVERS)
@pytest.mark.parametrize("mistake", RENAME_MISTAKES, ids=[mistake.name for mistake in RENAME_MISTAKES])
def test_rename_mistakes_fail_on_server_databases_too(mistake, database):
    assert_fails_with_its_message(judged(with_mistake(mistake, database)), mistake)


@pytest.mark.parametrize("mistake", ELSEWHERE, ids=[mistake.name for mistake in ELSEWHERE])
def test_a_mistake_of_one_database_passes_on_sqlite_and_fails_there(mistake):
    assert judged(with_mistake(mistake, "sqlite", mistake.start)).passed
    assert_fails_with_its_message(judged(with_mistake(mistake, mistake.database, mistake.start)), mistake)


def test_a_learner_may_stop_after_the_downgrade():
    report = judged(STOP_AFTER_THE_DOWNGRADE)
    assert report.passed
    assert "matches the revision before" in report.check(5, judge.MODELS).message


def test_models_one_behind_after_step_04_is_graded_alike_whichever_steps_are_graded():
    """Step 04's migration with models.py still at `address` is the end of the downgrade step (a
    learner may stop there): step 04 gets the same verdict graded alone or with step 05."""
    facts = recorded.facts("grader", MODELS_ONE_BEHIND)
    alone, with_05 = grader.judged(facts, 4).steps[3], grader.judged(facts, 5).steps[3]
    assert alone.passed and [check.to_dict() for check in alone.checks] == [check.to_dict() for check in with_05.checks]
    assert "matches the revision before" in grader.judged(facts, 5).check(5, judge.MODELS).message


def test_models_one_behind_is_not_accepted_before_the_downgrade_step_is_reached():
    """Grading every step: a learner on step 03 who wrote its migration but not its models.py."""
    check = judged(MODELS_ONE_BEHIND_EVERY_STEP).check(3, judge.MODELS)
    assert not check.passed
    assert "models.py calls the table `department`; your migrations call it `departments`" in check.message
    assert "Run `flask db migrate" not in check.message  # it would drop `departments` with its rows
    assert judged(MODELS_ONE_BEHIND_EVERY_STEP).check(1, judge.MODELS).passed  # step 01's work is not at fault


def test_several_steps_in_one_migration_are_fine():
    """Steps 03 and 04 done by one migration: both renames, rows kept."""
    report = judged(BOTH_RENAMES_IN_ONE)
    assert report.passed, report.to_dict()
    assert "reached together with step 04" in report.check(3, judge.REACHED).message


def test_skipping_a_step_names_the_state_never_reached():
    assert "never reach the schema of step 02" in judged(STEP_02_SKIPPED).check(2, judge.REACHED).message


def test_checks_before_the_blocking_problem_still_pass():
    report = judged(NOTHING_DONE)
    assert report.check(1, judge.APP).passed
    assert not report.check(1, judge.CHAIN).passed


def test_an_upgrade_that_raises_fails_the_step_whose_revision_it_is():
    """Step 03's migration raises: step 03 fails, and step 01's upgrade from empty, which runs
    step 01's own revisions, passes; the steps after 03 are not checked."""
    report = grader.judged(recorded.facts("grader", with_mistake(author.mistake("an upgrade that raises"))))
    check = report.check(3, judge.REACHED)
    assert not check.passed and "no such table: departmnet" in check.message
    assert report.check(1, judge.FRESH_UPGRADE).passed and report.steps[0].passed and report.steps[1].passed
    assert report.check(4, judge.REACHED).status == Status.NOT_CHECKED
    assert report.stuck == 3


def test_a_branch_joined_by_a_merge_grades_like_a_straight_chain():
    """Every revision, the merge included, must go down and up again on its own."""
    report = judged(BRANCH_AND_MERGE)
    assert report.passed, failures(report)
    checked = report.steps[1].files + report.steps[2].files  # the round trips of steps 02 and 03
    assert "migrations/versions/a9b8c7d6e5f4_merge.py" in checked
    assert "migrations/versions/f1e2d3c4b5a6_teammate_adds_nothing.py" in checked


# What each server database makes of step 06 without a server default: PostgreSQL refuses the
# column; MariaDB fills the rows with '' on its own, which the schema comparison then catches.
NOT_NULL_WITHOUT_DEFAULT_MESSAGES = {
    "postgresql": 'column "title" of relation "employees" contains null values\nThe table already has rows',
    "mysql": "gives `employees.title` no server default; the lesson says 'Associate'",
}
NOT_NULL_WITHOUT_DEFAULT, UNIQUE_DEFAULT = ON_SERVERS_TOO


@pytest.mark.parametrize("database", SERVERS)
def test_a_not_null_column_without_default_fails_on_server_databases_too(database):
    check = judged(with_mistake(NOT_NULL_WITHOUT_DEFAULT, database)).check(6, judge.REACHED)
    assert not check.passed
    assert NOT_NULL_WITHOUT_DEFAULT_MESSAGES[database] in check.message


@pytest.mark.parametrize("database", SERVERS)
def test_one_server_default_for_a_unique_column_is_explained_on_server_databases_too(database):
    check = judged(with_mistake(UNIQUE_DEFAULT, database)).check(11, judge.REACHED)
    assert not check.passed
    assert "Two rows would hold the same value in a unique column" in check.message


@pytest.mark.parametrize("database", list(OTHER_WAY))
def test_step_06_the_other_way_passes_as_the_lesson_shows_it(database):
    """Fill the rows with an UPDATE, then NOT NULL with the server default: each row its own title."""
    assert THE_OTHER_WAY.split("\n\n\n")[0] in STEP_06.readme.read_text(), "the README shows another version"
    report = judged(OTHER_WAY[database])
    assert report.passed, failures(report)
    assert report.check(6, judge.DEFAULTS).message == (
        "existing rows got employees.title = 'Staff' (server default 'Associate')")


def test_the_begin_listener_alone_rolls_back_on_this_python():
    """What hint 11-2 says: since Python 3.6 sqlite3 no longer commits before DDL, so once BEGIN is
    sent the DDL stays in the transaction; the connect listener alone fails (a wrong submission)."""
    check = judged(BEGIN_LISTENER_ALONE).check(11, judge.ROLLED_BACK)
    assert check.passed, check.message


def test_mysql_cannot_roll_back_and_is_not_failed_for_it():
    check = judged(with_mistake(author.mistake("sqlite3's own transactions"), "mysql")).check(11,
                    judge.ROLLED_BACK)
    assert check.passed
    assert "has column `departments.code`, which the revision before does not" in check.message
    assert "so this is not held against you" in check.message


STEP_12 = GRADES_EVERY_DATABASE[0]


def test_a_rename_without_existing_type_fails_step_12_on_mysql_only():
    report = judged(on_later_state(author.mistake("a rename without existing_type"), STEP_12))
    assert [result.passed for result in report.steps] == [True] * (STEP_12 - 1) + [False]
    assert report.check(STEP_12, judge.ON_POSTGRESQL).passed
    check = report.check(STEP_12, judge.ON_MYSQL)
    assert not check.passed
    assert check.message.startswith("On MySQL/MariaDB, step 04 schema reached fails:\n"
                                    "  upgrade() of migrations/versions/e4f6a8b0c004_rename_address_to_location.py "
                                    "failed (line 22): CommandError: All MySQL CHANGE/MODIFY COLUMN operations "
                                    "require the existing type.")
    assert "All of them: pipenv run grade --database mysql" in check.message


def test_sql_only_sqlite_knows_fails_step_12_on_postgresql():
    report = judged(on_later_state(author.mistake("SQL only SQLite knows"), STEP_12))
    assert [result.passed for result in report.steps] == [True] * (STEP_12 - 1) + [False]
    check = report.check(STEP_12, judge.ON_POSTGRESQL)
    assert not check.passed
    assert check.message.startswith("On PostgreSQL, step 11 schema reached fails:\n"
                                    "  upgrade() of migrations/versions/f1a3b5c7d011_add_department_code.py "
                                    "failed (line 27): ProgrammingError: function printf(unknown, integer) "
                                    "does not exist\n")


@pytest.mark.slow
def test_without_mariadb_the_mysql_check_says_what_to_install(postgres_server, tmp_path, monkeypatch):
    monkeypatch.delenv(URL_VARIABLES["mysql"], raising=False)
    monkeypatch.setattr(mariadb, "server_binary", lambda: None)
    check = grade(build_state(STEP_12, tmp_path / "server")).check(STEP_12, judge.ON_MYSQL)
    assert not check.passed
    assert check.message == ("Not checked: MariaDB is not installed: `apt install mariadb-server` (as root), "
                             "or set COURSE_MYSQL_URL to a server of your own")


def test_other_databases_are_not_tried_before_step_12_is_reached(tmp_path, monkeypatch):
    """Nor Part 3's PostgreSQL: a learner before those steps pays nothing for them."""
    walked_on, walk = [], plan._walk

    def noted_walk(server, steps, database, *rest, **options):
        walked_on.append(database)
        return walk(server, steps, database, *rest, **options)

    monkeypatch.setattr(plan, "_walk", noted_walk)
    report = grade(build_state(STEP_12 - 2, tmp_path / "server"))
    assert walked_on == ["sqlite"]
    assert report.check(STEP_12, judge.ON_MYSQL).message == judge.NOT_REACHED.message
    part3 = course.last_step_on_any_database().number + 1
    assert report.check(part3, judge.LIVE).message == messages.not_checked(messages.postgresql_only())


def test_a_migration_sending_thousands_of_statements_is_graded(tmp_path):
    """A data migration written statement by statement, as a row-by-row backfill is: ~1.2 MB of SQL
    that writes. The learner's process reports how many statements wrote, not their text, so the
    reply stays small and the grade goes on."""
    server = build_state(2, tmp_path / "server")
    filler = "x" * 400
    add_migration(server, "aa00bb11cc22_touch_every_row.py", "aa00bb11cc22", "c2d4e6f8a002",
                  "    for number in range(3000):\n"
                  "        op.execute(f\"UPDATE department SET address = address "
                  f"WHERE id = -{{number}} AND '{filler}' <> ''\")",
                  "    pass")
    report = grade(server, up_to_step=2)
    assert report.passed, failures(report)


def test_a_server_this_machine_lacks_is_exit_1_not_a_wrong_call(tmp_path, monkeypatch, capsys):
    """`grade --database mysql` where MariaDB is not installed: called rightly, so exit 1 (2 means a
    wrong call) with the one line that says what to install."""
    from testing import cli, console

    monkeypatch.delenv(URL_VARIABLES["mysql"], raising=False)
    monkeypatch.setattr(mariadb, "server_binary", lambda: None)
    server = build_state(1, tmp_path / "server")
    monkeypatch.setattr("sys.argv", ["grade", "grade", "--server-dir", str(server), "--database", "mysql"])
    with pytest.raises(SystemExit) as exited:
        console.run(cli.main)
    assert exited.value.code == 1
    assert capsys.readouterr().err == ("Error: MariaDB is not installed: `apt install mariadb-server` (as root), "
                                       "or set COURSE_MYSQL_URL to a server of your own\n")


@pytest.mark.slow
def test_a_constraint_that_refuses_the_graders_rows_is_graded_with_nothing_on_stderr(tmp_path, postgres_server):
    """A CHECK added NOT VALID on PostgreSQL, which the grader's sample rows break: the grade says what
    it found, and neither psycopg's echo of the refused insert nor SQLAlchemy's warning on reflecting
    such a constraint reaches the instructor's terminal."""
    server = build_state(2, tmp_path / "server")
    add_migration(server, "aa00bb11cc44_long_names.py", "aa00bb11cc44", "c2d4e6f8a002",
                  "    op.execute('ALTER TABLE employees ADD CONSTRAINT long_name "
                  "CHECK (length(name) > 200) NOT VALID')",
                  "    op.execute('ALTER TABLE employees DROP CONSTRAINT long_name')")
    graded = course_command(course.REPO_ROOT, "grade", "--server-dir", server, "--step", 3, "--database", "postgresql")
    assert graded.returncode == 1
    assert "rows kept on upgrade" in graded.stdout, graded.stdout
    assert graded.stderr == ""


def test_a_generated_column_added_to_a_table_with_rows_is_graded(tmp_path):
    """A generated column has no server default for the rows already there to get: the grade names
    the column the lesson does not have instead of stopping on it."""
    server = build_state(2, tmp_path / "server")
    add_migration(server, "aa00bb11cc33_name_length.py", "aa00bb11cc33", "c2d4e6f8a002",
                  "    op.execute('ALTER TABLE employees ADD COLUMN name_length INTEGER "
                  "GENERATED ALWAYS AS (length(name)) VIRTUAL')",
                  "    op.drop_column('employees', 'name_length')")
    report = grade(server, up_to_step=3)
    reached = report.check(3, judge.REACHED)
    assert "has column `employees.name_length`, which the lesson does not" in reached.message, reached.message


def server_folders(folder):
    """The folders of servers started in `folder` (PostgreSQL's template, made once, may stay)."""
    return [path for path in folder.iterdir() if path.name.startswith(("course-postgres-", "course-mariadb-"))]


@pytest.mark.slow
def test_the_servers_a_grade_needs_start_while_it_walks_on_sqlite(tmp_path, servers_folder):
    """No server named: step 12's PostgreSQL and MariaDB start in the background as the chain is walked
    on SQLite, the grade waits for them instead of starting its own, and none outlives the grade."""
    said: list[str] = []
    report = grade(build_state(STEP_12, tmp_path / "server"), up_to_step=STEP_12, progress=said.append)
    assert report.passed, failures(report)
    assert not [line for line in said if "for this grade" in line], said
    assert not processes_with(str(servers_folder))
    assert not server_folders(servers_folder)


@pytest.mark.slow
def test_servers_started_for_a_chain_that_stops_early_are_stopped(tmp_path, servers_folder):
    """Every file of step 12 is there, but step 03's migration fails: no grade needs the servers."""
    server = build_state(STEP_12, tmp_path / "server")
    migration = next((server / "migrations" / "versions").glob("*rename_department*"))
    migration.write_text(migration.read_text().replace("def upgrade():\n", "def upgrade():\n    1 / 0\n", 1))
    report = grade(server, up_to_step=STEP_12)
    assert not report.steps[2].passed
    assert report.check(STEP_12, judge.ON_POSTGRESQL).message == judge.NOT_REACHED.message
    assert not processes_with(str(servers_folder))
    assert not server_folders(servers_folder)

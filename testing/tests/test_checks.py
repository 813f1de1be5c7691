"""Every check of the grader (testing/grader/checks.py) judged on hand-built facts: for each, a right
submission that passes (some in unusual forms), a realistic wrong one that fails with the sentence
the learner must read, and "not checked" where a check waits for another. Then the rules of the
whole chain: a failure is laid on the step whose work causes it.

Pure in-process: the facts are built by facts_builders.py, no database, no learner process.
"""
import dataclasses
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from testing.grader import checks
from testing.grader.checks import Check, Status
from testing.grader.facts import (
    AppFact,
    AppProblem,
    Chain,
    ChainProblemKind,
    Facts,
    FailedCheck,
    FailureWitness,
    FilledColumn,
    Loss,
    LossKind,
    OtherDatabase,
    Probe,
    SchemaItem,
    SchemaKind,
    Squawk,
    SquawkFinding,
    UpgradeFailure,
)
from testing.grader.judging import judge
from testing.grader.judging.report import Report

from .facts_builders import (
    NOT_NULL_FINDING,
    before_the_merge,
    clean_probe,
    column_gone,
    copy,
    course_walked,
    dangling,
    downgrade_failing,
    downgrade_losing,
    dropped_and_created,
    error_in,
    file_of,
    half_applied_probe,
    id_of,
    lock_timeout_set_locally,
    look,
    offline_failing,
    rename_wait,
    rows_lost,
    steps_up_to,
    traffic,
    unnamed,
    up_to,
    walked,
    with_climbed,
    with_formatted_sql,
    with_looks,
    with_loss,
    with_models,
    with_round_trip,
    with_squawk_config,
    with_traffic,
    with_two_heads,
    with_upgrade_failing,
    without_merge,
)

PASSED, FAILED, NOT_CHECKED, NEEDS_MACHINE = (Status.PASSED, Status.FAILED, Status.NOT_CHECKED,
                                              Status.NEEDS_LEARNER_MACHINE)
# models.py says NOT NULL where the migrations built a nullable column: a slip of the step at head.
NULLABLE_DRIFT = SchemaItem(SchemaKind.NULLABLE, table="employees", column="name", nullable=False)


@dataclass(frozen=True)
class Case:
    """One check of one step, judged on the facts `situation` builds, with the steps up to `graded`."""
    check: Check
    step: int
    situation: Callable[[], Facts]
    status: Status
    says: str  # the key sentence of the message the learner reads
    graded: int = 16


def judged(facts: Facts, graded: int) -> Report:
    return judge.verdict(facts, steps_up_to(graded))


def case(name: str, *args, **kwargs):
    found = Case(*args, **kwargs)
    return pytest.param(found, id=f"{found.check.id}-{name}")


# -- right submissions ----------------------------------------------------------------------------

def backfilled_titles():
    """Step 06 the backfill way: each row its own value from an UPDATE, the server default kept."""
    filled = FilledColumn("employees", "title", (("Engineer", 1), ("Accountant", 1), ("Associate", 1)), "Associate")
    return with_climbed(course_walked(6), 4, filled=(filled,))


# models.py still says `address` (step 03's), where head has step 04's `location`.
ADDRESS_NOT_BUILT = SchemaItem(SchemaKind.MISSING_COLUMN, table="employees", column="address")


def models_one_revision_back():
    """Step 05 done: the database one revision down, models.py left matching it."""
    return with_models(course_walked(5), ADDRESS_NOT_BUILT, before_head=())

UP_THEN_DOWN = (look(3), look(2))  # step 05: at step 04's head, then `flask db downgrade`


def mysql_leaves_the_column():
    facts = copy(course_walked(11), failure_probe=half_applied_probe(10))
    return copy(facts, app=AppFact(None, database="mysql+pymysql://grader@localhost/grade"))


def postgres_leaves_the_column():
    """PostgreSQL raised the failure, but the migration's first change had committed on its own."""
    probe = dataclasses.replace(half_applied_probe(10), witness=FailureWitness.SERVER_RAISED)
    facts = copy(course_walked(11), failure_probe=probe)
    return copy(facts, app=AppFact(None, database="postgresql+psycopg://grade@/grade"))


PASSING = [
    case("loaded", checks.APP, 1, lambda: course_walked(1), PASSED, "", graded=1),
    case("whole-course", checks.CHAIN, 1, course_walked, PASSED, "14 migrations"),
    case("one-revision", checks.FRESH_UPGRADE, 1, lambda: course_walked(1), PASSED, f"base -> {file_of(0)}", graded=1),
    case("step-03", checks.REACHED, 3, course_walked, PASSED, f"reached by {file_of(2)}"),
    case("step-05-shares-step-04s-state", checks.REACHED, 5, course_walked, PASSED, f"reached by {file_of(3)}"),
    case("two-renames-in-one-migration", checks.REACHED, 3, lambda: walked((1,), (2,), (4,)), PASSED,
         f"reached together with step 04 by {file_of(2)} (several steps in one migration is fine)", graded=4),
    case("step-02", checks.ROWS, 2, course_walked, PASSED, f"every row survives {file_of(1)}"),
    case("step-10-three-revisions", checks.ROWS, 10, course_walked, PASSED,
         f"every row survives {file_of(7)}, {file_of(8)}, {file_of(9)}"),
    case("step-04", checks.ROUND_TRIP, 4, course_walked, PASSED,
         f"{file_of(3)} downgrades and upgrades again with every row"),
    case("downgrade-step-tries-the-chain", checks.ROUND_TRIP, 5, course_walked, PASSED,
         "all 4 migrations downgrade and upgrade again with every row"),
    case("at-head", checks.MODELS, 15, course_walked, PASSED,
         "models.py matches the database your migrations build (`flask db check` agrees)"),
    case("one-revision-back-on-the-downgrade-step", checks.MODELS, 5, models_one_revision_back, PASSED,
         f"models.py matches the revision before {file_of(3)}: you downgraded one step.", graded=5),
    case("server-default", checks.DEFAULTS, 6, course_walked, PASSED,
         "existing rows got employees.title = 'Associate' (server default 'Associate')"),
    case("backfilled", checks.DEFAULTS, 6, backfilled_titles, PASSED,
         "existing rows got employees.title = 'Engineer', 'Accountant', 'Associate' (server default 'Associate')",
         graded=6),
    case("named", checks.NAMED, 8, course_walked, PASSED,
         "every constraint has the name the naming convention gives it"),
    case("every-row", checks.REFERENCES, 8, course_walked, PASSED,
         f"after {file_of(6)}, every foreign key value points at an existing row"),
    case("bound", checks.PARAMETERS, 8, course_walked, PASSED,
         f"{file_of(6)} binds its values; no SQL is built from strings"),
    case("renders", checks.OFFLINE, 9, course_walked, PASSED,
         "the whole chain renders as postgresql SQL (`flask db upgrade --sql`)"),
    case("a-later-steps-revision-does-not-render", checks.OFFLINE, 9,
         lambda: copy(course_walked(11), offline=offline_failing(10, "NotImplementedError: no offline backfill")),
         PASSED, "a migration of step 11 does not, and `flask db upgrade --sql` stops there",
         graded=11),
    case("at-head", checks.CHECK_CLEAN, 9, lambda: course_walked(9), PASSED,
         "models.py matches the database your migrations build", graded=9),
    case("merged", checks.MERGED, 10, course_walked, PASSED,
         f"{file_of(9)} joins the branches; both are applied"),
    case("rolled-back", checks.ROLLED_BACK, 11, course_walked, PASSED,
         f"The grader made {file_of(10)} fail right after its first change (ALTER TABLE departments ADD COLUMN "
         "code VARCHAR(8)): schema, rows and alembic_version were exactly as before."),
    case("rolled-back-where-the-file-cannot-be-watched", checks.ROLLED_BACK, 11,
         lambda: copy(course_walked(11), failure_probe=clean_probe(10, FailureWitness.NO_INOTIFY)), PASSED,
         "schema, rows and alembic_version were exactly as before.", graded=11),
    case("rolled-back-raised-by-postgres", checks.ROLLED_BACK, 11,
         lambda: copy(course_walked(11), failure_probe=clean_probe(10, FailureWitness.SERVER_RAISED)), PASSED,
         f"The grader made {file_of(10)} fail after its first schema change (ALTER TABLE departments ADD COLUMN "
         "code VARCHAR(8)); PostgreSQL itself raised it: schema, rows and alembic_version were exactly as before.",
         graded=11),
    case("mysql-cannot-roll-back", checks.ROLLED_BACK, 11, mysql_leaves_the_column, PASSED,
         "MySQL and MariaDB commit every CREATE, ALTER and DROP at once, and no setting changes that,\n"
         "so this is not held against you.", graded=11),
    case("passes-there", checks.ON_POSTGRESQL, 12, course_walked, PASSED,
         "every check of steps 01-12 passes on PostgreSQL too"),
    case("passes-there", checks.ON_MYSQL, 12, course_walked, PASSED,
         "every check of steps 01-12 passes on MySQL/MariaDB too"),
    case("seen-down-and-stopped-there", checks.WENT_DOWN, 5, lambda: with_looks(course_walked(5), *UP_THEN_DOWN),
         PASSED, f"lesson saw your database at {id_of(2)}, one revision below {file_of(3)}, with every row seed.py "
         "put in\nStopping here is fine for this step", graded=5),
    case("seen-down-then-up-again", checks.WENT_DOWN, 5,
         lambda: with_looks(course_walked(5), *UP_THEN_DOWN, look(3)), PASSED,
         f"lesson saw your database at {id_of(2)}, one revision below {file_of(3)}, with every row seed.py put in",
         graded=5),
    case("given-by-lesson-start", checks.WENT_DOWN, 5, lambda: with_looks(course_walked(6), look(4), given=(5,)),
         PASSED, "done for you: `pipenv run lesson start` began a later step than 05", graded=6),
    case("emptied-and-restored", checks.BACKUP_TRIED, 9,
         lambda: with_looks(course_walked(9), look(6), look(None), look(6)), PASSED,
         "lesson saw your database emptied, then back at head with every row: your backup works", graded=9),
    case("seen-at-head", checks.OWN_POSTGRESQL, 12,
         lambda: with_looks(course_walked(12), look(10), look(10, database="postgresql")), PASSED,
         "lesson saw your PostgreSQL at head with every row seed.py put in", graded=12),
    case("calm", checks.LIVE, 13, course_walked, PASSED,
         f"{file_of(11)}: 900 requests of step 12's app, none failed; the longest lock wait 0.05 s, p99 40 ms"),
    case("short-wait-within-the-bound", checks.LIVE, 14,
         lambda: with_traffic(course_walked(), 14, seen=traffic(waits=(rename_wait(0.29),))), PASSED,
         "none failed; the longest lock wait 0.29 s"),
    case("nothing-found", checks.LINTED, 16, course_walked, PASSED,
         "squawk finds nothing unanswered in 3 Part 3 migrations"),
    case("rule-silenced-with-its-reason", checks.LINTED, 16,
         lambda: with_squawk_config(course_walked(), silenced=("ban-drop-column",)), PASSED,
         "squawk finds nothing unanswered in 3 Part 3 migrations"),
]

# -- wrong submissions ----------------------------------------------------------------------------

ASSUMED_ID = dangling("employees", "department_id", "departments.id", 1, 1, 1)


def four_with_heads():
    """Step 04's migration written on top of step 02's revision, beside step 03's: two heads."""
    return with_two_heads(course_walked(4), 2, 3)


def upgrade_failing(index, error, graded):
    return lambda: with_upgrade_failing(course_walked(graded), index, error)


def elsewhere(database, step, name, message):
    """The chain graded on `database` fails step `step`'s check `name`, and the next step's after it."""
    failed = OtherDatabase(steps=12, failed=(FailedCheck(step, name, message),
                                             FailedCheck(step + 1, "schema reached", "Not checked: ...")))

    def situation():
        facts = course_walked(12)
        return copy(facts, elsewhere={**facts.elsewhere, database: failed})
    return situation


def lint(*findings, unavailable=None, configuration=None):
    squawk = Squawk(findings, unavailable=unavailable, configuration=configuration)
    return lambda: with_traffic(course_walked(), 15, squawk=squawk)


FAILING = [
    case("no-migrate", checks.APP, 1, lambda: copy(course_walked(1), app=AppFact(AppProblem.NO_MIGRATE)), FAILED,
         "app.py never calls `Migrate(app, db)`, so there are no `flask db` commands to grade.", graded=1),
    case("import-error", checks.APP, 1,
         lambda: copy(course_walked(1), app=AppFact(AppProblem.IMPORT, error="AttributeError: Strng",
                                                    file="models.py", line=9)), FAILED,
         "Python could not load your app: models.py line 9: AttributeError: Strng", graded=1),
    case("missing-parent", checks.CHAIN, 1,
         lambda: copy(course_walked(3), chain=Chain(ChainProblemKind.MISSING_PARENT, file=file_of(2), parent="c2d4")),
         FAILED, f"{file_of(2)} says down_revision = 'c2d4', but no migration has that id.", graded=3),
    case("no-migrations-folder", checks.CHAIN, 1,
         lambda: copy(course_walked(1), chain=Chain(ChainProblemKind.NO_MIGRATIONS, folder="migrations")), FAILED,
         "There is no migrations folder (migrations) yet.", graded=1),
    case("its-own-revision-breaks", checks.FRESH_UPGRADE, 1,
         upgrade_failing(0, "NameError: name 'Strng' is not defined", 3), FAILED,
         f"upgrade() of {file_of(0)} failed (line 21): NameError: name 'Strng' is not defined", graded=3),
    case("rename-never-written", checks.REACHED, 3, lambda: walked((1,), (2,), ()), FAILED,
         "Your migrations never reach the schema of step 03 (lessons/03-rename-a-table/models.py).\n"
         f"The closest is after {file_of(2)}, where the database\n  - has no column `employees.title`", graded=3),
    case("rename-as-drop-and-create", checks.ROWS, 3,
         lambda: with_loss(course_walked(3), 2, dropped_and_created("department", 3, "departments")), FAILED,
         f"upgrade() of {file_of(2)} drops table `department` and creates `departments` empty: the 3 rows the "
         "grader put in as samples are lost.\nAutogenerate cannot see a rename. Write\n"
         '    op.rename_table("department", "departments")', graded=3),
    case("rows-deleted", checks.ROWS, 8,
         lambda: with_loss(course_walked(8), 6, rows_lost("employees", 2, 5)), FAILED,
         f"upgrade() of {file_of(6)} loses 2 of the 5 rows the grader put in as samples in `employees`.", graded=8),
    case("downgrade-drops-the-column", checks.ROUND_TRIP, 4,
         lambda: with_round_trip(course_walked(4), downgrade_losing(3, Loss(
             LossKind.COLUMN_LOST, "employees", 3, column="location", replaced_by="address"))), FAILED,
         f"downgrade() of {file_of(3)} drops column `employees.location` and adds `address` empty: the values of "
         "the 3 rows the grader put in as samples are lost.", graded=4),
    case("downgrade-raises", checks.ROUND_TRIP, 2,
         lambda: with_round_trip(course_walked(2), downgrade_failing(1, "KeyError: 'department'")), FAILED,
         f"downgrade() of {file_of(1)} failed (line 21): KeyError: 'department'", graded=2),
    case("a-later-revision-breaks-the-downgrade-steps-chain", checks.ROUND_TRIP, 5,
         lambda: with_round_trip(course_walked(5), downgrade_failing(2, "KeyError: 'departments'")), FAILED,
         f"downgrade() of {file_of(2)} failed (line 21): KeyError: 'departments'", graded=5),
    case("drift-at-head", checks.MODELS, 4, lambda: with_models(course_walked(4), NULLABLE_DRIFT), FAILED,
         "`employees.name` is NOT NULL in models.py but nullable in your migrations (only that differs)", graded=4),
    case("drift-on-the-downgrade-step", checks.MODELS, 5,
         lambda: with_models(course_walked(5), NULLABLE_DRIFT, before_head=(NULLABLE_DRIFT,)), FAILED,
         "models.py and the database your migrations build differ (what `flask db check` reports):", graded=5),
    case("no-server-default", checks.DEFAULTS, 6,
         lambda: with_climbed(course_walked(6), 4, filled=(FilledColumn("employees", "title", (("Associate", 3),)),)),
         FAILED, f"No column added by {file_of(4)} has a server default, so a row added later without a\n"
         "value gets nothing from the database.", graded=6),
    case("blank-placeholder", checks.DEFAULTS, 6,
         lambda: with_climbed(course_walked(6), 4, filled=(FilledColumn("employees", "title", (("", 3),),
                                                                          "Associate"),)), FAILED,
         f"after upgrade() of {file_of(4)}, the rows already in `employees` hold '' in 3 rows in `title`:\n"
         "a value that says nothing.", graded=6),
    case("foreign-key-without-a-name", checks.NAMED, 8,
         lambda: with_climbed(course_walked(8), 6, unnamed={8: (unnamed(
             "employees", ("department_id",), "fk_employees_department_id_departments"),)}), FAILED,
         f"after {file_of(6)}, the database holds constraints without a name:\n  - the foreign key constraint on "
         "employees(department_id) should be called `fk_employees_department_id_departments`", graded=8),
    case("assumed-id", checks.REFERENCES, 8, lambda: with_climbed(course_walked(8), 6, dangling=(ASSUMED_ID,)),
         FAILED, f"after upgrade() of {file_of(6)}, 3 rows of `employees` have `department_id` = 1, 1, 1,\n"
         "but `departments.id` has no such row.", graded=8),
    case("f-string", checks.PARAMETERS, 8, lambda: with_formatted_sql(course_walked(8), 6, 14, "an f-string"),
         FAILED, f"{file_of(6)} line 14 builds SQL with an f-string.", graded=8),
    case("reads-a-result-offline", checks.OFFLINE, 8,
         lambda: copy(course_walked(8), offline=offline_failing(
             6, "AttributeError: 'NoneType' object has no attribute 'scalar'")), FAILED,
         "`flask db upgrade --sql` (the SQL, as a DBA would review it) fails: "
         f"{file_of(6)} line 30: AttributeError: 'NoneType' object has no attribute 'scalar'\n"
         "With --sql nothing runs, so a query gives nothing back to read in Python. Let the database do the\n"
         "work in SQL, in op.execute(), and never read a value back into Python: the SQL itself looks up\n"
         "what it needs (step 08's subquery, step 13's batches).", graded=8),
    case("half-applied-in-the-graders-database", checks.REACHED, 6,
         lambda: copy(with_upgrade_failing(course_walked(6), 4, "sqlite3.OperationalError: duplicate column name"),
                      upgrade_failed=UpgradeFailure(4, error_in(4, "sqlite3.OperationalError: duplicate column name"),
                                                    left=(SchemaItem(SchemaKind.EXTRA_COLUMN, table="employees",
                                                                     column="title"),))), FAILED,
         "It failed halfway and left the grader's scratch database changed: it\n", graded=6),
    case("models-ahead-of-the-migrations", checks.CHECK_CLEAN, 9,
         lambda: with_models(course_walked(9), NULLABLE_DRIFT), FAILED,
         "models.py and the database your migrations build differ (what `flask db check` reports):", graded=9),
    case("teammates-down-revision-edited", checks.MERGED, 10, lambda: without_merge(course_walked(10)), FAILED,
         f"{file_of(7)}, {file_of(8)}, {file_of(9)} follow one another: no merge revision joins two branches.",
         graded=10),
    case("heads-not-joined-yet", checks.MERGED, 10,
         before_the_merge, FAILED,
         f"{file_of(7)}, {file_of(8)} are two heads, not joined yet. Join them with a merge revision: "
         "`flask db merge heads -m \"merge\"`", graded=10),
    case("half-changed-on-sqlite", checks.ROLLED_BACK, 11,
         lambda: copy(course_walked(11), failure_probe=half_applied_probe(10)), FAILED,
         "and the failure left the database half changed:\n"
         "  - the database has column `departments.code`, which the revision before does not", graded=11),
    case("failure-claimed-but-nothing-reached-the-file", checks.ROLLED_BACK, 11,
         lambda: copy(course_walked(11), failure_probe=clean_probe(10, FailureWitness.NOTHING)), FAILED,
         f"The grader's failure never happened: your app's process said {file_of(10)} had failed right after",
         graded=11),
    case("half-changed-on-postgres", checks.ROLLED_BACK, 11, postgres_leaves_the_column, FAILED,
         "PostgreSQL itself raised it, and the failure left the database half changed:\n"
         "  - the database has column `departments.code`, which the revision before does not\n"
         "The next `flask db upgrade` would run the migration again on top of those leftovers.\n"
         "PostgreSQL takes back a failed transaction's schema changes too, so something in the migration\n"
         "committed on its own", graded=11),
    case("failure-never-raised-by-postgres", checks.ROLLED_BACK, 11,
         lambda: copy(course_walked(11), failure_probe=Probe(10, 1, None, witness=FailureWitness.NEVER_RAISED)),
         FAILED, f"The grader's failure never happened: PostgreSQL was set to fail {file_of(10)} after its first "
         "schema\nchange, but never raised it", graded=11),
    case("changes-nothing", checks.ROLLED_BACK, 11,
         lambda: copy(course_walked(11), failure_probe=Probe(10, 1, None)), NOT_CHECKED,
         f"Not checked: {file_of(10)} changes nothing in the database, so there is nothing to interrupt.", graded=11),
    case("fails-there", checks.ON_POSTGRESQL, 12,
         elsewhere("postgresql", 6, "rows kept on upgrade", "upgrade() of r04 failed: NotNullViolation"), FAILED,
         "On PostgreSQL, step 06 rows kept on upgrade fails:\n  upgrade() of r04 failed: NotNullViolation\n"
         "and 1 more check after it. All of them: pipenv run grade --database postgresql", graded=12),
    case("fails-there", checks.ON_MYSQL, 12,
         elsewhere("mysql", 4, "schema reached", "MySQL rewrites the whole column"), FAILED,
         "On MySQL/MariaDB, step 04 schema reached fails:\n  MySQL rewrites the whole column", graded=12),
    case("never-went-down", checks.WENT_DOWN, 5, lambda: with_looks(course_walked(5), look(3)), FAILED,
         "Not seen yet: lesson looks at your own database. Run `flask db downgrade`, then, while your\n"
         f"database is at {id_of(2)}, `pipenv run lesson check 5`.", graded=5),
    case("went-down-losing-rows", checks.WENT_DOWN, 5,
         lambda: with_looks(course_walked(5), look(3), look(2, missing=("employees: Ada",))), FAILED,
         f"lesson saw your database at {id_of(2)}, but without these rows of seed.py: employees: Ada.", graded=5),
    case("never-seen-up", checks.WENT_DOWN, 5, lambda: with_looks(course_walked(5), look(2)), FAILED,
         f"lesson has not seen your own database at {file_of(3)} yet, with every row seed.py put in "
         f"(it is at {id_of(2)}).", graded=5),
    case("never-emptied", checks.BACKUP_TRIED, 9, lambda: with_looks(course_walked(9), look(6)), FAILED,
         "Not seen yet: back up instance/app.db, `flask db downgrade base`, then `pipenv run lesson check 9`",
         graded=9),
    case("emptied-not-restored", checks.BACKUP_TRIED, 9,
         lambda: with_looks(course_walked(9), look(6), look(None)), FAILED,
         "lesson saw your database emptied by `flask db downgrade base`; put your backup back", graded=9),
    case("only-sqlite-seen", checks.OWN_POSTGRESQL, 12, lambda: with_looks(course_walked(12), look(10)), FAILED,
         "Not seen yet: lesson looks at the database DATABASE_URL names.", graded=12),
    case("postgresql-behind", checks.OWN_POSTGRESQL, 12,
         lambda: with_looks(course_walked(12), look(10), look(4, database="postgresql")), FAILED,
         "lesson saw your PostgreSQL, but not at head with every row seed.py put in.", graded=12),
    case("column-dropped-under-the-running-app", checks.LIVE, 14,
         lambda: with_traffic(course_walked(), 14, seen=traffic(errors=(column_gone(120, 40),))), FAILED,
         "  - requests failed (120 during the upgrade, 40 after it): SELECT name FROM employees WHERE id = $1\n"
         "    column \"name\" does not exist\n    Safer: the running app still uses what the migration took away."),
    case("not-replayed-statement-by-statement", checks.LIVE, 14,
         lambda: copy(course_walked(), measured=[dataclasses.replace(run, why_not="the server went away")
                                                 if run.step == 14 else run for run in course_walked().measured]),
         NOT_CHECKED, f"Not checked: {file_of(12)} could not be upgraded again statement by statement: "
                      "the server went away"),
    case("rename-holds-the-lock", checks.LIVE, 13,
         lambda: with_traffic(course_walked(), 13, seen=traffic(waits=(rename_wait(2.1),))), FAILED,
         "  - 40 requests waited up to 2.10 s (the bound is 0.3 s) behind the migration's\n"
         "    ALTER TABLE employees RENAME COLUMN name TO full_name\n"
         "    which holds AccessExclusiveLock on employees: every read and write on it waits until the migration "
         "commits."),
    case("set-local-lock-timeout-in-the-autocommit-block", checks.LIVE, 13,
         lambda: lock_timeout_set_locally(course_walked(), 13), FAILED,
         "  Your migration sets it with `SET LOCAL lock_timeout`, which lasts only to the end of its transaction:\n"
         "  inside `autocommit_block()` each statement is a transaction of its own, so it does nothing there"),
    case("a-finding-unanswered", checks.LINTED, 16, lint(NOT_NULL_FINDING), FAILED,
         f"squawk still has 1 finding on your Part 3 migrations:\n  - adding-required-field (1x), first in "
         f"{file_of(13)}: Adding a NOT NULL field"),
    case("ignore-comment-ended-by-a-semicolon", checks.LINTED, 16,
         lint(SquawkFinding("unused-ignore", "unknown name ban-drop-column;", None,
                            "-- squawk-ignore ban-drop-column;")),
         FAILED, "`--sql` ends every op.execute() with `;`, and squawk reads it as part of the rule's name"),
    case("rule-silenced-without-a-reason", checks.LINTED, 16,
         lambda: with_squawk_config(course_walked(), silenced=("ban-drop-column",), unexplained=("ban-drop-column",)),
         FAILED, "server/.squawk.toml silences 1 rule without a reason: ban-drop-column."),
    case("config-refused", checks.LINTED, 16, lint(configuration="invalid rule name ban-drop-colum"), FAILED,
         "squawk refuses server/.squawk.toml: `ban-drop-colum` is not the name of one of its rules"),
    case("squawk-missing", checks.LINTED, 16, lint(unavailable="squawk is not installed"), FAILED,
         f"squawk did not run on {file_of(13)}: squawk is not installed. Without it this check cannot pass."),
]

# -- a check that waits for another ---------------------------------------------------------------

ON_SQLITE = AppFact(None, database="sqlite:////tmp/grade/instance/app.db")
TITLE_WITHOUT_DEFAULT = "sqlite3.IntegrityError: NOT NULL constraint failed: employees.title"

WAITING = [
    case("app-broken", checks.CHAIN, 1, lambda: copy(course_walked(3), app=AppFact(AppProblem.NO_APP)),
         NOT_CHECKED, "Not checked: fix the problems shown under step 01 first.", graded=3),
    case("chain-broken", checks.ROWS, 3,
         lambda: copy(course_walked(3), chain=Chain(ChainProblemKind.CYCLE, files=(file_of(1), file_of(2)))),
         NOT_CHECKED, "Not checked: fix the problems shown under step 01 first.", graded=3),
    case("app-broken", checks.FRESH_UPGRADE, 1, lambda: copy(course_walked(1), app=AppFact(AppProblem.CREATE_ALL)),
         NOT_CHECKED, "Not checked: fix the problems shown under step 01 first.", graded=1),
    case("schema-not-reached", checks.ROUND_TRIP, 3, lambda: walked((1,), (2,), ()), NOT_CHECKED,
         "Not checked: the step's schema is not reached.", graded=4),
    case("schema-not-reached", checks.DEFAULTS, 6, lambda: walked(*up_to(5), ()), NOT_CHECKED,
         "Not checked: the step's schema is not reached.", graded=6),
    case("upgrade-broke-before-head", checks.MODELS, 6,
         upgrade_failing(4, TITLE_WITHOUT_DEFAULT, 6), NOT_CHECKED,
         "Not checked: the migrations do not reach head.", graded=6),
    case("not-on-postgresql", checks.LIVE, 13, lambda: copy(course_walked(), traffic=[], app=ON_SQLITE),
         NOT_CHECKED, "Not checked: Part 3 runs on PostgreSQL: pipenv run grade --database postgresql"),
    case("not-on-postgresql", checks.LINTED, 16, lambda: copy(course_walked(), traffic=[], app=ON_SQLITE),
         NOT_CHECKED, "Not checked: Part 3 runs on PostgreSQL: pipenv run grade --database postgresql"),
    case("mariadb-missing", checks.ON_MYSQL, 12,
         lambda: copy(course_walked(12), elsewhere={"mysql": OtherDatabase(
             unavailable="MariaDB is not installed: apt install mariadb-server")}), NOT_CHECKED,
         "Not checked: MariaDB is not installed: apt install mariadb-server", graded=12),
    case("migration-broke-under-traffic", checks.LIVE, 14,
         upgrade_failing(12, "psycopg.errors.LockNotAvailable: canceling statement due to lock timeout", 16),
         NOT_CHECKED, f"Not checked: {file_of(12)} failed (see above)."),
    case("files-only", checks.WENT_DOWN, 5, lambda: course_walked(5), NEEDS_MACHINE,
         "not seen by this grade: only `pipenv run lesson check 5`, on the learner's machine, looks at their own "
         "database", graded=5),
    case("files-only", checks.BACKUP_TRIED, 9, course_walked, NEEDS_MACHINE,
         "not seen by this grade: only `pipenv run lesson check 9`"),
    case("files-only", checks.OWN_POSTGRESQL, 12, course_walked, NEEDS_MACHINE,
         "not seen by this grade: only `pipenv run lesson check 12`"),
]


@pytest.mark.parametrize("given", PASSING + FAILING + WAITING)
def test_a_check_on_hand_built_facts(given):
    found = judged(given.situation(), given.graded).check(given.step, given.check)
    assert (found.status, given.says in found.message) == (given.status, True), (
        f"Expected step {given.step:02d} {given.check.title} to be {given.status} saying\n{given.says}\n"
        f"but got {found.status}:\n{found.message}")


@pytest.mark.parametrize("cases, status", [(PASSING, PASSED), (FAILING, FAILED)], ids=["passing", "failing"])
def test_every_check_in_the_registry_has_a_case(cases, status):
    """A check added to checks.ALL needs a right and a wrong submission here."""
    covered = {each.values[0].check for each in cases if each.values[0].status == status}
    missing = [check.id for check in checks.ALL if check not in covered]
    assert not missing, f"Expected a {status} case for every check but got none for: {', '.join(missing)}"


def test_every_check_that_waits_for_evidence_from_the_learners_machine_says_so():
    waiting = {each.values[0].check for each in WAITING if each.values[0].status == NEEDS_MACHINE}
    assert waiting == {check for check in checks.ALL if check.evidence == checks.Evidence.LEARNER_DATABASE}


def test_a_failure_the_sqlite_file_could_not_witness_says_so_in_its_evidence():
    """Where the file cannot be watched (no inotify; a write-ahead log) the pass rests on the learner's word."""
    def evidence(witness):
        report = judged(copy(course_walked(11), failure_probe=clean_probe(10, witness)), 11)
        return report.check(11, checks.ROLLED_BACK).to_dict()["evidence"]

    assert evidence(FailureWitness.WRITTEN) == checks.Evidence.FILES
    assert evidence(FailureWitness.NO_INOTIFY) == evidence(FailureWitness.WAL) == checks.Evidence.UNWITNESSED_FAILURE


def test_a_failure_postgres_could_not_raise_says_so_in_its_evidence():
    """Where the server's administrator is no superuser, the learner's process made the failure happen."""
    def evidence(witness):
        report = judged(copy(course_walked(11), failure_probe=clean_probe(10, witness)), 11)
        return report.check(11, checks.ROLLED_BACK).to_dict()["evidence"]

    assert evidence(FailureWitness.SERVER_RAISED) == checks.Evidence.FILES
    assert evidence(FailureWitness.NO_SUPERUSER) == checks.Evidence.UNRAISED_FAILURE


def test_squawk_on_the_sql_the_learners_process_rendered_says_so_in_its_evidence():
    """On a server the grader did not start there is no log to read: squawk reads the render."""
    def evidence(from_server_log):
        facts = course_walked(16)
        facts.traffic = [dataclasses.replace(run, squawk=Squawk(from_server_log=from_server_log))
                         for run in facts.traffic]
        report = judged(facts, 16)
        assert report.check(16, checks.LINTED).passed
        return report.check(16, checks.LINTED).to_dict()["evidence"]

    assert evidence(True) == checks.Evidence.SERVER_LOG
    assert evidence(False) == checks.Evidence.LEARNER_RENDER


# -- the whole chain: a failure is laid on the step whose work causes it ----------------------------

def statuses(report, check):
    return {step.step: step.get(check).status for step in report.steps if step.get(check)}


def test_an_upgrade_failing_on_a_later_steps_revision_fails_that_step_and_not_step_01():
    facts = with_upgrade_failing(course_walked(8), 4, TITLE_WITHOUT_DEFAULT)
    report = judged(facts, 8)
    assert report.check(1, checks.FRESH_UPGRADE).status == PASSED
    assert [step.passed for step in report.steps[:5]] == [True] * 5
    reached = report.check(6, checks.REACHED)
    assert reached.status == FAILED
    assert reached.message.startswith(f"upgrade() of {file_of(4)} failed (line 21): sqlite3.IntegrityError: NOT NULL "
                                      "constraint failed: employees.title\nThe table already has rows")
    later = "Not checked: the chain stops before this step's schema, at step 06's migration (see there)."
    assert {step: report.check(step, checks.REACHED).message for step in (7, 8)} == {7: later, 8: later}
    assert report.stuck == 6


def test_models_py_differing_from_head_fails_the_step_at_head_and_says_where_on_earlier_ones():
    report = judged(with_models(course_walked(4), NULLABLE_DRIFT), 4)
    assert statuses(report, checks.MODELS) == {1: PASSED, 2: PASSED, 3: PASSED, 4: FAILED}
    assert report.check(2, checks.MODELS).message == ("models.py is compared with the step your newest work is on: "
                                                      "step 04")
    assert report.stuck == 4


def test_models_py_edited_for_the_next_step_is_that_steps_work():
    """title added to models.py, no migration yet: step 06 is begun, steps 01-05 stay passed."""
    models_ahead = SchemaItem(SchemaKind.MISSING_COLUMN, table="employees", column="title")
    report = judged(with_models(course_walked(5), models_ahead), 6)
    assert [step.passed for step in report.steps] == [True] * 5 + [False]
    assert report.check(4, checks.MODELS).message.endswith("step 06")
    assert report.check(6, checks.REACHED).message.startswith("Your migrations never reach the schema of step 06")
    assert report.stuck == 6


def test_two_heads_fail_the_first_step_owning_a_head():
    report = judged(four_with_heads(), 4)
    assert statuses(report, checks.REACHED) == {1: PASSED, 2: PASSED, 3: FAILED, 4: PASSED}
    assert report.check(3, checks.REACHED).message.startswith(
        f"Your chain has 2 heads: {file_of(2)}, {file_of(3)}.\nTwo migrations have the same down_revision")
    assert report.stuck == 3


def test_two_heads_on_the_step_that_teaches_merging_fail_its_merge_check_only():
    report = judged(before_the_merge(), 10)
    assert report.check(10, checks.REACHED).status == PASSED
    assert report.check(10, checks.MERGED).status == FAILED
    assert [step.step for step in report.steps if not step.passed] == [10]


def test_stuck_is_the_first_step_not_passed_whichever_steps_are_shown():
    facts = with_loss(course_walked(8), 5, rows_lost("departments", 1, 3))  # step 07's revision
    facts = with_climbed(facts, 6, dangling=(ASSUMED_ID,))  # and step 08's
    steps = steps_up_to(8)
    assert judge.verdict(facts, steps).stuck == 7
    assert judge.verdict(facts, steps, shown=steps[7:]).stuck == 8
    assert judge.verdict(facts, steps, shown=steps[:6]).stuck is None
    assert judge.verdict(course_walked(), steps_up_to(16)).stuck is None


def test_a_check_needing_the_learners_machine_counts_as_passed_when_only_files_are_graded():
    report = judged(course_walked(), 16)
    assert report.passed
    waiting = {(step.step, check.id) for step in report.steps for check in step.checks if check.status == NEEDS_MACHINE}
    assert waiting == {(5, checks.WENT_DOWN.id), (9, checks.BACKUP_TRIED.id), (12, checks.OWN_POSTGRESQL.id)}


def test_the_learners_database_behind_the_files_fails_the_step_it_has_not_run():
    report = judged(with_looks(course_walked(3), look(1)), 3)
    reached = report.check(3, checks.REACHED)
    assert (reached.status, reached.message) == (FAILED, (
        f"Your migrations reach this step's schema ({file_of(2)}), but your own database is at {id_of(1)}:\n"
        "it has not run them yet. Run `flask db upgrade`."))
    assert report.check(2, checks.REACHED).status == PASSED


def test_the_checks_only_the_learners_process_can_answer_say_so_in_their_evidence():
    """What the learner's own process alone can report (it loads models.py, it runs env.py to render
    SQL) is named as such in the report an instructor reads: nothing else rests on it."""
    report = judged(course_walked(9), 9)
    evidence = {check.name: check.to_dict()["evidence"] for step in report.steps for check in step.checks}
    assert evidence["models.py matches the migrations"] == checks.Evidence.LEARNER_PROCESS
    assert evidence["flask db check finds nothing"] == checks.Evidence.LEARNER_PROCESS
    assert evidence["chain renders as SQL"] == checks.Evidence.LEARNER_OFFLINE
    process = {checks.Evidence.LEARNER_PROCESS, checks.Evidence.LEARNER_OFFLINE}
    assert {name for name, said in evidence.items() if said in process} == {
        "models.py matches the migrations", "flask db check finds nothing", "chain renders as SQL"}

"""Step 11 graded on PostgreSQL: the failure on purpose is the server's own.

The grader makes step 11's migration fail after its first schema change, then looks whether the
database is exactly as before. On the PostgreSQL servers the grader runs as a superuser, PostgreSQL
itself raises that failure (an event trigger of the grader's, in the scratch database), so nothing
the learner's process says or skips decides the check. Each test grades a step 11 of the shape a
learner could write: right ones in unusual forms pass, a migration that commits its first change on
its own fails, with or without code that tells the grader the failure happened.
"""
import textwrap

import pytest

from testing.build import build_state
from testing.grader import grade, render_text

from .test_attacks import CLAIMS_THE_FAILURE, first_failure

pytestmark = pytest.mark.slow

ROLLED_BACK = "a failed migration changes nothing"
TIME_LIMIT = 20

# The reference migration's steps, for the forms below to put together.
ADD_COLUMN = "op.add_column('departments', sa.Column('code', sa.String(length=10), nullable=True))"
FILL = """
departments = sa.table('departments', sa.column('id', sa.Integer), sa.column('code', sa.String))
op.execute(departments.update().values(code='D' + sa.cast(departments.c.id, sa.String)))
"""
CONSTRAIN = """
with op.batch_alter_table('departments', schema=None) as batch_op:
    batch_op.alter_column('code', existing_type=sa.String(length=10), nullable=False)
    batch_op.create_unique_constraint(batch_op.f('uq_departments_code'), ['code'])
"""
# The mistake: the column commits on its own, before the rest of the migration has run.
COLUMN_COMMITTED_AT_ONCE = f"""
with op.get_context().autocommit_block():
    {ADD_COLUMN}
"""


def step_11(tmp_path, upgrade_body, app_code=""):
    """The end of step 11, with an upgrade() of its own for the step's migration."""
    server = build_state(11, tmp_path / "server")
    migration = next((server / "migrations" / "versions").glob("*add_department_code.py"))
    source = migration.read_text()
    start, end = source.index("def upgrade():\n"), source.index("def downgrade():")
    body = textwrap.indent(textwrap.dedent(upgrade_body).strip(), "    ")
    migration.write_text(f"{source[:start]}def upgrade():\n{body}\n\n\n{source[end:]}")
    if app_code:
        (server / "app.py").write_text((server / "app.py").read_text() + "\n" + textwrap.dedent(app_code))
    return server


def graded_on_postgres(server):
    report = grade(server, up_to_step=11, database="postgresql", time_limit=TIME_LIMIT)
    text = render_text(report)
    assert "Traceback" not in text
    assert all(step.passed for step in report.steps[:10]), text
    return report, report.check(11, ROLLED_BACK)


def test_the_course_migration_passes_and_postgres_raised_the_failure(tmp_path, postgres_server):
    report, check = graded_on_postgres(build_state(11, tmp_path / "server"))
    assert report.passed, first_failure(report).message
    assert "PostgreSQL itself raised it" in check.message
    assert "fail after its first schema change (ALTER TABLE departments ADD COLUMN code" in check.message
    assert check.to_dict()["evidence"] == "the submitted files, walked on a scratch database"


def test_a_first_change_committed_on_its_own_leaves_the_database_half_changed(tmp_path, postgres_server):
    report, check = graded_on_postgres(step_11(tmp_path, COLUMN_COMMITTED_AT_ONCE + FILL + CONSTRAIN))
    assert not check.passed
    assert "the failure left the database half changed" in check.message
    assert "committed on its own" in check.message


def test_a_failure_claimed_by_the_apps_process_does_not_hide_a_half_changed_database(tmp_path, postgres_server):
    # Before the server raised the failure, the learner's process was told where to fail: it said it
    # had, ran nothing, and this mistake passed.
    report, check = graded_on_postgres(step_11(tmp_path, COLUMN_COMMITTED_AT_ONCE + FILL + CONSTRAIN,
                                               CLAIMS_THE_FAILURE))
    assert not check.passed, check.message
    assert "the failure left the database half changed" in check.message


# Run nothing while the grader's event trigger is there, and say the grader's failure happened.
CLAIMS_THE_FAILURE_WHEN_THE_SERVER_IS_ARMED = """
    import os, sys
    import sqlalchemy
    worker = sys.modules["__main__"]
    LearnerError = sys.modules[worker.Reply.__module__].LearnerError
    _real_upgrade = worker.Session.upgrade
    def _claim(self, command):
        with sqlalchemy.create_engine(os.environ["DATABASE_URL"]).connect() as connection:
            armed = connection.exec_driver_sql("SELECT count(*) FROM pg_event_trigger").scalar()
        if armed:
            return worker.Reply(ok=False, error=LearnerError(
                "the grader's failure on purpose, after: ALTER TABLE departments ADD COLUMN code VARCHAR(10)"))
        return _real_upgrade(self, command)
    worker.Session.upgrade = _claim
"""


def test_a_failure_claimed_without_running_the_migration_fails(tmp_path, postgres_server):
    report, check = graded_on_postgres(step_11(tmp_path, COLUMN_COMMITTED_AT_ONCE + FILL + CONSTRAIN,
                                               CLAIMS_THE_FAILURE_WHEN_THE_SERVER_IS_ARMED))
    assert not check.passed, check.message
    assert "The grader's failure never happened" in check.message
    assert "but never raised it" in check.message


def test_a_migration_that_catches_the_failure_cannot_swallow_it(tmp_path, postgres_server):
    swallowing = (COLUMN_COMMITTED_AT_ONCE
                  + "try:\n"
                  + "    with op.get_bind().begin_nested():  # a savepoint: undone alone if it fails\n"
                  + textwrap.indent(FILL + CONSTRAIN, " " * 8)
                  + "except sa.exc.DBAPIError:\n"
                  + "    pass  # the column is there: the code can wait\n")
    report, check = graded_on_postgres(step_11(tmp_path, swallowing))
    assert not check.passed, check.message
    assert "the failure left the database half changed" in check.message


def test_a_first_statement_that_writes_rows_before_the_schema_passes(tmp_path, postgres_server):
    touch = "op.execute(\"UPDATE departments SET name = name\")\n"
    report, check = graded_on_postgres(step_11(tmp_path, touch + ADD_COLUMN + FILL + CONSTRAIN))
    assert report.passed, first_failure(report).message
    assert "PostgreSQL itself raised it" in check.message


def test_the_migration_in_raw_sql_passes(tmp_path, postgres_server):
    raw = """
        op.execute("ALTER TABLE departments ADD COLUMN code VARCHAR(10)")
        op.execute("UPDATE departments SET code = 'D' || id")
        op.execute("ALTER TABLE departments ALTER COLUMN code SET NOT NULL; "
                   "ALTER TABLE departments ADD CONSTRAINT uq_departments_code UNIQUE (code)")
    """
    report, check = graded_on_postgres(step_11(tmp_path, raw))
    assert report.passed, first_failure(report).message
    assert "fail after its first schema change (ALTER TABLE departments ADD COLUMN code VARCHAR(10))" \
        in check.message


def test_without_a_superuser_the_failure_rests_on_the_apps_process_and_says_so(tmp_path,
                                                                               administrator_not_superuser):
    report, check = graded_on_postgres(build_state(11, tmp_path / "server"))
    assert report.passed, first_failure(report).message
    assert check.to_dict()["evidence"] == (
        "the submitted files, walked on a scratch database; that the grader's failure happened rests on the "
        "learner's own process (the server's administrator is not a superuser, so PostgreSQL could not raise it)")

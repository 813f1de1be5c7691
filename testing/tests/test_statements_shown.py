"""Part 3's statements are measured before they run, as the learner's process shows them to the grader;
the server's own log says what really ran. A statement that ran without being shown first fails the step.

Each attack is app.py code a learner could write around the worker, with step 13's backfill done as one
UPDATE of every row retried under lock_timeout: at 20,000 rows the live traffic often lets it through,
and the measurement of each statement refuses it. Hidden from that measurement, it passed; on
PostgreSQL the grader now compares what it was shown with what the grade's role ran.
"""
import textwrap

import pytest

from testing.author import mistake
from testing.build import build_state
from testing.grader import grade, render_text
from testing.grader.judging import judge

pytestmark = pytest.mark.slow

TIME_LIMIT = 60
MISTAKE = "a backfill in one UPDATE, retried under lock_timeout"
NOT_SHOWN = "but your app's process did not show it to the grader first"

SHOWS_NOTHING = """
    import contextlib
    import sys
    _worker = sys.modules["__main__"]  # the worker runs as `python -m`

    @contextlib.contextmanager
    def _unwatched(engine, count, wait):
        yield

    _worker.pausing = _unwatched
"""

SHOWS_ANOTHER_STATEMENT = """
    import dataclasses
    import sys
    _worker = sys.modules["__main__"]
    _pausing = _worker.pausing

    def _disguised(engine, count, wait):
        def shown(pause):
            if pause.statement.lstrip().upper().startswith("UPDATE EMPLOYEES"):
                pause = dataclasses.replace(pause, statement="SELECT 1")
            wait(pause)
        return _pausing(engine, count, shown)

    _worker.pausing = _disguised
"""


def step_13(tmp_path, app_code=""):
    server = build_state(13, tmp_path / "server")
    mistake(MISTAKE).apply(server)
    if app_code:
        (server / "app.py").write_text((server / "app.py").read_text() + "\n" + textwrap.dedent(app_code))
    return server


def live_check(server):
    report = grade(server, up_to_step=13, database="postgresql", time_limit=TIME_LIMIT)
    assert "Traceback" not in render_text(report)
    return report.check(13, judge.LIVE)


def test_the_one_update_backfill_fails_when_nothing_is_attacked(tmp_path):
    check = live_check(step_13(tmp_path))
    assert not check.passed
    assert "UPDATE employees SET full_name = name" in check.message
    assert "updates every row of employees" in check.message
    assert NOT_SHOWN not in check.message


@pytest.mark.parametrize("attack", [SHOWS_NOTHING, SHOWS_ANOTHER_STATEMENT], ids=["shows nothing", "shows another"])
def test_a_statement_run_without_being_shown_fails(tmp_path, attack):
    check = live_check(step_13(tmp_path, attack))
    assert not check.passed, check.message
    assert NOT_SHOWN in check.message
    assert "PostgreSQL ran `UPDATE employees SET full_name = name" in check.message


def test_a_migration_that_reads_alembic_version_itself_passes(tmp_path):
    """Only Alembic's own statements on its table are left out of what must be shown: a learner's query
    that names alembic_version is shown and measured like any other, not taken for Alembic's."""
    server = build_state(13, tmp_path / "server")
    migration = server / "migrations" / "versions" / "a2b4c6d8e013_add_employee_full_name.py"
    text = migration.read_text()
    where_from = ('    start = op.get_bind().exec_driver_sql("SELECT version_num FROM alembic_version").scalar()\n'
                  '    print(f"full_name added on top of {start}")\n')
    migration.write_text(text.replace("def upgrade():\n", "def upgrade():\n" + where_from, 1))
    check = live_check(server)
    assert check.passed, check.message

"""Part 3: migrations graded while the previous step's app keeps serving requests (PostgreSQL).

The references pass with the traffic running; each plain way of doing the same fails with the
statement, the lock and the safer pattern. These grades are judged from recorded facts
(recorded.py, group "part3"); the slow tier grades them again end to end.
"""
import contextlib
import dataclasses
import os
import re
import subprocess
import sys
import threading
import time

import pytest
import sqlalchemy as sa

from testing import author, course
from testing.build import build_state
from testing.grader import judged, scratch_database
from testing.grader.cache import ReportCache
from testing.grader.facts import LockWait, Phase, RequestError, Squawk, TrafficRun, TrafficSummary
from testing.grader.judging import judge, messages
from testing.grader.measure import linter, traffic

from . import recorded
from .cases import (
    BACKFILL_REVISION,
    BACKFILL_REVISION_IN_ONE_UPDATE,
    BEFORE_PART3_WITH_ITS_FILES,
    LINT_START,
    PART3,
    PART3_MISTAKES,
    PART3_ON_SQLITE,
    PART3_REFERENCE,
    PART3_RIGHT_FORMS,
    PART3_START,
    PART3_SUBMISSIONS,
    PART3_WRONG_FORMS,
    RANGE_WALK_STUCK,
    WRONG_FORM_MESSAGES,
)

UNDER_TRAFFIC = [step.number for step in course.steps() if judge.LIVE.title in step.checks]


def part3_report(case):
    return recorded.report("part3", case)


def failures(report):
    """The checks that fail, but for step 12's (the chain on the other databases)."""
    return [(s.step, c.name, c.message) for s in report.steps for c in s.checks
            if not c.passed and c.check not in judge.OTHER_DATABASES]


def test_references_pass_with_the_app_running():
    report = part3_report(PART3_REFERENCE)
    assert not failures(report)
    for number in UNDER_TRAFFIC:
        message = report.check(number, judge.LIVE).message
        assert f"requests of step {number - 1:02d}'s app, none failed" in message
        assert "squawk" not in message  # step 16's .squawk.toml answers every finding


@pytest.mark.parametrize("submission", PART3_SUBMISSIONS, ids=[s.name for s in PART3_SUBMISSIONS])
def test_the_plain_way_fails_with_its_message(submission):
    report = part3_report(PART3_MISTAKES[submission.name])
    check = report.check(submission.step, submission.check)
    assert not check.passed
    assert submission.message in check.message
    if submission.check == judge.LIVE.title:
        # No .squawk.toml before step 16: squawk's advice, or why it could not read a migration that
        # reads rows in Python (offline, --sql has no rows to give it).
        assert ("\nsquawk, as advice (migrations/versions/" in check.message
                or "the migration does not render as SQL" in check.message)


def test_the_part3_corpus_is_big_and_mixed():
    """At least 30 learners' submissions, at least as many right as wrong, on every Part 3 step."""
    wrong = [(mistake.name, mistake.start) for mistake in PART3_SUBMISSIONS] + [
        (case.name, case.up_to) for case in PART3_WRONG_FORMS]
    right = [(case.name, case.up_to) for case in PART3_RIGHT_FORMS]
    assert len(right) + len(wrong) >= 30 and len(right) >= 15 and len(right) >= len(wrong)
    assert len({name for name, _ in right + wrong}) == len(right + wrong)
    assert {step for _, step in right} == {step for _, step in wrong} == set(PART3)


@pytest.mark.parametrize("case", PART3_RIGHT_FORMS, ids=[case.name for case in PART3_RIGHT_FORMS])
def test_a_right_form_passes_every_step(case):
    report = part3_report(case)
    assert report.steps[-1].step == case.up_to
    assert not failures(report), failures(report)


WRONG_WITH_MESSAGES = [case for case in PART3_WRONG_FORMS if case.name in WRONG_FORM_MESSAGES]


@pytest.mark.parametrize("case", WRONG_WITH_MESSAGES, ids=[case.name for case in WRONG_WITH_MESSAGES])
def test_a_wrong_form_fails_its_step_with_its_message(case):
    report = part3_report(case)
    check = report.check(case.up_to, judge.LIVE)
    assert not check.passed
    assert WRONG_FORM_MESSAGES[case.name] in check.message
    assert all(report.steps[number - 1].passed for number in PART3 if number < case.up_to)


def test_a_backfill_in_a_migration_of_its_own_is_its_steps_work():
    """Its revision changes no schema: step 13's, run and measured with step 13's other migration,
    its own downgrade free to leave full_name filled, and models.py compared on step 13."""
    report = part3_report(BACKFILL_REVISION)
    backfill = "migrations/versions/step13_backfill_revision.py"
    assert backfill in report.steps[PART3[0] - 1].files
    assert report.check(PART3[0], judge.ROUND_TRIP).message == ("all 2 migrations downgrade and upgrade again "
                                                                "with every row")
    assert backfill in report.check(PART3[0], judge.LIVE).message
    assert report.check(PART3[0], judge.MODELS).passed


def test_the_starting_state_of_each_part3_step_fails_it():
    """One grade: at step 13's start no Part 3 state is reached, and the traffic check waits for it.
    The steps that write a migration say so as their own start does (author/step.toml)."""
    report = part3_report(PART3_START)
    for number in PART3:
        assert f"never reach the schema of step {number}" in report.check(number, judge.REACHED).message
        starting = author.starting_state(course.step(number))
        assert starting is not None, f"step {number} says how its start fails"
        if starting.check == judge.REACHED.title:
            assert starting.message in report.check(number, judge.REACHED).message
        assert all(report.check(number, name).message == judge.NOT_REACHED.message
                   for name in course.step(number).checks)
    assert not [failure for failure in failures(report) if failure[0] < PART3[0]]


def test_a_part3_chain_graded_on_sqlite_is_graded_on_postgresql():
    """Its migrations run on PostgreSQL only: the grade says so, and step 12 still runs steps
    01-12 on SQLite and MariaDB, without Part 3's revisions."""
    report = part3_report(PART3_ON_SQLITE)
    assert report.passed, [c.message for s in report.steps for c in s.checks if not c.passed]
    assert report.notes[0] == messages.part3_on_postgresql("sqlite")
    assert report.check(12, judge.ON_MYSQL).message == "every check of steps 01-12 passes on MySQL/MariaDB too"


def test_a_grade_up_to_step_12_leaves_part3s_migrations_out():
    report = part3_report(BEFORE_PART3_WITH_ITS_FILES)
    assert report.passed, [c.message for s in report.steps for c in s.checks if not c.passed]
    assert report.notes == [messages.part3_left_out("sqlite")]


def test_squawk_reads_the_sql_offline():
    found = linter.lint("ALTER TABLE employees RENAME COLUMN name TO full_name;\n"
                        "CREATE INDEX ix_employees_salary ON employees (salary);\n").findings
    rules = {finding.rule for finding in found}
    assert {"renaming-column", "require-concurrent-index-creation"} <= rules
    assert next(f for f in found if f.rule == "renaming-column").statement.startswith("ALTER TABLE employees RENAME")


def test_a_rule_silenced_in_squawk_toml_is_not_advised(tmp_path):
    """The grader runs squawk in the copy of server/, so the learner's .squawk.toml applies."""
    (tmp_path / ".squawk.toml").write_text('excluded_rules = ["renaming-column"]\n')
    found = linter.lint("ALTER TABLE employees RENAME COLUMN name TO full_name;\n", tmp_path).findings
    assert "renaming-column" not in {finding.rule for finding in found}


WAIT = LockWait(seconds=0.7, count=3, statement="CREATE INDEX ix_employees_salary ON employees (salary)",
                held="ShareLock", granted=False, relation="employees", wanted="employees (RowExclusiveLock)",
                query="UPDATE employees SET salary=%(salary)s WHERE employees.id = %(employees_id)s",
                phase=Phase.DURING)


def run_with(wait):
    """A traffic run of step 14's app in which requests waited so behind a migration of step 15."""
    seen = TrafficSummary(rows=20000, bound=0.3, hold=0.6, migration_seconds=1.0, requests=100, p50=0.01, p99=0.7,
                          slowest=0.7, waits=(wait,))
    return TrafficRun(index=13, from_step=14, step=15, seen=seen, squawk=Squawk())


@pytest.mark.parametrize("wait, told", [
    (WAIT, "3 requests waited up to 0.70 s (the bound is 0.3 s) behind the migration's\n"
           "    CREATE INDEX ix_employees_salary ON employees (salary)\n"
           "    which waits for ShareLock on employees behind a request that has not committed;\n"
           "    every write on it queues behind the migration meanwhile.\n"
           "    Safer: CREATE INDEX CONCURRENTLY, inside `with op.get_context().autocommit_block():` (step 15). "
           "And set lock_timeout"),
    (dataclasses.replace(WAIT, statement="ALTER TABLE employees ADD COLUMN x INTEGER", held="AccessExclusiveLock",
                         granted=True),
     "which holds AccessExclusiveLock on employees: every read and write on it waits until the "
     "migration commits.\n    Safer: Set lock_timeout (say '100ms')"),
])
def test_a_wait_is_told_with_its_lock_and_the_safer_pattern(wait, told):
    assert told in messages.traffic_trouble(run_with(wait), "migrations/versions/x.py")


def test_a_request_that_failed_gets_the_advice_its_error_asks_for():
    """The trigger dropped before `name` may be NULL: step 13's app cannot insert in between."""
    failed = RequestError('null value in column "name" of relation "employees" violates not-null constraint',
                          "INSERT INTO employees (id, full_name) VALUES (%(id)s, %(full_name)s)", 1, 0)
    run = run_with(dataclasses.replace(WAIT, seconds=0.1))
    run = dataclasses.replace(run, seen=dataclasses.replace(run.seen, errors=(failed,), error_count=1))
    told = messages.traffic_trouble(run, "migrations/versions/x.py")
    assert "Safer: a NOT NULL column the running code does not write must be filled for it" in told


def test_a_wait_within_the_bound_is_not_a_finding():
    text = messages.traffic_trouble(run_with(dataclasses.replace(WAIT, seconds=0.2)), "migrations/versions/x.py")
    assert "waited" not in text


def test_the_lint_step_waits_for_its_own_work():
    """Step 16 writes no migration: at its start (step 15 done) squawk's findings are unanswered."""
    report = part3_report(LINT_START)
    starting = author.starting_state(course.step(PART3[-1]))
    assert starting is not None, "step 16 says how its start fails"
    lint = report.check(PART3[-1], starting.check)
    assert not lint.passed and lint.message.startswith(starting.message)
    assert all(report.steps[number - 1].passed for number in PART3[:-1])  # steps 13-15 are done


def test_a_backfill_stopped_at_the_time_limit_says_how_far_it_got():
    message = part3_report(RANGE_WALK_STUCK).check(PART3[0], judge.REACHED).message
    assert "did not finish within 20 seconds, so the grader stopped it.\n" \
           "Its last statement: UPDATE employees SET full_name = name WHERE id >= $1 AND id < $1 + 1000" in message
    filled = re.search(r"By then `employees.full_name` had a value in ([\d,]+) of ([\d,]+) rows.\n"
                       r"Look for a loop that never ends", message)
    assert filled and int(filled[1].replace(",", "")) < traffic.FILLER_ROWS < int(filled[2].replace(",", ""))


def test_a_verdict_the_live_traffic_decided_is_never_cached(tmp_path):
    """Requests that failed or waited are what the traffic happened to meet: grade again next time."""
    cache = ReportCache(tmp_path)
    troubled, calm = recorded.facts("part3", PART3_MISTAKES["a plain rename"]), recorded.facts("part3", PART3_REFERENCE)
    assert any(run.seen.troubled for run in troubled.traffic)
    cache.keep_facts("postgresql-troubled", troubled)
    cache.keep_facts("postgresql-calm", calm)
    assert cache.facts("postgresql-troubled") is None
    assert cache.facts("postgresql-calm") == calm


def test_step_13s_sync_is_checked_both_ways():
    """Once step 13 is done, what step 12's app writes to name step 13's app reads in full_name, and
    the other way round; with no trigger, or one that copies one way, step 13 fails on its own."""
    for name, directions in (("no sync trigger", {"update name", "update full_name"}),
                             ("a sync trigger one way only", {"update full_name"})):
        facts = recorded.facts("part3", PART3_MISTAKES[name])
        gaps = next(run for run in facts.measured if run.step == PART3[0]).gaps
        assert {gap.request for gap in gaps if "app then reads" in gap.error} == directions, name
    message = part3_report(PART3_MISTAKES["no sync trigger"]).check(PART3[0], judge.LIVE).message
    assert "Step 12's app\n    fails to update name once the migration is done:\n" \
           "    step 13's app then reads full_name" in message
    assert "Instead: keep the two columns in sync both ways" in message
    reference = recorded.facts("part3", PART3_REFERENCE)
    assert reference.measured and not [gap for run in reference.measured for gap in run.gaps]


# -- each hint of Part 3 opens with what the grader says at its step ----------------------------

# A quotation in a hint: "..." or '...' (not an apostrophe), outside `code`.
QUOTED = re.compile(r"""(?:^|(?<=[\s(]))(["'])(.+?)\1(?=[\s:,.)]|$)""", re.S)


def quotations(hint):
    return [found.group(2) for found in QUOTED.finditer(re.sub(r"`[^`]*`", "``", hint))]


def spoken(text):
    return " ".join(text.split())


def said_at(step):
    """What the failing checks of `step` say in the recorded grades of its wrong submissions and starts."""
    cases = [PART3_MISTAKES[mistake.name] for mistake in PART3_SUBMISSIONS if mistake.step == step]
    cases += [PART3_START, LINT_START, RANGE_WALK_STUCK]
    return [spoken(check.message) for case in cases for graded in part3_report(case).steps if graded.step == step
            for check in graded.checks if not check.passed]


@pytest.mark.parametrize("step", PART3)
def test_each_hint_quotes_what_the_grader_says_at_its_step(step):
    """A hint is found by the message it quotes: the message must be one the grader gives at that step."""
    said = said_at(step)
    for number, hint in enumerate(course.step(step).hints(), 1):
        quoted = quotations(hint)
        assert quoted, f"hint {step}-{number} quotes nothing the grader says:\n{hint}"
        for quote in quoted:
            pattern = ".*?".join(re.escape(part) for part in spoken(quote).split("..."))
            assert any(re.search(pattern, message) for message in said), (
                f"hint {step}-{number} quotes {quote!r}, which no check of step {step} says")


@pytest.mark.parametrize("hint, quoted", [
    ('"a" in the check', ["a"]),
    ("'record \"new\" has no field \"name\"' from the app: step 13's code", ['record "new" has no field "name"']),
    ('Requests waited "behind the migration\'s UPDATE": one', ["behind the migration's UPDATE"]),
    ("Write `op.execute(\"SET x\")` and it's done", []),
])
def test_a_quotation_is_told_from_an_apostrophe_and_from_code(hint, quoted):
    assert quotations(hint) == quoted


def test_lesson_15_shows_the_message_a_plain_index_gets():
    """The message lesson 15 quotes is the one its mistake gets, word for word."""
    readme = course.step(PART3[2]).readme.read_text(encoding="utf-8")
    (shown,) = re.findall(r"```text\n(.*?)```", readme, re.S)
    report = part3_report(PART3_MISTAKES["an index built at once, retried under lock_timeout"])
    assert shown.strip() in report.check(PART3[2], judge.LIVE).message


def test_concurrently_outside_the_autocommit_block_is_told_where_it_goes():
    report = part3_report(PART3_MISTAKES["a concurrent index after the autocommit block"])
    message = report.check(PART3[2], judge.REACHED).message
    assert "CREATE INDEX CONCURRENTLY cannot run inside a transaction block\n" in message
    assert ("It cannot run in Alembic's transaction: put it inside `with op.get_context().autocommit_block():`\n"
            "(step 15).") in message
    assert "The grader starts from an empty database each time" in message


@pytest.mark.slow
def test_a_backfill_in_one_update_fails_on_a_server_whose_administrator_is_not_a_superuser(
        tmp_path, administrator_not_superuser):
    """The rows from before a backfill of its own are inserted with the table's triggers off (by the
    table's owner): filled by step 13's sync trigger instead, they would leave the UPDATE nothing to do."""
    case = BACKFILL_REVISION_IN_ONE_UPDATE
    report = judged(recorded.live_facts(case, tmp_path), case.up_to)
    check = report.check(case.up_to, judge.LIVE)
    assert not check.passed
    assert WRONG_FORM_MESSAGES[case.name] in check.message


@contextlib.contextmanager
def step_12_database(tmp_path):
    """A scratch PostgreSQL database upgraded to step 12, as Part 3's traffic starts from: its URL."""
    folder = build_state(12, tmp_path / "server")
    with scratch_database("postgresql", folder) as scratch:
        env = {**os.environ, "DATABASE_URL": scratch.url, "PYTHONWARNINGS": "ignore"}
        subprocess.run([sys.executable, "-m", "flask", "db", "upgrade"], cwd=folder, env=env, check=True,
                       capture_output=True)
        yield scratch.url


# A request that is busy for two seconds before it asks for a lock: on a loaded machine a request may
# be that late, and its wait is the time its lock was not granted, not the time since it started.
LATE_LOCK = "DO $$ BEGIN PERFORM pg_sleep(2.0); PERFORM pg_advisory_lock(13); END $$"


@pytest.mark.slow
def test_a_request_waits_from_when_it_asks_for_the_lock_not_from_when_it_started(tmp_path, postgres_server):
    with step_12_database(tmp_path) as url:
        engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
        with engine.connect() as migration, engine.connect() as late:
            migration.execute(sa.text("SELECT pg_advisory_lock(13)"))
            late_pid = late.execute(sa.text("SELECT pg_backend_pid()")).scalar_one()
            with traffic.running(url, course.step(12).models_path, 1000) as seen:
                seen.own_sessions.add(late_pid)  # the monitor watches it as one of the app's requests
                request = threading.Thread(target=late.execute, args=(sa.text(LATE_LOCK),))
                request.start()
                deadline = time.monotonic() + 30  # a request that never waits fails below, not by hanging
                while not migration.execute(sa.text(
                        "SELECT count(*) FROM pg_locks WHERE pid = :pid AND NOT granted"), {"pid": late_pid}).scalar() \
                        and time.monotonic() < deadline:
                    time.sleep(0.01)
                time.sleep(0.5)  # the lock stays held a moment, as a migration's statement holds it
                migration.execute(sa.text("SELECT pg_advisory_unlock(13)"))
                request.join()
        engine.dispose()
    assert seen.summary is not None  # running() sums up as its block ends
    waits = [wait for wait in seen.summary.waits if "pg_sleep" in wait.query]
    assert len(waits) == 1 and waits[0].wanted.startswith("advisory"), seen.summary.waits
    assert 0.1 < waits[0].seconds < 2.0, waits[0]  # not the two seconds of work before the wait


# A migration's first statement that needs a lock against writers, with no lock_timeout, reached when
# the payroll job's first transaction would be over: in the pause between two of them (HOLD + GAP / 2),
# in the next pause, and long after. A loaded machine can take that long to get to it.
LATE_STATEMENT = "ALTER TABLE employees ADD COLUMN reached_late integer"


@pytest.mark.slow
@pytest.mark.parametrize("late", [traffic.HOLD + traffic.GAP / 2, 2 * traffic.HOLD + 1.5 * traffic.GAP, 4.0])
def test_a_statement_without_lock_timeout_meets_the_payroll_job_however_late_it_comes(
        tmp_path, postgres_server, late):
    with step_12_database(tmp_path) as url:
        engine = sa.create_engine(url, poolclass=sa.pool.NullPool, isolation_level="AUTOCOMMIT")
        with engine.connect() as migration:
            with traffic.running(url, course.step(12).models_path, 1000) as seen:
                time.sleep(late)
                migration.execute(sa.text(LATE_STATEMENT))
        engine.dispose()
    assert seen.summary is not None  # running() sums up as its block ends
    waits = [wait for wait in seen.summary.waits if "reached_late" in wait.statement]
    assert waits and waits[0].seconds > traffic.WAIT_BOUND, seen.summary.waits

"""Steps 05, 09 and 12 wait for evidence of their own work, seen on the learner's own database by
`lesson` (testing/guide/evidence.py). The chain's facts are recorded once (recorded.py); each case
judges them with other evidence, in milliseconds."""
import dataclasses
import sqlite3

import pytest

from testing import course
from testing.build import build_state
from testing.grader import codec
from testing.grader.checks import Status
from testing.grader.facts import Evidence
from testing.grader.judging import judge
from testing.grader.judging.judge import verdict
from testing.guide import evidence

from . import recorded
from .cases import EVIDENCE_CASE, PART3, PART3_REFERENCE
from .clones import fingerprint
from .lesson_commands import run

STEPS = list(course.steps())
HEAD = "f1a3b5c7d011"  # the course's last revision; below it, step by step:
STEP_04, STEP_03, STEP_08 = "e4f6a8b0c004", "d3e5f7a9b003", "b7c9d1e3f008"


@pytest.fixture(scope="module")
def facts():
    return recorded.facts("evidence", EVIDENCE_CASE)


def seen(versions, database="sqlite", found=4, missing=()):
    return {"at": "2026-11-30T10:00:00", "database": database, "versions": versions, "found": found,
            "missing": list(missing)}


def with_evidence(facts, now, looks, given=()):
    """The same facts, with what `lesson` would have seen (as guide/evidence.py keeps it)."""
    seen = codec.typed(Evidence, {"now": now, "looks": list(looks), "given": list(given)})
    return dataclasses.replace(facts, evidence=seen)


def check(facts, step, name, looks=(), now=None, given=()):
    judged = facts if looks is None else with_evidence(facts, now, [*looks, *([now] if now else [])], given)
    result = verdict(judged, STEPS).steps[step - 1]
    return result.get(name)


def test_grade_without_lesson_says_in_one_line_that_it_cannot_see(facts):
    for step, name in ((5, judge.WENT_DOWN), (9, judge.BACKUP_TRIED), (12, judge.OWN_POSTGRESQL)):
        found = check(facts, step, name, looks=None)
        assert found.status == Status.NEEDS_LEARNER_MACHINE and found.passed
        assert found.message.startswith("not seen by this grade: only `pipenv run lesson check")
        assert len(found.message.splitlines()) == 1


@pytest.mark.parametrize("looks, now, passed, says", [
    ([seen([HEAD])], None, False, "Not seen yet: lesson looks at your own database. Run `flask db downgrade`"),
    ([seen([HEAD]), seen([STEP_03])], seen([HEAD]), True,
     "lesson saw your database at d3e5f7a9b003, one revision below"),
    ([seen([HEAD])], seen([STEP_03]), True, "Stopping here is fine for this step"),
    # One below, but never seen up: step 04's `flask db upgrade` was never run.
    ([], seen([STEP_03]), False, "Go up first: `flask db upgrade`"),
    ([seen([HEAD]), seen([STEP_03], found=2, missing=["department: Payroll"])], None, False,
     "but without these rows of seed.py: department: Payroll"),
    ([seen([STEP_08])], None, False, "Not seen yet"),  # further down than one revision
])
def test_step_05_waits_for_the_downgrade_on_the_learners_database(facts, looks, now, passed, says):
    found = check(facts, 5, judge.WENT_DOWN, looks, now)
    assert found.passed is passed and says in found.message, found.message


@pytest.mark.parametrize("looks, passed, says", [
    ([seen([HEAD])], False, "Not seen yet: back up instance/app.db, `flask db downgrade base`"),
    ([seen([]), seen([HEAD])], False, "Not seen yet"),  # empty before the course began: no backup tried
    ([seen([HEAD]), seen([], found=0)], False, "put your backup back"),
    ([seen([HEAD]), seen([], found=0), seen([HEAD], found=1, missing=["employees: Kai Uri"])], False,
     "put your backup"),
    ([seen([HEAD]), seen([], found=0), seen([HEAD])], True, "your backup works"),
])
def test_step_09_waits_for_a_backup_put_back(facts, looks, passed, says):
    found = check(facts, 9, judge.BACKUP_TRIED, looks)
    assert found.passed is passed and says in found.message, found.message


@pytest.mark.parametrize("looks, passed, says", [
    ([seen([HEAD])], False, "Not seen yet: lesson looks at the database DATABASE_URL names"),
    ([seen([STEP_04], database="postgresql")], False, "lesson saw your PostgreSQL, but not at head"),
    ([seen([HEAD], database="postgresql")], True, "lesson saw your PostgreSQL at head"),
])
def test_step_12_waits_for_the_learners_postgresql(facts, looks, passed, says):
    found = check(facts, 12, judge.OWN_POSTGRESQL, looks)
    assert found.passed is passed and says in found.message, found.message


def test_steps_lesson_start_did_are_passed_and_say_so(facts):
    found = check(facts, 5, judge.WENT_DOWN, [seen([HEAD])], given=[1, 2, 3, 4, 5])
    assert found.passed and "`pipenv run lesson start` began a later step than 05" in found.message


def test_a_database_that_has_not_run_the_migrations_says_upgrade(facts):
    found = check(facts, 11, judge.REACHED, [], now=seen([STEP_08]))
    assert not found.passed
    assert "your own database is at b7c9d1e3f008:\nit has not run them yet. Run `flask db upgrade`." in found.message
    assert check(facts, 8, judge.REACHED, [], now=seen([STEP_08])).passed  # step 08's own revision has run


def test_the_downgrade_step_may_leave_the_database_one_below(facts):
    reached = check(facts, 4, judge.REACHED, [seen([HEAD])], now=seen([STEP_03]))
    assert reached.passed, reached.message


def test_a_database_that_never_went_up_passes_neither_the_step_nor_the_downgrade(facts):
    """Step 04's migration in place, `flask db upgrade` never run: one revision below is where the
    database always was, not a downgrade."""
    reached = check(facts, 4, judge.REACHED, [], now=seen([STEP_03]))
    assert not reached.passed and "Run `flask db upgrade`" in reached.message
    went_down = check(facts, 5, judge.WENT_DOWN, [], now=seen([STEP_03]))
    assert not went_down.passed and "Go up first: `flask db upgrade`" in went_down.message


def test_rows_gone_from_the_learners_database_are_named_in_a_note(facts):
    judged = with_evidence(facts, seen([HEAD], found=3, missing=["departments: Payroll"]), [])
    notes = verdict(judged, STEPS).notes
    assert notes == ["Your database has lost rows that seed.py put in: departments: Payroll.\n"
                     "To get them back: `pipenv run lesson restore` (a backup), or `python seed.py` (it puts in the "
                     "sample rows that are missing)."]


def test_a_look_reads_the_learners_database_without_changing_it(tmp_path, monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    server = build_state(4, tmp_path / "server")
    for command in ("flask db upgrade", "python seed.py"):
        code, output = run(command, server)
        assert code == 0, output
    before = fingerprint(server)
    look = evidence.look(server)
    assert look is not None
    assert (look["database"], look["versions"], look["found"], look["missing"]) == ("sqlite", [STEP_04], 4, [])
    assert fingerprint(server) == before
    with sqlite3.connect(server / "instance" / "app.db") as connection:
        connection.execute("UPDATE departments SET location = NULL WHERE name = 'Payroll'")
    before = fingerprint(server)
    look = evidence.look(server)
    assert look is not None and look["missing"] == ["departments: Payroll"]
    assert fingerprint(server) == before


def test_what_was_seen_is_kept_once_per_change(tmp_path, monkeypatch):
    monkeypatch.setattr(evidence, "SEEN_DIR", tmp_path / "seen")
    server = tmp_path / "server"
    evidence.give(server, [1, 2])
    for look in (seen([HEAD]), seen([HEAD]), seen([STEP_03]), seen([HEAD])):
        evidence.keep(server, look)
    kept = evidence.kept(server)
    assert [look["versions"] for look in kept["looks"]] == [[HEAD], [STEP_03], [HEAD]] and kept["given"] == [1, 2]


@pytest.fixture(scope="module")
def part3_facts():
    return recorded.facts("part3", PART3_REFERENCE)


def part3_steps_reached(facts, looks, now, given=()):
    judged = with_evidence(facts, now, [*looks, *([now] if now else [])], given)
    report = verdict(judged, STEPS)
    return {number: report.check(number, judge.REACHED) for number in PART3}


def test_part3_seen_on_the_learners_postgresql_stays_passed_once_that_server_is_stopped(part3_facts):
    """Every Part 3 lesson ends with `pipenv run pg stop` and `unset DATABASE_URL`: lesson then sees
    the SQLite database, at step 12's head, which can never run Part 3."""
    revisions = part3_facts.revisions
    before_part3 = revisions[-1 - len(part3_facts.part3_files)].id
    seen_on_postgresql = seen([revisions[-1].id], database="postgresql")
    reached = part3_steps_reached(part3_facts, [seen_on_postgresql], now=seen([before_part3]))
    assert all(check.passed for check in reached.values()), {n: c.message for n, c in reached.items()}


def test_part3_never_seen_on_postgresql_asks_for_it_not_for_an_upgrade_of_sqlite(part3_facts):
    before_part3 = part3_facts.revisions[-1 - len(part3_facts.part3_files)].id
    reached = part3_steps_reached(part3_facts, [], now=seen([before_part3]))
    first = reached[PART3[0]]
    assert not first.passed
    assert "This step runs on PostgreSQL, not on instance/app.db: `pipenv run pg`" in first.message
    assert "lesson has not seen your PostgreSQL yet" in first.message
    given = part3_steps_reached(part3_facts, [], now=seen([before_part3]), given=range(1, PART3[1]))
    assert given[PART3[0]].passed  # `lesson start 14` did step 13 for the learner

"""One verdict per step: for the same files, `lesson check N` (the course map), step N of `grade`,
of `grade --step N`, of `testing/grade-step N` and of CodeGrade's step-N tests say the same — passed
or not, and the same first message — and a failure lands on the step whose work causes it.

Every recorded case (the corpus, each step's reference and starting state, every author mistake,
Part 3) is judged every way in-process; a few real commands close the loop end to end."""
import json
import os
import subprocess
import sys

import pytest

from testing import course
from testing.build import build_state
from testing.grader import checks, grade, judged
from testing.grader.facts import Evidence
from testing.guide import standing

from . import recorded

CASES = [(group, case) for group, cases in recorded.groups().items() for case in cases]
# In parts, so that the test workers share them: judging every case every way takes seconds.
PARTS = 6


def first_failure(result):
    """(check id, its message's first line) of a step's first failing check, or None."""
    failing = next((check for check in result.checks if not check.passed), None)
    return failing and (failing.id, failing.message.splitlines()[0] if failing.message else "")


@pytest.mark.parametrize("part", range(PARTS))
def test_every_route_gives_every_step_of_every_recorded_case_one_verdict(part):
    differing = []
    for group, case in CASES[part::PARTS]:
        facts = recorded.facts(group, case)
        every = judged(facts)  # `grade`; `lesson` reads the same report as its map
        course_map = standing.course_map(every)
        for number in range(1, (case.up_to or len(every.steps)) + 1):
            alone = judged(facts, number).steps[number - 1]  # grade --step N; grade-step N and CodeGrade
            in_every = every.steps[number - 1]
            state = course_map.state_of(number)
            seen = {"grade --step": (alone.passed, first_failure(alone)),
                    "grade": (in_every.passed, first_failure(in_every)),
                    "lesson": (state.state == standing.PASSED, first_failure(state))}
            if len(set(seen.values())) > 1:
                differing.append(f"{group}/{case.key} step {number:02d}: {seen}")
    assert not differing, "\n".join(differing)


@pytest.mark.parametrize("part", range(PARTS))
def test_the_step_where_a_learner_is_stuck_fails_on_its_own_and_no_step_before_it_does(part):
    for group, case in CASES[part::PARTS]:
        report = judged(recorded.facts(group, case))
        failing = [result.step for result in report.steps if not result.passed]
        if not failing:
            assert report.stuck is None, case.key
            continue
        assert report.stuck is not None, case.key
        stuck = report.steps[report.stuck - 1]
        assert not stuck.passed, case.key
        before = report.steps[:report.stuck - 1]
        assert not [check for result in before for check in result.checks if check.status == checks.Status.FAILED]
        if any(check.status == checks.Status.FAILED for check in stuck.checks):
            continue
        assert report.stuck == failing[0], case.key  # no step fails on its own: the first that does not pass


def test_every_check_a_step_carries_is_declared_once_with_a_judge():
    from testing.grader.judging.judge import JUDGES

    assert set(JUDGES) == set(checks.ALL)
    assert len({check.id for check in checks.ALL}) == len(checks.ALL)
    for step in course.steps():
        carried = checks.of_step(step, step.number == 1)
        assert all(check in checks.ALL for check in carried)
        assert [check.title for check in carried if check.applies == checks.Applies.ASKED] == list(step.checks)


# -- end to end: the same files through the real commands ------------------------------------------

def lesson_check(server, number):
    """`pipenv run lesson --server-dir SERVER check N --json` in a folder with no evidence of its own."""
    done = subprocess.run([sys.executable, str(course.REPO_ROOT / "testing" / "cli.py"), "lesson", "--server-dir",
                           str(server), "check", str(number), "--json"], capture_output=True, text=True, timeout=600,
                          env={key: value for key, value in os.environ.items() if key != "DATABASE_URL"})
    assert done.returncode in (0, 1), done.stderr
    return json.loads(done.stdout)


def grade_step(server, number):
    """`testing/grade-step N SERVER`, as Classroom and CodeGrade run it: (exit code, output)."""
    done = subprocess.run([str(course.REPO_ROOT / "testing" / "grade-step"), str(number), str(server)],
                          capture_output=True, text=True, timeout=600)
    return done.returncode, done.stdout


@pytest.mark.slow
def test_a_step_06_slip_in_models_py_fails_step_06_everywhere_and_step_01_nowhere(tmp_path):
    """models.py without step 06's server default: step 06's work, graded alike by every route."""
    server = build_state(6, tmp_path / "server")
    models = server / "models.py"
    models.write_text(models.read_text().replace(', server_default="Associate"', ""))
    alone = grade(server, up_to_step=6)
    assert alone.steps[0].passed and not alone.steps[5].passed
    failing = first_failure(alone.steps[5])
    assert failing[0] == checks.MODELS.id
    code, output = grade_step(server, 6)
    assert code == 1 and f"step06-{checks.MODELS.id}" in output
    assert grade_step(server, 1)[0] == 0
    checked = lesson_check(server, 6)
    assert checked["state"] == standing.FAILING and checked["reason"].startswith(checks.MODELS.title)


@pytest.mark.slow
def test_what_lesson_saw_of_the_learners_database_is_no_check_of_the_chain_on_postgresql(
        postgres_server, mysql_server, tmp_path):
    """A chain into Part 3 is graded on PostgreSQL, and step 12's "chain runs on PostgreSQL" reads
    that grade: the downgrade step waiting for `lesson` to see the learner's database go down is
    step 05's own, not a failure of the chain on PostgreSQL."""
    server = build_state(course.steps()[-1].number, tmp_path / "server")
    report = grade(server, evidence=Evidence(now=None))
    assert not report.check(5, checks.WENT_DOWN).passed
    on_postgresql = report.check(12, checks.ON_POSTGRESQL)
    assert on_postgresql.passed, on_postgresql.message

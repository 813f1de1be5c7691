"""The corpus of realistic submissions (corpus.py), graded once each per database: every right one
passes, every wrong one fails with its own message. The table (submission, expected, got) is
printed with the result; false failures and false passes both turn it red.

The grades are judged from the facts recorded when each submission was graded end to end
(recorded.py); the slow tier grades them all again and checks that nothing differs."""
import pytest

from testing.build import build_state
from testing.grader import grade
from testing.grader.judging import judge
from testing.guide import standing

from . import recorded
from .cases import CORPUS_CASES
from .corpus import CORPUS, step_10_two_heads

NEVER_SHOWN = ("Traceback", "/tmp/grade-")  # in no message of any submission


def test_the_corpus_is_big_and_mixed():
    right = [submission for submission in CORPUS if submission.right]
    assert len(CORPUS) >= 40 and len(right) >= 15 and len(CORPUS) - len(right) >= 15
    assert len({submission.name for submission in CORPUS}) == len(CORPUS)


def expected_text(submission, database):
    if submission.right:
        return "pass"
    here = [expect for expect in submission.expect if database in expect.databases]
    failing = [expect for expect in here if not expect.passed]
    if not failing:
        return "pass (" + ", ".join(f"step {e.step:02d} {e.title}" for e in here) + ")"
    first = failing[0]
    return f"FAIL {first.step:02d} {first.title}: {first.says.splitlines()[0][:50]}"


def got_text(report):
    failed = [(result.step, check) for result in report.steps for check in result.checks if not check.passed]
    if not failed:
        return "pass"
    step, check = failed[0]
    first_line = check.message.splitlines()[0] if check.message else ""
    return f"FAIL {step:02d} {check.name}: {first_line[:60]}" + (f" (+{len(failed) - 1})" if len(failed) > 1 else "")


def problems(submission, report, database):
    """What is wrong with this grade of `submission`: [] when it is graded right."""
    found = []
    checks = {(result.step, check.name): check for result in report.steps for check in result.checks}
    for check in checks.values():
        found += [f"{check.name} shows {text!r}" for text in NEVER_SHOWN if text in check.message]
    if submission.right:
        failed = [f"step {step:02d} {name}: {check.message}"
                  for (step, name), check in checks.items() if not check.passed]
        return found + [f"false failure: {line}" for line in failed]
    expects = [expect for expect in submission.expect if database in expect.databases]
    if any(not expect.passed for expect in expects) and report.passed:
        found.append("false pass: every check passes")
    for expect in expects:
        check = checks.get((expect.step, expect.title))
        if check is None:
            found.append(f"no check step {expect.step:02d} {expect.title}")
            continue
        if check.passed != expect.passed:
            verdict = "passes" if check.passed else "fails"
            found.append(f"step {expect.step:02d} {expect.title} {verdict}: {check.message}")
        if expect.says not in check.message:
            found.append(f"step {expect.step:02d} {expect.title} does not say {expect.says!r}:\n{check.message}")
        found += [f"step {expect.step:02d} {expect.title} says {text!r}:\n{check.message}"
                  for text in expect.never_says if text in check.message]
    return found


def grade_corpus(database):
    rows, wrong = [], {}
    cases = [case for case in CORPUS_CASES if case.database == database]
    for submission, case in zip(CORPUS, cases, strict=True):
        report = recorded.report("corpus", case)
        found = problems(submission, report, database)
        verdict = "ok" if not found else "WRONG"
        if found:
            wrong[submission.name] = found
        rows.append((submission.name, expected_text(submission, database), got_text(report), verdict))
    width = [max(len(row[column]) for row in rows) for column in range(3)]
    lines = [f"{'submission':<{width[0]}}  {'expected':<{width[1]}}  {'got':<{width[2]}}  verdict"]
    lines += [f"{name:<{width[0]}}  {expected:<{width[1]}}  {got:<{width[2]}}  {verdict}"
              for name, expected, got, verdict in rows]
    lines.append(f"{len(rows)} submissions on {database}; {sum(row[3] == 'ok' for row in rows)} graded right")
    return "\n".join(lines), wrong


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_every_submission_of_the_corpus_is_graded_right(database, capsys):
    table, wrong = grade_corpus(database)
    with capsys.disabled():
        print(f"\n{table}")
    details = "\n\n".join(f"{name}:\n" + "\n".join(found) for name, found in wrong.items())
    assert not wrong, f"{table}\n\n{details}"


def test_two_heads_put_the_learner_on_the_step_that_merges(tmp_path):
    """Before the merge, step 10 is the step being worked on: the map sends the learner there."""
    server = build_state(10, tmp_path / "server")
    step_10_two_heads(server)
    course_map = standing.course_map(grade(server))
    assert course_map.current and course_map.current.step.number == 10
    assert [state.state for state in course_map.states[:9]] == [standing.PASSED] * 9
    assert course_map.current.reason.startswith(f"{judge.MERGED.title}: ")
    assert "are two heads, not joined yet" in course_map.current.reason
    merged = next(check for check in course_map.current.checks if check.check == judge.MERGED)
    assert 'flask db merge heads -m "merge"' in merged.message

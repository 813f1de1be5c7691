"""The autograder as pytest tests, one per check, named by step, for CodeGrade or GitHub Classroom.

    pytest testing/codegrade_test.py [--server-dir DIR] [--step N] [--database sqlite|postgresql]

The server folder is graded once, when the tests are collected; each test then reports one check,
named by its step and its stable id (testing/grader/checks.py).
"""
import pytest

from testing.grader import CheckResult, Unavailable, UsageError, grade


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "check" not in metafunc.fixturenames:
        return
    options = metafunc.config.option
    try:
        report = grade(options.server_dir, up_to_step=options.step, database=options.database)
    except (UsageError, Unavailable) as exc:
        raise pytest.UsageError(str(exc)) from None
    cases = [(step, check) for step in report.steps for check in step.checks]
    metafunc.parametrize("check", [check for _, check in cases],
                         ids=[f"step{step.step:02d}-{check.id}" for step, check in cases])


def test_check(check: CheckResult) -> None:
    if not check.passed:
        pytest.fail(check.message, pytrace=False)

"""The options of `pytest testing/codegrade_test.py`, loaded for every pytest run by pytest.ini.

Kept apart from the course's own test fixtures (testing/tests/conftest.py), so grading a learner
loads the grader and nothing else.
"""
import os

import pytest

from testing import course
from testing.grader import DATABASES


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("grader", "the course's autograder (testing/codegrade_test.py)")
    group.addoption("--server-dir", default=str(course.SERVER_DIR), help="server folder to grade (default: server/)")
    group.addoption("--step", type=int, default=None, help="grade steps 1 to STEP (default: every step)")
    group.addoption("--database", default="sqlite", choices=DATABASES, help="scratch database (default: sqlite)")


def pytest_load_initial_conftests(early_config: pytest.Config, parser: pytest.Parser, args: list[str]) -> None:
    """`pytest testing/codegrade_test.py` typed in server/ (where the lessons keep a learner):
    a test file that is not there but is in the course's folder means the course's file."""
    for position, argument in enumerate(args):
        path = argument.split("::", 1)[0]
        if path.endswith(".py") and not os.path.isabs(path) and not os.path.exists(path) \
                and (course.REPO_ROOT / path).is_file():
            args[position] = str(course.REPO_ROOT / argument)

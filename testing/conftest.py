"""Options for `pytest testing/codegrade_test.py`, and fixtures shared by the course's own tests."""
import os

import pytest

from testing import course
from testing.grader import DATABASES, postgres
from testing.grader.databases import POSTGRES_URL_VARIABLE


def pytest_addoption(parser):
    group = parser.getgroup("grader", "the course's autograder (testing/codegrade_test.py)")
    group.addoption("--server-dir", default=str(course.SERVER_DIR), help="server folder to grade (default: server/)")
    group.addoption("--step", type=int, default=None, help="grade steps 1 to STEP (default: every step)")
    group.addoption("--database", default="sqlite", choices=DATABASES, help="scratch database (default: sqlite)")


@pytest.fixture(scope="session")
def postgres_server():
    """One real PostgreSQL for the whole session; each grading run makes its own database on it."""
    with postgres.embedded_server() as url:
        previous = os.environ.get(POSTGRES_URL_VARIABLE)
        os.environ[POSTGRES_URL_VARIABLE] = url
        yield url
        if previous is None:
            del os.environ[POSTGRES_URL_VARIABLE]
        else:
            os.environ[POSTGRES_URL_VARIABLE] = previous


@pytest.fixture(params=DATABASES)
def database(request):
    if request.param == "postgresql":
        request.getfixturevalue("postgres_server")
    return request.param

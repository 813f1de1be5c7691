"""Options for `pytest testing/codegrade_test.py`, and fixtures shared by the course's own tests."""
import os
from contextlib import contextmanager

import pytest

from testing import course
from testing.grader import DATABASES, judge, mariadb, postgres
from testing.grader.databases import MYSQL_URL_VARIABLE, POSTGRES_URL_VARIABLE
from testing.tests.clones import lesson, scratch_clone


def pytest_addoption(parser):
    group = parser.getgroup("grader", "the course's autograder (testing/codegrade_test.py)")
    group.addoption("--server-dir", default=str(course.SERVER_DIR), help="server folder to grade (default: server/)")
    group.addoption("--step", type=int, default=None, help="grade steps 1 to STEP (default: every step)")
    group.addoption("--database", default="sqlite", choices=DATABASES, help="scratch database (default: sqlite)")


@contextmanager
def environment_variable(name, value):
    previous = os.environ.get(name)
    os.environ[name] = value
    try:
        yield value
    finally:
        if previous is None:
            del os.environ[name]
        else:
            os.environ[name] = previous


@pytest.fixture(scope="session")
def postgres_server():
    """One real PostgreSQL for the whole session; each grading run makes its own database on it."""
    with postgres.embedded_server() as url, environment_variable(POSTGRES_URL_VARIABLE, url):
        yield url


@pytest.fixture(scope="session")
def mysql_server():
    """One real MariaDB for the whole session, when this machine has it (.ci/run installs it)."""
    if os.environ.get(MYSQL_URL_VARIABLE):
        yield os.environ[MYSQL_URL_VARIABLE]
        return
    if mariadb.server_binary() is None:
        pytest.skip("MariaDB is not installed here (apt install mariadb-server, or set COURSE_MYSQL_URL)")
    with mariadb.temporary_server() as url, environment_variable(MYSQL_URL_VARIABLE, url):
        yield url


SERVER_FIXTURES = {"postgresql": "postgres_server", "mysql": "mysql_server"}


def start_servers_for_other_databases(step, request):
    """The shared servers that step `step`'s checks run the whole chain on; for a Part 3 step
    (PostgreSQL only), also those of the steps before it, which its grade runs too."""
    graded = course.steps_up_to(step) if course.step(step).database else [course.step(step)]
    for earlier in graded:
        if earlier.database:
            request.getfixturevalue(SERVER_FIXTURES[earlier.database])
        for name in earlier.checks:
            if name in judge.OTHER_DATABASES:
                request.getfixturevalue(SERVER_FIXTURES[judge.OTHER_DATABASES[name]])


@pytest.fixture(params=DATABASES)
def database(request):
    if request.param in SERVER_FIXTURES:
        request.getfixturevalue(SERVER_FIXTURES[request.param])
    return request.param


@pytest.fixture(params=list(SERVER_FIXTURES))
def server_database(request):
    """Each database that runs as a server: PostgreSQL and MySQL."""
    request.getfixturevalue(SERVER_FIXTURES[request.param])
    return request.param


@pytest.fixture
def clone(tmp_path):
    """A scratch clone of the course, as a learner's fresh clone has it."""
    return scratch_clone(tmp_path / "course")


@pytest.fixture
def at_step_3(clone):
    """A clone where the learner has typed `lesson start 3`."""
    done = lesson(clone, "start", 3)
    assert done.returncode == 0, done.stderr
    return clone

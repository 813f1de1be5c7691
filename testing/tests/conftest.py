"""Fixtures of the course's own tests: shared database servers and scratch clones of the course."""
import os

import pytest

from testing.grader import DATABASES
from testing.grader.servers import mariadb, postgres
from testing.grader.servers.databases import MYSQL_URL_VARIABLE, POSTGRES_URL_VARIABLE

from .clones import lesson, scratch_clone
from .servers import SERVER_FIXTURES, environment_variable


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

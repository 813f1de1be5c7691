"""Fixtures of the course's own tests: shared database servers and scratch clones of the course."""
import shutil
import tempfile
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

from testing.grader import DATABASES, servers_running
from testing.grader.servers import mariadb, postgres, supply
from testing.grader.servers.supply import URL_VARIABLES

from .clones import lesson, scratch_clone
from .servers import SERVER_FIXTURES


@pytest.fixture(scope="session")
def postgres_server():
    """One real PostgreSQL for the whole session (COURSE_POSTGRES_URL's, when set); each grading run
    makes its own database on it."""
    with servers_running({"postgresql"}) as urls:
        yield urls["postgresql"]


@pytest.fixture(scope="session")
def mysql_server():
    """One real MariaDB for the whole session, when this machine has it (.ci/run installs it)."""
    if not supply.named("mysql") and mariadb.server_binary() is None:
        pytest.skip("MariaDB is not installed here (apt install mariadb-server, or set COURSE_MYSQL_URL)")
    with servers_running({"mysql"}) as urls:
        yield urls["mysql"]


@pytest.fixture
def servers_folder(monkeypatch):
    """No server named, and the folder each server the grade starts is made in. Short: a server's
    Unix socket is in its folder, and a socket's path has room for about 100 characters."""
    for variable in URL_VARIABLES.values():
        monkeypatch.delenv(variable, raising=False)
    # The machine-wide locks were placed as the module loaded: they stay where every process looks.
    assert postgres.TEMPLATE_LOCK.parent == Path(tempfile.gettempdir())
    folder = Path(tempfile.mkdtemp(prefix="servers-", dir="/tmp"))
    monkeypatch.setattr("tempfile.tempdir", str(folder))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def administrator_not_superuser(postgres_server, monkeypatch):
    """The shared PostgreSQL, named to the grader through a login that may make roles and databases
    but is no superuser, as an instructor's hosted server may give one."""
    name, password = f"teacher_{uuid.uuid4().hex[:12]}", uuid.uuid4().hex
    admin = sa.create_engine(postgres_server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f"CREATE ROLE {name} LOGIN PASSWORD '{password}' CREATEDB CREATEROLE NOSUPERUSER")
    monkeypatch.setenv(URL_VARIABLES["postgresql"], sa.make_url(postgres_server).set(
        username=name, password=password).render_as_string(hide_password=False))
    yield
    with admin.connect() as connection:
        connection.exec_driver_sql(f"DROP OWNED BY {name}")
        connection.exec_driver_sql(f"DROP ROLE {name}")
    admin.dispose()


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

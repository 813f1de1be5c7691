"""The first PostgreSQL start on a new machine is safe when several processes make it at once."""
import os
import pwd
import subprocess
import sys
import time
import uuid

import pytest

from testing import course
from testing.build import build_state

from .clones import servers_of_its_own_environment

PROCESSES = 6
# Each process imports first, then waits for the same moment, so that the starts really overlap.
AT_ONCE = """
import sys, time
from testing.grader.servers import postgres
start_at = float(sys.argv[1])
time.sleep(max(0.0, start_at - time.time()))
{action}
"""
# Without one lock, every process may run `useradd`: each "succeeds", and all but the last hold
# a user id that was replaced (the data folder ends up owned by a user that no longer exists).
ADD_USER = """
postgres.ensure_system_user(sys.argv[2], lock_path=sys.argv[3])
import pwd
print(pwd.getpwnam(sys.argv[2]).pw_uid)
"""
START_SERVER = """
with postgres.embedded_server() as url:
    import sqlalchemy as sa
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        print(connection.exec_driver_sql("select 6 * 7").scalar())
    engine.dispose()
"""


def run_at_once(action, *arguments):
    start_at = time.time() + 3  # time enough for every process to import
    script = AT_ONCE.format(action=action)
    processes = [subprocess.Popen([sys.executable, "-c", script, str(start_at), *arguments], cwd=course.REPO_ROOT,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for _ in range(PROCESSES)]
    return [(process.wait(timeout=180), *process.communicate()) for process in processes]


@pytest.mark.slow
@pytest.mark.skipif(os.geteuid() != 0, reason="only a root process creates PostgreSQL's system user")
def test_a_system_user_asked_for_by_several_processes_at_once_is_made_once(tmp_path):
    name = f"course_t{uuid.uuid4().hex[:8]}"
    try:
        results = run_at_once(ADD_USER, name, str(tmp_path / "user.lock"))
        assert [code for code, _, _ in results] == [0] * PROCESSES, [err for _, _, err in results]
        entries = [line for line in open("/etc/passwd") if line.startswith(f"{name}:")]
        assert len(entries) == 1
        # Every process saw the user id that stayed.
        assert {int(out) for _, out, _ in results} == {pwd.getpwnam(name).pw_uid}
    finally:
        subprocess.run(["userdel", name], capture_output=True)


@pytest.mark.slow
def test_several_processes_start_postgresql_at_once():
    results = run_at_once(START_SERVER)
    assert [(code, out.strip()) for code, out, _ in results] == [(0, "42")] * PROCESSES, \
        [err[-800:] for _, _, err in results]


# A machine where PostgreSQL never ran: no system user yet, no data folder template.
FIRST_EVER = """
import sys, tempfile
from testing.grader.servers import postgres
postgres.SYSTEM_USER = sys.argv[1]
tempfile.tempdir = sys.argv[2]
with postgres.embedded_server() as url:
    print("started")
"""


@pytest.mark.slow
@pytest.mark.skipif(os.geteuid() != 0, reason="only a root process creates PostgreSQL's system user")
def test_the_first_start_on_a_new_machine_makes_the_system_user_before_it_names_the_template(tmp_path):
    name = f"course_t{uuid.uuid4().hex[:8]}"
    try:
        done = subprocess.run([sys.executable, "-c", FIRST_EVER, name, str(tmp_path)], cwd=course.REPO_ROOT,
                              capture_output=True, text=True, timeout=180)
        assert (done.returncode, done.stdout.strip()) == (0, "started"), done.stderr[-800:]
        assert any(folder.name.endswith(f"-{pwd.getpwnam(name).pw_uid}") for folder in tmp_path.iterdir())
    finally:
        subprocess.run(["userdel", name], capture_output=True)


@pytest.mark.slow
def test_a_temporary_folder_too_long_for_a_socket_is_one_line_that_says_what_to_do(tmp_path):
    """A Unix socket's path holds about 100 bytes: under a long TMPDIR (a CI runner's, say) PostgreSQL
    cannot make its socket, and the grade says so in one line instead of a traceback."""
    deep = tmp_path / ("t" * 100)
    deep.mkdir()
    server = build_state(5, tmp_path / "server")
    environment = servers_of_its_own_environment()
    done = subprocess.run([sys.executable, str(course.REPO_ROOT / "testing" / "cli.py"), "grade", "--step", "5",
                           "--database", "postgresql", "--server-dir", str(server)],
                          env={**environment, "TMPDIR": str(deep)}, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines() == [done.stderr.strip()]
    assert "PostgreSQL could not start" in done.stderr and "set TMPDIR to a shorter folder" in done.stderr
    assert not [folder.name for folder in deep.iterdir() if folder.is_dir() and "postgres" in folder.name]

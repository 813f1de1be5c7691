"""A grading process killed outright (SIGKILL: no `finally` runs) leaves its login and database on a
shared server; the next grade on that server drops them, and never a login of a grade still running."""
import dataclasses
import json
import os
import signal
import subprocess
import sys
import time

import pytest

from testing import course
from testing.build import build_state
from testing.grader import grade, render_text
from testing.grader.servers import owners

from .clones import learner_environment
from .test_server_attacks import logins_and_databases

# Step 02's migration, made slow once per grade: the grade is caught in it. The marker is in the
# learner process's /tmp (its own, in the sandbox), named after the grade's database.
SLOW_ONCE = '''

def _slow_once():
    import hashlib, os, pathlib, time
    marker = pathlib.Path("/tmp", "slept-" + hashlib.sha256(os.environ["DATABASE_URL"].encode()).hexdigest())
    if not marker.exists():
        marker.touch()
        time.sleep({seconds})
'''
STEP_2_MIGRATION = "migrations/versions/c2d4e6f8a002_add_department_table.py"
APPEAR_LIMIT = 60  # seconds for a grade started now to have made its login


def slow_submission(folder, seconds):
    server = build_state(2, folder / "server")
    migration = server / STEP_2_MIGRATION
    text = migration.read_text().replace("def upgrade():\n", "def upgrade():\n    _slow_once()\n", 1)
    migration.write_text(text + SLOW_ONCE.format(seconds=seconds))
    return server


def names_on(database):
    """The logins and databases on the shared server."""
    return set(logins_and_databases(database))


def grade_in_background(server, database):
    return subprocess.Popen([sys.executable, str(course.REPO_ROOT / "testing" / "cli.py"), "grade", "--step", "2",
                             "--database", database, "--time-limit", "120", "--server-dir", str(server), "--json"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=learner_environment())


def its_login(database, known, process):
    """The login (and database) name the grade `process` made: the one name not in `known`."""
    deadline = time.monotonic() + APPEAR_LIMIT
    while time.monotonic() < deadline:
        new = names_on(database) - known
        if new:
            assert len(new) == 1, new  # a login and its database share the name
            return new.pop()
        assert process.poll() is None, process.communicate()
        time.sleep(0.2)
    raise AssertionError(f"no login made within {APPEAR_LIMIT} s")


@pytest.mark.slow
def test_the_next_grade_drops_what_a_killed_grade_left_and_not_a_running_grade(tmp_path, server_database):
    before = names_on(server_database)
    running = grade_in_background(slow_submission(tmp_path / "running", 40), server_database)
    try:
        running_login = its_login(server_database, before, running)
        killed = grade_in_background(slow_submission(tmp_path / "killed", 600), server_database)
        killed_login = its_login(server_database, before | {running_login}, killed)
        time.sleep(1)  # into the slow migration
        killed.send_signal(signal.SIGKILL)
        killed.wait()
        left = names_on(server_database) - before
        assert left == {running_login, killed_login}  # what the killed grade left is there, until...

        next_grade = grade(build_state(1, tmp_path / "next" / "server"), up_to_step=1, database=server_database)
        assert next_grade.passed, render_text(next_grade)

        assert running.poll() is None, "the running grade ended before the next one: make its migration slower"
        assert names_on(server_database) - before == {running_login}
        out, err = running.communicate(timeout=300)
    finally:
        running.kill()
    report = json.loads(out)
    assert running.returncode == 0 and all(step["passed"] for step in report["steps"]), out + err
    assert names_on(server_database) == before


def test_a_login_is_left_by_a_dead_process_only_when_its_process_is_gone_here():
    me = owners.this_process()
    assert me is not None
    ended = subprocess.Popen([sys.executable, "-c", "pass"])
    ended.wait()
    theirs = dataclasses.replace(me, pid=ended.pid)
    same_pid_newer_process = dataclasses.replace(me, started=(me.started - 1) % 2**32)
    other_machine = dataclasses.replace(me, pid=ended.pid, machine=f"{int(me.machine, 16) ^ 1:08x}")
    names = {"mine": owners.name_of(me, 7), "ended": owners.name_of(theirs, 0),
             "pid used again": owners.name_of(same_pid_newer_process, 0), "elsewhere": owners.name_of(other_machine, 0),
             "an older grader's": "grade_0123456789abcdef", "not ours": "grade_app"}
    assert owners.left_by_dead_processes(names.values()) == sorted([names["ended"], names["pid used again"]])
    assert len(owners.new_name()) <= 32 and owners.new_name() != owners.new_name()
    assert owners.left_by_dead_processes([owners.new_name()]) == []
    assert os.getpid() == me.pid

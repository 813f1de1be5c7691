"""A `lesson` command killed midway loses nothing: the learner's folder is either untouched, or
backed up whole, and `lesson restore` brings it back byte for byte. A command asked to end (SIGTERM)
cleans up after itself first."""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from testing import course, interrupts
from testing.build import build_state
from testing.guide import pg

from .clones import fingerprint, git, learner_environment, learners_work, lesson, servers_of_its_own_environment

# Points in a command that replaces server/: right after its backup is complete, while the folder
# is being emptied, and while it is being filled again.
KILL_POINTS = [("rename", 1), ("unlink", 1), ("rename", 2)]
COMMANDS = {"start": ["start", "4"], "reset": ["reset"], "restore": ["restore", "latest"]}


def killed(clone, point, *arguments):
    name, count = point
    return subprocess.run([sys.executable, "-m", "testing.tests.killer", name, str(count), "lesson", *arguments],
                          cwd=clone, capture_output=True, text=True, timeout=300, env=learner_environment())


@pytest.mark.slow
@pytest.mark.parametrize("point", KILL_POINTS, ids=[f"{name}-{count}" for name, count in KILL_POINTS])
@pytest.mark.parametrize("command", COMMANDS)
def test_a_command_killed_midway_can_be_undone_by_restore(at_step_3, command, point):
    server = learners_work(at_step_3)
    mine = fingerprint(server)
    done = killed(at_step_3, point, *COMMANDS[command])
    assert done.returncode == -signal.SIGKILL, done.stdout + done.stderr  # it did die at that point
    newest = sorted((at_step_3 / ".lesson" / "backups").iterdir())[-1]
    assert fingerprint(newest / "server") == mine  # the backup is whole
    assert json.loads((newest / "about.json").read_text())["reason"].startswith(f"lesson {command}")
    assert newest.name in lesson(at_step_3, "restore").stdout  # listed, so a learner finds it
    restored = lesson(at_step_3, "restore", newest.name)
    assert restored.returncode == 0, restored.stderr
    assert fingerprint(server) == mine


@pytest.mark.slow
def test_branches_killed_midway_leave_the_work_tree_alone_and_can_run_again(clone):
    before, status = fingerprint(clone / "server"), git(clone, "status", "--porcelain")
    done = killed(clone, ("git", 5), "branches")
    assert done.returncode == -signal.SIGKILL, done.stdout + done.stderr
    assert fingerprint(clone / "server") == before
    assert git(clone, "status", "--porcelain") == status
    again = lesson(clone, "branches", "--force")
    assert again.returncode == 0, again.stderr


# How a shell reports the command each one ended: SIGTERM's conventional code, and Ctrl-C's Abort.
ENDED_BY = {signal.SIGTERM: 128 + signal.SIGTERM, signal.SIGINT: 1}


@pytest.mark.slow
@pytest.mark.parametrize("asked", ENDED_BY, ids=lambda number: signal.Signals(number).name)
def test_a_grade_asked_to_end_while_its_postgresql_starts_stops_it_and_leaves_no_scratch_folder(tmp_path, asked):
    """`kill`, `timeout` and a cancelled CI job send SIGTERM, a terminal Ctrl-C: either one, as soon as
    the server's process exists, ends the grade through its clean-up."""
    server = build_state(5, tmp_path / "server")
    # The grade's temporary folders, its PostgreSQL's data among them: a short path, since the server's
    # socket path must fit in 107 bytes.
    scratch = Path(tempfile.mkdtemp(prefix="course-ended-"))
    environment = servers_of_its_own_environment()
    try:
        # A test run started in the background passes SIGINT on ignored, and Python then never raises
        # KeyboardInterrupt: a terminal's Ctrl-C would.
        grading = subprocess.Popen([sys.executable, str(course.REPO_ROOT / "testing" / "cli.py"), "grade",
                                    "--server-dir", str(server), "--database", "postgresql"],
                                   env={**environment, "TMPDIR": str(scratch)}, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, text=True,
                                   preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
        deadline = time.monotonic() + 60
        postmaster = _postmaster_under(scratch)
        while postmaster is None and time.monotonic() < deadline:
            time.sleep(0.01)
            postmaster = _postmaster_under(scratch)
        if postmaster is None:
            grading.kill()
            raise AssertionError(f"no PostgreSQL started: {grading.communicate()}")
        grading.send_signal(asked)
        out, err = grading.communicate(timeout=60)
        assert grading.returncode == ENDED_BY[asked], out + err
        assert "Traceback" not in err
        stopping = time.monotonic() + 10  # pg_ctl returns once the pid file is gone, a moment before the exit
        while os.path.exists(f"/proc/{postmaster}") and time.monotonic() < stopping:
            time.sleep(0.05)
        assert not os.path.exists(f"/proc/{postmaster}")  # the server is stopped
        left = {path.name for path in scratch.iterdir() if path.is_dir()} - {"runtime-0"}
        assert all(name.startswith("course-embedded-postgres-") for name in left), left  # the template stays
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _postmaster_under(scratch):
    """The running PostgreSQL's process id under `scratch`, once its postmaster.pid holds it (the server
    makes the file first and writes its pid a moment later)."""
    pids = (pg.postmaster_pid(data) for data in scratch.glob("course-postgres-*/data"))
    return next((pid for pid in pids if pid), None)


@pytest.mark.parametrize("asked, raised", [(signal.SIGINT, KeyboardInterrupt), (signal.SIGTERM, SystemExit)])
def test_a_signal_during_a_held_block_takes_effect_when_the_block_is_done(asked, raised):
    """What `held` promises a server's start: it is not cut short, and the signal is not lost."""
    before = {number: signal.getsignal(number) for number in (signal.SIGINT, signal.SIGTERM)}
    signal.signal(signal.SIGINT, signal.default_int_handler)  # a background run may pass SIGINT on ignored
    interrupts.end_through_clean_up_on_sigterm()
    finished = []
    try:
        with pytest.raises(raised):
            with interrupts.held():
                os.kill(os.getpid(), asked)
                time.sleep(0.05)  # time for the handler to run, were it not held
                finished.append(True)
        assert finished == [True]
    finally:
        for number, handler in before.items():
            signal.signal(number, handler)

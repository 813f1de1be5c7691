"""A grader that cannot be crashed: every mutant gets a verdict in the learner's words, in time,
and the learner's files and database stay byte for byte as they were."""
import shutil
import subprocess
import sys
import time

import pytest

from testing import course
from testing.build import build_state

from .clones import fingerprint, learner_environment
from .lesson_commands import run
from .mutants import MUTANTS

TIME_LIMIT = 3  # seconds any one piece of the learner's code may run
WALL_LIMIT = 90  # the whole grade, with its time limits, on a loaded 2-core machine


@pytest.fixture(scope="module")
def learner_database(tmp_path_factory):
    """An instance/app.db at step 04, with rows, as a learner's folder has it."""
    server = build_state(4, tmp_path_factory.mktemp("database") / "server")
    for command in ("flask db upgrade", "python seed.py"):
        code, output = run(command, server)
        assert code == 0, output
    return server / "instance" / "app.db"


@pytest.mark.slow
@pytest.mark.parametrize("name", MUTANTS)
def test_every_mutant_gets_a_verdict_without_a_traceback(name, learner_database, tmp_path):
    server = build_state(4, tmp_path / "server")
    (server / "instance").mkdir()
    shutil.copyfile(learner_database, server / "instance" / "app.db")
    mutant = MUTANTS[name]
    mutant.mutate(server)
    before = fingerprint(server)
    started = time.monotonic()
    done = subprocess.run([sys.executable, str(course.REPO_ROOT / "testing" / "cli.py"), "grade", "--step", "4",
                           "--server-dir", str(server), "--time-limit", str(TIME_LIMIT)],
                          capture_output=True, text=True, timeout=WALL_LIMIT, env=learner_environment())
    took = time.monotonic() - started
    assert done.returncode in (0, 1), done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    assert done.stderr == ""
    assert done.stdout.rstrip().endswith("steps pass.")
    if mutant.says:
        assert mutant.says in done.stdout
    assert fingerprint(server) == before
    print(f"{name}: exit {done.returncode} in {took:.1f} s")

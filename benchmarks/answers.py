"""How fast a learner gets answers: a repeated `lesson status` with nothing changed, at step 12
(where the course grades on SQLite, PostgreSQL and MariaDB) against step 03; how soon `lesson check
12` shows something on a terminal; and a cold set-up plus CI run in a fresh clone."""
import os
import pty
import select
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from testing import course
from testing.tests.clones import learner_environment, scratch_clone

from .processes import timed

CLI = "testing/cli.py"


def repeated_status(runs):
    """(median seconds at step 12, median seconds at step 03, their ratio) of `lesson status` run
    again with nothing changed, in two clones, alternating."""
    with tempfile.TemporaryDirectory(prefix="bench-answers-") as holder:
        clones = {step: scratch_clone(Path(holder) / f"at-{step:02d}") for step in (12, 3)}
        for step, clone in clones.items():
            _lesson(clone, "start", str(step))
            _lesson(clone, "status")  # the first one grades; the ones measured find its results kept
        samples: dict[int, list[float]] = {step: [] for step in clones}
        for _ in range(runs):
            for step, clone in clones.items():
                seconds, _, code = timed([sys.executable, CLI, "lesson", "status"], cwd=clone,
                                         env=learner_environment())
                if code not in (0, 1):
                    raise RuntimeError(f"lesson status at step {step} exited with {code}")
                samples[step].append(seconds)
    twelve, three = statistics.median(samples[12]), statistics.median(samples[3])
    return twelve, three, twelve / three


def first_output_of_check(step=12):
    """Seconds from typing `lesson check 12` on a terminal (its results not kept yet) to the first
    thing it shows, and to its answer."""
    with tempfile.TemporaryDirectory(prefix="bench-answers-") as holder:
        clone = scratch_clone(Path(holder) / "course")
        _lesson(clone, "start", str(step))
        pid, terminal = pty.fork()
        if pid == 0:
            os.chdir(clone)
            os.execve(sys.executable, [sys.executable, CLI, "lesson", "check", str(step)], learner_environment())
        started, first = time.perf_counter(), None
        while True:
            if not select.select([terminal], [], [], 600)[0]:
                raise RuntimeError("lesson check said nothing for 10 minutes")
            try:
                chunk = os.read(terminal, 65536)
            except OSError:  # the command ended
                break
            if not chunk:
                break
            first = first or time.perf_counter() - started
        os.waitpid(pid, 0)
        return first, time.perf_counter() - started


def fresh_clone_ci():
    """Seconds for `bash .ci/run` (a cold `pipenv install --dev --deploy`, then the tests) in a
    fresh clone of the committed course."""
    with tempfile.TemporaryDirectory(prefix="bench-ci-") as holder:
        clone = Path(holder) / "course"
        subprocess.run(["git", "clone", "--quiet", str(course.REPO_ROOT), str(clone)], check=True)
        env = {key: value for key, value in os.environ.items() if not key.startswith(("PIPENV_", "VIRTUAL_ENV"))}
        started = time.perf_counter()
        done = subprocess.run(["bash", ".ci/run"], cwd=clone, env={**env, "CI": "true"},
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return time.perf_counter() - started, done.returncode


def _lesson(clone, *arguments):
    done = subprocess.run([sys.executable, CLI, "lesson", *arguments], cwd=clone, env=learner_environment(),
                          capture_output=True, text=True, timeout=900)
    if done.returncode not in (0, 1):
        raise RuntimeError(f"lesson {' '.join(arguments)} failed: {done.stderr[-500:]}")

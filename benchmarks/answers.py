"""How fast a learner gets answers: a repeated `lesson status` with nothing changed, at step 12
(where the course grades on SQLite, PostgreSQL and MariaDB) against step 03; how soon `lesson check
12` shows something on a terminal; a Part 3 check as the learner works on step 13 with `pipenv run
pg` running; and a cold set-up plus CI run in a fresh clone."""
import os
import pty
import re
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
TIER_END = re.compile(r"=+ (\d+ \w+.* in [\d.]+s(?: \(.*\))?) =+")  # pytest's last line of a tier


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


def part3_check(runs):
    """(seconds of the first `lesson check 13`, median seconds of `lesson check 13` after each edit of
    step 13's migration, median seconds of the course map with DATABASE_URL set), in a clone at the
    start of step 14 whose `pipenv run pg` runs and is upgraded, as lesson 13 has the learner do."""
    with tempfile.TemporaryDirectory(prefix="bench-answers-") as holder:
        clone = scratch_clone(Path(holder) / "course")
        _lesson(clone, "start", "14")
        env = {**learner_environment(), "COURSE_PG_STATE": str(Path(holder) / "pg.json")}
        env.pop("COURSE_POSTGRES_URL", None)  # the learner's shell names no server of the course's
        try:
            _run(clone, env, CLI, "pg")
            env["DATABASE_URL"] = _run(clone, env, CLI, "pg", "url").strip()
            _run(clone / "server", env, "-m", "flask", "db", "upgrade")
            check = [sys.executable, CLI, "lesson", "check", "13"]
            first = timed(check, cwd=clone, env=env)[0]
            migration = next((clone / "server" / "migrations" / "versions").glob("*full_name*"))
            edited, mapped = [], []
            for run in range(runs):
                with open(migration, "a", encoding="utf-8") as file:
                    file.write(f"# tried again ({run})\n")
                edited.append(timed(check, cwd=clone, env=env)[0])
                mapped.append(timed([sys.executable, CLI, "lesson"], cwd=clone, env=env)[0])
        finally:
            _run(clone, env, CLI, "pg", "stop")
    return first, statistics.median(edited), statistics.median(mapped)


def _run(where, env, *arguments):
    done = subprocess.run([sys.executable, *arguments], cwd=where, env=env, capture_output=True, text=True,
                          timeout=900)
    if done.returncode not in (0, 1):
        raise RuntimeError(f"{' '.join(arguments)} failed: {done.stderr[-500:]}")
    return done.stdout


def fresh_clone_ci():
    """(seconds, exit code, pytest's closing line of each tier) of `bash .ci/run` (a cold `pipenv
    install --dev --deploy`, then the tests) in a fresh clone of the committed course. A failing run
    shows the end of its output on stderr: the clone is gone afterwards."""
    with tempfile.TemporaryDirectory(prefix="bench-ci-") as holder:
        clone, log = Path(holder) / "course", Path(holder) / "ci.log"
        subprocess.run(["git", "clone", "--quiet", str(course.REPO_ROOT), str(clone)], check=True)
        env = {key: value for key, value in os.environ.items() if not key.startswith(("PIPENV_", "VIRTUAL_ENV"))}
        print("  fresh: `bash .ci/run` in a new clone (install, then both tiers: 20 minutes or more)...",
              file=sys.stderr, flush=True)
        started = time.perf_counter()
        with log.open("wb") as output:
            done = subprocess.run(["bash", ".ci/run"], cwd=clone, env={**env, "CI": "true"},
                                  stdout=output, stderr=subprocess.STDOUT)
        seconds = time.perf_counter() - started
        lines = log.read_text(errors="replace").splitlines()
        if done.returncode:
            print("\n".join(lines[-60:]), file=sys.stderr)
        tiers = [found[1] for line in lines if (found := TIER_END.fullmatch(line.strip()))]
        return seconds, done.returncode, tiers


def _lesson(clone, *arguments):
    done = subprocess.run([sys.executable, CLI, "lesson", *arguments], cwd=clone, env=learner_environment(),
                          capture_output=True, text=True, timeout=900)
    if done.returncode not in (0, 1):
        raise RuntimeError(f"lesson {' '.join(arguments)} failed: {done.stderr[-500:]}")

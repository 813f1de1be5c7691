"""Cohort throughput: `grade --cohort` over a synthetic class made of the course's reference end
states and its realistic wrong submissions, with --jobs 1 and --jobs 2, each in a new process."""
import csv
import functools
import shutil
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from testing import author, course
from testing.build import build_state

from .processes import timed

CLI = str(course.REPO_ROOT / "testing" / "cli.py")
JOBS = (1, 2)
# A learner whose migration never ends holds one process for this long; the default (30 s) would
# make the three such learners of a class of 100 most of the measurement.
TIME_LIMIT = 5


def learner_kinds():
    """(name, how to build, the steps it must pass, how its first failing check must begin) for
    every kind of learner: one per reference end state, one per realistic mistake (at its step)."""
    kinds: list[tuple[str, Callable[[Path], object], set[int], str | None]]
    kinds = [(f"reference-{number:02d}", functools.partial(build_state, number),
              set(range(1, number + 1)), None) for number in range(1, len(course.steps()) + 1)]
    kinds += [(f"mistake-{index:02d}", submission.build, set(), f"step {submission.step:02d}: ")
              for index, submission in enumerate(author.all_mistakes("sqlite"), 1)]
    return kinds


def build_class(folder, size):
    """`size` learners, the kinds taken in turn; what each one's gradebook row must show."""
    kinds = learner_kinds()
    expected = {}
    for position in range(size):
        kind, build, passes, mistake = kinds[position % len(kinds)]
        learner = f"learner-{position + 1:03d}-{kind}"
        build(folder / learner)
        expected[learner] = (passes, mistake)
    return expected


def measure(size, chart):
    """Rows of (jobs, seconds, learners per minute, peak MB of the largest process), and how many
    gradebook rows were right in every run; the last run's chart goes to `chart`."""
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-cohort-") as holder:
        cohort = Path(holder) / "cohort"
        expected = build_class(cohort, size)
        right = []
        for jobs in JOBS:
            gradebook = Path(holder) / f"gradebook-jobs-{jobs}.csv"
            seconds, peak, code = timed([sys.executable, CLI, "grade", "--cohort", str(cohort), "--jobs", str(jobs),
                                         "--time-limit", str(TIME_LIMIT), "--csv", str(gradebook)], cwd=holder)
            if code != 0:
                raise RuntimeError(f"grade --cohort --jobs {jobs} exited with {code}")
            rows.append((jobs, seconds, size / seconds * 60, peak))
            right.append(_right_rows(gradebook, expected))
        shutil.copyfile(gradebook.with_name(f"{gradebook.stem}-mistakes.png"), chart)
    return rows, min(right)


def _right_rows(gradebook, expected):
    """Rows that agree with the learner's kind: a reference state passes its steps, a mistake's
    first failing check is in the step it breaks."""
    with gradebook.open(newline="") as file:
        records = list(csv.DictReader(file))
    right = 0
    for record in records:
        passes, mistake = expected[record["learner"]]
        if (all(record[f"step{number:02d}"] == "1" for number in passes)
                and (mistake is None or record["first failing check"].startswith(mistake))):
            right += 1
    return right if len(records) == len(expected) else 0

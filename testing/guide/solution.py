"""A step's reference migrations as a unified diff against the learner's own migration files."""
import difflib
from itertools import zip_longest
from pathlib import Path

from .. import course

NOTHING = "/dev/null"


def solution_diff(step, server_dir, learner_files):
    """The diff that turns the learner's migrations of `step` into the course's reference ones.

    `learner_files` are paths inside `server_dir`; they pair with the reference files in order.
    """
    pieces = []
    for mine, reference in zip_longest(learner_files, step.migration_files):
        mine_lines = (Path(server_dir) / mine).read_text(encoding="utf-8", errors="replace") if mine else ""
        reference_lines = reference.read_text(encoding="utf-8") if reference else ""
        pieces.extend(difflib.unified_diff(
            mine_lines.splitlines(keepends=True), reference_lines.splitlines(keepends=True),
            fromfile=f"yours: {mine}" if mine else NOTHING,
            tofile=f"course: {reference.relative_to(course.REPO_ROOT).as_posix()}" if reference else NOTHING))
    return "".join(line if line.endswith("\n") else line + "\n" for line in pieces)

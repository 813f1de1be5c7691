"""The course's own test suite: wall time of `pytest -n auto`, as the README runs it."""
import os
import sys

from testing import course

from .processes import timed


def measure():
    """(seconds, exit code) of one run of the whole suite."""
    seconds, _, code = timed([sys.executable, "-m", "pytest", "-n", "auto", "-q"], cwd=course.REPO_ROOT,
                             env={**os.environ, "PYTHONWARNINGS": "ignore"})
    return seconds, code

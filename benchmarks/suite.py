"""The course's own test suite: wall time of its fast tier, `pytest -n auto`, as the README runs it
(the slow tier, `-m slow`, is timed with the rest of CI by the `fresh` part)."""
import os
import sys

from testing import course

from .processes import timed


def measure():
    """(seconds, exit code) of one run of the fast tier."""
    seconds, _, code = timed([sys.executable, "-m", "pytest", "-n", "auto", "-q"], cwd=course.REPO_ROOT,
                             env={**os.environ, "PYTHONWARNINGS": "ignore"})
    return seconds, code

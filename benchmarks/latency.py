"""Grader latency: `grade --step 5` on step 5's reference end state, against pytest-alembic's four
built-in tests on the same chain, each in its own process, alternating; `lesson status`; and the
floor under both: one Python process loading Alembic, Flask-Migrate and the app, nothing more."""
import os
import statistics
import sys
import tempfile
from pathlib import Path

from testing import course
from testing.build import build_state

from .processes import timed

CLI = str(course.REPO_ROOT / "testing" / "cli.py")
STEP = 5
# pytest-alembic's plugin cannot collect its built-in tests under pytest 9.2; imported into a test
# module of our own they run unchanged, with the fixtures the plugin provides.
PYTEST_ALEMBIC_TESTS = '''from pytest_alembic.tests import (test_model_definitions_match_ddl, test_single_head_revision,
                                  test_up_down_consistency, test_upgrade)
'''
PYTEST_ALEMBIC_FIXTURES = '''import os

import pytest
from pytest_alembic.config import Config
from sqlalchemy import create_engine

from app import app


@pytest.fixture(scope="session", autouse=True)
def app_context():
    with app.app_context():  # Flask-Migrate's env.py asks the app for its engine and metadata
        yield


@pytest.fixture
def alembic_config():
    return Config(config_options={"file": "migrations/alembic.ini", "script_location": "migrations"})


@pytest.fixture
def alembic_engine():
    return create_engine(os.environ["DATABASE_URL"])
'''


OURS = f"grade --step {STEP} (this course)"
PYTEST_ALEMBIC = "pytest-alembic's 4 built-in tests"
FLOOR = "loading the app alone (Python, Alembic, Flask-Migrate, app.py)"


def measure(runs):
    """Rows of (what, median seconds, median peak MB), the ratio ours/theirs, and the floor's/theirs."""
    with tempfile.TemporaryDirectory(prefix="bench-latency-") as holder:
        server = build_state(STEP, Path(holder) / "server")
        (server / "conftest.py").write_text(PYTEST_ALEMBIC_FIXTURES)
        (server / "test_pytest_alembic.py").write_text(PYTEST_ALEMBIC_TESTS)
        scratch = Path(holder) / "scratch.db"
        env = {**os.environ, "DATABASE_URL": f"sqlite:///{scratch}", "PYTHONWARNINGS": "ignore"}
        commands = {
            OURS: [sys.executable, CLI, "grade", "--step", str(STEP), "--server-dir", str(server)],
            PYTEST_ALEMBIC: [sys.executable, "-m", "pytest", "-q", "-p", "pytest_alembic", "-p", "no:cacheprovider",
                             "test_pytest_alembic.py"],
            "lesson status (all steps)": [sys.executable, CLI, "lesson", "--server-dir", str(server), "status"],
            # What any tool that runs the learner's migrations pays before its first one: the grader's
            # learner process and pytest-alembic's one process both start so.
            FLOOR: [sys.executable, "-c", "import alembic.command, flask_migrate, app"],
        }
        samples: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
        for _ in range(runs):  # alternating, so a slower moment of the machine hits every command
            for name, command in commands.items():
                scratch.unlink(missing_ok=True)
                seconds, peak, code = timed(command, cwd=server, env=env)
                if code not in (0, 1):
                    raise RuntimeError(f"{name} exited with {code}")
                samples[name].append((seconds, peak))
    rows = [(name, statistics.median(s for s, _ in runs_), statistics.median(p for _, p in runs_))
            for name, runs_ in samples.items()]
    medians = {name: wall for name, wall, _ in rows}
    theirs = medians[PYTEST_ALEMBIC]
    return rows, medians[OURS] / theirs, medians[FLOOR] / theirs

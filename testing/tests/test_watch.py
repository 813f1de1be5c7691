"""lesson watch: which saves start a check, and a migrations/ folder made while watching."""
import queue
import threading

import pytest

from testing.guide import watch
from testing.guide.schema_files import is_schema_path

WAIT = 30  # seconds a save may take to start a check before the test fails


@pytest.mark.parametrize("path, watched", [
    ("models.py", True),
    ("app.py", True),
    ("migrations", True),  # `lesson start` moves a whole folder in
    ("migrations/versions", True),
    ("migrations/versions/a1b2c3_add_departments.py", True),
    ("seed.py", False),
    ("instance/app.db", False),  # `flask db upgrade` writes it
    ("migrations/env.py", False),
    ("migrations/versions/__pycache__/a1b2c3_add_departments.cpython-311.pyc", False),
    ("migrations/versions/.a1b2c3_add_departments.py.swp", False),
    ("lib/models.py", False),
])
def test_only_the_learners_schema_files_start_a_check(tmp_path, path, watched):
    assert is_schema_path(tmp_path, tmp_path / path) is watched
    assert not is_schema_path(tmp_path / "server", tmp_path / "models.py")  # outside the folder


class Stop(Exception):
    """Raised by the test's check to end watch.watch()."""


def test_a_migration_in_a_folder_made_while_watching_starts_a_check(tmp_path):
    (tmp_path / "models.py").write_text("# the learner's models\n")
    checks: queue.Queue[str] = queue.Queue()
    stop, outcome = threading.Event(), list[object]()

    def on_change():
        if stop.is_set():
            raise Stop
        checks.put("checked")

    def run():
        try:
            watch.watch(tmp_path, on_change, settle=0.02)
        except Stop:
            outcome.append("stopped")
        except BaseException as exc:  # shown by the assertion below
            outcome.append(exc)

    watcher = threading.Thread(target=run)
    watcher.start()
    try:
        assert checks.get(timeout=WAIT) == "checked"  # the first check, without a save
        (tmp_path / "migrations" / "versions").mkdir(parents=True)  # `flask db init` in another terminal
        assert checks.get(timeout=WAIT) == "checked"
        (tmp_path / "migrations" / "versions" / "a1b2c3_initial.py").write_text("revision = 'a1b2c3'\n")
        assert checks.get(timeout=WAIT) == "checked"
    finally:
        stop.set()
        (tmp_path / "app.py").write_text("")
        watcher.join(timeout=WAIT)
    assert outcome == ["stopped"]

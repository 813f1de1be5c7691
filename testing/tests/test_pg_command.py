"""`pipenv run pg`: a learner's own PostgreSQL, started in the background and stopped again."""
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from testing.build import build_state

from .clones import course_command, scratch_clone

EXPORT = re.compile(r"export DATABASE_URL='([^']+)'")


@pytest.mark.slow
def test_pg_gives_a_database_the_app_migrates_and_stop_deletes_it(tmp_path):
    clone = scratch_clone(tmp_path / "course")
    started = course_command(clone, "pg")
    try:
        assert started.returncode == 0, started.stderr
        exported = EXPORT.search(started.stdout)
        assert exported, started.stdout
        url = exported.group(1)
        data = Path(started.stdout.split("(its data: ")[1].split(")")[0])
        again = course_command(clone, "pg")
        exported = EXPORT.search(again.stdout)
        assert "already running" in again.stdout and exported and exported.group(1) == url

        server = build_state(2, tmp_path / "server")
        env = {**os.environ, "DATABASE_URL": url, "PYTHONWARNINGS": "ignore"}
        done = subprocess.run([sys.executable, "-m", "flask", "db", "upgrade"], cwd=server, env=env,
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        engine = sa.create_engine(url)
        with engine.connect() as connection:
            assert set(sa.inspect(connection).get_table_names()) == {"alembic_version", "employees", "department"}
        engine.dispose()
        assert not (server / "instance").exists()  # nothing went to SQLite
    finally:
        stopped = course_command(clone, "pg", "stop")
    assert stopped.returncode == 0 and "PostgreSQL stopped" in stopped.stdout
    assert not data.exists()
    with pytest.raises(sa.exc.OperationalError):
        sa.create_engine(url).connect()
    assert "No PostgreSQL of yours is running." in course_command(clone, "pg", "stop").stdout

"""`pipenv run pg`: a learner's own PostgreSQL, started in the background and stopped again."""
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from testing.build import build_state
from testing.grader.servers.supply import URL_VARIABLES

from .clones import course_command, learner_environment, scratch_clone

EXPORT = re.compile(r"export DATABASE_URL='([^']+)'")
# What `lesson` does around a grade, in the clone: where the grade's scratch database is made.
SCRATCH_DATABASE_OF_A_LESSON_GRADE = """
import tempfile
from pathlib import Path
from testing.grader.servers.databases import scratch_database
from testing.guide import pg
with tempfile.TemporaryDirectory() as folder, pg.lent_to_grades():
    with scratch_database("postgresql", Path(folder)) as scratch:
        print(scratch.url)
"""


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

        # While it runs, `lesson` grades make their scratch databases there: no server to start.
        no_server_given = {k: v for k, v in learner_environment().items() if k != URL_VARIABLES["postgresql"]}
        scratch = subprocess.run([sys.executable, "-c", SCRATCH_DATABASE_OF_A_LESSON_GRADE], cwd=clone,
                                 env=no_server_given, capture_output=True, text=True, timeout=120)
        assert scratch.returncode == 0, scratch.stderr
        lent, mine = sa.make_url(scratch.stdout.strip()), sa.make_url(url)
        assert lent.query["host"] == mine.query["host"] and lent.database != mine.database

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

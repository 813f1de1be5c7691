"""Grading never writes the learner's files or database: it works on a temporary copy."""
import json
import subprocess
import sys

import pytest
import sqlalchemy as sa

from testing import course
from testing.author import edit
from testing.build import build_state
from testing.grader import grade, render_text
from testing.grader.judging import judge

from .clones import fingerprint, learner_environment
from .lesson_commands import run

HARD_CODED_URL = 'app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite:///app.db"'


def learner_folder(tmp_path):
    server = build_state(4, tmp_path / "server")
    for command in ("flask db upgrade", "python seed.py"):
        code, output = run(command, server)
        assert code == 0, output
    assert (server / "instance" / "app.db").is_file()
    return server


def test_grading_leaves_files_and_database_byte_identical(tmp_path):
    server = learner_folder(tmp_path)
    before = fingerprint(server)
    assert grade(server, up_to_step=4).passed
    assert fingerprint(server) == before


@pytest.mark.slow
def test_a_failing_grade_leaves_them_identical_too(tmp_path):
    server = learner_folder(tmp_path)
    edit(server / "models.py", "db.String(80), nullable=False)", "db.Strng(80), nullable=False)")
    before = fingerprint(server)
    assert not grade(server).passed
    assert fingerprint(server) == before


@pytest.mark.slow
def test_an_app_that_hard_codes_its_sqlite_file_is_graded_on_its_copy_and_its_database_is_untouched(tmp_path):
    """What most starter apps do: `sqlite:///app.db` opens the scratch copy's instance/app.db, which
    is as safe to grade on as any scratch database; the learner's own file is left as it was."""
    server = learner_folder(tmp_path)
    edit(server / "app.py", 'app.config["SQLALCHEMY_DATABASE_URI"] = os.environ.get("DATABASE_URL", "sqlite:///app.db")',
         HARD_CODED_URL)
    before = fingerprint(server)
    report = grade(server, up_to_step=4)
    assert report.passed, render_text(report)
    assert fingerprint(server) == before


@pytest.mark.slow
def test_an_app_that_ignores_database_url_is_told_so_on_postgresql(tmp_path, postgres_server):
    server = build_state(1, tmp_path / "server")
    edit(server / "app.py", 'app.config["SQLALCHEMY_DATABASE_URI"] = os.environ.get("DATABASE_URL", "sqlite:///app.db")',
         HARD_CODED_URL)
    report = grade(server, up_to_step=1, database="postgresql")
    check = next(c for c in report.steps[0].checks if c.check == judge.APP)
    assert not check.passed
    assert "app.py ignores DATABASE_URL" in check.message
    assert "your app opened sqlite:///instance/app.db" in check.message  # the learner's path, not the scratch one
    assert f"Change app.py line 11 (`{HARD_CODED_URL}`) to read it" in check.message


@pytest.mark.slow
@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_two_grades_at_once_on_one_folder_do_not_interfere(database, tmp_path, request):
    if database == "postgresql":
        request.getfixturevalue("postgres_server")  # both runs make their databases on one server
    server = learner_folder(tmp_path)
    before = fingerprint(server)
    command = [sys.executable, str(course.REPO_ROOT / "testing" / "cli.py"), "grade", "--step", "4", "--json",
               "--server-dir", str(server), "--database", database]
    runs = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             env=learner_environment()) for _ in range(2)]
    reports = []
    for run_ in runs:
        out, err = run_.communicate(timeout=300)
        assert run_.returncode == 0, out + err
        reports.append(json.loads(out))
    assert reports[0] == reports[1] and reports[0]["passed"]
    assert fingerprint(server) == before


def write_to(database, statement):
    engine = sa.create_engine(f"sqlite:///{database}")
    with engine.begin() as connection:
        connection.exec_driver_sql(statement)
    engine.dispose()


@pytest.mark.slow
def test_a_database_of_the_learners_that_is_half_applied_gets_a_note_and_stays_as_it_is(tmp_path):
    server = learner_folder(tmp_path)
    assert grade(server, up_to_step=4).notes == []  # as the migrations build it: nothing to say
    write_to(server / "instance" / "app.db", "CREATE TABLE _alembic_tmp_departments (id INTEGER)")
    before = fingerprint(server)
    report = grade(server, up_to_step=4)
    assert report.passed  # a note, not a failed check: the migrations themselves are fine
    assert report.notes == [
        "Your database instance/app.db is not what your migrations build at e4f6a8b0c004 (its alembic_version):\n"
        "  - has table `_alembic_tmp_departments`, which that revision does not\n"
        "A migration failed halfway, or one was changed after it ran. Put your backup back (step 09),\n"
        "or `pipenv run lesson start N` for a fresh database at the start of step N."]
    assert "Note: Your database instance/app.db is not what" in render_text(report)
    assert fingerprint(server) == before


@pytest.mark.slow
def test_a_database_at_a_revision_no_file_has_gets_a_note(tmp_path):
    server = learner_folder(tmp_path)
    write_to(server / "instance" / "app.db", "UPDATE alembic_version SET version_num = 'deadbeef0000'")
    assert grade(server, up_to_step=4).notes == [
        "Your database instance/app.db is at deadbeef0000, which none of your migration files has.\n"
        "Put the missing file back, or see step 10 for `flask db stamp`."]

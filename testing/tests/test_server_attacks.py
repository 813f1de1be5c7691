"""Attacks on the database servers that grades share (a class's, or the tests' own).

Each test is what a learner could put in app.py, graded through `grade()` on the shared server, or
with a class through `grade --cohort`: it changes a server setting, runs a program as the server's
user, ends a classmate's session or empties their database, writes template1 for later grades, locks
pg_locks to hide a lock wait, logs in as the administrator, or makes an account of its own. Each
worked on a grader that handed the learner's code the administrator's login. Each grade must go on
in the learner's words, and the server, the other grades and the machine stay as they were: every
grade's code logs in as a role (user) of its own that owns its database and nothing else.
"""
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
import uuid

import pytest
import sqlalchemy as sa

from testing import author, course
from testing.build import build_state
from testing.grader import grade, render_text
from testing.grader.servers.databases import scratch_database
from testing.grader.servers.supply import URL_VARIABLES

from .clones import learner_environment
from .servers import start_servers_for_other_databases
from .test_attacks import WALL_LIMIT, processes_with, steps_one_and_two_with

pytestmark = pytest.mark.slow
TIME_LIMIT = 10  # seconds per command: an app.py that connects to a server imports and connects first

AS_MYSELF = """
    import sqlalchemy
    mine = sqlalchemy.make_url(os.environ["DATABASE_URL"])
    server = sqlalchemy.create_engine(mine, isolation_level="AUTOCOMMIT")
"""


def attacked(tmp_path, attack, database):
    """The steps 01-02 of a learner whose app.py also runs `attack` (each statement tried), graded
    on `database`: the grade must go on, in words, within its time limits."""
    server = steps_one_and_two_with(tmp_path, textwrap.dedent(AS_MYSELF) + textwrap.dedent(attack))
    report, text = graded_on(database, server)
    assert all(step.passed for step in report.steps), text
    return report


def graded_on(database, server):
    """The grade of steps 01-02 on the shared server, which keeps no login or database of it after."""
    before = logins_and_databases(database)
    started = time.monotonic()
    report = grade(server, up_to_step=2, database=database, time_limit=TIME_LIMIT)
    assert time.monotonic() - started < WALL_LIMIT
    text = render_text(report)
    assert "Traceback" not in text
    assert logins_and_databases(database) == before
    return report, text


def logins_and_databases(database):
    server_url = os.environ[URL_VARIABLES[database]]
    if database == "postgresql":
        found = as_administrator(server_url, "SELECT rolname FROM pg_roles UNION ALL SELECT datname FROM pg_database")
    else:
        found = as_administrator(server_url, "SELECT user FROM mysql.user UNION ALL SELECT schema_name "
                                             "FROM information_schema.schemata")
    return sorted(name for (name,) in found)


def as_administrator(server_url, statement, **parameters):
    """The rows of `statement` (if any), run on the shared server as its administrator."""
    engine = sa.create_engine(server_url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as connection:
            if engine.dialect.name == "postgresql":  # where an attack made the server read-only: put it back
                connection.exec_driver_sql("SET default_transaction_read_only = off")
            result = connection.execute(sa.text(statement), parameters)
            return result.all() if result.returns_rows else None
    finally:
        engine.dispose()


# -- PostgreSQL ------------------------------------------------------------------------------------

def test_a_server_setting_is_not_the_learners_to_change(tmp_path, postgres_server):
    try:
        attacked(tmp_path, """
            for statement in ("ALTER SYSTEM SET default_transaction_read_only = on", "SELECT pg_reload_conf()"):
                try:
                    with server.connect() as connection:
                        connection.exec_driver_sql(statement)
                except sqlalchemy.exc.DBAPIError:
                    pass
        """, "postgresql")
        time.sleep(0.5)  # a reload that did happen has reached every new session by now
        assert as_administrator(postgres_server, "SHOW default_transaction_read_only") == [("off",)]
        classmate, text = graded_on("postgresql", build_state(2, tmp_path / "classmate"))
        assert all(step.passed for step in classmate.steps), text
    finally:
        as_administrator(postgres_server, "ALTER SYSTEM RESET default_transaction_read_only")
        as_administrator(postgres_server, "SELECT pg_reload_conf()")


def test_the_server_runs_no_program_for_the_learner(tmp_path, postgres_server):
    marker = f"30.{uuid.uuid4().int % 10**8:08d}"  # a sleep of its own, to be found by its command line
    try:
        attacked(tmp_path, f"""
            try:
                with server.connect() as connection:
                    connection.exec_driver_sql("COPY (SELECT 1) TO PROGRAM 'sleep {marker} >/dev/null 2>&1 &'")
            except sqlalchemy.exc.DBAPIError:
                pass
        """, "postgresql")
        assert processes_with(marker) == []
    finally:
        for pid in processes_with(marker):  # left running by an attack that worked
            os.kill(pid, signal.SIGKILL)


def test_other_sessions_on_the_server_are_not_the_learners_to_end(tmp_path, postgres_server):
    classmate = sa.create_engine(postgres_server, poolclass=sa.pool.NullPool)
    with classmate.connect() as session:
        session.exec_driver_sql("SELECT 1")
        attacked(tmp_path, """
            with server.connect() as connection:
                others = connection.exec_driver_sql("SELECT pid FROM pg_stat_activity "
                                                    "WHERE pid <> pg_backend_pid() AND backend_type = 'client backend'")
                for (pid,) in others.all():
                    try:
                        connection.exec_driver_sql(f"SELECT pg_terminate_backend({pid})")
                    except sqlalchemy.exc.DBAPIError:
                        pass
        """, "postgresql")
        assert session.exec_driver_sql("SELECT 2").scalar() == 2
    classmate.dispose()


def test_the_administrator_needs_a_password_the_learner_does_not_have(tmp_path, postgres_server):
    role = f"mallory_{uuid.uuid4().hex[:8]}"
    try:
        attacked(tmp_path, f"""
            # The server's socket is in the URL; `postgres` is the administrator embedded PostgreSQL makes.
            administrator = sqlalchemy.URL.create("postgresql+psycopg", username="postgres", database="postgres",
                                                  query={{"host": mine.query["host"]}})
            try:
                with sqlalchemy.create_engine(administrator, isolation_level="AUTOCOMMIT").connect() as connection:
                    connection.exec_driver_sql("CREATE ROLE {role} SUPERUSER LOGIN PASSWORD 'mine'")
            except sqlalchemy.exc.DBAPIError:
                pass
        """, "postgresql")
        assert as_administrator(postgres_server, "SELECT 1 FROM pg_roles WHERE rolname = :role", role=role) == []
    finally:
        as_administrator(postgres_server, f"DROP ROLE IF EXISTS {role}")


def test_a_grade_stopped_at_its_time_limit_leaves_no_login_behind(tmp_path, postgres_server):
    server = steps_one_and_two_with(tmp_path, textwrap.dedent(AS_MYSELF) + textwrap.dedent("""
        with server.connect() as connection:
            connection.exec_driver_sql("SELECT pg_sleep(1000)")
    """))
    report, _ = graded_on("postgresql", server)  # which checks that nothing is left on the server
    assert report.check(1, "app loads").message.startswith(
        f"importing app.py did not finish within {TIME_LIMIT} seconds")


# -- MariaDB ---------------------------------------------------------------------------------------

def test_a_global_setting_is_not_the_learners_to_change_on_mariadb(tmp_path, mysql_server):
    try:
        attacked(tmp_path, """
            try:
                with server.connect() as connection:
                    connection.exec_driver_sql("SET GLOBAL read_only = 1")
            except sqlalchemy.exc.DBAPIError:
                pass
        """, "mysql")
        assert as_administrator(mysql_server, "SELECT @@global.read_only") == [(0,)]
    finally:
        as_administrator(mysql_server, "SET GLOBAL read_only = 0")


def test_accounts_are_not_the_learners_to_make_on_mariadb(tmp_path, mysql_server):
    user = f"mallory_{uuid.uuid4().hex[:8]}"
    try:
        attacked(tmp_path, f"""
            try:
                with server.connect() as connection:
                    connection.exec_driver_sql("CREATE USER {user}@localhost IDENTIFIED BY 'mine'")
                    connection.exec_driver_sql("GRANT ALL PRIVILEGES ON *.* TO {user}@localhost WITH GRANT OPTION")
            except sqlalchemy.exc.DBAPIError:
                pass
        """, "mysql")
        assert as_administrator(mysql_server, "SELECT user FROM mysql.user WHERE user = :user", user=user) == []
    finally:
        as_administrator(mysql_server, f"DROP USER IF EXISTS {user}@localhost")


# -- both servers ----------------------------------------------------------------------------------

EMPTY_THE_CLASSMATES = """
    listing = "SELECT datname FROM pg_database" if mine.get_backend_name() == "postgresql" else "SHOW DATABASES"
    with server.connect() as connection:
        theirs = [name for (name,) in connection.exec_driver_sql(listing)
                  if name.startswith("grade_") and name != mine.database]
    for name in theirs:  # a classmate graded at the same moment
        try:
            with sqlalchemy.create_engine(mine.set(database=name)).begin() as connection:
                connection.exec_driver_sql("DELETE FROM employees")
        except sqlalchemy.exc.DBAPIError:
            pass
"""


def test_a_classmates_database_is_out_of_reach(tmp_path, server_database):
    with scratch_database(server_database, tmp_path) as classmate:
        work = sa.create_engine(classmate.url, poolclass=sa.pool.NullPool)
        with work.begin() as connection:
            connection.exec_driver_sql("CREATE TABLE employees (id INTEGER PRIMARY KEY, name VARCHAR(50))")
            connection.exec_driver_sql("INSERT INTO employees VALUES (1, 'Ada')")
        attacked(tmp_path, EMPTY_THE_CLASSMATES, server_database)
        with work.connect() as connection:
            assert connection.exec_driver_sql("SELECT name FROM employees").all() == [("Ada",)]
        work.dispose()


BLIND_THE_LOCK_MONITOR = """
    import threading, time
    import sqlalchemy

    def hold_pg_locks():
        \"\"\"A second session that locks pg_locks for good: whoever reads it to see who waits, waits.\"\"\"
        try:
            with sqlalchemy.create_engine(os.environ["DATABASE_URL"]).connect() as session:
                session.exec_driver_sql("LOCK TABLE pg_catalog.pg_locks")
                time.sleep(100000)
        except sqlalchemy.exc.DBAPIError:
            pass

    threading.Thread(target=hold_pg_locks, daemon=True).start()
"""


def test_a_lock_on_pg_locks_does_not_hide_a_lock_wait(tmp_path, request):
    mistake = author.mistake("a foreign key validated at once")
    server = mistake.build(tmp_path / "server")
    (server / "app.py").write_text((server / "app.py").read_text() + textwrap.dedent(BLIND_THE_LOCK_MONITOR))
    start_servers_for_other_databases(mistake.step, request)
    report = grade(server, up_to_step=mistake.step, database="postgresql", time_limit=20)
    text = render_text(report)
    assert "Traceback" not in text
    check = report.check(mistake.step, mistake.check)
    assert not check.passed, text
    assert mistake.message in check.message


# squawk used to read the SQL the learner's process rendered (`flask db upgrade --sql`): hand it a clean one.
CLEAN_SQL_FOR_SQUAWK = """
    import sys
    worker = sys.modules["__main__"]  # the worker runs as `python -m`
    def _rendered_clean(self, command):
        return worker.Reply(ok=True, dialect="postgresql", sql="SELECT 1;\\n" if command.target else None)
    worker.Session.offline = _rendered_clean
"""


def test_squawk_lints_what_the_migrations_ran_not_the_sql_the_app_hands_back(tmp_path, request):
    mistake = author.mistake("squawk's findings left unanswered")  # step 16 without its .squawk.toml
    server = mistake.build(tmp_path / "server")
    (server / "app.py").write_text((server / "app.py").read_text() + textwrap.dedent(CLEAN_SQL_FOR_SQUAWK))
    start_servers_for_other_databases(mistake.step, request)
    report = grade(server, up_to_step=mistake.step, database="postgresql", time_limit=20)
    assert "Traceback" not in render_text(report)
    check = report.check(mistake.step, mistake.check)
    assert not check.passed, check.message
    assert mistake.message in check.message
    assert check.to_dict()["evidence"] == "the statements the grade's role ran on PostgreSQL, from the server's own log"


# Every new database is a copy of template1: a table put there is in every later classmate's.
SPOIL_LATER_GRADES = """
    try:
        with sqlalchemy.create_engine(mine.set(database="template1")).begin() as connection:
            connection.exec_driver_sql("CREATE TABLE employees (id INTEGER PRIMARY KEY)")
    except sqlalchemy.exc.DBAPIError:
        pass
"""
KEEP_EMPTYING_THE_CLASSMATES = """
    import threading, time

    def keep_emptying():
        while True:
            try:
""" + textwrap.indent(textwrap.dedent(EMPTY_THE_CLASSMATES), " " * 16) + """
            except sqlalchemy.exc.DBAPIError:
                pass
            time.sleep(0.05)

    threading.Thread(target=keep_emptying, daemon=True).start()
"""


def test_a_class_on_one_server_gives_every_honest_learner_the_row_they_get_alone(tmp_path, postgres_server):
    """`grade --cohort`: mallory's code runs while yan is graded on the same server (two at once),
    and before zoe is."""
    steps_one_and_two_with(tmp_path / "class" / "mallory", "".join(
        textwrap.dedent(code) for code in (AS_MYSELF, SPOIL_LATER_GRADES, KEEP_EMPTYING_THE_CLASSMATES)))
    for honest in ("yan", "zoe"):
        build_state(2, tmp_path / "class" / honest / "server")
    done = subprocess.run([sys.executable, str(course.REPO_ROOT / "testing" / "cli.py"), "grade", "--cohort",
                           str(tmp_path / "class"), "--step", "2", "--database", "postgresql", "--jobs", "2",
                           "--csv", str(tmp_path / "class.csv"), "--json"],
                          capture_output=True, text=True, timeout=600, env=learner_environment())
    assert done.returncode == 0, done.stderr
    rows = {row["learner"]: row for row in json.loads(done.stdout)["learners"]}
    try:
        assert rows["yan"]["steps_passed"] == rows["zoe"]["steps_passed"] == 2, rows
    finally:
        template = sa.make_url(postgres_server).set(database="template1").render_as_string(hide_password=False)
        as_administrator(template, "DROP TABLE IF EXISTS employees")

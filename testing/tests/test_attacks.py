"""A grade no submission can forge, crash, stall or outlive.

Each test is something a learner could really put in app.py or a migration to make a wrong
submission (only steps 01 and 02 done) pass step 05, or to break the grader. Each must end in a
failed grade, in the learner's words, within its time limit, with nothing left running and the
course's files unchanged (or the change named in the grade).
"""
import os
import subprocess
import sys
import sysconfig
import tempfile
import textwrap
import time
import uuid
from pathlib import Path

import pytest

from testing import course
from testing.build import build_state
from testing.grader import grade, render_text

from .clones import course_command, fingerprint, scratch_clone

# Each attack is a whole grade of a hostile submission, seconds apiece: the slow tier runs them all.
pytestmark = pytest.mark.slow

TIME_LIMIT = 3
WALL_LIMIT = 60  # a whole grade with its time limits, on a loaded 2-core machine

def steps_one_and_two_with(tmp_path, code, where="app.py"):
    server = build_state(2, tmp_path / "server")
    path = server / where
    path.write_text(path.read_text() + "\n" + textwrap.dedent(code))
    return server

def graded(server, step=5):
    started = time.monotonic()
    report = grade(server, up_to_step=step, time_limit=TIME_LIMIT)
    assert time.monotonic() - started < WALL_LIMIT
    text = render_text(report)
    assert "Traceback" not in text
    return report, text

def first_failure(report):
    return next(check for result in report.steps for check in result.checks if not check.passed)

def processes_with(marker):
    """Process ids whose command line holds `marker`."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if marker.encode() in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                pass
    return found

def test_the_wrong_submission_fails_when_nothing_is_attacked(tmp_path):
    report, _ = graded(build_state(2, tmp_path / "server"))
    assert not report.passed and report.steps[1].passed and not report.steps[2].passed

def test_replies_forged_on_the_grader_channel_are_not_facts(tmp_path):
    # The channel's file descriptors are in the worker's argv: answer "ok" to everything, then leave.
    server = steps_one_and_two_with(tmp_path, """
        import json, sys
        reply = {"ok": True, "app": {"problem": None, "backend": "sqlite", "database": "/tmp/none.db",
                                     "url": "sqlite:////tmp/none.db", "migrations": None}}
        os.write(int(sys.argv[2]), (json.dumps(reply) + "\\n").encode() * 50)
        os._exit(0)
    """)
    report, text = graded(server)
    assert not report.passed
    assert "wrote to the grader's own channel (more than one reply)" in first_failure(report).message

def test_one_forged_reply_that_names_no_app_stops_the_grade_with_a_message(tmp_path):
    # A single well-formed line, then gone: a reply to LOAD with neither the app nor its error.
    server = steps_one_and_two_with(tmp_path, """
        import sys
        os.write(int(sys.argv[2]), b'{"ok": true}\\n')
        os._exit(0)
    """)
    report, _ = graded(server)
    assert "wrote to the grader's own channel (neither the app nor an error)" in first_failure(report).message

def test_garbage_on_the_channel_stops_the_grade_with_a_message(tmp_path):
    server = steps_one_and_two_with(tmp_path, 'import sys\nos.write(int(sys.argv[2]), b"not json at all\\n")\n')
    report, _ = graded(server)
    assert "(a line that is not JSON)" in first_failure(report).message

def test_a_flood_without_newlines_is_cut_short(tmp_path):
    server = steps_one_and_two_with(tmp_path, 'import sys\nos.write(int(sys.argv[2]), b"x" * 200_000_000)\n')
    started = time.monotonic()
    report, _ = graded(server)
    assert "(a reply too long)" in first_failure(report).message
    assert time.monotonic() - started < 20

def test_a_worker_monkeypatched_to_answer_ok_without_migrating_fails(tmp_path):
    server = steps_one_and_two_with(tmp_path, """
        import sys
        from testing.grader.boundary.protocol import Reply
        worker = sys.modules["__main__"]  # the worker runs as `python -m`
        _real_upgrade = worker.Session.upgrade
        def _fake(self, command):
            if command.target and command.target.startswith("c2d4"):  # step 02's revision: pretend
                return Reply(ok=True)
            return _real_upgrade(self, command)
        worker.Session.upgrade = _fake
    """)
    report, _ = graded(server)
    assert not report.passed
    assert "alembic_version says" in render_text(report)

def test_monkeypatching_the_judge_from_app_py_changes_nothing(tmp_path):
    server = steps_one_and_two_with(tmp_path, """
        from testing.grader.judging import judge, report
        report.Report.passed = property(lambda self: True)
        judge.verdict = lambda *args: None
    """)
    report, _ = graded(server)
    assert report.steps[0].passed and report.steps[1].passed  # the app, with its patches, loaded
    assert not report.passed  # and step 03's work is still missing

def test_reference_migrations_copied_in_while_graded_are_caught(tmp_path):
    server = steps_one_and_two_with(tmp_path, """
        import glob, shutil
        for path in glob.glob(os.path.join(os.environ["PYTHONPATH"], "lessons", "0[34]-*", "versions", "*.py")):
            shutil.copy(path, "migrations/versions/")
    """)
    report, _ = graded(server)
    message = first_failure(report).message
    assert "your code changed `migrations/versions/d3e5f7a9b003_rename_department_to_departments.py`" in message

def test_a_link_into_the_course_is_refused_with_a_note(tmp_path):
    server = build_state(2, tmp_path / "server")
    reference = course.step(3).migration_files[0]
    (server / "migrations" / "versions" / reference.name).symlink_to(reference)
    report, text = graded(server)
    assert not report.steps[2].passed
    assert f"migrations/versions/{reference.name} is a link to {reference}, not to a file inside your server" \
        in report.notes[0]

def test_special_files_and_deep_folders_are_left_out_with_a_note(tmp_path):
    server = build_state(2, tmp_path / "server")
    os.mkfifo(server / "pipe")
    deep = server
    for _ in range(1200):
        deep = deep / "d"
        deep.mkdir()
    try:
        report, text = graded(server, step=2)
    finally:  # Python 3.11's rmtree (pytest's clean-up too) recurses: a thousand folders deep is too deep
        subprocess.run(["rm", "-rf", str(server / "d")], check=True)
    assert report.passed
    assert "pipe is not a plain file (a pipe, socket or device): not graded." in report.notes
    assert any("nested more than" in note for note in report.notes)


def test_children_that_hide_do_not_outlive_the_grade(tmp_path):
    marker = f"{uuid.uuid4().int % 10_000}.{os.getpid()}"
    server = steps_one_and_two_with(tmp_path, f"""
        import subprocess
        subprocess.Popen(["setsid", "sleep", "{marker}"])
        if os.fork() == 0:  # a plain child, whose parent is about to end
            os.execvp("sleep", ["sleep", "{marker}"])
    """)
    report, _ = graded(server)
    assert not report.passed
    deadline = time.monotonic() + 5
    while processes_with(f"sleep\0{marker}") and time.monotonic() < deadline:
        time.sleep(0.1)
    assert processes_with(f"sleep\0{marker}") == []

def test_a_child_writing_into_the_scratch_folder_leaves_nothing_behind(tmp_path):
    marker = f"scratch_{uuid.uuid4().hex[:12]}"
    server = steps_one_and_two_with(tmp_path, f"""
        import subprocess
        subprocess.Popen(["setsid", "sh", "-c", "while true; do touch {marker}_$RANDOM; done"])
    """)
    report, _ = graded(server)
    assert not report.passed
    time.sleep(0.5)
    assert list(Path(tempfile.gettempdir()).glob(f"grade-*/server/{marker}_*")) == []

def test_a_time_limit_nothing_resets(tmp_path):
    # Bytes now and then on the channel, never a whole reply: the command's own time limit holds.
    server = steps_one_and_two_with(tmp_path, """
        import sys, time
        for _ in range(1000):
            os.write(int(sys.argv[2]), b" ")
            time.sleep(0.5)
    """)
    started = time.monotonic()
    report, _ = graded(server)
    assert f"did not finish within {TIME_LIMIT}" in first_failure(report).message
    assert time.monotonic() - started < TIME_LIMIT + 10

def test_memory_and_file_size_are_limited(tmp_path):
    server = steps_one_and_two_with(tmp_path, 'hoard = bytearray(16 << 30)\n')
    report, _ = graded(server)
    assert "Python could not load your app: app.py line" in first_failure(report).message
    assert "MemoryError" in first_failure(report).message
    server = steps_one_and_two_with(tmp_path / "big", """
        with open("big.bin", "wb") as big:
            big.seek(4 << 30)
            big.write(b"x")
    """)
    report, _ = graded(server)
    assert "File too large" in first_failure(report).message

def test_the_course_secrets_are_not_in_the_learners_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_POSTGRES_URL", "postgresql://secret@nowhere/x")
    monkeypatch.setenv("CI_JOB_TOKEN", "secret")
    server = steps_one_and_two_with(tmp_path, """
        seen = sorted(name for name in os.environ if "secret" in os.environ[name])
        if seen:
            raise RuntimeError("I can see " + ", ".join(seen))
    """)
    report, _ = graded(server, step=2)
    assert report.passed, render_text(report)

def test_course_files_changed_while_graded_are_named(tmp_path):
    """Graded as the same user, the change is found and fails the grade; as another user, it is refused.
    Graded at step 02, which the work passes: only the change can fail it."""
    clone = scratch_clone(tmp_path / "course")
    target = clone / "lessons" / "05-downgrade" / "models.py"
    server = steps_one_and_two_with(tmp_path, f"""
        try:
            with open({str(target)!r}, "a") as lesson:
                lesson.write("# the next learner passes too\\n")
        except OSError:
            pass
    """)
    before = fingerprint(clone / "lessons")
    done = course_command(clone, "grade", "--step", 2, "--server-dir", server, "--time-limit", TIME_LIMIT)
    assert "Traceback" not in done.stdout + done.stderr
    if fingerprint(clone / "lessons") != before:
        assert done.returncode == 1, done.stdout
        assert "your code changed files outside its scratch copy" in done.stdout
        assert str(target) in done.stdout
    else:  # refused: the user the learner's code ran as may not write the course
        assert done.returncode == 0, done.stdout

def test_a_pth_file_planted_in_the_virtualenv_is_named(tmp_path):
    """A .pth file runs in every later Python: planting one (here a harmless one) fails the grade.
    Graded with a virtualenv of its own, which sees the course's packages: a grade running beside
    this test in the course's own virtualenv must not meet the planted file."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    site_packages = venv / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}" / "site-packages"
    (site_packages / "course_packages.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    name = f"zz_course_attack_{uuid.uuid4().hex[:8]}.pth"
    server = steps_one_and_two_with(tmp_path, f"""
        import site
        try:
            with open(os.path.join(site.getsitepackages()[0], {name!r}), "w") as planted:
                planted.write("# harmless here; an import line would run in every later Python\\n")
        except OSError:
            pass
    """)
    done = subprocess.run([str(venv / "bin" / "python"), str(course.REPO_ROOT / "testing" / "cli.py"), "grade",
                           "--step", "2", "--server-dir", str(server), "--time-limit", str(TIME_LIMIT)],
                          capture_output=True, text=True, timeout=WALL_LIMIT)
    assert "Traceback" not in done.stdout + done.stderr
    planted = site_packages / name
    if planted.exists():
        assert done.returncode == 1, done.stdout  # the work passes step 02: only the planted file fails it
        assert "your code changed files outside its scratch copy" in done.stdout
        assert str(planted) in done.stdout
    else:  # refused: the user the learner's code ran as may not write the virtualenv
        assert done.returncode == 0, done.stdout

def test_a_pause_the_grader_did_not_ask_for_stops_the_grade(tmp_path):
    # Only Part 3's upgrade statement by statement waits for the grader; a pause anywhere else is garbage.
    server = steps_one_and_two_with(tmp_path, """
        import json, sys
        pause = {"ok": True, "pause": {"statement": "SELECT 1", "parameters": None, "plain": True, "pid": None}}
        os.write(int(sys.argv[2]), (json.dumps(pause) + "\\n").encode())
    """)
    report, _ = graded(server)
    assert not report.passed
    assert "(a pause the grader did not ask for)" in first_failure(report).message


def test_a_downgrade_that_puts_back_a_copy_of_the_database_file_fails(tmp_path):
    # Step 04's upgrade keeps a copy of the file; its downgrade puts the copy back instead of renaming
    # the column back, then sets alembic_version so that Alembic's own bookkeeping finds its row.
    server = build_state(5, tmp_path / "server")
    migration = next((server / "migrations" / "versions").glob("*rename_address_to_location.py"))
    text = migration.read_text()
    text = text.replace("def upgrade():\n", textwrap.dedent("""\
        def _file():
            return op.get_bind().engine.url.database


        def upgrade():
            import shutil
            shutil.copyfile(_file(), _file() + ".before")
        """), 1)
    text = text[:text.index("def downgrade():")] + textwrap.dedent("""\
        def downgrade():
            import shutil, sqlite3
            shutil.copyfile(_file() + ".before", _file())
            put_back = sqlite3.connect(_file())
            put_back.execute("UPDATE alembic_version SET version_num = '%s'")
            put_back.commit()
            put_back.close()
        """ % text.split("revision = '")[1].split("'")[0])
    migration.write_text(text)
    report, _ = graded(server)
    assert not report.steps[4].passed
    assert "the database file was replaced, not migrated: its schema version went back" \
        in first_failure(report).message


# Step 11 without its listeners (the starter's app.py): a failure midway leaves the database half changed.
CLAIMS_THE_FAILURE = """
    import sys
    worker = sys.modules["__main__"]  # the worker runs as `python -m`
    _real_upgrade = worker.Session.upgrade
    def _claim(self, command):
        if command.fail_after:  # the grader's failure on purpose: say it happened, run nothing
            return worker.Reply(ok=True, write_count=command.fail_after,
                                last_write="ALTER TABLE departments ADD COLUMN code VARCHAR(10)")
        return _real_upgrade(self, command)
    worker.Session.upgrade = _claim
"""


def step_11_without_listeners(tmp_path, code=""):
    server = build_state(11, tmp_path / "server")
    (server / "app.py").write_text((course.starter_dir() / "app.py").read_text() + textwrap.dedent(code))
    return server


def test_step_11_without_listeners_fails_when_nothing_is_attacked(tmp_path):
    report, _ = graded(step_11_without_listeners(tmp_path), step=11)
    assert report.steps[9].passed and not report.steps[10].passed
    assert "the failure left the database half changed" in first_failure(report).message


def test_a_migration_failure_claimed_without_running_the_migration_fails(tmp_path):
    report, _ = graded(step_11_without_listeners(tmp_path, CLAIMS_THE_FAILURE), step=11)
    assert report.steps[9].passed and not report.steps[10].passed
    assert "The grader's failure never happened" in first_failure(report).message
    assert "nothing reached the database" in first_failure(report).message


# The witness against honest work in unusual forms: it must not turn a right step 11 into a wrong one.

def test_a_first_statement_that_changes_nothing_is_not_the_failure_that_never_happened(tmp_path):
    # Clearing what an earlier failed batch left behind: on a clean database it writes nothing.
    server = build_state(11, tmp_path / "server")
    migration = next((server / "migrations" / "versions").glob("*add_department_code.py"))
    migration.write_text(migration.read_text().replace(
        "def upgrade():\n", 'def upgrade():\n    op.execute("DROP TABLE IF EXISTS _alembic_tmp_departments")\n', 1))
    report, _ = graded(server, step=11)
    assert report.passed, first_failure(report).message
    assert "fail right after its first change (ALTER TABLE departments ADD COLUMN" in \
        report.check(11, "a failed migration changes nothing").message


def test_a_write_ahead_log_passes_and_says_the_failure_was_not_witnessed(tmp_path):
    server = build_state(11, tmp_path / "server")
    app = server / "app.py"
    app.write_text(app.read_text() + textwrap.dedent("""

        @event.listens_for(Engine, "connect")
        def write_ahead_log(dbapi_connection, connection_record):
            if isinstance(dbapi_connection, sqlite3.Connection):
                dbapi_connection.execute("PRAGMA journal_mode=WAL")
    """))
    report, _ = graded(server, step=11)
    assert report.passed, first_failure(report).message
    check = report.check(11, "a failed migration changes nothing").to_dict()
    assert check["evidence"] == "the submitted files, walked on a scratch database; that the grader's failure " \
        "happened rests on the learner's own process (the SQLite file could not be watched: no inotify, or a " \
        "write-ahead log)"

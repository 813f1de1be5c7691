"""`pipenv run lesson`: each command in a scratch clone of the course, as a learner types it."""
import json
import os
import pty
import select
import shutil
import signal
import subprocess
import sys
import time

import pytest

from testing import course
from testing.build import build_state
from testing.grader import grade
from testing.guide import commands, solution, standing
from testing.guide.branches import branch_name

from .clones import fingerprint, git, learners_work, lesson, write_rename_as_create_drop

WATCH_WAIT = 60  # seconds the watch test waits for a re-check before it fails


def status_of(clone):
    done = lesson(clone, "status", "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def states(course_map):
    return [step["state"] for step in course_map["steps"]]


# -- status and check ------------------------------------------------------------------------

def test_an_untouched_clone_is_at_step_01(clone):
    done = lesson(clone)
    assert done.returncode == 0, done.stderr
    assert " > 01  Initial migration" in done.stdout
    assert "You are on step 01, Initial migration." in done.stdout
    assert "type:   flask db init" in done.stdout
    course_map = status_of(clone)
    assert course_map["current"] == 1
    assert states(course_map) == ["not started"] * len(course.steps())
    assert course_map["next"] == {"action": "flask db init", "command": "flask db init",
                                  "readme": "lessons/01-initial-migration/README.md"}


@pytest.mark.parametrize("no_color, coloured", [(None, True), ("1", False)])
def test_colour_only_on_a_terminal_and_never_with_no_color(clone, no_color, coloured):
    assert "\033[" not in lesson(clone).stdout  # a pipe is not a terminal
    terminal, its_end = pty.openpty()
    env = {key: value for key, value in os.environ.items() if key != "NO_COLOR"}
    if no_color:
        env["NO_COLOR"] = no_color
    done = subprocess.run([sys.executable, str(clone / "testing" / "cli.py"), "lesson"], cwd=clone, env=env,
                          stdout=its_end, stderr=subprocess.PIPE, timeout=300)
    os.close(its_end)
    shown = os.read(terminal, 65536).decode()
    os.close(terminal)
    assert done.returncode == 0 and "Initial migration" in shown
    assert ("\033[2mnot started\033[0m" in shown) is coloured


@pytest.mark.slow
def test_a_slow_check_says_what_it_is_doing_on_a_terminal_only(at_step_3):
    """On a terminal, a line says which step is being graded, then gives way to the answer; a pipe
    (a tool, --json) gets the answer alone."""
    command = [sys.executable, str(at_step_3 / "testing" / "cli.py"), "lesson", "check", "2", "--json"]
    piped = subprocess.run(command, cwd=at_step_3, capture_output=True, text=True, timeout=300)
    assert piped.stderr == "" and json.loads(piped.stdout)["state"] == "passed"
    shutil.rmtree(at_step_3 / ".lesson" / "cache")  # graded again, not found kept
    terminal, its_end = pty.openpty()
    done = subprocess.run(command, cwd=at_step_3, stdout=subprocess.PIPE, stderr=its_end, timeout=300)
    os.close(its_end)
    shown = b""
    while select.select([terminal], [], [], 0.5)[0]:
        try:
            shown += os.read(terminal, 65536)
        except OSError:
            break
    os.close(terminal)
    assert done.returncode == 0 and json.loads(done.stdout)["state"] == "passed"
    assert b"\r\033[KSQLite: upgrade of migrations/versions/" in shown  # what is being done now
    assert shown.endswith(b"\r\033[K")  # erased once the answer is there


@pytest.mark.slow
def test_status_follows_the_learner_through_a_step(at_step_3):
    server = at_step_3 / "server"
    course_map = status_of(at_step_3)
    assert states(course_map)[:3] == ["passed", "passed", "not started"]
    assert course_map["next"]["command"] == 'flask db migrate -m "rename department to departments"'
    # The lesson begins with an edit: the map says so before it names the command.
    assert course_map["next"]["action"] == 'edit `models.py`: `__tablename__ = "departments"` in `Department`'
    assert ('  do:     edit `models.py`: `__tablename__ = "departments"` in `Department`   (the lesson\'s first step)\n'
            '  type:   flask db migrate -m "rename department to departments"   (then, in server/)') \
        in lesson(at_step_3).stdout

    # models.py edited, no migration yet: the map counts that against step 03, not step 01.
    shutil.copyfile(course.step(3).models_path, server / "models.py")
    course_map = status_of(at_step_3)
    assert course_map["current"] == 3
    assert states(course_map)[:3] == ["passed", "passed", "failing"]
    assert course_map["steps"][2]["reason"].startswith(
        "schema reached: Your migrations never reach the schema of step 03")
    models = next(check for check in course_map["steps"][2]["checks"]
                  if check["id"] == "models-py-matches-the-migrations")
    assert not models["passed"]

    write_rename_as_create_drop(server)
    course_map = status_of(at_step_3)
    assert states(course_map)[:4] == ["passed", "passed", "failing", "not started"]
    assert "drops table `department` and creates `departments` empty" in course_map["steps"][2]["reason"]
    assert course_map["next"]["command"] == "pipenv run lesson check 3"


@pytest.mark.slow
def test_a_broken_chain_leaves_later_steps_not_checked(at_step_3):
    (at_step_3 / "server" / "migrations" / "versions" / "broken.py").write_text("def upgrade(:\n")
    course_map = status_of(at_step_3)
    assert course_map["current"] == 1
    assert states(course_map) == ["failing"] + ["not checked"] * (len(course.steps()) - 1)
    assert "is not valid Python" in course_map["steps"][0]["reason"]


def test_check_grades_one_step_with_the_graders_messages(at_step_3):
    write_rename_as_create_drop(at_step_3 / "server")
    done = lesson(at_step_3, "check")
    assert done.returncode == 1
    assert done.stdout.startswith("FAIL step 03 Rename a table\n")
    assert 'op.rename_table("department", "departments")' in done.stdout
    assert "Stuck? pipenv run lesson hint 3" in done.stdout

    done = lesson(at_step_3, "check", "2")
    assert done.returncode == 0
    assert "Step 02 passes. Next: step 03, lessons/03-rename-a-table/README.md" in done.stdout

    done = lesson(at_step_3, "check", 3, "--json")
    checks = {check["name"]: check["passed"] for check in json.loads(done.stdout)["checks"]}
    assert checks["rows kept on upgrade"] is False and checks["schema reached"] is True


@pytest.mark.slow
def test_check_and_grade_agree_on_a_step_whose_models_py_slipped(tmp_path):
    """models.py without step 06's server default, its migration with it: a slip in step 06, not
    work on step 07. `grade --step 6` fails, and so do the map and `lesson check 6`."""
    server = build_state(6, tmp_path / "server")
    models = server / "models.py"
    models.write_text(models.read_text().replace(', server_default="Associate"', ""))
    assert not grade(server, up_to_step=6).passed
    course_map = standing.course_map(grade(server))
    assert course_map.current and course_map.current.step.number == 6
    assert course_map.state_of(6).state == standing.FAILING
    assert course_map.state_of(6).reason.startswith("models.py matches the migrations: ")
    assert course_map.state_of(7).state == standing.NOT_STARTED

    # models.py edited for step 07, not migrated yet: that is step 07's work, and step 06 still passes.
    shutil.copyfile(course.step(7).tries_dir / "models.py", models)
    course_map = standing.course_map(grade(server))
    assert course_map.current and course_map.current.step.number == 7
    assert [course_map.state_of(n).state for n in (6, 7)] == [standing.PASSED, standing.FAILING]


@pytest.mark.parametrize("args, says", [
    (["check", 42], "there is no step 42: the course has steps 1 to"),
    (["check", "three"], "'three' is not a step number"),
    (["start", 0], "there is no step 0"),
    (["hint", 99], "there is no step 99"),
    (["solution", 42], "there is no step 42"),
    (["restore", "no-such-backup"], "there are no backups yet"),
    (["frobnicate"], "No such command 'frobnicate'"),
    (["status", "--colour"], "No such option '--colour'"),
    (["--server-dir", ".", "reset"], "holds the course's backups (.lesson/)"),
])
def test_wrong_calls_get_one_line_and_exit_2(clone, args, says):
    before = fingerprint(clone / "server")
    done = lesson(clone, *args)
    assert done.returncode == 2
    assert len(done.stderr.splitlines()) == 1 and done.stderr.startswith("Error: ") and says in done.stderr
    assert fingerprint(clone / "server") == before


# -- hints and solutions ---------------------------------------------------------------------

def test_hints_come_one_at_a_time(clone):
    hints = course.step(3).hints()
    for number in range(1, len(hints) + 2):
        done = lesson(clone, "hint", 3)
        shown = min(number, len(hints))
        assert done.stdout.startswith(f"Hint {shown} of {len(hints)} for step 03, Rename a table:\n")
        assert hints[shown - 1] in done.stdout
        assert ("That was the last hint." in done.stdout) is (shown == len(hints))
    assert lesson(clone, "hint", 2).stdout.startswith("Hint 1 of")  # each step counts its own


@pytest.mark.slow
def test_the_solution_waits_until_the_step_passes(at_step_3):
    write_rename_as_create_drop(at_step_3 / "server")
    done = lesson(at_step_3, "solution", 3)
    assert done.returncode == 1
    assert "does not pass yet" in done.stdout and "+++" not in done.stdout

    done = lesson(at_step_3, "solution", 3, "--force")
    assert done.returncode == 0
    reference = course.step(3).migration_files[0].name
    assert f"--- yours: migrations/versions/{reference}" in done.stdout
    assert "-    op.drop_table('department')" in done.stdout
    assert "+    op.rename_table('department', 'departments')" in done.stdout

    done = lesson(at_step_3, "solution", 2)  # passed: shown without --force, identical to the reference
    assert done.returncode == 0 and done.stdout == "Your migrations for step 02 are the course's own, line for line.\n"
    assert "writes no migration" in lesson(at_step_3, "solution", 5).stdout


# -- start, reset, restore -------------------------------------------------------------------

def backup_named_in(output):
    return output.split("pipenv run lesson restore ")[1].split(" ")[0]


@pytest.mark.slow
def test_the_solution_of_the_courses_own_end_state_is_no_change(tmp_path):
    """Files pair by what they do: step 10's two branches and its merge (which the grader counts
    with step 11), step 11's migration, not whatever sits at the same position."""
    server = build_state(11, tmp_path / "server")
    course_map = standing.course_map(grade(server))
    chain_files = [name for state in course_map.states for name in state.files]
    for step in course.steps_up_to(11):
        diff = solution.solution_diff(step, server, course_map.state_of(step.number).files, chain_files)
        assert diff == "", f"step {step.label}:\n{diff}"


@pytest.mark.slow
def test_start_reset_and_restore_give_back_files_and_database_byte_for_byte(at_step_3):
    server = learners_work(at_step_3)
    mine, folder = fingerprint(server), server.stat().st_ino

    done = lesson(at_step_3, "start", 4, cwd=server)  # typed in server/, where the lessons work
    assert done.returncode == 0, done.stderr
    # Said before the work and after it: what of the learner's gave way, and where it is kept.
    assert done.stdout.startswith(f"Putting {server} at the start of step 04 (steps 01 to 03 done")
    assert "what it holds now is backed up first" in done.stdout.splitlines()[0]
    assert ("  changed: instance/app.db, migrations/versions/d3e5f7a9b003_rename_department_to_departments.py\n"
            "  removed: notes.txt\n") in done.stdout
    assert server.stat().st_ino == folder  # the same folder: a shell inside it keeps working
    mine_backup = backup_named_in(done.stdout)
    assert fingerprint(at_step_3 / ".lesson" / "backups" / mine_backup / "server") == mine
    assert (server / "models.py").read_text() == course.step(3).models_path.read_text()
    assert sorted(p.name for p in (server / "migrations" / "versions").glob("*.py")) == sorted(
        p.name for step in course.steps_up_to(3) for p in step.migration_files)
    assert status_of(at_step_3)["current"] == 4

    done = lesson(at_step_3, "restore", mine_backup)
    assert done.returncode == 0, done.stderr
    assert fingerprint(server) == mine

    done = lesson(at_step_3, "reset")
    assert done.returncode == 0, done.stderr
    assert fingerprint(server) == fingerprint(course.starter_dir())
    assert lesson(at_step_3, "restore", "latest").returncode == 0
    assert fingerprint(server) == mine

    listing = lesson(at_step_3, "restore").stdout
    assert listing.count("made before `lesson") == 5  # start 3 and 4, restore, reset, restore latest
    assert "made before `lesson start 4`" in listing


@pytest.mark.slow
def test_start_says_which_course_migrations_it_put_in(at_step_3):
    done = lesson(at_step_3, "start", 10)
    assert done.returncode == 0, done.stderr
    assert "  put in: the course's migrations of steps 03, 04, 06, 07, 08, 10 (7 files)" in done.stdout
    assert "Saved your work in " in done.stdout


@pytest.mark.slow
def test_start_puts_the_database_at_the_start_of_the_step(clone):
    assert lesson(clone, "start", 4).returncode == 0
    server = clone / "server"
    done = subprocess.run([sys.executable, "show_rows.py"], cwd=server, capture_output=True, text=True)
    assert "d3e5f7a9b003" in done.stdout  # alembic_version: step 03's migration
    assert "departments (2 rows)" in done.stdout and "employees (2 rows)" in done.stdout


def test_start_1_on_an_untouched_clone_is_the_starter(clone):
    done = lesson(clone, "start", 1)
    assert done.returncode == 0, done.stderr
    assert fingerprint(clone / "server") == fingerprint(course.starter_dir())


# -- branches --------------------------------------------------------------------------------

def tree_of(clone, branch):
    """{path under server/: file bytes} in a branch's commit."""
    names = git(clone, "ls-tree", "-r", "--name-only", branch, "--", "server").split()
    return {name.removeprefix("server/"): subprocess.run(
        ["git", "show", f"{branch}:{name}"], cwd=clone, capture_output=True, check=True).stdout for name in names}


@pytest.mark.slow
def test_branches_hold_each_steps_end_state(clone, tmp_path):
    (clone / "server" / "models.py").write_text("# uncommitted work\n")
    done = lesson(clone, "branches")
    assert done.returncode == 2 and "uncommitted changes" in done.stderr
    git(clone, "checkout", "--", "server/models.py")

    done = lesson(clone, "branches")
    assert done.returncode == 0, done.stderr
    for step in course.steps():
        expected = build_state(step.number, tmp_path / step.label)
        assert tree_of(clone, branch_name(step)) == {
            str(path.relative_to(expected)): path.read_bytes() for path in expected.rglob("*") if path.is_file()}
    step_2, step_3 = (branch_name(course.step(n)) for n in (2, 3))
    changed = git(clone, "diff", "--name-only", step_2, step_3).split()
    assert changed == sorted(["server/models.py",
                              f"server/migrations/versions/{course.step(3).migration_files[0].name}"])
    assert git(clone, "status", "--porcelain") == ""  # the work tree was never touched

    done = lesson(clone, "branches")
    assert done.returncode == 2 and "already exist" in done.stderr
    step_1 = branch_name(course.step(1))
    git(clone, "commit", "--quiet", "--allow-empty", "--message", "more work")
    assert git(clone, "rev-parse", f"{step_1}~1") == git(clone, "rev-parse", "HEAD~1")
    assert lesson(clone, "branches", "--force").returncode == 0
    assert git(clone, "rev-parse", f"{step_1}~1") == git(clone, "rev-parse", "HEAD")  # moved onto the new HEAD

    git(clone, "checkout", "--quiet", step_1)
    before = {name: git(clone, "rev-parse", name) for name in (step_1, branch_name(course.step(12)))}
    done = lesson(clone, "branches", "--force")
    assert done.returncode == 2 and f"you are on {step_1}" in done.stderr
    assert {name: git(clone, "rev-parse", name) for name in before} == before  # none moved


# -- watch -----------------------------------------------------------------------------------

@pytest.mark.slow
def test_watch_checks_again_after_a_save_and_stops_on_ctrl_c(at_step_3):
    command = [sys.executable, str(at_step_3 / "testing" / "cli.py"), "lesson", "watch", "--interval", "0.1"]
    # Ctrl-C as a terminal delivers it: a job started in the background (`cmd &`, as some CI runners
    # do) inherits SIGINT ignored, and Python then never turns it into KeyboardInterrupt.
    watcher = subprocess.Popen(command, cwd=at_step_3, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        seen = read_until(watcher, "(Ctrl-C stops)")
        assert "-- step 03, checked at" in seen
        write_rename_as_create_drop(at_step_3 / "server")
        seen = read_until(watcher, "(Ctrl-C stops)")
        assert "FAIL step 03 Rename a table" in seen and "rows kept on upgrade" in seen
        seen += quiet_for(watcher, 1.0)  # an editor's late write may start one more check: let it end
    finally:
        watcher.send_signal(signal.SIGINT)
        try:
            out, err = watcher.communicate(timeout=WATCH_WAIT)
        except subprocess.TimeoutExpired:
            watcher.kill()
            out, err = watcher.communicate()
            raise AssertionError(f"still watching {WATCH_WAIT} s after Ctrl-C:\n{out}\n{err}") from None
    assert watcher.returncode == 0
    assert "Stopped watching." in out and "Traceback" not in err


def quiet_for(process, seconds):
    """What the process prints until it has printed nothing for `seconds` (within WATCH_WAIT)."""
    deadline, lines = time.monotonic() + WATCH_WAIT, []
    while time.monotonic() < deadline and select.select([process.stdout], [], [], seconds)[0]:
        line = process.stdout.readline()
        if not line:
            break
        lines.append(line)
    return "".join(lines)


def read_until(process, marker):
    """Lines from the process up to one containing `marker`, within WATCH_WAIT seconds."""
    deadline, lines = time.monotonic() + WATCH_WAIT, []
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        lines.append(line)
        if marker in line:
            return "".join(lines)
    raise AssertionError(f"no {marker!r} within {WATCH_WAIT} s:\n" + "".join(lines))


# -- the manifest ------------------------------------------------------------------------------

def test_the_readme_lists_the_lessons_of_the_manifest():
    readme = (course.REPO_ROOT / "README.md").read_text(encoding="utf-8")
    assert course.lesson_table() in readme, "README.md's lesson table differs from lessons/course.toml:\n" + \
        course.lesson_table()


def test_the_shipped_server_folder_is_the_starter():
    shipped = subprocess.run(["git", "ls-files", "server"], cwd=course.REPO_ROOT, capture_output=True,
                             text=True, check=True).stdout.split()
    assert sorted(shipped) == sorted(f"server/{p.relative_to(course.starter_dir())}"
                                     for p in course.starter_dir().rglob("*") if p.is_file())
    for name in shipped:
        committed = subprocess.run(["git", "show", f"HEAD:{name}"], cwd=course.REPO_ROOT, capture_output=True).stdout
        assert committed == (course.starter_dir() / name.removeprefix("server/")).read_bytes(), name


def test_start_and_reset_refuse_a_server_folder_linked_outside_the_course(clone, tmp_path):
    elsewhere = tmp_path / "my-own-project"
    elsewhere.mkdir()
    (elsewhere / "keep.txt").write_text("not the course's\n")
    shutil.rmtree(clone / "server")
    (clone / "server").symlink_to(elsewhere)
    for command in (["start", 3], ["reset"]):
        done = lesson(clone, *command)
        assert done.returncode == 2 and "outside the course" in done.stderr and "--force" in done.stderr
        assert [path.name for path in elsewhere.iterdir()] == ["keep.txt"]
    done = lesson(clone, "reset", "--force")
    assert done.returncode == 0, done.stderr
    assert (elsewhere / "app.py").is_file() and not (elsewhere / "keep.txt").exists()


@pytest.mark.slow
def test_a_step_done_in_files_but_never_upgraded_passes_neither_it_nor_the_downgrade(clone):
    """`lesson start 4`, then step 04's migration and models.py put in place and no `flask db
    upgrade`: the database is one revision below step 04 because it never went up, not because it
    came down. Neither step 04 nor step 05 passes, and both say to upgrade first."""
    assert lesson(clone, "start", 4).returncode == 0
    server, step_04 = clone / "server", course.step(4)
    for migration in step_04.versions_dir.glob("*.py"):
        shutil.copyfile(migration, server / "migrations" / "versions" / migration.name)
    shutil.copyfile(step_04.models_path, server / "models.py")
    for number, says in ((4, "Run `flask db upgrade`"), (5, "Go up first: `flask db upgrade`")):
        done = lesson(clone, "check", number, "--json")
        assert done.returncode == 1, done.stdout + done.stderr
        checked = json.loads(done.stdout)
        assert checked["state"] == standing.FAILING and says in json.dumps(checked), checked
    assert status_of(clone)["current"] == 4


def test_a_step_whose_readme_asks_for_nothing_first_is_still_shown(tmp_path):
    """A lesson in the making may have no command to type first: `lesson` says what to read."""
    (tmp_path / "01-first").mkdir()
    (tmp_path / "01-first" / "README.md").write_text("# First\n\nRead about migrations.\n", encoding="utf-8")
    step = course.Step(1, "First", tmp_path / "01-first")
    state = standing.StepState(step, standing.NOT_STARTED, [], [])
    shown = commands.next_steps(standing.CourseMap([state], state))
    assert shown.splitlines() == ["You are on step 01, First.", f"  read:   {step.readme}"]

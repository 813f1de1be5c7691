"""The command-line contract that instructors and other tools rely on: output, JSON, exit codes."""
import json
import re
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from testing import author, course
from testing.build import build_state

CLI = str(course.REPO_ROOT / "testing" / "cli.py")


def course_command(*args, cwd=None):
    return subprocess.run([sys.executable, CLI, *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, timeout=300)


def pytest_entry(*args, cwd=course.REPO_ROOT):
    return subprocess.run([sys.executable, "-m", "pytest", "testing/codegrade_test.py", "-q", *map(str, args)],
                          capture_output=True, text=True, cwd=cwd, timeout=300)


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    return build_state(4, tmp_path_factory.mktemp("reference") / "server")


@pytest.fixture(scope="module")
def wrong(tmp_path_factory):
    return author.mistake("table rename as create + drop").build(tmp_path_factory.mktemp("wrong") / "server")


def test_json_report_for_a_passing_folder(reference):
    done = course_command("grade", "--server-dir", reference, "--step", 4, "--json")
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads(done.stdout)
    assert report["passed"] is True
    assert [step["step"] for step in report["steps"]] == [1, 2, 3, 4]
    assert set(report["steps"][0]) == {"step", "title", "passed", "started", "files", "checks"}
    assert report["steps"][2]["files"] == ["migrations/versions/d3e5f7a9b003_rename_department_to_departments.py"]
    assert set(report["steps"][0]["checks"][0]) == {"id", "name", "passed", "status", "message", "evidence"}
    assert report["steps"][0]["checks"][0]["id"] == "app-loads" and report["stuck"] is None
    # What each verdict rests on: the grader's own reading, but for models.py, which only the
    # learner's process can load.
    evidence = {check["id"]: check["evidence"] for step in report["steps"] for check in step["checks"]}
    assert evidence["models-py-matches-the-migrations"] == "models.py, compared by the learner's own app process"
    walked = {evidence["app-loads"], evidence["downgrade-round-trip"]}
    assert walked == {"the submitted files, walked on a scratch database"}


def test_a_failing_folder_exits_1_with_a_message_and_no_traceback(wrong):
    done = course_command("grade", "--server-dir", wrong, "--step", 3)
    assert done.returncode == 1
    assert "drops table `department` and creates `departments` empty" in done.stdout
    assert "Traceback" not in done.stdout + done.stderr
    assert "\033[" not in done.stdout  # no colour when the output is not a terminal


@pytest.mark.parametrize("args, says", [
    (["grade", "--step", 42], "there is no step 42"),
    (["grade", "--database", "oracle"], "'oracle' is not one of"),
    (["grade", "--server-dir", "/no/such/folder"], "no such server folder"),
    (["lesson", "build", 42, "/tmp/never-written"], "there is no step 42"),
])
def test_usage_errors_exit_2_with_one_line(args, says):
    done = course_command(*args)
    assert done.returncode == 2
    assert done.stderr.splitlines() == [done.stderr.strip()] and says in done.stderr
    assert done.stdout == ""


def test_a_clone_without_its_packages_says_how_to_install_them():
    # `pipenv run lesson` before `pipenv install` runs in an empty virtualenv: -S hides the packages.
    done = subprocess.run([sys.executable, "-S", CLI, "lesson"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.strip() == ("The course's packages are not installed here yet: run `pipenv install --dev` "
                                   "in the course's folder, then try again.")


def test_build_refuses_a_folder_that_is_not_empty(tmp_path):
    (tmp_path / "app.py").write_text("# the learner's work\n")
    done = course_command("lesson", "build", 2, tmp_path)
    assert done.returncode == 2
    assert "is not empty" in done.stderr
    assert (tmp_path / "app.py").read_text() == "# the learner's work\n"


def test_folders_built_at_once_in_threads_leave_stdout_as_it_was(tmp_path, capsys, monkeypatch):
    """Grades side by side in one process (a recording, the bench) build their folders in threads:
    each build hides Alembic's "Generating ..." lines, and none may keep stdout for itself."""
    from alembic import command

    def init_on_a_busy_machine(*arguments, **options):
        time.sleep(0.05)  # long enough for the other threads' builds to start meanwhile
        return real_init(*arguments, **options)

    real_init = command.init
    monkeypatch.setattr(command, "init", init_on_a_busy_machine)
    before = sys.stdout
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda number: build_state(1, tmp_path / str(number)), range(4)))
    print("still seen")
    assert sys.stdout is before
    assert capsys.readouterr().out == "still seen\n"


def test_codegrade_entry_point_passes_the_reference(reference):
    done = pytest_entry("--server-dir", reference, "--step", 4)
    assert done.returncode == 0, done.stdout
    assert "passed" in done.stdout


@pytest.mark.slow
def test_codegrade_entry_point_works_typed_in_server_too(at_step_3):
    # The lessons keep a learner in server/: the same command works there, as typed.
    done = pytest_entry("--step", 2, cwd=at_step_3 / "server")
    assert done.returncode == 0, done.stdout + done.stderr
    assert re.search(r"\b1[0-9] passed\b", done.stdout)


@pytest.mark.slow
def test_codegrade_entry_point_loads_none_of_the_course_tests(reference):
    """Grading a learner loads the grader, not the course's own test helpers and fixtures."""
    script = ("import sys, pytest; code = pytest.main(sys.argv[1:]); "
              "print(sorted(name for name in sys.modules if name.startswith('testing.tests'))); sys.exit(code)")
    done = subprocess.run([sys.executable, "-c", script, "testing/codegrade_test.py", "-q", "--server-dir",
                           str(reference), "--step", "2"], capture_output=True, text=True, cwd=course.REPO_ROOT,
                          timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.strip().splitlines()[-1] == "[]"


def test_codegrade_entry_point_has_one_failing_test_per_failing_check(wrong):
    done = pytest_entry("--server-dir", wrong, "--step", 3, "-rf")
    assert done.returncode == 1
    failed = sorted(line.split("::")[1].split(" ")[0] for line in done.stdout.splitlines()
                    if line.startswith("FAILED"))
    assert failed == ["test_check[step03-downgrade-round-trip]", "test_check[step03-rows-kept-on-upgrade]"]
    assert "Traceback" not in done.stdout


@pytest.mark.slow
def test_codegrade_test_names_can_be_selected_with_k(tmp_path):
    done = pytest_entry("--server-dir", build_state(10, tmp_path / "server"), "--collect-only")
    names = [line.split("::")[1] for line in done.stdout.splitlines() if "::" in line]
    assert "test_check[step12-chain-runs-on-MySQL-MariaDB]" in names
    assert all(re.fullmatch(r"test_check\[step\d\d-[A-Za-z0-9-]+\]", name) for name in names)


def test_a_folder_without_app_py_is_told_so_at_once(tmp_path):
    # `grade --server-dir` pointed one folder too high: the course's own clone, say.
    (tmp_path / "server").mkdir()
    (tmp_path / "server" / "notes.txt").write_text("not a server folder\n")
    done = course_command("grade", "--server-dir", tmp_path, "--step", 1)
    assert done.returncode == 1
    assert "There is no app.py in the server folder: grade the folder that holds app.py" in done.stdout
    assert "Traceback" not in done.stdout + done.stderr

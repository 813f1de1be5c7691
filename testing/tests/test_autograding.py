"""The GitHub Classroom and CodeGrade setups: the workflows validate, and each grading command, run
the way those platforms run it, passes the course's reference end state and fails a realistic mistake."""
import os
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from xml.etree import ElementTree

import pytest
from ruamel.yaml import YAML  # check-jsonschema's own YAML reader

from testing import author, course
from testing.build import build_state
from testing.cohort import default_jobs
from testing.grader.servers import mariadb

from .clones import scratch_clone

WORKFLOWS = course.REPO_ROOT / ".github" / "workflows"
CLASSROOM = WORKFLOWS / "classroom.yml"
COHORT = WORKFLOWS / "grade-cohort.yml"
GRADE_STEP = course.REPO_ROOT / "testing" / "grade-step"
CODEGRADE_SETUP = course.REPO_ROOT / "testing" / "codegrade-setup.sh"
INSTRUCTORS_README = course.REPO_ROOT / "testing" / "README.md"
COMMAND_GRADER = "classroom-resources/autograding-command-grader@v1"
REPORTER = "classroom-resources/autograding-grading-reporter@v1"
TABLE_RENAME_AS_CREATE_DROP = author.mistake("table rename as create + drop")  # rows lost
NO_NETWORK = {name: "http://127.0.0.1:9" for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY")}  # answers nothing


def check_jsonschema(*paths):
    """GitHub's workflow schema as check-jsonschema ships it; a proxy that answers nothing proves
    it downloads nothing."""
    checker = Path(sys.executable).with_name("check-jsonschema")
    return subprocess.run([str(checker), "--builtin-schema", "vendor.github-workflows", *map(str, paths)],
                          capture_output=True, text=True, timeout=60, env={**os.environ, **NO_NETWORK})


def test_both_workflows_validate_offline_and_a_broken_one_does_not(tmp_path):
    done = check_jsonschema(CLASSROOM, COHORT)
    assert done.returncode == 0, done.stdout + done.stderr
    broken = tmp_path / "broken.yml"
    broken.write_text(CLASSROOM.read_text().replace("    runs-on: ubuntu-latest\n", "    runs-on: [1, 2]\n"))
    done = check_jsonschema(broken)
    assert done.returncode == 1 and "runs-on" in done.stdout


def classroom_tests():
    steps = YAML(typ="safe").load(CLASSROOM)["jobs"]["run-autograding-tests"]["steps"]
    return steps, [step for step in steps if step.get("uses") == COMMAND_GRADER]


def test_classroom_grades_each_step_with_points_from_a_pristine_course_at_a_pinned_ref():
    workflow = YAML(typ="safe").load(CLASSROOM)
    steps, tests = classroom_tests()
    assert [test["id"] for test in tests] == [f"step-{step.number:02d}" for step in course.steps()]
    for test, step in zip(tests, course.steps(), strict=True):
        assert test["with"]["command"] == f"course/testing/grade-step {step.number} submission/server"
        assert test["with"]["test-name"] == f"step {step.number:02d} {step.title}"
        assert test["with"]["timeout"] > 0 and test["with"]["max-score"] > 0
    assert sum(test["with"]["max-score"] for test in tests) == 100
    reporter = steps[-1]
    assert reporter["uses"] == REPORTER
    assert reporter["with"]["runners"] == ",".join(test["id"] for test in tests)
    assert reporter["env"] == {f"{test['id'].upper()}_RESULTS": f"${{{{ steps.{test['id']}.outputs.result }}}}"
                               for test in tests}
    # The learner's repository and the grader are checked out into separate folders; the grader
    # from COURSE (owner/repository@ref), never from the learner's repository.
    checkouts = [step["with"] for step in steps if step.get("uses", "").startswith("actions/checkout@")]
    assert checkouts[0] == {"path": "submission", "persist-credentials": False}
    assert checkouts[1] == {"repository": "${{ steps.course.outputs.repository }}",
                            "ref": "${{ steps.course.outputs.ref }}", "path": "course", "persist-credentials": False}
    assert workflow["jobs"]["run-autograding-tests"]["if"] == (
        "github.actor != 'github-classroom[bot]' && !github.event.repository.is_template")


def test_classroom_reads_the_one_setting_into_repository_and_ref(tmp_path):
    steps, _ = classroom_tests()
    split = next(step for step in steps if step.get("id") == "course")
    outputs = tmp_path / "outputs"
    done = subprocess.run(["bash", "-e", "-c", split["run"]], capture_output=True, text=True,
                          env={"COURSE": "my-school/flask-migrations@v2027.1", "GITHUB_OUTPUT": str(outputs)})
    assert done.returncode == 0, done.stderr
    assert outputs.read_text() == "repository=my-school/flask-migrations\nref=v2027.1\n"


def run_like_the_command_grader(command, cwd):
    """The command grader runs each command in a shell, in the workspace, with only PATH and HOME."""
    path = f"{Path(sys.executable).parent}:{os.environ['PATH']}"  # this Python stands for course/.venv
    return subprocess.run(command, shell=True, cwd=cwd, capture_output=True, text=True, timeout=600,
                          env={"PATH": path, "HOME": os.environ["HOME"]})


@pytest.fixture(scope="module")
def classroom_results(tmp_path_factory):
    """Every grading command of the workflow, run once on the reference end state and once on a
    mistake at step 03, each in a workspace laid out as the workflow checks it out."""
    if mariadb.server_binary() is None:
        pytest.skip("MariaDB is not installed here (apt install mariadb-server): step 12 grades on it")
    _, tests = classroom_tests()
    runs = {}
    with ThreadPoolExecutor(default_jobs()) as pool:  # 24 grades: one per core at a time
        for name, make in (("reference", lambda server: build_state(len(course.steps()), server)),
                           ("mistake", TABLE_RENAME_AS_CREATE_DROP.build)):
            workspace = tmp_path_factory.mktemp(f"workspace-{name}")
            scratch_clone(workspace / "course")  # the course as a fresh clone has it, at this commit
            make(workspace / "submission" / "server")
            runs[name] = {test["id"]: pool.submit(run_like_the_command_grader, test["with"]["command"], workspace)
                          for test in tests}
    return {name: {test: run.result() for test, run in tests_run.items()} for name, tests_run in runs.items()}


@pytest.mark.slow
def test_classroom_commands_pass_every_step_of_the_reference(classroom_results):
    for test, done in classroom_results["reference"].items():
        assert done.returncode == 0, f"{test}: {done.stdout}{done.stderr}"


@pytest.mark.slow
def test_classroom_commands_fail_the_steps_a_mistake_breaks_and_say_why(classroom_results):
    failing = {test for test, done in classroom_results["mistake"].items() if done.returncode != 0}
    assert failing == {f"step-{step.number:02d}" for step in course.steps() if step.number >= 3}
    step_03 = classroom_results["mistake"]["step-03"]
    assert step_03.returncode == 1
    assert TABLE_RENAME_AS_CREATE_DROP.message in step_03.stdout
    assert "FAILED" in step_03.stdout and "step03-rows-kept-on-upgrade" in step_03.stdout


def codegrade_commands():
    """The commands testing/README.md gives CodeGrade, with this course where /opt/course would be."""
    lines = [line.strip() for line in INSTRUCTORS_README.read_text().splitlines()]
    return [line.replace("/opt/course/.venv/bin/python", sys.executable).replace("/opt/course", str(course.REPO_ROOT))
            for line in lines if line.startswith("/opt/course/")]


@pytest.mark.slow
def test_codegrade_commands_grade_with_the_installed_course_not_the_learners_testing_folder(tmp_path):
    """CodeGrade runs the README's commands in the learner's hand-in: here a clone of the course
    whose testing/ the learner changed to pass everything."""
    *per_step, per_check = codegrade_commands()
    assert per_step == [f"{GRADE_STEP} {step.number} server" for step in course.steps()]
    outputs = {}
    for name, make, code in (("mistake", TABLE_RENAME_AS_CREATE_DROP.build, 1),
                             ("reference", lambda server: build_state(3, server), 0)):
        hand_in = tmp_path / name
        make(hand_in / "server")
        shutil.copytree(course.REPO_ROOT / "testing", hand_in / "testing", ignore=shutil.ignore_patterns("tests"))
        (hand_in / "testing" / "codegrade_test.py").write_text("def test_check():\n    pass\n")
        (hand_in / "testing" / "grader" / "__init__.py").write_text("raise SystemExit(0)\n")
        done = run_like_the_command_grader(per_step[2], hand_in)
        assert done.returncode == code, done.stdout + done.stderr
        outputs[name] = done.stdout
    assert TABLE_RENAME_AS_CREATE_DROP.message in outputs["mistake"]
    junit = tmp_path / "junit.xml"
    done = subprocess.run(per_check.replace('"$CG_JUNIT_XML_LOCATION"', str(junit)), shell=True,
                          cwd=tmp_path / "mistake", capture_output=True, text=True, timeout=600)
    assert done.returncode == 1, done.stdout + done.stderr
    cases = ElementTree.parse(junit).getroot().iter("testcase")
    verdicts = {case.get("name"): case.find("failure") is None for case in cases}
    assert verdicts["test_check[step01-migration-chain]"] is True
    assert verdicts["test_check[step03-rows-kept-on-upgrade]"] is False


def test_grade_step_says_how_to_call_it():
    for arguments in ([], ["3"], ["three", "server"]):
        done = subprocess.run([str(GRADE_STEP), *arguments], capture_output=True, text=True)
        assert done.returncode == 2 and done.stderr == "usage: testing/grade-step STEP SERVER_DIR\n"


def test_codegrade_setup_script_is_valid_bash():
    done = subprocess.run(["bash", "-n", str(CODEGRADE_SETUP)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr

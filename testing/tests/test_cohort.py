"""`grade --cohort`, `--shard` and `--merge` on a small synthetic class, and what a crashing or
hanging submission does to the others."""
import csv
import json
import os
import subprocess
import sys
import time

import pytest

from testing import author, cohort, course, gradebook
from testing.build import build_state
from testing.grader.checks import failed
from testing.grader.judging import judge
from testing.grader.judging.report import Report, StepResult
from testing.grader.servers import mariadb
from testing.grader.servers.supply import URL_VARIABLES

from .clones import learner_environment

MISTAKES = {submission.name: submission for submission in author.all_mistakes("sqlite")}
HEADER = ["learner", *(f"step{number:02d}" for number in range(1, 7)), "steps passed", "first failing check",
          "message"]


def grade(cwd, *arguments):
    """`pipenv run grade ARGUMENTS` of this course, run from `cwd`."""
    return subprocess.run([sys.executable, str(course.REPO_ROOT / "testing" / "cli.py"), "grade", *map(str, arguments)],
                          cwd=cwd, capture_output=True, text=True, timeout=600, env=learner_environment())


def hangs_at_step_3(server):
    MISTAKES["a migration that hangs"].build(server)


@pytest.fixture(scope="module")
def class_of_six(tmp_path_factory):
    """Six learners: a clone of the course done to step 5, two who lost rows at step 03, one at
    step 04, one whose migration never ends, and a folder with nothing in it."""
    folder = tmp_path_factory.mktemp("cohort")
    build_state(5, folder / "ada" / "server")
    (folder / "ada" / "README.md").write_text("the course, as ada cloned it\n")
    MISTAKES["table rename as create + drop"].build(folder / "bo")
    MISTAKES["column rename as batch add + drop"].build(folder / "cy")
    MISTAKES["table rename as create + drop"].build(folder / "dee")
    hangs_at_step_3(folder / "eli")
    (folder / "fay").mkdir()
    (folder / ".git").mkdir()  # not a learner
    return folder


@pytest.fixture(scope="module")
def graded(class_of_six, tmp_path_factory):
    """The class graded in two shards (two learners at once each), then the shards joined."""
    out = tmp_path_factory.mktemp("gradebooks")
    shards = [grade(out, "--cohort", class_of_six, "--shard", f"{index}/2", "--jobs", 2,
                             "--step", 6, "--time-limit", 3, "--csv", out / f"shard-{index}.csv", "--json")
              for index in (1, 2)]
    merged = grade(out, "--merge", out / "shard-1.csv", out / "shard-2.csv",
                            "--csv", out / "class.csv")
    return out, shards, merged


@pytest.mark.slow
def test_shards_split_the_sorted_learners_and_print_clean_json(graded):
    out, shards, _ = graded
    for done in shards:
        assert done.returncode == 0 and done.stderr == "", done.stderr  # no progress bar off a terminal
    first, second = (json.loads(done.stdout) for done in shards)
    assert [row["learner"] for row in first["learners"]] == ["ada", "cy", "eli"]
    assert [row["learner"] for row in second["learners"]] == ["bo", "dee", "fay"]
    assert second["mistakes"] == [{"check": "step 03: rows kept on upgrade", "learners": 2},
                                  {"check": f"step 01: {judge.APP.title}", "learners": 1}]
    assert second["gradebook"] == str(out / "shard-2.csv") and second["chart"] == str(out / "shard-2-mistakes.png")


@pytest.mark.slow
def test_merged_gradebook_has_one_row_per_learner_with_steps_first_failure_and_total(graded):
    out, _, merged = graded
    assert merged.returncode == 0, merged.stderr
    with (out / "class.csv").open(newline="") as file:
        records = list(csv.reader(file))
    assert records[0] == HEADER
    rows = {record[0]: record[1:] for record in records[1:]}
    assert list(rows) == ["ada", "bo", "cy", "dee", "eli", "fay"]
    assert rows["ada"][:8] == ["1", "1", "1", "1", "1", "0", "5", "step 06: not started"]
    assert rows["bo"][:8] == ["1", "1", "0", "0", "0", "0", "2", "step 03: rows kept on upgrade"]
    assert "drops table `department` and creates `departments` empty: the 3 rows the grader put in as samples " \
        "are lost" in rows["bo"][8]
    assert rows["dee"][:8] == rows["bo"][:8]
    assert rows["cy"][:8] == ["1", "1", "1", "0", "0", "0", "3", "step 04: rows kept on upgrade"]
    # The migration that hangs is step 03's, and the row names step 03; the round trips of steps 01
    # and 02 could not be tried after it ("not checked"), so they do not pass either.
    assert rows["eli"][:8] == ["0", "0", "0", "0", "0", "0", "0", f"step 03: {judge.REACHED.title}"]
    assert "d3e5f7a9b003_rename_department_to_departments.py did not finish within 3.0 seconds" in rows["eli"][8]
    assert rows["fay"][:8] == ["0", "0", "0", "0", "0", "0", "0", f"step 01: {judge.APP.title}"]


@pytest.mark.slow
def test_merge_prints_the_most_common_mistakes_and_writes_the_chart(graded):
    out, _, merged = graded
    assert merged.stdout.startswith("Joined 2 gradebooks: 6 learners.\n")
    assert "step           01 02 03 04 05 06\npassed by       4  4  2  1  1  0\n" in merged.stdout
    assert ("Most common first failing checks (what to re-teach):\n"
            "     2  step 03: rows kept on upgrade\n"
            "     1  step 01: app loads\n"
            f"     1  step 03: {judge.REACHED.title}\n"
            "     1  step 04: rows kept on upgrade\n") in merged.stdout
    assert "not started" not in merged.stdout  # ada has not begun step 06: not a mistake
    assert merged.stdout.endswith(f"Gradebook: {out / 'class.csv'}\nChart:     {out / 'class-mistakes.png'}\n")
    for chart in ("class-mistakes.png", "shard-1-mistakes.png", "shard-2-mistakes.png"):
        assert (out / chart).read_bytes().startswith(b"\x89PNG")


@pytest.mark.slow
def test_wrong_calls_get_one_line_and_exit_2(tmp_path, class_of_six, graded):
    out, _, _ = graded
    (tmp_path / "empty").mkdir()
    for name in ("etc", "home"):  # a folder of folders, but not a class
        (tmp_path / "not-a-class" / name).mkdir(parents=True)
        (tmp_path / "not-a-class" / name / "README.md").write_text("not a clone of the course\n")
    (tmp_path / "other.csv").write_text("name,score\nada,3\n")
    calls = {
        ("--cohort", tmp_path / "missing"): f"no such cohort folder: {tmp_path / 'missing'}",
        ("--cohort", tmp_path / "empty"): f"{tmp_path / 'empty'} has no subfolders: put one folder per learner in it",
        ("--cohort", tmp_path / "not-a-class"): f"none of the 2 subfolders of {tmp_path / 'not-a-class'} holds "
                                                  "app.py or server/app.py: give the folder that holds one folder "
                                                  "per learner",
        ("--cohort", class_of_six, "--shard", "3/2"): "--shard 3/2: write I/N with 1 <= I <= N, e.g. --shard 2/4",
        ("--cohort", class_of_six, "--shard", "half"): "--shard half: write I/N with 1 <= I <= N, e.g. --shard 2/4",
        ("--cohort", class_of_six, "--jobs", "0"): "--jobs 0: grade at least one submission at a time",
        ("--jobs", "2"): "--jobs goes with --cohort DIR (or --merge FILES)",
        ("--merge",): "--merge needs the gradebook files to join: grade --merge shard-1.csv shard-2.csv ...",
        ("--merge", out / "shard-1.csv", out / "shard-1.csv"):
            "learner 'ada' is in more than one file: each shard must grade other learners",
        ("--merge", tmp_path / "other.csv"): f"{tmp_path / 'other.csv'} is not a gradebook written by `grade --cohort`",
        ("--merge", out / "class-mistakes.png"):
            f"{out / 'class-mistakes.png'} is not a gradebook written by `grade --cohort`",
    }
    for arguments, message in calls.items():
        done = grade(tmp_path, *arguments)
        assert (done.returncode, done.stdout, done.stderr) == (2, "", f"Error: {message}\n"), arguments


def report_of(passed_steps):
    return Report([StepResult(number, f"step {number}", started=True) for number in range(1, passed_steps + 1)])


def test_a_crash_or_a_grader_bug_costs_only_that_learner_its_grade(monkeypatch, tmp_path):
    """Grading processes are forked: the stand-in grade() below is what each of them runs."""
    def grade(server_dir, up_to_step, database, time_limit):
        if server_dir.name == "crash":
            os._exit(3)
        if server_dir.name == "bug":
            raise RuntimeError("a grader bug")
        if server_dir.name == "slow":
            time.sleep(2)
        return report_of(2)

    monkeypatch.setattr(cohort, "grade", grade)
    for name in ("ada", "bug", "crash", "slow", "zoe"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "app.py").write_text("")
    finished = []
    rows = cohort.grade_all(cohort.submissions(tmp_path), jobs=2, up_to_step=2,
                            on_graded=lambda row: finished.append(row.learner))
    assert [row.learner for row in rows] == ["ada", "bug", "crash", "slow", "zoe"]
    assert [(row.total, row.first_failure) for row in rows] == [
        (2, ""), (0, gradebook.NOT_GRADED), (0, gradebook.NOT_GRADED), (2, ""), (2, "")]
    assert rows[1].message == "the grader failed: RuntimeError: a grader bug"
    assert rows[2].message == "the grading process stopped (exit code 3)"
    assert finished.index("zoe") < finished.index("slow")  # the slow one held one process, not the queue


def test_a_class_server_that_cannot_start_is_said_once(monkeypatch, tmp_path):
    """Not once per learner: each grade then tries a server of its own, and its row says why it could not."""
    monkeypatch.delenv(URL_VARIABLES["mysql"], raising=False)
    monkeypatch.setattr(mariadb, "server_binary", lambda: None)
    monkeypatch.setattr(cohort, "grade", lambda server_dir, **options: report_of(2))
    for name in ("ada", "bob", "cyd"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "app.py").write_text("")
    noticed: list[str] = []
    rows = cohort.grade_all(cohort.submissions(tmp_path), jobs=2, up_to_step=2, database="mysql",
                            notice=noticed.append)
    assert [row.total for row in rows] == [2, 2, 2]
    assert noticed == ["The class's MariaDB server could not be started: each learner's grade tries to start one "
                       "of its own."]


def step(number, started, *failures):
    result = StepResult(number, f"step {number}", started=started)
    for check, message in failures:
        result.add(check, failed(message))
    return result


def stuck_report(*steps):
    """A report of hand-made steps, stuck where the judge would say: the first that does not pass."""
    return Report(list(steps), stuck=next((result.step for result in steps if not result.passed), None))


def test_the_first_failing_check_is_where_the_learner_is_stuck():
    """The judge lays each failure on the step whose work causes it and says where the learner is
    stuck; the gradebook names that step's first failing check."""
    upgrade_fails = "upgrade() of migrations/versions/f5a7b9c1d006_add_employee_title.py failed (line 20)"
    later_mistake = stuck_report(step(1, True), step(2, True), step(3, True),
                                 step(4, True, (judge.REACHED, upgrade_fails)),
                                 step(5, False, (judge.REACHED, "Not checked: the chain stops before")))
    row = gradebook.row_from_report("kai", later_mistake)
    assert (row.first_failure, row.message, row.total) == (f"step 04: {judge.REACHED.title}", upgrade_fails, 3)
    only_models = stuck_report(step(1, True, (judge.MODELS,
                                              "models.py has a column `employees.phone`\nno migration adds")),
                               step(2, False, (judge.REACHED, "never")))
    row = gradebook.row_from_report("lin", only_models)
    assert (row.first_failure, row.message) == (f"step 01: {judge.MODELS.title}",
                                                "models.py has a column `employees.phone` | no migration adds")
    assert row.mistake == f"step 01: {judge.MODELS.title}"
    resting = gradebook.row_from_report("max", stuck_report(step(1, True), step(2, False, (judge.REACHED, "never"))))
    assert (resting.first_failure, resting.mistake) == ("step 02: not started", None)

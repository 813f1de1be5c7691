"""A step is one folder and a manifest entry: the manifest is checked when it is read, every step
folder holds what its roles say, messages name lessons by key, and a step the engine has never seen
is graded like the course's own."""
import json
import os
import re
import shutil
import subprocess
import sys

import pytest

from testing import author, course
from testing.command_errors import UsageError
from testing.grader import checks
from testing.grader.judging import judge

KNOWN_CHECKS = {check.title for check in checks.ALL}


# -- the manifest, checked when it is read ------------------------------------------------------

def scratch_lessons(tmp_path, *folders):
    """A lessons folder with a starter and one complete step folder per name in `folders`."""
    (tmp_path / "starter").mkdir(parents=True)
    for name in folders:
        (tmp_path / name).mkdir()
        for part in course.EVERY_FOLDER_HAS:
            (tmp_path / name / part).write_text("")
    return tmp_path


def entry(number, folder, **more):
    return {"number": number, "title": f"Step {number}", "folder": folder, **more}


def manifest(*entries, **top):
    return {"title": "A course", "starter": "starter", "step": list(entries), **top}


def refused(data, lessons):
    with pytest.raises(UsageError) as raised:
        course.validated(data, lessons)
    message = str(raised.value)
    assert "\n" not in message
    return message


def test_a_sound_manifest_gives_its_steps(tmp_path):
    lessons = scratch_lessons(tmp_path, "01-first", "02-second")
    steps = course.validated(manifest(entry(1, "01-first"), entry(2, "02-second", checks=[judge.OFFLINE.title])),
                             lessons)
    assert [(step.number, step.key, step.checks) for step in steps] == [(1, "first", ()),
                                                                        (2, "second", (judge.OFFLINE.title,))]


@pytest.mark.parametrize("data, says", [
    ({"title": "A course", "step": []}, "missing starter"),
    (manifest({"number": 1, "title": "First"}), "step 1 has no folder"),
    (manifest(entry(1, "01-first", model_may_lag=True)), "step 1 has unknown keys model_may_lag"),
    (manifest(entry(1, "01-first"), entry(1, "02-second")), "two steps have number 1"),
    (manifest(entry(1, "01-first"), entry(3, "02-second")), "step 3 is the manifest's step 2"),
    (manifest(entry(2, "01-first")), "step 2 is the manifest's step 1"),
    (manifest(entry(1, "01-first"), entry(2, "02-absent")), "step 2: there is no folder"),
    (manifest(entry(1, "first")), "folder 'first' must be named NN-words-with-hyphens"),
    (manifest(entry(1, "01-first"), entry(2, "02-first")), "two folders have the key 'first'"),
    (manifest(entry(1, "01-first", database="oracle")), "step 1: unknown database 'oracle'"),
    (manifest(entry(1, "01-first", given=["a1_teammate.py"])), "step 1: given file a1_teammate.py is not in"),
], ids=["course key", "step key", "unknown key", "number twice", "gap", "not from 1", "no folder",
        "folder name", "key twice", "database", "given"])
def test_a_manifest_mistake_is_one_line(data, says, tmp_path):
    lessons = scratch_lessons(tmp_path, "01-first", "02-second")
    (lessons / "02-first").mkdir()
    for part in course.EVERY_FOLDER_HAS:
        (lessons / "02-first" / part).write_text("")
    assert says in refused(data, lessons)


def test_a_check_the_grader_does_not_know_is_refused_in_one_line(tmp_path):
    """The manifest reader knows nothing of the grader's checks: the grader refuses a title its
    registry lacks, as soon as it is asked to grade."""
    lessons = scratch_lessons(tmp_path, "01-first")
    steps = course.validated(manifest(entry(1, "01-first", checks=["rows are kept"])), lessons)
    with pytest.raises(UsageError) as raised:
        checks.refuse_unknown(steps)
    assert "step 1: unknown check 'rows are kept' (the judge knows: " in str(raised.value)
    assert "\n" not in str(raised.value)


def test_a_folder_without_its_hints_is_refused(tmp_path):
    lessons = scratch_lessons(tmp_path, "01-first")
    (lessons / "01-first" / "hints.md").unlink()
    assert refused(manifest(entry(1, "01-first")), lessons).endswith("01-first has no hints.md")


def test_a_given_file_the_manifest_does_not_list_is_refused(tmp_path):
    lessons = scratch_lessons(tmp_path, "01-first")
    (lessons / "01-first" / "given").mkdir()
    (lessons / "01-first" / "given" / "a1_teammate.py").write_text("")
    (lessons / "01-first" / "given" / "b2_stray.py").write_text("")
    assert "b2_stray.py is not in its `given` list" in refused(manifest(entry(1, "01-first", given=["a1_teammate.py"])),
                                                            lessons)


def test_the_commands_say_a_broken_manifest_in_one_line(tmp_path):
    lessons = scratch_lessons(tmp_path / "lessons", "01-first")
    (lessons / "course.toml").write_text('title = "A course"\nstarter = "starter"\n\n[[step]]\nnumber = 1\n'
                                         'title = "First"\nfolder = "01-first"\nchecks = ["rows are kept"]\n')
    done = subprocess.run([sys.executable, str(course.REPO_ROOT / "testing" / "cli.py"), "lesson"], capture_output=True,
                          text=True, timeout=60, env={**os.environ, "COURSE_LESSONS_DIR": str(lessons)})
    assert done.returncode == 2
    assert done.stderr.startswith("Error: ") and done.stderr.count("\n") == 1, done.stderr
    assert "step 1: unknown check 'rows are kept'" in done.stderr


# -- the course's own folders ---------------------------------------------------------------------

def test_every_step_that_changes_files_says_how_its_start_fails():
    """A step whose end state has files its start lacks fails at its start (author/step.toml says
    with what); one that changes only the learner's own database passes there."""
    for step in course.steps():
        starting = author.starting_state(step)
        assert (starting is not None) == step.changes_files, step.folder
        assert starting is None or starting.check in KNOWN_CHECKS, step.folder


def test_every_mistake_names_a_known_check_of_a_step_it_grades():
    mistakes = author.all_mistakes()
    assert len({mistake.name for mistake in mistakes}) == len(mistakes)
    for mistake in mistakes:
        assert mistake.check in KNOWN_CHECKS, mistake.name
        carried = {check.title for check in checks.of_step(course.step(mistake.step), mistake.step == 1)}
        assert mistake.check in carried, mistake.name
        assert 1 <= mistake.step <= mistake.start, mistake.name
        assert all(source.is_file() for source in mistake.put.values()), mistake.name


def test_every_benchmark_entry_is_a_reference_migration_of_its_step():
    revisions = {path.name.split("_", 1)[0] for step in course.steps() for path in step.migration_files}
    for revision, alternative in author.alternatives().items():
        assert revision in revisions
        assert set(alternative.floors) == {"sqlite", "postgresql"} and all(alternative.floors.values())


# A lesson named by number or folder in the grader's words goes stale when the course changes.
STEP_LITERAL = re.compile(r"[Ss]teps? \d\d|lessons/\d\d-")
KEY_USE = re.compile(r"""(?:lesson|lesson_readme|step_by_key)\(["']([a-z0-9-]+)["']\)"""
                     r"""|\{(?:lesson|readme):([a-z0-9-]+)\}""")


def test_messages_name_lessons_by_key_only():
    keys = set()
    for module in ("judging/messages.py", "judging/judge.py", "measure/walk.py"):
        text = (course.REPO_ROOT / "testing" / "grader" / module).read_text(encoding="utf-8")
        assert not STEP_LITERAL.findall(text), module
        keys |= {a or b for a, b in KEY_USE.findall(text)}
    assert keys >= {"look-before-you-leap", "branches-and-merges", "lint-in-review"}
    for key in keys:
        course.step_by_key(key)  # a UsageError for a key no folder has


# -- a new step: a folder and a manifest entry, no engine edit ---------------------------------------

NEW_STEP = """
[[step]]
number = 12
title = "Add an index"
folder = "12-add-an-index"
checks = ["flask db check finds nothing"]
"""
NEW_MIGRATION = '''"""index employee salaries

Revision ID: 5a1e5d0c0012
Revises: f1a3b5c7d011
"""
from alembic import op
import sqlalchemy as sa


revision = '5a1e5d0c0012'
down_revision = 'f1a3b5c7d011'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('employees', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_employees_salary'), ['salary'], unique=False)


def downgrade():
    with op.batch_alter_table('employees', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_employees_salary'))
'''
NEW_AUTHOR_NOTES = """[starting_state]
check = "schema reached"
message = "Your migrations never reach the schema of step 12 ("
"""
# Run with COURSE_LESSONS_DIR set: the course as that folder has it, graded at the new step's end
# and at its start.
GRADE_BOTH = """
import json, sys
from pathlib import Path
from testing import author, course
from testing.build import build_state
from testing.grader import grade
from testing.grader.boundary.fingerprint import course_and_packages

work, new = Path(sys.argv[1]), course.steps()[-1]
print(json.dumps({
    "steps": [step.key for step in course.steps()],
    "starting_state": author.starting_state(new).__dict__,
    "end": grade(build_state(new.number, work / "end"), up_to_step=new.number).to_dict(),
    "start": grade(build_state(new.number - 1, work / "start"), up_to_step=new.number).to_dict(),
    "fingerprinted": [str(root) for root in course_and_packages().roots],
}))
"""


def add_an_index_step(lessons):
    """Step 12, "Add an index", after step 11: steps 12-16 are left out of the scratch course, since
    Part 3 runs on PostgreSQL only (a step after it is graded there, under traffic, not in seconds)
    and step 12 runs the chain on PostgreSQL and MariaDB too."""
    folder = lessons / "12-add-an-index"
    (folder / "versions").mkdir(parents=True)
    (folder / "author").mkdir()
    (folder / "README.md").write_text("# Add an index\n\nIndex `employees.salary`:\n\n```console\n"
                                      "$ flask db migrate -m \"index employee salaries\"\n```\n")
    (folder / "hints.md").write_text("## An index\n\n`index=True` on the column, then `flask db migrate`.\n")
    models = (course.step(11).models_path).read_text()
    (folder / "models.py").write_text(models.replace("salary = db.Column(db.Integer)",
                                                     "salary = db.Column(db.Integer, index=True)"))
    (folder / "versions" / "5a1e5d0c0012_index_employee_salaries.py").write_text(NEW_MIGRATION)
    (folder / "author" / "step.toml").write_text(NEW_AUTHOR_NOTES)
    text = (lessons / "course.toml").read_text()
    (lessons / "course.toml").write_text(text[:text.index("[[step]]\nnumber = 12\n")] + NEW_STEP.lstrip("\n"))


@pytest.mark.slow
def test_a_new_step_made_of_a_folder_and_a_manifest_entry_is_graded(tmp_path):
    lessons = tmp_path / "lessons"
    shutil.copytree(course.LESSONS_DIR, lessons, ignore=shutil.ignore_patterns("__pycache__"))
    add_an_index_step(lessons)
    done = subprocess.run([sys.executable, "-c", GRADE_BOTH, str(tmp_path)], capture_output=True, text=True,
                          timeout=180, cwd=course.REPO_ROOT,
                          env={**os.environ, "COURSE_LESSONS_DIR": str(lessons), "PYTHONPATH": str(course.REPO_ROOT)})
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)
    assert found["steps"][-2:] == ["when-a-migration-fails-halfway", "add-an-index"]
    end, start, starting = found["end"], found["start"], found["starting_state"]
    # The course's end state plus the new reference migration passes every step, the new one too.
    assert end["passed"], [check for step in end["steps"] for check in step["checks"] if not check["passed"]]
    assert end["steps"][-1]["files"] == ["migrations/versions/5a1e5d0c0012_index_employee_salaries.py"]
    assert [check["name"] for check in end["steps"][-1]["checks"]] == [
        judge.REACHED.title, judge.ROWS.title, judge.ROUND_TRIP.title, judge.MODELS.title, judge.CHECK_CLEAN.title]
    # Its starting state passes the steps before and fails the new one, as its folder says.
    assert [step["passed"] for step in start["steps"]] == [True] * 11 + [False]
    check = next(check for check in start["steps"][-1]["checks"] if check["name"] == starting["check"])
    assert not check["passed"] and starting["message"] in check["message"]
    assert f"({lessons}/12-add-an-index/models.py)" in check["message"]
    # The grader watches the lessons it grades with for changes, as it does the course's own.
    assert str(lessons) in found["fingerprinted"]


# -- each step's models.py, as the learner copies it ------------------------------------------

# Every step's models.py loaded in one process, with SQLAlchemy's deprecations as errors: what the
# course hands out must not warn in the learner's terminal, nor stop working in the next release.
LOAD_EVERY_MODELS = """
import importlib.util, sys, warnings
import sqlalchemy.exc
from sqlalchemy.orm import configure_mappers
warnings.simplefilter("error", sqlalchemy.exc.SADeprecationWarning)
for number, path in enumerate(sys.argv[1:]):
    spec = importlib.util.spec_from_file_location(f"models_{number}", path)
    spec.loader.exec_module(importlib.util.module_from_spec(spec))
    configure_mappers()
"""


def test_every_step_models_py_loads_without_a_sqlalchemy_deprecation():
    paths = [str(step.models_path) for step in course.steps()]
    done = subprocess.run([sys.executable, "-c", LOAD_EVERY_MODELS, *paths], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr


def test_step_13_keeps_name_in_the_table_and_out_of_the_mapping():
    """`flask db check` compares the tables, so `name` stays in them; the new code never reads it."""
    done = subprocess.run([sys.executable, "-c", """
import importlib.util, sys
spec = importlib.util.spec_from_file_location("models", sys.argv[1])
models = importlib.util.module_from_spec(spec)
spec.loader.exec_module(models)
from sqlalchemy import select
table = models.Employee.__table__
print(table.c.name.nullable, sorted(models.Employee.__mapper__.attrs.keys()), str(select(models.Employee)))
""", str(course.step_by_key("rename-without-downtime").models_path)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    nullable, attributes, query = done.stdout.split(" ", 2)
    assert nullable == "False" and "'name'" not in attributes and "employees.name" not in query
    assert "employees.full_name" in query

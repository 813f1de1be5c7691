"""squawk in Part 3: what a learner's server/.squawk.toml and ignore comments do to the grade, and a
squawk that cannot answer.

squawk itself runs for real here, on files written as a learner writes them; its answer then
replaces what the recorded grades of Part 3 (recorded.py, group "part3") found, and the judge
decides in-process. The slow tests grade a whole chain end to end, where the point is what squawk
does with the SQL Alembic renders.
"""
import dataclasses
import os
import re
import stat

import pytest

from testing import author, course
from testing.grader import judged
from testing.grader.facts import Squawk
from testing.grader.judging import judge
from testing.grader.measure import linter, squawk_config

from . import recorded
from .cases import PART3, PART3_MISTAKES, PART3_REFERENCE, edited
from .recorded import Case

LINT_STEP = PART3[-1]
UNDER_TRAFFIC = [number for number in PART3 if judge.LIVE.title in course.step(number).checks]
LESSON_CONFIG = (course.step(LINT_STEP).folder / ".squawk.toml").read_text()
DROP = "ALTER TABLE employees DROP COLUMN name;\n"
DROP_MIGRATION = "migrations/versions/b3c5d7e9f014_drop_employee_name.py"
INDEX_MISTAKE = "an index built in the migration's transaction"


def written(folder, text):
    """`folder` with a .squawk.toml as a learner wrote it."""
    (folder / ".squawk.toml").write_text(text)
    return folder


def judged_with(case, squawk, config=None):
    """The recorded grade of `case`, as if squawk had answered `squawk` on every Part 3 migration
    and server/.squawk.toml read as `config`."""
    facts = recorded.facts("part3", case)
    facts.traffic = [dataclasses.replace(run, squawk=squawk) for run in facts.traffic]
    facts.squawk_config = config
    return judged(facts, case.up_to)


def without_comments(text):
    return "\n".join(line for line in text.splitlines() if not line.strip().startswith("#")) + "\n"


# -- a .squawk.toml squawk refuses ------------------------------------------------------------------

def test_a_misspelt_rule_fails_the_lint_step_with_the_name_squawk_refused(tmp_path):
    folder = written(tmp_path, LESSON_CONFIG.replace('"ban-drop-column"', '"ban-drop-colum"'))
    refused = linter.lint(DROP, folder)
    assert refused.findings == () and "invalid rule name ban-drop-colum" in (refused.configuration or "")

    report = judged_with(PART3_REFERENCE, refused, squawk_config.read(folder))
    lint = report.check(LINT_STEP, judge.LINTED)
    assert not lint.passed
    assert lint.message.startswith("squawk refuses server/.squawk.toml: `ban-drop-colum` is not the name of one "
                                   "of its rules, and lints nothing until it can read it.\n")
    assert "Correct the name: squawkhq.com/docs/rules lists every rule (step 16)." in lint.message
    for number in UNDER_TRAFFIC:  # their advice says why there is none; their verdict stands
        live = report.check(number, judge.LIVE)
        assert live.passed
        assert ("\nsquawk: could not read server/.squawk.toml, so it gave no advice: invalid rule name ban-drop-colum"
                in live.message)


def test_a_squawk_toml_that_is_not_toml_fails_the_lint_step(tmp_path):
    folder = written(tmp_path, 'excluded_rules = ["ban-drop-column",\n')
    lint = judged_with(PART3_REFERENCE, linter.lint(DROP, folder), squawk_config.read(folder)).check(
        LINT_STEP, judge.LINTED)
    assert not lint.passed
    assert lint.message.startswith("squawk refuses server/.squawk.toml: it is not the TOML squawk reads")


# -- a rule silenced without its reason ---------------------------------------------------------------

LAST_RULE_APART = LESSON_CONFIG.replace('    "ban-drop-constraint",\n',
                                        '    "ban-drop-constraint",\n\n    "renaming-column",\n')
ONE_COMMENT_AT_THE_END = LESSON_CONFIG.replace('    "ban-drop-function",\n',
                                               '    "ban-drop-function",  '
                                               '# step 13\'s trigger function, gone with it\n')


@pytest.mark.parametrize("text, unexplained", [
    (without_comments(LESSON_CONFIG), ["prefer-text-field", "prefer-bigint-over-int", "require-statement-timeout",
                                       "prefer-robust-stmts", "ban-drop-column", "ban-drop-not-null",
                                       "ban-drop-function", "ban-drop-constraint"]),
    (LAST_RULE_APART, ["renaming-column"]),  # a blank line ends what a comment covers
    ('excluded_rules = ["prefer-text-field", "prefer-robust-stmts"]\n', ["prefer-text-field", "prefer-robust-stmts"]),
    ('excluded_rules = [\n    "prefer-text-field",  # our lengths are our limits\n    "prefer-robust-stmts",\n]\n',
     ["prefer-robust-stmts"]),  # a comment at the end of a line is that line's
    ('excluded_rules = [\n    #\n    "prefer-text-field",\n]\n', ["prefer-text-field"]),  # a # with no words
], ids=["eight rules, no reason", "one rule after a blank line", "step 13's one line, no comment",
        "one end-of-line comment for two lines", "an empty comment"])
def test_a_rule_silenced_without_its_reason_fails_the_lint_step(tmp_path, text, unexplained):
    folder = written(tmp_path, text)
    assert linter.lint(DROP, folder).configuration is None  # squawk itself reads the file
    lint = judged_with(PART3_REFERENCE, Squawk(), squawk_config.read(folder)).check(LINT_STEP, judge.LINTED)
    assert not lint.passed
    rules = "rules" if len(unexplained) > 1 else "rule"
    assert lint.message.startswith(f"server/.squawk.toml silences {len(unexplained)} {rules} without a reason: "
                                   f"{', '.join(unexplained)}.\nWrite why as a # comment on the line just above "
                                   "the rule or at the end of its line")
    assert '        # The contract phase drops only what no running code uses any more.' in lint.message


@pytest.mark.parametrize("text", [
    LESSON_CONFIG,
    ONE_COMMENT_AT_THE_END,
    'excluded_rules = ["prefer-text-field", "prefer-robust-stmts"]  # lengths are limits; batches rerun\n',
    '# Our lengths are limits, and our batches rerun safely.\nexcluded_rules = ["prefer-text-field", '
    '"prefer-robust-stmts"]\n',
    "excluded_rules = [\n  # reasons in single quotes are still reasons\n"
    "  'prefer-text-field', 'prefer-robust-stmts',\n]\n",
    'pg_version = "17.0"\n',
], ids=["the lesson's file", "one rule with its comment at the end", "one line, its comment at the end",
        "one line under a comment", "literal strings, two on a line", "no excluded_rules"])
def test_rules_with_their_reasons_pass_the_lint_step(tmp_path, text):
    folder = written(tmp_path, text)
    lint = judged_with(PART3_REFERENCE, Squawk(), squawk_config.read(folder)).check(LINT_STEP, judge.LINTED)
    assert lint.passed, lint.message


# -- a squawk that cannot answer ------------------------------------------------------------------------

def squawk_program(folder, script, monkeypatch):
    """A program called squawk, first on PATH, as a broken or replaced install gives."""
    program = folder / "bin" / "squawk"
    program.parent.mkdir()
    program.write_text(script)
    program.chmod(program.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{program.parent}{os.pathsep}{os.environ['PATH']}")


@pytest.mark.parametrize("script, told", [
    ("#!/bin/sh\necho 'Scanning...'\nexit 1\n",
     "squawk gave no findings the grader can read (exit code 1; it printed: Scanning...)"),
    ("#!/bin/sh\necho \"thread 'main' panicked\" >&2\nexit 101\n",
     "squawk gave no findings the grader can read (exit code 101; it printed: thread 'main' panicked)"),
    ('#!/bin/sh\necho \'{"rule_name": "ban-drop-column"}\'\nexit 1\n',
     'squawk gave no findings the grader can read (exit code 1; it printed: {"rule_name": "ban-drop-column"})'),
    ("#!/bin/sh\nexit 0\n", "squawk gave no findings the grader can read (exit code 0; it printed: nothing)"),
    ("#!/no/such/interpreter\n", "squawk could not be started (No such file or directory)"),
    ("#!/bin/sh\nexec sleep 60\n", "squawk ran past its time limit (1 s) and was stopped"),
], ids=["not JSON", "a crash", "JSON of another shape", "no output", "cannot start", "past its time"])
def test_a_squawk_that_cannot_answer_fails_the_lint_step_and_says_why(tmp_path, monkeypatch, script, told):
    squawk_program(tmp_path, script, monkeypatch)
    monkeypatch.setattr(linter, "TIME_LIMIT", 1)
    answer = linter.lint(DROP, tmp_path)
    assert answer == Squawk(unavailable=told)

    report = judged_with(PART3_REFERENCE, answer)
    lint = report.check(LINT_STEP, judge.LINTED)
    assert not lint.passed
    assert re.fullmatch(rf"squawk did not run on migrations/versions/\w+\.py: {re.escape(told)}\. "
                        r"Without it this check cannot pass\.", lint.message)
    live = report.check(UNDER_TRAFFIC[0], judge.LIVE)
    assert live.passed and "\nsquawk: not run on migrations/versions/" in live.message


# -- silencing a rule never changes what the running app went through --------------------------------

def test_a_silenced_rule_leaves_the_running_app_check_as_it_was(tmp_path):
    """The index built in the migration's transaction, with require-concurrent-index-creation
    silenced: the same failure, with the same words, and no advice for that rule."""
    case = PART3_MISTAKES[INDEX_MISTAKE]
    mistake = author.mistake(INDEX_MISTAKE)
    facts = recorded.facts("part3", case)
    index = next(finding for run in facts.traffic for finding in run.squawk.findings
                 if finding.rule == "require-concurrent-index-creation")
    folder = written(tmp_path, "excluded_rules = [\n    # We build our indexes while nobody writes.\n"
                               '    "require-concurrent-index-creation",\n]\n')
    silenced = linter.lint(index.statement + ";\n", folder)
    assert silenced.configuration is None and silenced.unavailable is None
    assert "require-concurrent-index-creation" not in {finding.rule for finding in silenced.findings}

    before = judged(recorded.facts("part3", case), case.up_to).check(mistake.step, judge.LIVE)
    after = judged_with(case, silenced, squawk_config.read(folder)).check(mistake.step, judge.LIVE)
    assert not before.passed and not after.passed
    verdict = before.message.split("\nsquawk")[0]
    assert mistake.message in verdict and after.message.split("\nsquawk")[0] == verdict
    assert "require-concurrent-index-creation" in before.message
    assert "require-concurrent-index-creation" not in after.message


# -- end to end: what squawk makes of the SQL Alembic renders --------------------------------------------

def silenced_in_the_migration(server):
    """Step 16 answered in step 14's migration, as the lesson shows: ban-drop-column for one
    statement (comment and statement in one op.execute), ban-drop-function for the whole file."""
    author.edit(server / ".squawk.toml", '    "ban-drop-column",\n', "")
    author.edit(server / ".squawk.toml", '    "ban-drop-function",\n', "")
    author.edit(server / DROP_MIGRATION, "        with_retries(lambda: op.drop_column('employees', 'name'))\n",
                "        with_retries(lambda: op.execute(\"-- squawk-ignore ban-drop-column -- step 13's code never "
                "reads name\\n\"\n"
                "                                        \"ALTER TABLE employees DROP COLUMN name\"))\n")
    author.edit(server / DROP_MIGRATION, '        op.execute("DROP FUNCTION employees_sync_full_name()")\n',
                '        op.execute("-- squawk-ignore-file ban-drop-function '
                '-- the trigger\'s function goes with it")\n'
                '        op.execute("DROP FUNCTION employees_sync_full_name()")\n')


def graded(case, tmp_path):
    return judged(recorded.live_facts(case, tmp_path), case.up_to)


@pytest.mark.slow
def test_the_ignore_comments_the_lesson_shows_answer_squawk(tmp_path, postgres_server):
    report = graded(edited("ignores in the migration", LINT_STEP, silenced_in_the_migration, database="postgresql"),
                    tmp_path)
    failing = [(step.step, check.message) for step in report.steps for check in step.checks
               if not check.passed and check.check not in judge.OTHER_DATABASES]  # step 12's need MariaDB
    assert not failing
    assert report.check(LINT_STEP, judge.LINTED).message == "squawk finds nothing unanswered in 3 Part 3 migrations"


@pytest.mark.slow
def test_a_silenced_rule_leaves_a_real_grade_of_the_running_app_as_it_was(tmp_path, postgres_server):
    mistake = author.mistake(INDEX_MISTAKE)

    def built(folder):
        return written(mistake.build(folder / "server"),
                       "excluded_rules = [\n    # We build our indexes while "
                       'nobody writes.\n    "require-concurrent-index-creation",\n]\n')

    report = graded(Case("index mistake, its rule silenced", built, mistake.step, "postgresql"), tmp_path)
    live = report.check(mistake.step, judge.LIVE)
    assert not live.passed and mistake.message in live.message
    assert "require-concurrent-index-creation" not in live.message

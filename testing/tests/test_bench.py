"""`pipenv run bench` works end to end, on tiny sizes (the figures themselves are not tested)."""
import json
import subprocess
import sys

import pytest

from benchmarks import traffic, verdicts
from testing import course
from testing.tests import recorded

from .clones import learner_environment

BENCH = str(course.REPO_ROOT / "benchmarks" / "run.py")
REFERENCE_MIGRATIONS_THAT_WRITE = {path.name for step in course.steps() if step.database is None
                                   for path in step.migration_files} - {"e0f2a4b6c010_merge.py"}


def bench(*arguments):
    return subprocess.run([sys.executable, BENCH, *arguments], capture_output=True, text=True, timeout=600,
                          env=learner_environment())


@pytest.mark.slow
def test_bench_writes_tables_plots_and_targets_for_latency_and_costs(tmp_path, postgres_server):
    done = bench("--only", "latency", "--only", "costs", "--runs", "1", "--sizes", "10,20",
                 "--naive-max-rows", "10", "--results", tmp_path)
    assert done.returncode == 0, done.stderr
    latency = (tmp_path / "latency.md").read_text()
    assert "| grade --step 5 (this course) |" in latency and "| pytest-alembic's 4 built-in tests |" in latency
    for database in ("sqlite", "postgresql"):
        table = (tmp_path / f"costs-{database}.md").read_text()
        for migration in REFERENCE_MIGRATIONS_THAT_WRITE:
            assert f"| {migration} | 10 |" in table and f"| {migration} | 20 |" in table
        assert (tmp_path / f"costs-{database}.png").read_bytes().startswith(b"\x89PNG")
    summary = (tmp_path / "summary.md").read_text()
    assert "| grader / pytest-alembic |" in summary
    assert "| rename growth 1k -> largest (table rename, postgresql) |" in summary
    assert done.stdout.strip().splitlines()[0] == "| target | measured | goal | met |"


@pytest.mark.slow
def test_bench_measures_the_sandbox_in_pairs_and_says_what_ran_without_it(tmp_path):
    done = bench("--only", "sandbox", "--sandbox-pairs", "2", "--results", tmp_path)
    assert done.returncode == 0, done.stderr
    table = (tmp_path / "sandbox.md").read_text()
    assert "| with the OS sandbox |" in table and "| without it |" in table
    assert "interval of the median |" in table
    assert "| **the sandbox's cost** (with / without, pair by pair) | **" in table
    assert "2 pairs of grades" in table and "Without the sandbox, as `grade --json` said: no OS sandbox" in table
    assert "Load average (1 minute)" in table
    assert "| OS sandbox's cost per grade, % |" in (tmp_path / "summary.md").read_text()


@pytest.mark.slow
def test_bench_measures_a_cohort_with_one_and_two_jobs(tmp_path):
    done = bench("--only", "cohort", "--cohort-size", "2", "--results", tmp_path)
    assert done.returncode == 0, done.stderr
    table = (tmp_path / "cohort.md").read_text()
    assert "| 1 |" in table and "| 2 |" in table
    assert "over 2 learners" in table and "2 of 2 gradebook rows agree" in table
    assert (tmp_path / "cohort-mistakes.png").read_bytes().startswith(b"\x89PNG")
    summary = (tmp_path / "summary.md").read_text()
    assert "| cohort learners per minute (--jobs 2) |" in summary and "| ≥ 40 |" in summary


@pytest.mark.slow
def test_bench_measures_part3_under_traffic(tmp_path, postgres_server):
    done = bench("--only", "traffic", "--traffic-sizes", "300", "--results", tmp_path)
    assert done.returncode == 0, done.stderr
    table = (tmp_path / "traffic.md").read_text()
    for case in traffic.CASES:
        assert f"| {case.name} | 300 |" in table or f"| {case.name} (the upgrade failed) | 300 |" in table
    assert (tmp_path / "traffic.png").read_bytes().startswith(b"\x89PNG")


@pytest.mark.slow
def test_bench_grades_part3_cases_again_and_counts_flips(tmp_path, postgres_server):
    done = bench("--only", "verdicts", "--verdict-runs", "2", "--verdict-jobs", "2",
                 "--verdict-cases", "a plain rename", "--results", tmp_path)
    assert done.returncode == 0, done.stderr
    table = (tmp_path / "verdicts.md").read_text()
    assert "Each case graded 2 times, 2 grades at a time" in table
    assert "| a plain rename | 13 | 0 | 2 |" in table  # the mistake fails its step both times
    assert "Flips: 0 of 1 steps." in table
    assert "| Part 3 steps whose verdict flipped | 0.00 | ≤ 0 | yes |" in (tmp_path / "summary.md").read_text()
    # Asked for one more grade, a later run grades that one alone: the two before are kept.
    again = bench("--only", "verdicts", "--verdict-runs", "3", "--verdict-cases", "a plain rename",
                  "--results", tmp_path)
    assert again.returncode == 0, again.stderr
    assert "2 of 3 grades kept from earlier runs of these files, 1 to go" in again.stderr
    assert "| a plain rename | 13 | 0 | 3 |" in (tmp_path / "verdicts.md").read_text()
    assert len((tmp_path / verdicts.LEDGER).read_text().splitlines()) == 3


def test_grades_of_other_files_are_dropped_each_failure_is_said_once_and_an_unfinished_count_says_so(tmp_path):
    """A grade made by another grader (its digest differs) is never counted; a step's failure is kept
    in words once, by its first failed grade; a run cut short (--verdict-minutes) leaves an unfinished
    table whose flips are no target met."""
    def grade(decided_by, said):
        return {"decided_by": decided_by, "case": "a plain rename", "jobs": 1, "at": "2026-12-07 04:00",
                "passed": {"13": False}, "failed_said": {"13": said}}

    today = recorded.verdicts_decided_by()
    ledger = tmp_path / verdicts.LEDGER
    ledger.write_text("".join(json.dumps(line) + "\n" for line in [
        grade("a grader since changed", "said by an older grader"), grade(today, "rows kept: lost"),
        grade(today, "rows kept: lost again")]))
    measured = verdicts.measure(20, ("a plain rename",), results=tmp_path, minutes=0)
    assert (measured.graded, measured.wanted, measured.complete) == (2, 20, False)
    assert measured.rows == [{"case": "a plain rename", "step": 13, "passed": 0, "failed": 2,
                              "failed_said": "rows kept: lost"}]
    assert [json.loads(line)["failed_said"] for line in ledger.read_text().splitlines()] == [
        {"13": "rows kept: lost"}, {}]
    assert "**Not finished: 2 of 20 grades**" in verdicts.table(measured, 20)


def test_a_flip_in_the_verdicts_table_says_what_its_failed_grade_said():
    rows = [{"case": "a right form", "step": 13, "passed": 19, "failed": 1,
             "failed_said": "the running app keeps working: a request waited 0.41 s"},
            {"case": "a mistake", "step": 13, "passed": 0, "failed": 20, "failed_said": "rows kept on upgrade: lost"}]
    table = verdicts.table(verdicts.Measured(rows, 40, 40, (3,), ("2026-12-07 04:00", "2026-12-07 05:00")), 20)
    assert "Flips: 1 of 2 steps." in table
    assert "- a right form, step 13: failed 1 of 20: the running app keeps working: a request waited 0.41 s" in table
    assert "lost" not in table  # a step that failed every time is no flip: its message is the recording's

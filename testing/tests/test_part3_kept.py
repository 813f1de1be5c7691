"""`lesson` keeps Part 3's measurements of a migration while nothing it depends on changes, and
measures again whatever did change, or whatever timing may have decided.

Told apart by what each grade reports of the running app: a migration measured again never sees
exactly the same requests and latencies twice; one whose measurements were kept does."""
import pytest

from testing.build import build_state
from testing.grader import collect, judged
from testing.grader.cache import ReportCache

from .cases import PART3_MISTAKES


def graded(server, step, kept):
    facts = collect(server, step, "postgresql", cache=kept)
    return {run.step: run.seen for run in facts.traffic}, [result.passed for result in judged(facts, step).steps]


def append(path, line):
    path.write_text(path.read_text() + line)


@pytest.mark.slow
def test_only_what_changed_is_measured_again(tmp_path, postgres_server, mysql_server):
    server = build_state(14, tmp_path / "server")
    kept = ReportCache(tmp_path / "kept")
    first, verdicts = graded(server, 14, kept)
    assert all(verdicts)

    append(next((server / "migrations" / "versions").glob("*drop_employee_name.py")), "# tried again\n")
    second, same = graded(server, 14, kept)
    assert second[13] == first[13]  # step 13's migration and all before it unchanged: kept
    assert second[14] != first[14]  # the one edited: measured again
    assert same == verdicts

    append(server / "app.py", "# the app changed\n")
    third, _ = graded(server, 14, kept)
    assert third[13] != second[13]  # what every migration runs with changed: all measured again


@pytest.mark.slow
def test_a_run_that_met_trouble_is_measured_again(tmp_path, postgres_server, mysql_server):
    server = PART3_MISTAKES["a plain rename"].build(tmp_path / "wrong")  # requests fail during step 13
    kept = ReportCache(tmp_path / "kept")
    first, verdicts = graded(server, 13, kept)
    again, same = graded(server, 13, kept)
    assert first[13].troubled and again[13] != first[13]
    assert not verdicts[12] and same == verdicts

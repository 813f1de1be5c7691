"""The slow tier: every recorded grade (recorded.py) is graded again end to end, on its real
database, and must come out exactly as the recorded facts judge it. A difference means the facts
were recorded before a change to how grading walks a chain: record them again."""
import pytest

from testing.grader import judged

from . import recorded
from .servers import SERVER_FIXTURES

CASES = [(group, case) for group, cases in recorded.groups().items() for case in cases]


@pytest.mark.slow
@pytest.mark.parametrize("group, case", CASES, ids=[f"{group}/{case.key}" for group, case in CASES])
def test_a_recorded_grade_is_what_grading_finds_today(group, case, tmp_path, request):
    for database in case.servers:
        request.getfixturevalue(SERVER_FIXTURES[database])
    today = judged(recorded.live_facts(case, tmp_path), case.up_to)
    kept = recorded.report(group, case)
    differences = recorded.differences(today, kept)
    assert not differences, (f"grading {case.key} today differs from its recorded facts; if the change is "
                             f"meant, record them again: {recorded.RECORD_AGAIN} {group}\n{differences}\n"
                             f"{recorded.verdicts_changed(today, kept)}")


@pytest.mark.parametrize("group", list(recorded.groups()))
def test_a_recording_was_made_by_todays_grader_lessons_and_cases(group):
    """The fast tier judges recorded facts: once the code that measures them changes, they may no
    longer be what grading finds, and the fast tier says so at once instead of staying green."""
    problem = recorded.stale(group)
    assert problem is None, problem

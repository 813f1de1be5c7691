"""A constraint validated under a lock that stops writes is refused whatever plan PostgreSQL picks for its
check. Once statistics know that a new column is NULL everywhere, a foreign key's check reads nothing
through an index on it: at 20,000 rows the validation then looked free. An autoanalyze brings those
statistics at a moment no one chooses (step 15's mistake "NOT VALID, then VALIDATE in the same
transaction" passed 1 grade in 20 so); a learner's own ANALYZE after building the index brings them
every time."""
import pytest

from testing.grader import grade, render_text
from testing.grader.judging import judge

from .cases import VALIDATED_IN_THE_SAME_TRANSACTION, WRONG_FORM_MESSAGES

pytestmark = pytest.mark.slow

INDEX_BUILT = "        op.create_index(INDEX, 'employees', ['manager_id'], postgresql_concurrently=True)\n"


def test_a_validation_in_the_adds_transaction_fails_when_statistics_know_the_column_is_empty(tmp_path):
    server = VALIDATED_IN_THE_SAME_TRANSACTION.build(tmp_path)
    migration = next((server / "migrations" / "versions").glob("*_add_employee_manager.py"))
    text = migration.read_text()
    assert INDEX_BUILT in text
    migration.write_text(text.replace(INDEX_BUILT, INDEX_BUILT + '        op.execute("ANALYZE employees")\n'))
    report = grade(server, up_to_step=15, database="postgresql", time_limit=60)
    check = report.check(15, judge.LIVE)
    assert not check.passed, render_text(report)  # it passed before, whenever its migration ran
    # The form sets a 100 ms lock_timeout before adding the foreign key and does not retry: on a busy
    # machine the lock can take longer to get, the migration then fails and the step is "not checked"
    # (once in CI, with grades running beside it). Whenever it ran, the validation is what fails it.
    if not check.message.startswith("Not checked:"):
        assert WRONG_FORM_MESSAGES[VALIDATED_IN_THE_SAME_TRANSACTION.name] in check.message

"""The fault injector: every reference migration made to fail after each of its writes."""
import re
import subprocess
import sys

import pytest

from testing import course, faults

# Every reference migration that writes, by file name; not Part 3's, which commit piece by piece
# on purpose (faults measures the chain before it).
REFERENCE_MIGRATIONS = {path.name for step in course.steps() if step.database is None for path in step.migration_files}


def assert_every_write_is_tried(found):
    by_migration: dict[str, list[faults.Fault]] = {}
    for fault in found:
        by_migration.setdefault(fault.migration, []).append(fault)
    # The merge revision writes nothing, so it has no fault; every other one has one per write.
    assert set(by_migration) == REFERENCE_MIGRATIONS - {"e0f2a4b6c010_merge.py"}
    for tried in by_migration.values():
        assert [fault.after for fault in tried] == list(range(1, tried[0].writes + 1))


@pytest.mark.slow
@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_every_fault_rolls_back_with_the_atomic_setting_and_on_postgresql(database, request):
    if database == "postgresql":
        request.getfixturevalue("postgres_server")
    found = faults.inject(database)
    assert_every_write_is_tried(found)
    assert [fault for fault in found if not fault.clean] == []


@pytest.mark.slow
def test_with_the_stock_sqlite_setting_every_fault_leaves_a_half_applied_database():
    found = faults.inject("sqlite", stock_sqlite=True)
    assert_every_write_is_tried(found)
    for fault in found:
        # sqlite3 opens no transaction before DDL, and the first write of each migration is DDL:
        # it commits at once, so whatever fails after it, some of the migration stays behind.
        assert fault.left_behind and fault.left_behind.startswith("half applied: the database ")
        assert fault.left_behind.endswith(": restore your backup")
    batch_copy = next(f for f in found if (f.statement or "").startswith("CREATE TABLE _alembic_tmp_departments"))
    assert "has table `_alembic_tmp_departments`, which that revision does not" in (batch_copy.left_behind or "")


@pytest.mark.slow
def test_the_command_prints_a_row_per_fault_and_the_count():
    done = subprocess.run([sys.executable, str(course.REPO_ROOT / "testing" / "cli.py"), "faults", "--stock-sqlite"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    *rows, last = done.stdout.strip().splitlines()
    assert rows[0].split() == ["migration", "write", "fails", "right", "after", "the", "database", "then"]
    assert re.fullmatch(r"0/(\d+) faults left the database exactly as before", last)
    assert len(rows) - 1 == int(last.split("/")[1].split()[0])


def test_a_fault_that_never_met_its_write_is_a_row_too():
    """A migration that stops on its own before the write it was to fail after (an error, or fewer
    writes than when it was counted) has no statement to show: its row says so."""
    shown = faults.render([faults.Fault("a1_add.py", 2, 2, None, "half applied: restore your backup"),
                           faults.Fault("a1_add.py", 1, 2, "INSERT INTO employees (name) VALUES (?)", None)])
    assert "(stopped before it)" in shown and "half applied: restore your backup" in shown
    assert shown.endswith("1/2 faults left the database exactly as before")

"""SQL built by formatting strings is found in a migration file without running it."""
import pytest

from testing import course
from testing.grader import checks
from testing.grader.measure.sqltext import formatted_sql


@pytest.mark.parametrize("line, how", [
    ('op.execute(f"UPDATE employees SET title = \'{title}\'")', "an f-string"),
    ('op.execute("UPDATE employees SET title = \'%s\'" % title)', "% formatting"),
    ('op.execute("UPDATE employees SET title = \'{}\'".format(title))', ".format()"),
    ('op.execute("UPDATE employees SET title = \'" + title + "\'")', "+ joining strings"),
    ('op.get_bind().exec_driver_sql(f"DELETE FROM departments WHERE id = {id}")', "an f-string"),
    ('op.execute(sa.text(f"DELETE FROM departments WHERE id = {id}"))', "an f-string"),
])
def test_formatted_sql_is_found(line, how, tmp_path):
    migration = tmp_path / "m.py"
    migration.write_text(f"def upgrade():\n    {line}\n")
    assert formatted_sql(migration) == [{"line": 2, "how": how}]


def test_formatted_sql_kept_in_a_variable_is_found(tmp_path):
    migration = tmp_path / "m.py"
    migration.write_text('def upgrade():\n    sql = f"DELETE FROM t WHERE id = {id}"\n    op.execute(sql)\n')
    assert formatted_sql(migration) == [{"line": 3, "how": "an f-string"}]


def test_a_name_reused_in_another_function_does_not_hide_formatted_sql(tmp_path):
    migration = tmp_path / "m.py"
    migration.write_text('def upgrade():\n    sql = f"DELETE FROM t WHERE id = {id}"\n    op.execute(sql)\n\n\n'
                         'def downgrade():\n    sql = "DELETE FROM t"\n    op.execute(sql)\n')
    assert formatted_sql(migration) == [{"line": 3, "how": "an f-string"}]  # and not downgrade()'s line 8


@pytest.mark.parametrize("line", [
    'op.execute(sa.text("UPDATE employees SET title = :title").bindparams(title=title))',
    'op.execute("UPDATE employees SET title = \'Associate\'")',
    'op.execute(f"UPDATE employees SET title = \'Associate\'")',  # an f-string with nothing in it
    'print(f"{title}")',
])
def test_bound_or_constant_sql_is_not_reported(line, tmp_path):
    migration = tmp_path / "m.py"
    migration.write_text(f"def upgrade():\n    {line}\n")
    assert formatted_sql(migration) == []


def test_every_reference_migration_binds_its_values():
    for step in course.steps():
        for migration in step.migration_files:
            assert formatted_sql(migration) == [], migration


def test_the_manifest_names_only_checks_the_grader_has():
    for step in course.steps():
        assert set(step.checks) <= set(checks.ASKABLE), step.folder

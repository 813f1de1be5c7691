"""A downgrade must keep the rows written after its upgrade, not only those its app's process saw.

The round trip's rows are read by the grader, but put there by the learner's process, and that process
can do more than the migration. Here app.py wraps the worker: before each upgrade it keeps every
table's rows in memory; after each downgrade it writes them back. A downgrade that loses a column's
values would then come back "with every row". Before each downgrade the grader adds rows of its own,
as the app would write them after the upgrade: that process never saw them, so they are lost. Right
downgrades in unusual forms, some that drive their copy from Python, still pass: they read the rows
as they are when they run.
"""
import textwrap

import pytest

from testing.author import mistake
from testing.build import build_state
from testing.grader import grade, render_text

DATABASES = ["sqlite", pytest.param("postgresql", marks=pytest.mark.slow)]
ROUND_TRIP = "downgrade round trip"
TIME_LIMIT = 30

# app.py's own code, run when the worker loads the app.
REMEMBERS_AND_PUTS_BACK = """
    import os
    import sys
    import sqlalchemy as _sa
    _worker = sys.modules["__main__"]  # the worker runs as `python -m`
    _upgrade, _downgrade = _worker.Session.upgrade, _worker.Session.downgrade
    _kept = {}  # alembic_version -> every table's rows then

    def _tables(connection):
        names = _sa.inspect(connection).get_table_names()
        return [_sa.Table(name, _sa.MetaData(), autoload_with=connection) for name in names]

    def _version(connection):
        if not _sa.inspect(connection).has_table("alembic_version"):
            return None
        return connection.exec_driver_sql("SELECT max(version_num) FROM alembic_version").scalar()

    def _remembering(self, command):
        engine = _sa.create_engine(os.environ["DATABASE_URL"])
        with engine.connect() as connection:
            _kept[_version(connection)] = {
                table.name: [dict(row) for row in connection.execute(table.select()).mappings()]
                for table in _tables(connection) if table.name != "alembic_version"}
        engine.dispose()
        return _upgrade(self, command)

    def _putting_back(self, command):
        reply = _downgrade(self, command)
        engine = _sa.create_engine(os.environ["DATABASE_URL"])
        with engine.begin() as connection:
            remembered = _kept.get(_version(connection), {})
            for table in _tables(connection):
                key = [column.name for column in table.primary_key.columns]
                for row in remembered.get(table.name, []):
                    values = {name: value for name, value in row.items() if name in table.c and name not in key}
                    if key and values:
                        connection.execute(table.update().where(*(table.c[name] == row[name] for name in key))
                                           .values(values))
        engine.dispose()
        return reply

    _worker.Session.upgrade, _worker.Session.downgrade = _remembering, _putting_back
"""


def step_5(tmp_path, wrong_downgrade=False, app_code="", downgrade_body=""):
    server = build_state(5, tmp_path / "server")
    if wrong_downgrade:
        mistake("downgrade does not reverse the rename").apply(server)
    if downgrade_body:
        migration = next((server / "migrations" / "versions").glob("*rename_address_to_location.py"))
        source = migration.read_text()
        body = textwrap.indent(textwrap.dedent(downgrade_body).strip(), "    ")
        migration.write_text(source[:source.index("def downgrade():")] + f"def downgrade():\n{body}\n")
    if app_code:
        (server / "app.py").write_text((server / "app.py").read_text() + "\n" + textwrap.dedent(app_code))
    return server


def graded_on(database, server):
    report = grade(server, up_to_step=5, database=database, time_limit=TIME_LIMIT)
    assert "Traceback" not in render_text(report)
    return report.check(4, ROUND_TRIP)


@pytest.mark.parametrize("database", DATABASES)
def test_the_wrong_downgrade_fails_when_nothing_is_attacked(database, tmp_path):
    check = graded_on(database, step_5(tmp_path, wrong_downgrade=True))
    assert not check.passed
    assert "drops column `departments.location` and adds `address` empty" in check.message


@pytest.mark.parametrize("database", DATABASES)
def test_rows_written_back_by_the_app_do_not_make_a_wrong_downgrade_pass(database, tmp_path):
    check = graded_on(database, step_5(tmp_path, wrong_downgrade=True, app_code=REMEMBERS_AND_PUTS_BACK))
    assert not check.passed, check.message
    assert "brings back the rows from before its upgrade, but not the rows written after it" in check.message
    assert "their values of `departments.location` are gone (3 rows)" in check.message


@pytest.mark.parametrize("database", DATABASES)
def test_a_right_downgrade_passes_with_the_same_app(database, tmp_path):
    check = graded_on(database, step_5(tmp_path, app_code=REMEMBERS_AND_PUTS_BACK))
    assert check.passed, check.message


# Right downgrades in other forms.

@pytest.mark.parametrize("database", DATABASES)
def test_a_downgrade_that_copies_the_values_with_a_bound_parameter_passes(database, tmp_path):
    check = graded_on(database, step_5(tmp_path, downgrade_body="""
        op.add_column('departments', sa.Column('address', sa.String(length=120), nullable=True))
        op.execute(sa.text("UPDATE departments SET address = location WHERE id > :below").bindparams(below=0))
        op.drop_column('departments', 'location')
    """))
    assert check.passed, check.message


@pytest.mark.parametrize("database", DATABASES)
def test_a_downgrade_committed_on_its_own_outside_alembics_transaction_passes(database, tmp_path):
    check = graded_on(database, step_5(tmp_path, downgrade_body="""
        with op.get_context().autocommit_block():
            op.alter_column('departments', 'location', new_column_name='address',
                            existing_type=sa.String(length=120), existing_nullable=True)
    """))
    assert check.passed, check.message


@pytest.mark.parametrize("database", DATABASES)
def test_a_downgrade_that_copies_row_by_row_from_python_passes(database, tmp_path):
    # The ids come from a read as it runs: rows written since the upgrade are copied too.
    check = graded_on(database, step_5(tmp_path, downgrade_body="""
        op.add_column('departments', sa.Column('address', sa.String(length=120), nullable=True))
        bind = op.get_bind()
        ids = [row.id for row in bind.execute(sa.text("SELECT id FROM departments ORDER BY id"))]
        for id_ in ids:
            bind.execute(sa.text("UPDATE departments SET address = location WHERE id = :id"), {"id": id_})
        op.drop_column('departments', 'location')
    """))
    assert check.passed, check.message

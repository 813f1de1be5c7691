"""Which statements are Alembic's bookkeeping, not a migration's work: the rule the learner's process
and the grader share (testing/inside/bookkeeping.py), held against what Alembic really sends."""
import sqlalchemy as sa
from alembic import command
from alembic.config import Config

from testing.inside.bookkeeping import is_alembic_bookkeeping

REVISION = '''revision = {revision!r}
down_revision = {down!r}
branch_labels = None
depends_on = None
from alembic import op


def upgrade():
    op.execute("CREATE TABLE t{revision} (id integer)")
    op.execute("SELECT version_num FROM alembic_version")  # a migration's own look at the table


def downgrade():
    op.execute("DROP TABLE t{revision}")
'''


def test_every_statement_alembic_sends_about_its_table_is_bookkeeping_and_nothing_else(tmp_path):
    config = Config()
    config.set_main_option("script_location", str(tmp_path / "migrations"))
    (tmp_path / "migrations" / "versions").mkdir(parents=True)
    (tmp_path / "migrations" / "env.py").write_text(
        "from alembic import context\n"
        "context.configure(connection=context.config.attributes['connection'])\n"
        "with context.begin_transaction():\n"
        "    context.run_migrations()\n")
    for revision, down in (("a1", None), ("b2", "a1"), ("c3", "b2")):
        (tmp_path / "migrations" / "versions" / f"{revision}.py").write_text(REVISION.format(revision=revision,
                                                                                               down=down))
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    sent: list[str] = []
    sa.event.listen(engine, "before_cursor_execute", lambda *args: sent.append(args[2]))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
        command.downgrade(config, "a1")
        command.downgrade(config, "base")
    bookkeeping = [statement for statement in sent if is_alembic_bookkeeping(statement)]
    # Created, a row inserted, moved up twice, read, moved down twice, read, deleted.
    assert [statement.split()[0] for statement in bookkeeping] == [
        "CREATE", "INSERT", "UPDATE", "UPDATE", "SELECT", "UPDATE", "UPDATE", "SELECT", "DELETE"]
    # The migrations' own looks at the table are theirs, not taken for Alembic's.
    assert sent.count("SELECT version_num FROM alembic_version") == 3
    assert not is_alembic_bookkeeping("SELECT version_num FROM alembic_version")


def test_a_statement_dressed_as_alembics_is_the_migrations_own():
    assert is_alembic_bookkeeping("UPDATE alembic_version SET version_num='b2' "
                                  "WHERE alembic_version.version_num = 'a1'")
    for statement in ("UPDATE alembic_version SET version_num=(SELECT backfill()) "
                      "WHERE alembic_version.version_num = 'a1'",
                      "UPDATE alembic_version SET version_num='b2' WHERE alembic_version.version_num = 'a1'; "
                      "UPDATE employees SET full_name = name",
                      "UPDATE employees SET full_name = name -- alembic_version"):
        assert not is_alembic_bookkeeping(statement), statement

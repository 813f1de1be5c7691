"""What the server's own log says a grade's role ran (testing/grader/measure/statement_log.py), on the server the
tests share, started as the grader starts its own: statements in the order sent, a retry counted
once, reads and the grader's own sessions left out, and nothing a learner's RAISE LOG writes."""
import pytest
import sqlalchemy as sa

from testing.grader.measure import statement_log
from testing.grader.measure.statement_log import StatementLog
from testing.grader.servers.roles import database_of_its_own

pytestmark = pytest.mark.slow


def test_the_log_holds_what_the_role_ran(postgres_server):
    with database_of_its_own(postgres_server) as (url, _, path):
        assert path is not None, "the server the grader starts keeps a JSON log"
        log = StatementLog(path, sa.make_url(url).username or "")
        learner = sa.create_engine(url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
        grader = sa.create_engine(url, poolclass=sa.pool.NullPool)
        try:
            with learner.connect() as connection:
                connection.exec_driver_sql("CREATE TABLE t (id integer)")
            start = statement_log.end(log)
            with grader.connect() as holding, learner.connect() as connection:
                own = holding.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()
                holding.exec_driver_sql("LOCK TABLE t")  # the grader's own session, holding a lock
                connection.exec_driver_sql("SET lock_timeout = '50ms'")
                with pytest.raises(sa.exc.OperationalError):
                    connection.exec_driver_sql("ALTER TABLE t ADD COLUMN a integer")
                holding.rollback()
                connection.exec_driver_sql("ALTER TABLE t ADD COLUMN a integer")  # the retry
                connection.exec_driver_sql("SELECT count(*) FROM t")
                connection.exec_driver_sql("-- squawk-ignore ban-drop-column")
                connection.exec_driver_sql("DO $$ BEGIN RAISE LOG 'statement: -- squawk-ignore "
                                           "require-concurrent-index-creation'; END $$")
                connection.exec_driver_sql("CREATE INDEX ix_t_a ON t (a)")
                connection.execute(sa.text("INSERT INTO t (id) VALUES (:id)"), {"id": 7})
                with pytest.raises(sa.exc.ProgrammingError):
                    connection.exec_driver_sql("DROP TABLE not_there")  # failed, not tried again: kept
            ran = statement_log.statements_since(log, start, grader, {own}, lambda: 10)
        finally:
            learner.dispose()
            grader.dispose()
    assert ran == [
        "SET lock_timeout = '50ms'",
        "ALTER TABLE t ADD COLUMN a integer",
        "-- squawk-ignore ban-drop-column",
        "DO $$ BEGIN RAISE LOG 'statement: -- squawk-ignore require-concurrent-index-creation'; END $$",
        "CREATE INDEX ix_t_a ON t (a)",
        "INSERT INTO t (id) VALUES ($1)",
        "DROP TABLE not_there",
    ]
    assert statement_log.as_script(ran[2:3]) == "-- squawk-ignore ban-drop-column;\n\n"


def test_what_must_have_been_shown_is_every_statement_but_the_drivers_and_alembics_own(postgres_server):
    with database_of_its_own(postgres_server) as (url, _, path):
        assert path is not None
        log = StatementLog(path, sa.make_url(url).username or "")
        learner = sa.create_engine(url, poolclass=sa.pool.NullPool)
        grader = sa.create_engine(url, poolclass=sa.pool.NullPool)
        try:
            start = statement_log.end(log)
            with learner.begin() as connection:  # a new connection: the driver's look-ups, BEGIN, COMMIT
                connection.exec_driver_sql(  # as Alembic creates it
                    "CREATE TABLE alembic_version (\n\tversion_num VARCHAR(32) NOT NULL, \n"
                    "\tCONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)\n)\n\n")
                connection.exec_driver_sql("INSERT INTO alembic_version (version_num) VALUES ('a1') "
                                           "RETURNING alembic_version.version_num")
                connection.exec_driver_sql("CREATE TABLE t (id integer)")
                connection.exec_driver_sql("UPDATE t SET id = 1 -- alembic_version")  # not Alembic's
                connection.exec_driver_sql("SELECT version_num FROM alembic_version")  # nor this
                with connection.begin_nested():
                    connection.execute(sa.text("SELECT count(*) FROM t WHERE id = :id"), {"id": 1})
                connection.exec_driver_sql("UPDATE alembic_version SET version_num='a2' "
                                           "WHERE alembic_version.version_num = 'a1'")
            sent = statement_log.sent_since(log, start, grader, (), lambda: 10)
        finally:
            learner.dispose()
            grader.dispose()
    assert sent == ["CREATE TABLE t (id integer)", "UPDATE t SET id = 1 -- alembic_version",
                    "SELECT version_num FROM alembic_version", "SELECT count(*) FROM t WHERE id = $1"]

"""Step 11's failure on purpose, raised by PostgreSQL itself, whatever the learner's process says.

While one command runs, the scratch database holds a trap of the grader's, made by the
administrator (only a superuser may make event triggers) in a schema of its own that the grade's
role cannot use: once the role has run one schema change (`ddl_command_end`), its next one
(`ddl_command_start`, before it runs) or Alembic's write to alembic_version raises an error. A
failure at a command's start leaves it unrun; one at its end would take that command back with it.
So the change before the failure stays exactly as the migration's own transaction keeps it: undone
with the failure, or kept where something committed it on its own. Every later schema change
fails too, so a migration that catches the error cannot go on with its work. The role is told
by `session_user`, which `SET ROLE` does not change and only a superuser may.

Whether the change and the failure happened is counted in sequences, which a rollback does not
take back: the grader reads them after the command. The first change's text travels to the
learner's process in the error's message, for the learner to read; it decides nothing.

    with armed(observer, role) as trap:
        ...                                  # the learner's process runs the upgrade
    trap.raised, trap.changed
"""
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass

import sqlalchemy as sa

SCHEMA = "course_grader"
MARK = "the grader's failure on purpose, after: "  # the error's message, then the first change's text
BOOKKEEPING_TRIGGER = "course_grader_fail_on_bookkeeping"
EVENT_TRIGGERS = ("course_grader_before_change", "course_grader_after_change")

# {role} is the grade's role, quoted as a literal. Each function runs as its owner (a superuser) with
# a search path of its own, so no function or table of the learner's is found in its place.
TRAP = """
CREATE SCHEMA course_grader;
REVOKE ALL ON SCHEMA course_grader FROM PUBLIC;
CREATE SEQUENCE course_grader.changes;
CREATE SEQUENCE course_grader.failures;
CREATE FUNCTION course_grader.fail_after_a_change() RETURNS void LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  IF session_user = {role} AND (SELECT is_called FROM course_grader.changes) THEN
    PERFORM nextval('course_grader.failures');
    RAISE EXCEPTION USING MESSAGE = '{mark}' || coalesce(current_setting('course_grader.first_change', true), '?');
  END IF;
END $$;
CREATE FUNCTION course_grader.before_change() RETURNS event_trigger LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  PERFORM course_grader.fail_after_a_change();
END $$;
CREATE FUNCTION course_grader.after_change() RETURNS event_trigger LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  IF session_user = {role} AND nextval('course_grader.changes') = 1 THEN
    PERFORM set_config('course_grader.first_change', current_query(), false);
  END IF;
END $$;
CREATE FUNCTION course_grader.before_bookkeeping() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  PERFORM course_grader.fail_after_a_change();
  RETURN NULL;
END $$;
CREATE EVENT TRIGGER course_grader_before_change ON ddl_command_start
  EXECUTE FUNCTION course_grader.before_change();
CREATE EVENT TRIGGER course_grader_after_change ON ddl_command_end
  EXECUTE FUNCTION course_grader.after_change();
"""
# A migration that changes the schema once, and nothing after it, still meets Alembic's bookkeeping.
ON_BOOKKEEPING = f"""
CREATE TRIGGER {BOOKKEEPING_TRIGGER} BEFORE INSERT OR UPDATE OR DELETE ON public.alembic_version
  FOR EACH STATEMENT EXECUTE FUNCTION course_grader.before_bookkeeping()
"""
SPRUNG = "SELECT (SELECT is_called FROM course_grader.changes), (SELECT is_called FROM course_grader.failures)"


@dataclass
class Trap:
    changed: bool = False  # the role ran a schema change
    raised: bool = False  # ... and PostgreSQL raised the grader's failure after it


def available(observer: sa.Engine) -> bool:
    """Whether the grader can make the trap here: PostgreSQL, with an administrator that is a superuser
    (the servers the grader starts; not always one an instructor names)."""
    if observer.dialect.name != "postgresql":
        return False
    with observer.connect() as connection:
        return bool(connection.exec_driver_sql("SELECT rolsuper FROM pg_roles WHERE rolname = current_user").scalar())


@contextmanager
def armed(observer: sa.Engine, role: str) -> Iterator[Trap]:
    """The trap, set for `role` while the block runs, then taken away (the grader's own changes after
    it, as the same role, must not meet it); the Trap says after the block what it caught."""
    trap = Trap()
    with observer.connect() as connection, connection.begin():
        literal = connection.execute(sa.text("SELECT quote_literal(:role)"), {"role": role}).scalar_one()
        connection.exec_driver_sql(TRAP.replace("{role}", literal).replace("{mark}", MARK.replace("'", "''")))
        if sa.inspect(connection).has_table("alembic_version", schema="public"):
            connection.exec_driver_sql(ON_BOOKKEEPING)
    try:
        yield trap
    except BaseException:
        # The grade stops (a time limit, a lock held): the scratch database goes with it, trap and all.
        with suppress(sa.exc.DBAPIError):
            _disarm(observer, trap)
        raise
    _disarm(observer, trap)


def _disarm(observer: sa.Engine, trap: Trap) -> None:
    with observer.connect() as connection, connection.begin():
        trap.changed, trap.raised = connection.exec_driver_sql(SPRUNG).one()
        for name in EVENT_TRIGGERS:
            connection.exec_driver_sql(f"DROP EVENT TRIGGER {name}")
        connection.exec_driver_sql(f"DROP SCHEMA {SCHEMA} CASCADE")  # the trigger on alembic_version too


def first_change(error: str | None) -> str | None:
    """The first change's text, as the failure's message carried it to the learner's process and back
    (None if the message is not the grader's)."""
    if not error or MARK not in error:
        return None
    text = error.split(MARK, 1)[1]
    return text.split("\n[SQL:", 1)[0].strip() or None

"""add employee full_name

Revision ID: a2b4c6d8e013
Revises: f1a3b5c7d011
Create Date: 2026-11-29 10:13:00.000000

"""
import time

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a2b4c6d8e013'
down_revision = 'f1a3b5c7d011'
branch_labels = None
depends_on = None

# A schema change waits at most this long for its lock, so the requests queued behind it never
# wait longer; then it steps aside and tries again.
SET_LOCK_TIMEOUT = "SET lock_timeout = '100ms'"
ATTEMPTS = 50


def with_retries(operation):
    """Run one schema change; when it gives up waiting for its lock, pause and try again."""
    for attempt in range(ATTEMPTS):
        try:
            return operation()
        except sa.exc.OperationalError as error:
            if getattr(error.orig, 'sqlstate', None) != '55P03' or attempt == ATTEMPTS - 1:  # 55P03: lock_not_available
                raise
            time.sleep(0.05)


# Old code writes name, new code writes full_name: whichever a request sets, the other follows.
SYNC_FUNCTION = """
CREATE FUNCTION employees_sync_full_name() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        NEW.full_name := coalesce(NEW.full_name, NEW.name);
        NEW.name := coalesce(NEW.name, NEW.full_name);
    ELSIF NEW.name IS DISTINCT FROM OLD.name THEN
        NEW.full_name := NEW.name;
    ELSIF NEW.full_name IS DISTINCT FROM OLD.full_name THEN
        NEW.name := NEW.full_name;
    END IF;
    RETURN NEW;
END $$
"""
SYNC_TRIGGER = """
CREATE TRIGGER employees_sync_full_name BEFORE INSERT OR UPDATE ON employees
FOR EACH ROW EXECUTE FUNCTION employees_sync_full_name()
"""

# The rows that exist, 1000 at a time, each batch its own transaction: a request waits for one
# batch at most. A batch that meets a row locked by a request gives up after lock_timeout and is
# tried again. Run again after a failure, it skips the rows already done.
BACKFILL = """
DO $$
DECLARE
    last_id integer := 0;
    batch_end integer;
BEGIN
    LOOP
        SELECT max(id) INTO batch_end
        FROM (SELECT id FROM employees WHERE id > last_id ORDER BY id LIMIT 1000) AS batch;
        EXIT WHEN batch_end IS NULL;
        BEGIN
            UPDATE employees SET full_name = name
            WHERE id > last_id AND id <= batch_end AND full_name IS NULL;
        EXCEPTION WHEN lock_not_available THEN
            PERFORM pg_sleep(0.05);
            CONTINUE;
        END;
        last_id := batch_end;
        COMMIT;
    END LOOP;
END $$
"""


def upgrade():
    # Outside Alembic's transaction: each statement commits on its own, so no lock is held longer.
    with op.get_context().autocommit_block():
        op.execute(SET_LOCK_TIMEOUT)
        with_retries(lambda: op.add_column('employees', sa.Column('full_name', sa.String(length=80), nullable=True)))
        op.execute(SYNC_FUNCTION)
        with_retries(lambda: op.execute(SYNC_TRIGGER))
        op.execute(BACKFILL)
        op.execute("RESET lock_timeout")


def downgrade():
    with op.get_context().autocommit_block():
        op.execute(SET_LOCK_TIMEOUT)
        with_retries(lambda: op.execute("DROP TRIGGER employees_sync_full_name ON employees"))
        op.execute("DROP FUNCTION employees_sync_full_name()")
        with_retries(lambda: op.drop_column('employees', 'full_name'))
        op.execute("RESET lock_timeout")

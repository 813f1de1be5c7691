"""drop employee name, once nothing reads it

Revision ID: e6f7a8b9c914
Revises: b3c5d7e9f014
Create Date: 2026-11-29 11:14:00.000000

"""
import time

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e6f7a8b9c914'
down_revision = 'b3c5d7e9f014'
branch_labels = None
depends_on = None


def with_retries(operation, attempts=50):
    """Run one schema change; when it gives up waiting for its lock (lock_not_available), try again."""
    for attempt in range(attempts):
        try:
            return operation()
        except sa.exc.OperationalError as error:
            if getattr(error.orig, 'sqlstate', None) != '55P03' or attempt == attempts - 1:
                raise
            time.sleep(0.05)


# The downgrade gives name back its values, from full_name, 1000 rows at a time.
BACKFILL_NAME = """
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
            UPDATE employees SET name = full_name
            WHERE id > last_id AND id <= batch_end AND name IS NULL;
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
    with op.get_context().autocommit_block():
        op.execute("SET lock_timeout = '100ms'")
        with_retries(lambda: op.drop_column('employees', 'name'))
        op.execute("RESET lock_timeout")


def downgrade():
    with op.get_context().autocommit_block():
        op.execute("SET lock_timeout = '100ms'")
        with_retries(lambda: op.add_column('employees', sa.Column('name', sa.String(length=80), nullable=True)))
        op.execute(BACKFILL_NAME)
        op.execute("RESET lock_timeout")

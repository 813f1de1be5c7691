"""backfill employees full_name

Revision ID: d5e6f7a8b913
Revises: a2b4c6d8e013
Create Date: 2026-11-29 11:13:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd5e6f7a8b913'
down_revision = 'a2b4c6d8e013'
branch_labels = None
depends_on = None

# The expand migration before this one added full_name and the trigger; this one fills the rows
# that were there before it, 1000 at a time, each batch committed on its own.
BACKFILL = """
DO $$
DECLARE
    last_id integer := 0;
    batch_end integer;
BEGIN
    SET lock_timeout = '100ms';
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
    RESET lock_timeout;
END $$
"""


def upgrade():
    with op.get_context().autocommit_block():
        op.execute(BACKFILL)


def downgrade():
    pass  # the rows keep their full_name: the downgrade before this one drops the column

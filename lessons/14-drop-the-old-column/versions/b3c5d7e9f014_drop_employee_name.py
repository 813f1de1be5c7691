"""drop employee name

Revision ID: b3c5d7e9f014
Revises: a2b4c6d8e013
Create Date: 2026-11-29 10:14:00.000000

"""
import time

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b3c5d7e9f014'
down_revision = 'a2b4c6d8e013'
branch_labels = None
depends_on = None

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


# SET NOT NULL without reading the table under its lock: a CHECK proves it first. The statements
# for each column that is made NOT NULL (full_name here, name in the downgrade).
NOT_NULL_CHECKS = {
    'full_name': ("ALTER TABLE employees ADD CONSTRAINT ck_employees_full_name_not_null "
                  "CHECK (full_name IS NOT NULL) NOT VALID",
                  "ALTER TABLE employees VALIDATE CONSTRAINT ck_employees_full_name_not_null",
                  "ALTER TABLE employees DROP CONSTRAINT ck_employees_full_name_not_null"),
    'name': ("ALTER TABLE employees ADD CONSTRAINT ck_employees_name_not_null CHECK (name IS NOT NULL) NOT VALID",
             "ALTER TABLE employees VALIDATE CONSTRAINT ck_employees_name_not_null",
             "ALTER TABLE employees DROP CONSTRAINT ck_employees_name_not_null"),
}


def set_not_null(column):
    add_check, validate_check, drop_check = NOT_NULL_CHECKS[column]
    with_retries(lambda: op.execute(add_check))  # instant: the rows already there are not read
    op.execute(validate_check)  # reads every row, while requests read and write
    with_retries(lambda: op.alter_column('employees', column, existing_type=sa.String(length=80), nullable=False))
    with_retries(lambda: op.execute(drop_check))


# Step 13's function and trigger, for the downgrade.
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
        op.execute(SET_LOCK_TIMEOUT)
        set_not_null('full_name')
        # Step 13's code never writes name: it must take NULL before the trigger that fills it goes.
        with_retries(lambda: op.alter_column('employees', 'name', existing_type=sa.String(length=80), nullable=True))
        with_retries(lambda: op.execute("DROP TRIGGER employees_sync_full_name ON employees"))
        op.execute("DROP FUNCTION employees_sync_full_name()")
        with_retries(lambda: op.drop_column('employees', 'name'))
        op.execute("RESET lock_timeout")


def downgrade():
    with op.get_context().autocommit_block():
        op.execute(SET_LOCK_TIMEOUT)
        with_retries(lambda: op.add_column('employees', sa.Column('name', sa.String(length=80), nullable=True)))
        op.execute(SYNC_FUNCTION)
        with_retries(lambda: op.execute(SYNC_TRIGGER))
        op.execute(BACKFILL_NAME)
        set_not_null('name')
        with_retries(lambda: op.alter_column('employees', 'full_name', existing_type=sa.String(length=80),
                                             nullable=True))
        op.execute("RESET lock_timeout")

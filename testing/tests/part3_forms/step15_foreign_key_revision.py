"""add employee manager foreign key

Revision ID: f7a8b9c0d915
Revises: c4d6e8f0a015
Create Date: 2026-11-29 11:15:00.000000

"""
import time

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f7a8b9c0d915'
down_revision = 'c4d6e8f0a015'
branch_labels = None
depends_on = None

FOREIGN_KEY = 'fk_employees_manager_id_employees'


def with_retries(operation, attempts=50):
    """Run one schema change; when it gives up waiting for its lock (lock_not_available), try again."""
    for attempt in range(attempts):
        try:
            return operation()
        except sa.exc.OperationalError as error:
            if getattr(error.orig, 'sqlstate', None) != '55P03' or attempt == attempts - 1:
                raise
            time.sleep(0.05)


def upgrade():
    # Added NOT VALID, committed at once: its short lock is gone before anything reads the rows.
    with op.get_context().autocommit_block():
        op.execute("SET lock_timeout = '100ms'")
        with_retries(lambda: op.create_foreign_key(FOREIGN_KEY, 'employees', 'employees', ['manager_id'], ['id'],
                                                   postgresql_not_valid=True))
        op.execute("RESET lock_timeout")
    # Then validated in Alembic's own transaction: SHARE UPDATE EXCLUSIVE lets reads and writes go on.
    op.execute(f"ALTER TABLE employees VALIDATE CONSTRAINT {FOREIGN_KEY}")


def downgrade():
    with op.get_context().autocommit_block():
        op.execute("SET lock_timeout = '100ms'")
        with_retries(lambda: op.drop_constraint(FOREIGN_KEY, 'employees', type_='foreignkey'))
        op.execute("RESET lock_timeout")

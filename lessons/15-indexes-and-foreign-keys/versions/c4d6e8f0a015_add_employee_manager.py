"""add employee manager

Revision ID: c4d6e8f0a015
Revises: b3c5d7e9f014
Create Date: 2026-11-29 10:15:00.000000

"""
import time

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c4d6e8f0a015'
down_revision = 'b3c5d7e9f014'
branch_labels = None
depends_on = None

SET_LOCK_TIMEOUT = "SET lock_timeout = '100ms'"
ATTEMPTS = 50
FOREIGN_KEY = 'fk_employees_manager_id_employees'
INDEX = 'ix_employees_manager_id'


def with_retries(operation):
    """Run one schema change; when it gives up waiting for its lock, pause and try again."""
    for attempt in range(ATTEMPTS):
        try:
            return operation()
        except sa.exc.OperationalError as error:
            if getattr(error.orig, 'sqlstate', None) != '55P03' or attempt == ATTEMPTS - 1:  # 55P03: lock_not_available
                raise
            time.sleep(0.05)


def upgrade():
    with op.get_context().autocommit_block():
        op.execute(SET_LOCK_TIMEOUT)
        with_retries(lambda: op.add_column('employees', sa.Column('manager_id', sa.Integer(), nullable=True)))
        # NOT VALID: the rows already there are not read (each row inserted or updated from now on is
        # checked), so adding it reads nothing under its lock...
        with_retries(lambda: op.create_foreign_key(FOREIGN_KEY, 'employees', 'employees', ['manager_id'], ['id'],
                                                   postgresql_not_valid=True))
        # ...and VALIDATE reads the rows that exist under a lock that lets reads and writes go on.
        op.execute("ALTER TABLE employees VALIDATE CONSTRAINT fk_employees_manager_id_employees")
        # CONCURRENTLY builds the index while writes go on; it waits for the transactions already
        # running, so no lock_timeout here: giving up would leave an invalid index behind.
        op.execute("RESET lock_timeout")
        op.create_index(INDEX, 'employees', ['manager_id'], postgresql_concurrently=True)


def downgrade():
    with op.get_context().autocommit_block():
        op.drop_index(INDEX, table_name='employees', postgresql_concurrently=True)
        op.execute(SET_LOCK_TIMEOUT)
        with_retries(lambda: op.drop_constraint(FOREIGN_KEY, 'employees', type_='foreignkey'))
        with_retries(lambda: op.drop_column('employees', 'manager_id'))
        op.execute("RESET lock_timeout")

"""validate employee manager foreign key, index it

Revision ID: f7a8b9c0d915
Revises: c4d6e8f0a015
Create Date: 2026-11-29 11:15:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'f7a8b9c0d915'
down_revision = 'c4d6e8f0a015'
branch_labels = None
depends_on = None


def upgrade():
    # In Alembic's own transaction: VALIDATE CONSTRAINT takes SHARE UPDATE EXCLUSIVE, which lets the
    # app read and write while it checks the rows. The autocommit block commits it first.
    op.execute("ALTER TABLE employees VALIDATE CONSTRAINT fk_employees_manager_id_employees")
    with op.get_context().autocommit_block():
        op.create_index('ix_employees_manager_id', 'employees', ['manager_id'], postgresql_concurrently=True)


def downgrade():
    # The constraint stays validated: the downgrade before this one drops it.
    with op.get_context().autocommit_block():
        op.drop_index('ix_employees_manager_id', table_name='employees', postgresql_concurrently=True)

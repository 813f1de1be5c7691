"""index on employees.manager_id"""
from alembic import op
import sqlalchemy as sa

revision = 'f9e8d7c6b515'
down_revision = 'c4d6e8f0a015'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index(op.f('ix_employees_manager_id'), 'employees', ['manager_id'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_employees_manager_id'), table_name='employees')

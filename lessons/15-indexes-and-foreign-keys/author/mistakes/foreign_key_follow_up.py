"""employees.manager_id references employees"""
from alembic import op
import sqlalchemy as sa

revision = 'f9e8d7c6b515'
down_revision = 'c4d6e8f0a015'
branch_labels = None
depends_on = None


def upgrade():
    op.create_foreign_key(op.f('fk_employees_manager_id_employees'), 'employees', 'employees', ['manager_id'], ['id'])


def downgrade():
    op.drop_constraint(op.f('fk_employees_manager_id_employees'), 'employees', type_='foreignkey')

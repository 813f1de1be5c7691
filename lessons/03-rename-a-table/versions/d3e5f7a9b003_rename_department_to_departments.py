"""rename department to departments

Revision ID: d3e5f7a9b003
Revises: c2d4e6f8a002
Create Date: 2026-11-02 09:12:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd3e5f7a9b003'
down_revision = 'c2d4e6f8a002'
branch_labels = None
depends_on = None


def upgrade():
    # Autogenerate wrote create_table('departments') + drop_table('department'), which loses
    # every row. A rename keeps them.
    op.rename_table('department', 'departments')


def downgrade():
    op.rename_table('departments', 'department')

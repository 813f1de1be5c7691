"""add department budget

Revision ID: c8d0e2f4a010
Revises: b7c9d1e3f008
Create Date: 2026-11-22 09:10:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c8d0e2f4a010'
down_revision = 'b7c9d1e3f008'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('departments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('budget', sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table('departments', schema=None) as batch_op:
        batch_op.drop_column('budget')

"""add employee title

Revision ID: f5a7b9c1d006
Revises: e4f6a8b0c004
Create Date: 2026-11-22 09:06:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f5a7b9c1d006'
down_revision = 'e4f6a8b0c004'
branch_labels = None
depends_on = None


def upgrade():
    # The table has rows: a NOT NULL column needs a value for each, so the database must know
    # the default (server_default), not only Python (default=).
    with op.batch_alter_table('employees', schema=None) as batch_op:
        batch_op.add_column(sa.Column('title', sa.String(length=80), server_default='Associate', nullable=False))


def downgrade():
    with op.batch_alter_table('employees', schema=None) as batch_op:
        batch_op.drop_column('title')

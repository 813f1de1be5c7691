"""add employee email

Revision ID: d9e1f3a5b010
Revises: b7c9d1e3f008
Create Date: 2026-11-22 09:10:30.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd9e1f3a5b010'
down_revision = 'b7c9d1e3f008'
branch_labels = None
depends_on = None


def upgrade():
    # Your teammate's migration: written on their branch, from the same parent as yours.
    with op.batch_alter_table('employees', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email', sa.String(length=120), nullable=True))


def downgrade():
    with op.batch_alter_table('employees', schema=None) as batch_op:
        batch_op.drop_column('email')

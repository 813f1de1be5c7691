"""rename address to location

Revision ID: e4f6a8b0c004
Revises: d3e5f7a9b003
Create Date: 2026-11-02 09:13:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e4f6a8b0c004'
down_revision = 'd3e5f7a9b003'
branch_labels = None
depends_on = None


def upgrade():
    # Autogenerate wrote add_column('location') + drop_column('address'), which loses every
    # address. A rename keeps them; existing_type and existing_nullable keep MySQL happy.
    op.alter_column('departments', 'address', new_column_name='location',
                    existing_type=sa.String(length=120), existing_nullable=True)


def downgrade():
    op.alter_column('departments', 'location', new_column_name='address',
                    existing_type=sa.String(length=120), existing_nullable=True)

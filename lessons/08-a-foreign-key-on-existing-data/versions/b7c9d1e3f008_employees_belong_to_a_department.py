"""employees belong to a department

Revision ID: b7c9d1e3f008
Revises: a6b8c0d2e007
Create Date: 2026-11-22 09:08:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b7c9d1e3f008'
down_revision = 'a6b8c0d2e007'
branch_labels = None
depends_on = None

# Where the employees that exist before this migration go.
UNASSIGNED = 'Unassigned'


def upgrade():
    # 1. The column, nullable for now: the employees already there have no department yet.
    with op.batch_alter_table('employees', schema=None) as batch_op:
        batch_op.add_column(sa.Column('department_id', sa.Integer(), nullable=True))

    # 2. One statement each, values bound as parameters, the id looked up by the database:
    #    no id is assumed, and `flask db upgrade --sql` can print it.
    op.execute(sa.text("INSERT INTO departments (name) VALUES (:name)").bindparams(name=UNASSIGNED))
    op.execute(sa.text(
        "UPDATE employees SET department_id = (SELECT id FROM departments WHERE name = :name) "
        "WHERE department_id IS NULL"
    ).bindparams(name=UNASSIGNED))

    # 3. Now every row has a value: make it required and a real foreign key.
    with op.batch_alter_table('employees', schema=None) as batch_op:
        batch_op.alter_column('department_id', existing_type=sa.Integer(), nullable=False)
        batch_op.create_foreign_key(batch_op.f('fk_employees_department_id_departments'),
                                    'departments', ['department_id'], ['id'])


def downgrade():
    with op.batch_alter_table('employees', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_employees_department_id_departments'), type_='foreignkey')
        batch_op.drop_column('department_id')
    op.execute(sa.text("DELETE FROM departments WHERE name = :name").bindparams(name=UNASSIGNED))

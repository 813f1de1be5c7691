def upgrade():
    with op.batch_alter_table('employees', schema=None) as batch_op:
        batch_op.add_column(sa.Column('department_id', sa.Integer(), nullable=False))
        batch_op.create_foreign_key(batch_op.f('fk_employees_department_id_departments'), 'departments', ['department_id'], ['id'])


def downgrade():
    with op.batch_alter_table('employees', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_employees_department_id_departments'), type_='foreignkey')
        batch_op.drop_column('department_id')

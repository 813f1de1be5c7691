def upgrade():
    with op.batch_alter_table('employees', schema=None) as batch_op:
        batch_op.add_column(sa.Column('department_id', sa.Integer(), nullable=True))
    connection = op.get_bind()
    connection.execute(sa.text("INSERT INTO departments (name) VALUES (:name)"), {'name': UNASSIGNED})
    department_id = connection.execute(sa.text("SELECT id FROM departments WHERE name = :name"),
                                       {'name': UNASSIGNED}).scalar_one()
    for (employee_id,) in connection.execute(sa.text('SELECT id FROM employees')).all():
        connection.execute(sa.text('UPDATE employees SET department_id = :department WHERE id = :id'),
                           {'department': department_id, 'id': employee_id})
    with op.batch_alter_table('employees', schema=None) as batch_op:
        batch_op.alter_column('department_id', existing_type=sa.Integer(), nullable=False)
        batch_op.create_foreign_key(batch_op.f('fk_employees_department_id_departments'),
                                    'departments', ['department_id'], ['id'])

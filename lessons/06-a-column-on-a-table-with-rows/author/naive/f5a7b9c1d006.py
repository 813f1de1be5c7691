def upgrade():
    op.add_column('employees', sa.Column('title', sa.String(length=80), nullable=True))
    connection = op.get_bind()
    for (employee_id,) in connection.execute(sa.text('SELECT id FROM employees')).all():
        connection.execute(sa.text('UPDATE employees SET title = :title WHERE id = :id'),
                           {'title': 'Associate', 'id': employee_id})
    with op.batch_alter_table('employees', schema=None) as batch_op:
        batch_op.alter_column('title', existing_type=sa.String(length=80), nullable=False,
                              server_default='Associate')

def upgrade():
    op.add_column('employees', sa.Column('title', sa.String(length=80), nullable=True))
    op.execute("UPDATE employees SET title = CASE WHEN salary >= 100000 THEN 'Manager' ELSE 'Associate' END")
    with op.batch_alter_table('employees', schema=None) as batch_op:
        batch_op.alter_column('title', existing_type=sa.String(length=80), nullable=False,
                              server_default='Associate')


def downgrade():
    with op.batch_alter_table('employees', schema=None) as batch_op:
        batch_op.drop_column('title')

def upgrade():
    with op.batch_alter_table('employees', schema=None) as batch_op:
        batch_op.alter_column('full_name', existing_type=sa.VARCHAR(length=80), nullable=False)
        batch_op.drop_column('name')


def downgrade():
    with op.batch_alter_table('employees', schema=None) as batch_op:
        batch_op.add_column(sa.Column('name', sa.VARCHAR(length=80), autoincrement=False, nullable=True))
        batch_op.alter_column('full_name', existing_type=sa.VARCHAR(length=80), nullable=True)
    op.execute("UPDATE employees SET name = full_name")
    op.alter_column('employees', 'name', existing_type=sa.VARCHAR(length=80), nullable=False)

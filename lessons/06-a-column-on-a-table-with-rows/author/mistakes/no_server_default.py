def upgrade():
    op.add_column('employees', sa.Column('title', sa.String(length=80), nullable=True))
    op.execute("UPDATE employees SET title = 'Associate'")
    with op.batch_alter_table('employees') as batch_op:
        batch_op.alter_column('title', existing_type=sa.String(length=80), nullable=False)


def downgrade():
    with op.batch_alter_table('employees') as batch_op:
        batch_op.drop_column('title')

def upgrade():
    with op.batch_alter_table('departments', recreate='always') as batch_op:
        batch_op.alter_column('address', new_column_name='location',
                              existing_type=sa.String(length=120), existing_nullable=True)

def upgrade():
    op.alter_column('employees', 'name', new_column_name='full_name',
                    existing_type=sa.String(length=80), existing_nullable=False)


def downgrade():
    op.alter_column('employees', 'full_name', new_column_name='name',
                    existing_type=sa.String(length=80), existing_nullable=False)

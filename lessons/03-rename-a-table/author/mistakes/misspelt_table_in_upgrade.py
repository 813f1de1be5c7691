def upgrade():
    op.rename_table('departmnet', 'departments')


def downgrade():
    op.rename_table('departments', 'department')

def upgrade():
    op.rename_table('department', 'departments')


def downgrade():
    op.rename_table('departmentz', 'department')

def upgrade():
    op.rename_table('department', 'departments')


def downgrade():
    pass

def upgrade():
    while True:
        pass


def downgrade():
    op.rename_table('departments', 'department')

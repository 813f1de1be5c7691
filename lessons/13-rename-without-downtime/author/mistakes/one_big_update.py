def upgrade():
    with op.get_context().autocommit_block():
        op.execute(SET_LOCK_TIMEOUT)
        with_retries(lambda: op.add_column('employees', sa.Column('full_name', sa.String(length=80), nullable=True)))
        op.execute(SYNC_FUNCTION)
        with_retries(lambda: op.execute(SYNC_TRIGGER))
        op.execute("RESET lock_timeout")
        op.execute("UPDATE employees SET full_name = name")


def downgrade():
    op.execute("DROP TRIGGER employees_sync_full_name ON employees")
    op.execute("DROP FUNCTION employees_sync_full_name()")
    op.drop_column('employees', 'full_name')

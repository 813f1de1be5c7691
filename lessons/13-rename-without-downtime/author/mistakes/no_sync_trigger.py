def upgrade():
    with op.get_context().autocommit_block():
        op.execute(SET_LOCK_TIMEOUT)
        with_retries(lambda: op.add_column('employees', sa.Column('full_name', sa.String(length=80), nullable=True)))
        op.execute(BACKFILL)
        op.execute("RESET lock_timeout")


def downgrade():
    with op.get_context().autocommit_block():
        op.execute(SET_LOCK_TIMEOUT)
        with_retries(lambda: op.drop_column('employees', 'full_name'))
        op.execute("RESET lock_timeout")

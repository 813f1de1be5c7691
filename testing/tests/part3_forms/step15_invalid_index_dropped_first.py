# Ready for a rerun: a CREATE INDEX CONCURRENTLY that failed leaves an INVALID index behind, so the
# migration drops any such leftover (concurrently too) before it builds the index.
def upgrade():
    with op.get_context().autocommit_block():
        op.execute(SET_LOCK_TIMEOUT)
        with_retries(lambda: op.add_column('employees', sa.Column('manager_id', sa.Integer(), nullable=True)))
        with_retries(lambda: op.create_foreign_key(FOREIGN_KEY, 'employees', 'employees', ['manager_id'], ['id'],
                                                   postgresql_not_valid=True))
        op.execute(f"ALTER TABLE employees VALIDATE CONSTRAINT {FOREIGN_KEY}")
        op.execute("RESET lock_timeout")
        op.drop_index(INDEX, table_name='employees', postgresql_concurrently=True, if_exists=True)
        op.create_index(INDEX, 'employees', ['manager_id'], postgresql_concurrently=True)


def downgrade():
    with op.get_context().autocommit_block():
        op.drop_index(INDEX, table_name='employees', postgresql_concurrently=True, if_exists=True)
        op.execute(SET_LOCK_TIMEOUT)
        with_retries(lambda: op.drop_constraint(FOREIGN_KEY, 'employees', type_='foreignkey'))
        with_retries(lambda: op.drop_column('employees', 'manager_id'))
        op.execute("RESET lock_timeout")

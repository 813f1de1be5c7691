def upgrade():
    with op.get_context().autocommit_block():
        op.execute(SET_LOCK_TIMEOUT)
        with_retries(lambda: op.add_column('employees', sa.Column('manager_id', sa.Integer(), nullable=True)))
        with_retries(lambda: op.create_foreign_key(FOREIGN_KEY, 'employees', 'employees', ['manager_id'], ['id'],
                                                   postgresql_not_valid=True))
        op.execute("ALTER TABLE employees VALIDATE CONSTRAINT fk_employees_manager_id_employees")
        # Not CONCURRENTLY, but under lock_timeout and retried: it never waits long for its lock.
        with_retries(lambda: op.create_index(INDEX, 'employees', ['manager_id']))
        op.execute("RESET lock_timeout")


def downgrade():
    with op.get_context().autocommit_block():
        op.drop_index(INDEX, table_name='employees', postgresql_concurrently=True)
        op.execute(SET_LOCK_TIMEOUT)
        with_retries(lambda: op.drop_constraint(FOREIGN_KEY, 'employees', type_='foreignkey'))
        with_retries(lambda: op.drop_column('employees', 'manager_id'))
        op.execute("RESET lock_timeout")

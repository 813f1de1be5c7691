# The index first (with Alembic's if_not_exists), then the foreign key, which finds it in place.
def upgrade():
    with op.get_context().autocommit_block():
        op.execute(SET_LOCK_TIMEOUT)
        with_retries(lambda: op.add_column('employees', sa.Column('manager_id', sa.Integer(), nullable=True)))
        op.execute("RESET lock_timeout")
        op.create_index(INDEX, 'employees', ['manager_id'], postgresql_concurrently=True, if_not_exists=True)
        op.execute(SET_LOCK_TIMEOUT)
        with_retries(lambda: op.create_foreign_key(FOREIGN_KEY, 'employees', 'employees', ['manager_id'], ['id'],
                                                   postgresql_not_valid=True))
        op.execute(f"ALTER TABLE employees VALIDATE CONSTRAINT {FOREIGN_KEY}")
        op.execute("RESET lock_timeout")


def downgrade():
    with op.get_context().autocommit_block():
        op.execute(SET_LOCK_TIMEOUT)
        with_retries(lambda: op.drop_constraint(FOREIGN_KEY, 'employees', type_='foreignkey'))
        op.execute("RESET lock_timeout")
        op.drop_index(INDEX, table_name='employees', postgresql_concurrently=True, if_exists=True)
        op.execute(SET_LOCK_TIMEOUT)
        with_retries(lambda: op.drop_column('employees', 'manager_id'))
        op.execute("RESET lock_timeout")

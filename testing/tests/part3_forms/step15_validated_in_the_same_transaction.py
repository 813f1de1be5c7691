# NOT VALID, then VALIDATE, but both in Alembic's one transaction: the ADD's SHARE ROW EXCLUSIVE
# lock is still held while VALIDATE reads every row, so every write waits as if it were valid at once.
def upgrade():
    with op.get_context().autocommit_block():
        op.execute(SET_LOCK_TIMEOUT)
        with_retries(lambda: op.add_column('employees', sa.Column('manager_id', sa.Integer(), nullable=True)))
        op.execute("RESET lock_timeout")
        op.create_index(INDEX, 'employees', ['manager_id'], postgresql_concurrently=True)
    op.execute(SET_LOCK_TIMEOUT)
    op.create_foreign_key(FOREIGN_KEY, 'employees', 'employees', ['manager_id'], ['id'], postgresql_not_valid=True)
    op.execute(f"ALTER TABLE employees VALIDATE CONSTRAINT {FOREIGN_KEY}")


def downgrade():
    with op.get_context().autocommit_block():
        op.drop_index(INDEX, table_name='employees', postgresql_concurrently=True)
        op.execute(SET_LOCK_TIMEOUT)
        with_retries(lambda: op.drop_constraint(FOREIGN_KEY, 'employees', type_='foreignkey'))
        with_retries(lambda: op.drop_column('employees', 'manager_id'))
        op.execute("RESET lock_timeout")

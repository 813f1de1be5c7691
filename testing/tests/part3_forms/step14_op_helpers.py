# The CHECK written with Alembic's own operations instead of raw SQL.
CHECK = 'ck_employees_full_name_not_null'


def upgrade():
    with op.get_context().autocommit_block():
        op.execute(SET_LOCK_TIMEOUT)
        with_retries(lambda: op.create_check_constraint(op.f(CHECK), 'employees', 'full_name IS NOT NULL',
                                                        postgresql_not_valid=True))
        op.execute(f"ALTER TABLE employees VALIDATE CONSTRAINT {CHECK}")
        with_retries(lambda: op.alter_column('employees', 'full_name', existing_type=sa.String(length=80),
                                             nullable=False))
        with_retries(lambda: op.drop_constraint(op.f(CHECK), 'employees', type_='check'))
        with_retries(lambda: op.alter_column('employees', 'name', existing_type=sa.String(length=80), nullable=True))
        with_retries(lambda: op.execute("DROP TRIGGER employees_sync_full_name ON employees"))
        op.execute("DROP FUNCTION employees_sync_full_name()")
        with_retries(lambda: op.drop_column('employees', 'name'))
        op.execute("RESET lock_timeout")


def downgrade():
    with op.get_context().autocommit_block():
        op.execute(SET_LOCK_TIMEOUT)
        with_retries(lambda: op.add_column('employees', sa.Column('name', sa.String(length=80), nullable=True)))
        op.execute(SYNC_FUNCTION)
        with_retries(lambda: op.execute(SYNC_TRIGGER))
        op.execute(BACKFILL_NAME)
        set_not_null('name')
        with_retries(lambda: op.alter_column('employees', 'full_name', existing_type=sa.String(length=80),
                                             nullable=True))
        op.execute("RESET lock_timeout")

# The column changes in batch_alter_table blocks: plain ALTER TABLEs on PostgreSQL, each retried.
def full_name_not_null():
    with op.batch_alter_table('employees') as batch:
        batch.alter_column('full_name', existing_type=sa.String(length=80), nullable=False)


def name_nullable():
    with op.batch_alter_table('employees') as batch:
        batch.alter_column('name', existing_type=sa.String(length=80), nullable=True)


def drop_name():
    with op.batch_alter_table('employees') as batch:
        batch.drop_column('name')


def upgrade():
    add_check, validate_check, drop_check = NOT_NULL_CHECKS['full_name']
    with op.get_context().autocommit_block():
        op.execute(SET_LOCK_TIMEOUT)
        with_retries(lambda: op.execute(add_check))
        op.execute(validate_check)
        with_retries(full_name_not_null)
        with_retries(lambda: op.execute(drop_check))
        with_retries(name_nullable)
        with_retries(lambda: op.execute("DROP TRIGGER employees_sync_full_name ON employees"))
        op.execute("DROP FUNCTION employees_sync_full_name()")
        with_retries(drop_name)
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

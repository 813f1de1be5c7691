# The column and its index here; the next migration (step15_foreign_key_revision.py) adds the
# foreign key, which finds the index in place.
def upgrade():
    with op.get_context().autocommit_block():
        op.execute(SET_LOCK_TIMEOUT)
        with_retries(lambda: op.add_column('employees', sa.Column('manager_id', sa.Integer(), nullable=True)))
        op.execute("RESET lock_timeout")
        op.create_index(INDEX, 'employees', ['manager_id'], postgresql_concurrently=True)


def downgrade():
    with op.get_context().autocommit_block():
        op.drop_index(INDEX, table_name='employees', postgresql_concurrently=True)
        op.execute(SET_LOCK_TIMEOUT)
        with_retries(lambda: op.drop_column('employees', 'manager_id'))
        op.execute("RESET lock_timeout")

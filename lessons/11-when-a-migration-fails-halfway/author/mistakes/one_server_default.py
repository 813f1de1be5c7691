def upgrade():
    with op.batch_alter_table('departments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('code', sa.String(length=10), server_default='NEW', nullable=False))
        batch_op.create_unique_constraint(batch_op.f('uq_departments_code'), ['code'])


def downgrade():
    with op.batch_alter_table('departments', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_departments_code'), type_='unique')
        batch_op.drop_column('code')

def upgrade():
    op.add_column('departments', sa.Column('location', sa.String(length=120), nullable=True))
    op.drop_column('departments', 'address')


def downgrade():
    op.add_column('departments', sa.Column('address', sa.String(length=120), nullable=True))
    op.drop_column('departments', 'location')

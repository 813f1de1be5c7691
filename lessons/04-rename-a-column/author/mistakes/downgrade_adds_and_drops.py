def upgrade():
    op.alter_column('departments', 'address', new_column_name='location',
                    existing_type=sa.String(length=120), existing_nullable=True)


def downgrade():
    op.add_column('departments', sa.Column('address', sa.String(length=120), nullable=True))
    op.drop_column('departments', 'location')

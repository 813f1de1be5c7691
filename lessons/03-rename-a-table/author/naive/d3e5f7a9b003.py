def upgrade():
    op.create_table('departments',
                    sa.Column('id', sa.Integer(), nullable=False),
                    sa.Column('name', sa.String(length=80), nullable=False),
                    sa.Column('address', sa.String(length=120), nullable=True),
                    sa.PrimaryKeyConstraint('id'))
    op.execute('INSERT INTO departments (id, name, address) SELECT id, name, address FROM department')
    op.drop_table('department')

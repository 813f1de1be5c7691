def upgrade():
    op.execute("CREATE TABLE departments_new (id INTEGER NOT NULL PRIMARY KEY, "
               "name VARCHAR(80) NOT NULL, location VARCHAR(120), UNIQUE (name))")
    op.execute("INSERT INTO departments_new (id, name, location) SELECT id, name, location FROM departments")
    op.drop_table('departments')
    op.rename_table('departments_new', 'departments')


def downgrade():
    with op.batch_alter_table('departments', schema=None) as batch_op:
        batch_op.drop_constraint('uq_departments_name', type_='unique')

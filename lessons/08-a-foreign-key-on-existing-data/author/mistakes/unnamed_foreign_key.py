def upgrade():
    op.execute(sa.text("INSERT INTO departments (name) VALUES (:name)").bindparams(name=UNASSIGNED))
    op.execute("CREATE TABLE employees_new (id INTEGER NOT NULL PRIMARY KEY, name VARCHAR(80) NOT NULL, "
               "salary INTEGER, title VARCHAR(80) DEFAULT 'Associate' NOT NULL, "
               "department_id INTEGER NOT NULL REFERENCES departments (id))")
    op.execute(sa.text("INSERT INTO employees_new (id, name, salary, title, department_id) "
                       "SELECT id, name, salary, title, (SELECT id FROM departments WHERE name = :name) "
                       "FROM employees").bindparams(name=UNASSIGNED))
    op.drop_table('employees')
    op.rename_table('employees_new', 'employees')


def downgrade():
    with op.batch_alter_table('employees', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_employees_department_id_departments'), type_='foreignkey')
        batch_op.drop_column('department_id')
    op.execute(sa.text("DELETE FROM departments WHERE name = :name").bindparams(name=UNASSIGNED))

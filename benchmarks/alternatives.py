"""For each reference migration: the cheapest raw SQL that makes the same change (the physical
floor), per dialect; and, where a lesson warns against one, the naive migration.
"""
# SQLite cannot add NOT NULL or a constraint to a table that exists: its floor copies the table once.
EMPLOYEES_WITH_DEPARTMENT = {
    "sqlite": [
        "INSERT INTO departments (name) VALUES ('Unassigned')",
        "CREATE TABLE employees_new (id INTEGER NOT NULL PRIMARY KEY, name VARCHAR(80) NOT NULL, salary INTEGER, "
        "title VARCHAR(80) DEFAULT 'Associate' NOT NULL, department_id INTEGER NOT NULL, "
        "CONSTRAINT fk_employees_department_id_departments FOREIGN KEY(department_id) REFERENCES departments (id))",
        "INSERT INTO employees_new SELECT id, name, salary, title, "
        "(SELECT id FROM departments WHERE name = 'Unassigned') FROM employees",
        "DROP TABLE employees",
        "ALTER TABLE employees_new RENAME TO employees",
    ],
    "postgresql": [
        "ALTER TABLE employees ADD COLUMN department_id INTEGER",
        "INSERT INTO departments (name) VALUES ('Unassigned')",
        "UPDATE employees SET department_id = (SELECT id FROM departments WHERE name = 'Unassigned')",
        "ALTER TABLE employees ALTER COLUMN department_id SET NOT NULL",
        "ALTER TABLE employees ADD CONSTRAINT fk_employees_department_id_departments "
        "FOREIGN KEY(department_id) REFERENCES departments (id)",
    ],
}
DEPARTMENTS_WITH_CODE = {
    "sqlite": [
        "CREATE TABLE departments_new (id INTEGER NOT NULL PRIMARY KEY, name VARCHAR(80) NOT NULL, "
        "location VARCHAR(120), budget INTEGER, code VARCHAR(10) NOT NULL, "
        "CONSTRAINT uq_departments_name UNIQUE (name), CONSTRAINT uq_departments_code UNIQUE (code))",
        "INSERT INTO departments_new SELECT id, name, location, budget, 'D' || id FROM departments",
        "DROP TABLE departments",
        "ALTER TABLE departments_new RENAME TO departments",
    ],
    "postgresql": [
        "ALTER TABLE departments ADD COLUMN code VARCHAR(10)",
        "UPDATE departments SET code = 'D' || id",
        "ALTER TABLE departments ALTER COLUMN code SET NOT NULL",
        "ALTER TABLE departments ADD CONSTRAINT uq_departments_code UNIQUE (code)",
    ],
}


def _both(*statements):
    return {"sqlite": list(statements), "postgresql": list(statements)}


FLOORS = {
    "b1f3c2a9d401": _both("CREATE TABLE employees (id INTEGER NOT NULL PRIMARY KEY, name VARCHAR(80) NOT NULL, "
                          "salary INTEGER)"),
    "c2d4e6f8a002": _both("CREATE TABLE department (id INTEGER NOT NULL PRIMARY KEY, name VARCHAR(80) NOT NULL, "
                          "address VARCHAR(120))"),
    "d3e5f7a9b003": _both("ALTER TABLE department RENAME TO departments"),
    "e4f6a8b0c004": _both("ALTER TABLE departments RENAME COLUMN address TO location"),
    "f5a7b9c1d006": _both("ALTER TABLE employees ADD COLUMN title VARCHAR(80) DEFAULT 'Associate' NOT NULL"),
    "a6b8c0d2e007": {"sqlite": ["CREATE UNIQUE INDEX uq_departments_name ON departments (name)"],
                     "postgresql": ["ALTER TABLE departments ADD CONSTRAINT uq_departments_name UNIQUE (name)"]},
    "b7c9d1e3f008": EMPLOYEES_WITH_DEPARTMENT,
    "d9e1f3a5b010": _both("ALTER TABLE employees ADD COLUMN email VARCHAR(120)"),
    "c8d0e2f4a010": _both("ALTER TABLE departments ADD COLUMN budget INTEGER"),
    "f1a3b5c7d011": DEPARTMENTS_WITH_CODE,
}

# The naive upgrade() each lesson warns against, put in place of the reference migration's own
# (its header and downgrade() stay), and what it does, for the report.
NAIVE = {
    "d3e5f7a9b003": ("create the new table, copy the rows, drop the old one", """
def upgrade():
    op.create_table('departments',
                    sa.Column('id', sa.Integer(), nullable=False),
                    sa.Column('name', sa.String(length=80), nullable=False),
                    sa.Column('address', sa.String(length=120), nullable=True),
                    sa.PrimaryKeyConstraint('id'))
    op.execute('INSERT INTO departments (id, name, address) SELECT id, name, address FROM department')
    op.drop_table('department')
"""),
    "e4f6a8b0c004": ("batch mode with recreate='always': the table copied for a rename", """
def upgrade():
    with op.batch_alter_table('departments', recreate='always') as batch_op:
        batch_op.alter_column('address', new_column_name='location',
                              existing_type=sa.String(length=120), existing_nullable=True)
"""),
    "f5a7b9c1d006": ("add the column nullable, fill it row by row from Python, then NOT NULL", """
def upgrade():
    op.add_column('employees', sa.Column('title', sa.String(length=80), nullable=True))
    connection = op.get_bind()
    for (employee_id,) in connection.execute(sa.text('SELECT id FROM employees')).all():
        connection.execute(sa.text('UPDATE employees SET title = :title WHERE id = :id'),
                           {'title': 'Associate', 'id': employee_id})
    with op.batch_alter_table('employees', schema=None) as batch_op:
        batch_op.alter_column('title', existing_type=sa.String(length=80), nullable=False,
                              server_default='Associate')
"""),
    "b7c9d1e3f008": ("the backfill row by row from Python, the id read first", """
def upgrade():
    with op.batch_alter_table('employees', schema=None) as batch_op:
        batch_op.add_column(sa.Column('department_id', sa.Integer(), nullable=True))
    connection = op.get_bind()
    connection.execute(sa.text("INSERT INTO departments (name) VALUES (:name)"), {'name': UNASSIGNED})
    department_id = connection.execute(sa.text("SELECT id FROM departments WHERE name = :name"),
                                       {'name': UNASSIGNED}).scalar_one()
    for (employee_id,) in connection.execute(sa.text('SELECT id FROM employees')).all():
        connection.execute(sa.text('UPDATE employees SET department_id = :department WHERE id = :id'),
                           {'department': department_id, 'id': employee_id})
    with op.batch_alter_table('employees', schema=None) as batch_op:
        batch_op.alter_column('department_id', existing_type=sa.Integer(), nullable=False)
        batch_op.create_foreign_key(batch_op.f('fk_employees_department_id_departments'),
                                    'departments', ['department_id'], ['id'])
"""),
}
# The naive migrations that touch one row per statement from Python: minutes at a million rows.
ROW_BY_ROW = {"f5a7b9c1d006", "b7c9d1e3f008"}


def write_naive(versions):
    """Put the naive upgrade() into the copies of the reference migrations in `versions`."""
    for revision, (_, upgrade) in NAIVE.items():
        path = next(versions.glob(f"{revision}_*.py"))
        text = path.read_text()
        path.write_text(text[:text.index("def upgrade():")] + upgrade.lstrip("\n") + "\n\n"
                        + text[text.index("def downgrade():"):])

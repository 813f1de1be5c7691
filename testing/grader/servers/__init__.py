"""Database servers and scratch databases: PostgreSQL and MariaDB started for a grade (postgres.py,
mariadb.py), a database and a login of its own for each grade (databases.py, roles.py), and the
grader's own connections that never wait past a deadline (bounded.py)."""

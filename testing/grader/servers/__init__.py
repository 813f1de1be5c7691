"""Database servers and scratch databases: which servers a grade needs, reused or started (supply.py:
PostgreSQL and MariaDB in postgres.py, mariadb.py), a database and a login of its own for each grade
(databases.py, roles.py), whose names say which process made them (owners.py), and the grader's own
connections that never wait past a deadline (bounded.py)."""

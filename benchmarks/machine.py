"""What the figures were measured on: machine, versions and date, as Markdown lines."""
import os
import platform
import sqlite3
from datetime import UTC, datetime
from importlib.metadata import version


def _cpu():
    try:
        for line in open("/proc/cpuinfo", encoding="utf-8"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def description():
    libraries = ", ".join(f"{name} {version(name)}" for name in
                          ("flask", "flask-sqlalchemy", "flask-migrate", "alembic", "sqlalchemy", "pytest-alembic"))
    return (f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {_cpu()} ({os.cpu_count()} cores), "
            f"{platform.system()} {platform.release()}, Python {platform.python_version()}, "
            f"SQLite {sqlite3.sqlite_version}; {libraries}.")

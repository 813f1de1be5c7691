"""Grade a whole cohort: every subfolder of a folder is one learner's submission.

    learners = submissions("cohort/", Shard.parse("2/4"))
    rows = grade_all(learners, jobs=2, up_to_step=None, database="sqlite")

Each submission is graded by `testing.grader.grade()` in a process of its own, `jobs` at a time:
a submission that hangs holds one process for its own time limits, and one that crashes the
grader becomes a "not graded" row; neither stops or slows the others. A database server the
cohort started that stops answering (a crash) is started again, and the grades that met it
stopped are made again, once.
"""
import multiprocessing
import os
import signal
import tempfile
from collections.abc import Callable, Collection
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from pathlib import Path

from .command_errors import Unavailable, UsageError
from .course import DATABASE_NAMES
from .gradebook import Row, row_from_report, row_not_graded
from .grader import (
    DEFAULT_TIME_LIMIT,
    bubblewrap,
    grade,
    graded_steps,
    scratch_database,
    servers_needed,
    servers_running,
)

STOP_WAIT = 10  # seconds a grade gets to clean up after Ctrl-C before it is killed


@dataclass(frozen=True)
class Submission:
    learner: str  # the subfolder's name
    server_dir: Path
    folder: Path  # the subfolder itself


@dataclass(frozen=True)
class Shard:
    """The `index`-th of `count` shares of a cohort (1-based), for runners that grade one each."""
    index: int
    count: int

    @classmethod
    def parse(cls, text: str) -> "Shard":
        index, _, count = text.partition("/")
        if not (index.isdigit() and count.isdigit() and 1 <= int(index) <= int(count)):
            raise UsageError(f"--shard {text}: write I/N with 1 <= I <= N, e.g. --shard 2/4")
        return cls(int(index), int(count))

    def picks(self, position: int) -> bool:
        """Whether the learner at `position` of the sorted names is in this share: every count-th one."""
        return position % self.count == self.index - 1


def submissions(folder: Path | str, shard: Shard | None = None) -> list[Submission]:
    """The learners of `folder`, sorted by name; a clone of the course is graded by its server/."""
    folder = Path(folder)
    if not folder.is_dir():
        raise UsageError(f"no such cohort folder: {folder}")
    learners = sorted(path for path in folder.iterdir() if path.is_dir() and not path.name.startswith("."))
    if not learners:
        raise UsageError(f"{folder} has no subfolders: put one folder per learner in it")
    every = [Submission(path.name, path / "server" if (path / "server").is_dir() else path, path) for path in learners]
    # A class always has some app.py (every clone of the course starts with one): a folder with none
    # is most likely the wrong folder, and a gradebook of zeros would not say so.
    if not any((learner.server_dir / "app.py").is_file() for learner in every):
        raise UsageError(f"none of the {len(every)} subfolders of {folder} holds app.py or server/app.py: "
                         "give the folder that holds one folder per learner")
    return [learner for position, learner in enumerate(every) if shard is None or shard.picks(position)]


def default_jobs() -> int:
    """One job per core this process may use."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def grade_all(learners: list[Submission], jobs: int, up_to_step: int | None = None, database: str = "sqlite",
              time_limit: float = DEFAULT_TIME_LIMIT, on_graded: Callable[[Row], None] | None = None,
              notice: Callable[[str], None] | None = None) -> list[Row]:
    """One Row per submission, in the order given; `on_graded(row)` is called as each one finishes,
    and `notice(line)` when a class's server could not be started, or is started again."""
    if jobs < 1:
        raise UsageError(f"--jobs {jobs}: grade at least one submission at a time")
    steps = [step.number for step in graded_steps(up_to_step)]
    options = {"up_to_step": up_to_step, "database": database, "time_limit": time_limit}
    # fork: a grading process starts in milliseconds, with the grader already imported.
    context = multiprocessing.get_context("fork")
    waiting = list(reversed(learners))
    running: dict[Connection, tuple[Submission, BaseProcess, int]] = {}  # a grade's pipe -> it, servers.restarts then
    graded_again: set[str] = set()
    rows = {}
    classes = sorted({learner.folder.resolve().parent for learner in learners})  # every learner's work is there
    bubblewrap.availability()  # tried once here, so that no grading process forked below tries it again
    # One PostgreSQL and one MariaDB for the whole class when its steps need them, not one per
    # learner; each grade still makes a database and a login of its own there (grader/servers/roles.py).
    # A server that cannot start here is left to each grade, which reports it as a single `grade` does.
    with _ClassServers(servers_needed(graded_steps(up_to_step), database), notice) as servers:
        try:
            while waiting or running:
                while waiting and len(running) < jobs:
                    learner = waiting.pop()
                    receiver, sender = context.Pipe(duplex=False)
                    process: BaseProcess = context.Process(target=_grade_one,
                                                           args=(learner, options, steps, sender, classes))
                    process.start()
                    sender.close()  # the child holds the only sending end: its death reads as EOF
                    running[receiver] = (learner, process, servers.restarts)
                ready = set(wait(list(running)))
                for receiver in [pipe for pipe in running if pipe in ready]:
                    learner, process, restarts = running.pop(receiver)
                    answer = _answer(receiver, learner, process, steps)
                    if answer.server_trouble and restarts == servers.restarts:  # not seen since it began
                        servers.start_again_the_stopped()
                    if answer.server_trouble and restarts < servers.restarts and learner.learner not in graded_again:
                        graded_again.add(learner.learner)  # it met a server that has been started again since
                        waiting.append(learner)
                        continue
                    rows[learner.learner] = answer.row
                    if on_graded:
                        on_graded(answer.row)
        finally:
            for _, process, _ in running.values():
                _stop(process)
    return [rows[learner.learner] for learner in learners]


@dataclass(frozen=True)
class _Answer:
    """What a grading process sends back: the learner's row, and whether the grade stopped because
    a database server could not be used (the message says which and why)."""
    row: Row
    server_trouble: bool = False


class _ClassServers:
    """A server of each kind the class needs, for the whole cohort: the one named, or one started now.
    One the cohort started that stops answering (MariaDB 10.11 once segfaulted mid-grade here) is
    started again; `restarts` counts that, so that the grades begun before can be made again."""

    def __init__(self, kinds: Collection[str], notice: Callable[[str], None] | None) -> None:
        self._kinds = sorted(kinds)
        self._notice = notice
        self._held: dict[str, tuple[ExitStack, str | None]] = {}  # kind -> what stops it, and its URL
        self.restarts = 0

    def __enter__(self) -> "_ClassServers":
        with ThreadPoolExecutor(max(len(self._kinds), 1)) as pool:  # seconds each: all at once
            starting = {kind: pool.submit(_held_server, kind) for kind in self._kinds}
        for kind, future in starting.items():  # kept first, so that a failure below stops them
            if future.exception() is None:
                self._held[kind] = future.result()
        failed = [error for future in starting.values() if (error := future.exception()) is not None]
        if failed:
            self.__exit__(None, None, None)
            raise failed[0]
        for kind, (_stack, url) in self._held.items():
            if url is None:
                self._tell(f"The class's {DATABASE_NAMES[kind]} server could not be started: each learner's grade "
                           "tries to start one of its own.")
        return self

    def __exit__(self, *_: object) -> None:
        for stack, _url in self._held.values():
            stack.close()

    def start_again_the_stopped(self) -> None:
        """Each server of the class that no longer answers is stopped and a new one started. A
        server named by URL is not the cohort's to start: it is tried again as it is."""
        for kind, (stack, url) in list(self._held.items()):
            if url is None or _server_answers(kind):
                continue
            # A new server takes seconds to start: said first, so that the progress bar's pause is not silent.
            self._tell(f"The class's {DATABASE_NAMES[kind]} server stopped answering: trying to start it again...")
            stack.close()
            self._held[kind] = _held_server(kind)
            if self._held[kind][1] not in (None, url) and _server_answers(kind):  # a named one keeps its URL
                self.restarts += 1
                self._tell(f"The class's {DATABASE_NAMES[kind]} server stopped answering: started a new one; "
                           "the grades that met it stopped are made again.")

    def _tell(self, line: str) -> None:
        if self._notice:
            self._notice(line)


def _held_server(kind: str) -> tuple[ExitStack, str | None]:
    """The `kind` server for the class and what stops it; its URL, None where the machine has none."""
    stack = ExitStack()
    urls = stack.enter_context(servers_running({kind}, missing_ok=True))
    return stack, urls.get(kind)


def _server_answers(kind: str) -> bool:
    """Whether the class's `kind` server lets the grader make (and drop) a database on it."""
    try:
        with scratch_database(kind, Path(tempfile.gettempdir())):
            return True
    except Unavailable:
        return False


def _grade_one(learner, options, steps, sender, hidden):
    """In the child process: grade one submission and send its row. The learner's code sees none of
    the `hidden` folders (the classmates' work), where the OS sandbox runs."""
    for folder in hidden:
        bubblewrap.hide(folder)
    try:
        answer = _Answer(row_from_report(learner.learner, grade(learner.server_dir, **options)))
    except UsageError as problem:
        answer = _Answer(row_not_graded(learner.learner, steps, str(problem)))
    except Unavailable as problem:  # a server that is not there, or that stopped mid-grade
        answer = _Answer(row_not_graded(learner.learner, steps, str(problem)), server_trouble=True)
    except KeyboardInterrupt:  # Ctrl-C reaches every process of the terminal: the parent reports it
        return
    except Exception as exc:  # a grader bug on one submission must not cost the others their grade
        answer = _Answer(row_not_graded(learner.learner, steps, f"the grader failed: {type(exc).__name__}: {exc}"))
    sender.send(answer)
    sender.close()


def _answer(receiver: Connection, learner: Submission, process: BaseProcess, steps: list[int]) -> _Answer:
    try:
        answer = receiver.recv()
    except EOFError:
        answer = None
    receiver.close()
    process.join()
    if not isinstance(answer, _Answer):
        stopped = f"the grading process stopped (exit code {process.exitcode})"
        return _Answer(row_not_graded(learner.learner, steps, stopped))
    return answer


def _stop(process):
    """Let a grade clean up its worker and scratch files (it sees Ctrl-C), then make sure it ends."""
    if process.is_alive():
        os.kill(process.pid, signal.SIGINT)
        process.join(STOP_WAIT)
    if process.is_alive():
        process.kill()
    process.join()

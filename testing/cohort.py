"""Grade a whole cohort: every subfolder of a folder is one learner's submission.

    learners = submissions("cohort/", Shard.parse("2/4"))
    rows = grade_all(learners, jobs=2, up_to_step=None, database="sqlite")

Each submission is graded by `testing.grader.grade()` in a process of its own, `jobs` at a time:
a submission that hangs holds one process for its own time limits, and one that crashes the
grader becomes a "not graded" row; neither stops or slows the others.
"""
import multiprocessing
import os
import signal
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from pathlib import Path

from .command_errors import Unavailable, UsageError
from .gradebook import Row, row_from_report, row_not_graded
from .grader import DEFAULT_TIME_LIMIT, bubblewrap, grade, graded_steps, servers_needed, servers_running

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
              time_limit: float = DEFAULT_TIME_LIMIT, on_graded: Callable[[Row], None] | None = None) -> list[Row]:
    """One Row per submission, in the order given; `on_graded(row)` is called as each one finishes."""
    if jobs < 1:
        raise UsageError(f"--jobs {jobs}: grade at least one submission at a time")
    steps = [step.number for step in graded_steps(up_to_step)]
    options = {"up_to_step": up_to_step, "database": database, "time_limit": time_limit}
    # fork: a grading process starts in milliseconds, with the grader already imported.
    context = multiprocessing.get_context("fork")
    waiting = list(reversed(learners))
    running: dict[Connection, tuple[Submission, BaseProcess]] = {}  # the pipe a grade answers on -> its grade
    rows = {}
    classes = sorted({learner.folder.resolve().parent for learner in learners})  # every learner's work is there
    bubblewrap.availability()  # tried once here, so that no grading process forked below tries it again
    # One PostgreSQL and one MariaDB for the whole class when its steps need them, not one per
    # learner; each grade still makes a database and a login of its own there (grader/servers/roles.py).
    # A server that cannot start here is left to each grade, which reports it as a single `grade` does.
    with servers_running(servers_needed(graded_steps(up_to_step), database), missing_ok=True):
        try:
            while waiting or running:
                while waiting and len(running) < jobs:
                    learner = waiting.pop()
                    receiver, sender = context.Pipe(duplex=False)
                    process: BaseProcess = context.Process(target=_grade_one,
                                                           args=(learner, options, steps, sender, classes))
                    process.start()
                    sender.close()  # the child holds the only sending end: its death reads as EOF
                    running[receiver] = (learner, process)
                ready = set(wait(list(running)))
                for receiver in [pipe for pipe in running if pipe in ready]:
                    learner, process = running.pop(receiver)
                    rows[learner.learner] = _answer(receiver, learner, process, steps)
                    if on_graded:
                        on_graded(rows[learner.learner])
        finally:
            for _, process in running.values():
                _stop(process)
    return [rows[learner.learner] for learner in learners]


def _grade_one(learner, options, steps, sender, hidden):
    """In the child process: grade one submission and send its row. The learner's code sees none of
    the `hidden` folders (the classmates' work), where the OS sandbox runs."""
    for folder in hidden:
        bubblewrap.hide(folder)
    try:
        row = row_from_report(learner.learner, grade(learner.server_dir, **options))
    except (UsageError, Unavailable) as problem:
        row = row_not_graded(learner.learner, steps, str(problem))
    except KeyboardInterrupt:  # Ctrl-C reaches every process of the terminal: the parent reports it
        return
    except Exception as exc:  # a grader bug on one submission must not cost the others their grade
        row = row_not_graded(learner.learner, steps, f"the grader failed: {type(exc).__name__}: {exc}")
    sender.send(row)
    sender.close()


def _answer(receiver, learner, process, steps):
    try:
        row = receiver.recv()
    except EOFError:
        row = None
    receiver.close()
    process.join()
    if not isinstance(row, Row):
        return row_not_graded(learner.learner, steps, f"the grading process stopped (exit code {process.exitcode})")
    return row


def _stop(process):
    """Let a grade clean up its worker and scratch files (it sees Ctrl-C), then make sure it ends."""
    if process.is_alive():
        os.kill(process.pid, signal.SIGINT)
        process.join(STOP_WAIT)
    if process.is_alive():
        process.kill()
    process.join()

"""How a course command ends when it is asked to (Ctrl-C, SIGTERM): through its clean-up, so that a
database server it started is stopped and its scratch folders are deleted.

Python turns Ctrl-C into KeyboardInterrupt, which unwinds every `with` block; SIGTERM (`kill`,
`timeout`, a cancelled CI job) would end the process at once, so a command makes it unwind the same way.
"""
import os
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

TERMINATED = 128 + signal.SIGTERM  # the exit code a shell gives a command that SIGTERM ended
ASKING_TO_END = (signal.SIGINT, signal.SIGTERM)


def end_through_clean_up_on_sigterm() -> None:
    """From now on SIGTERM raises SystemExit(TERMINATED) in the main thread. A grading process that
    --cohort forks inherits this: multiprocessing ends it with that exit code, after its own clean-up."""
    signal.signal(signal.SIGTERM, _terminated)


def _terminated(signum: int, frame: FrameType | None) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # a second SIGTERM ends the command at once
    raise SystemExit(TERMINATED)


@contextmanager
def held() -> Iterator[None]:
    """Ctrl-C and SIGTERM wait until the block is done, then take effect as they would have: for a step
    that nothing could undo if it stopped halfway (a server's start: what stops it is the handle that
    the start returns). Signal handlers run in the main thread only: elsewhere the block is as it is."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    arrived: list[int] = []
    before = {number: signal.signal(number, lambda signum, frame: arrived.append(signum))
              for number in ASKING_TO_END}
    try:
        yield
    finally:
        for number, handler in before.items():
            signal.signal(number, handler)
        for signum in dict.fromkeys(arrived):
            _deliver(signum, before[signal.Signals(signum)])


def _deliver(number: int, handler: object) -> None:
    if callable(handler):
        handler(number, None)  # KeyboardInterrupt, or SystemExit(TERMINATED)
    elif handler == signal.SIG_DFL:
        os.kill(os.getpid(), number)

"""Whether a write reached a SQLite file while one command ran, as the kernel saw it (Linux inotify),
whatever the learner's process says.

SQLite, in its default rollback-journal mode, creates `<file>-journal` before it changes the first
page of a write transaction, and deletes it when the transaction ends, committed or rolled back; a
committed change also writes the file itself. A statement that changes nothing (an UPDATE of no
rows) touches neither. In write-ahead-log mode a transaction rolled back leaves no trace on disk, so
there, as where inotify is missing, nothing can be witnessed.

    with watching(Path("scratch.db")) as watch:
        ...                          # the learner's process runs one command
    watch.witness                    # FailureWitness.WRITTEN, NOTHING, or why it could not be seen
"""
import ctypes
import os
import struct
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from ..facts import FailureWitness

IN_MODIFY, IN_CREATE, IN_Q_OVERFLOW = 0x2, 0x100, 0x4000
EVENT_HEADER = struct.Struct("iIII")  # struct inotify_event: wd, mask, cookie, len; then the name
WAL_MODE = b"\x02\x02"  # the header's read and write versions (bytes 18 and 19) in write-ahead-log mode


@dataclass
class Watch:
    witness: FailureWitness | None = None


@contextmanager
def watching(database: Path | None) -> Iterator[Watch]:
    """Watch the folder of the SQLite file `database` while the block runs; the Watch's `witness` says,
    after it, what reached the file (None when `database` is None: not SQLite)."""
    watch = Watch()
    descriptor = _inotify(database.parent) if database else None
    if database is None or descriptor is None:
        watch.witness = None if database is None else FailureWitness.NO_INOTIFY
        yield watch
        return
    try:
        yield watch
        watch.witness = FailureWitness.WAL if _in_wal_mode(database) else _written(descriptor, database.name)
    finally:
        os.close(descriptor)


def _written(descriptor: int, name: str) -> FailureWitness:
    """WRITTEN once an event names the file or its journal, read to the end of the queue or to an
    overflow (a flood of other files in the folder: the events before it are still there)."""
    ours = {name, f"{name}-journal", f"{name}-wal"}
    while True:
        try:
            events = os.read(descriptor, 64 * 1024)
        except BlockingIOError:
            return FailureWitness.NOTHING
        offset = 0
        while offset < len(events):
            _, mask, _, length = EVENT_HEADER.unpack_from(events, offset)
            start = offset + EVENT_HEADER.size
            offset = start + length
            if mask & IN_Q_OVERFLOW:
                return FailureWitness.NOTHING
            if os.fsdecode(events[start:offset].rstrip(b"\0")) in ours:
                return FailureWitness.WRITTEN


def _inotify(folder: Path) -> int | None:
    """A non-blocking inotify descriptor watching files made or written in `folder`; None where the
    system has none (not Linux) or refuses one more (its limit of instances)."""
    if sys.platform != "linux":
        return None
    libc = ctypes.CDLL(None, use_errno=True)
    descriptor: int = libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
    if descriptor < 0:
        return None
    if libc.inotify_add_watch(descriptor, os.fsencode(folder), IN_MODIFY | IN_CREATE) < 0:
        os.close(descriptor)
        return None
    return descriptor


def _in_wal_mode(database: Path) -> bool:
    try:
        with open(database, "rb") as file:
            return file.read(20)[18:20] == WAL_MODE
    except OSError:
        return False

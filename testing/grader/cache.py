"""Grading results kept between runs of `lesson`, keyed by everything they depend on.

The key of one database's result is a hash of: the course's own files (its version), every file
of the learner's server folder that grading copies, the learner's own database where it is
compared, the steps, the database and the time limit. The same key means the same result, so a
repeated `lesson status` re-grades only the databases whose inputs changed. A result that depends
on the machine's state at the time (a time limit reached, a server not installed) is never kept.
"""
import functools
import hashlib
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from ..course import LESSONS_DIR, REPO_ROOT, Step
from . import codec
from .boundary.fingerprint import content_digest, walk_files
from .boundary.scratch_copy import LEFT_BEHIND, LEFT_BEHIND_SUFFIXES
from .facts import Facts, OtherDatabase, StopReason

T = TypeVar("T")
GRADE_DEPENDS_ON = ("testing", "Pipfile.lock")  # and the lessons, wherever COURSE_LESSONS_DIR puts them


class ReportCache:
    """ReportCache(folder); ReportCache(None) keeps nothing (the `grade` command, the tests)."""

    def __init__(self, folder: Path | str | None) -> None:
        self.folder = Path(folder) if folder else None

    def key(self, server_dir: Path | str, database: str, steps: list[Step], time_limit: float,
            learner_database: Path | None, cut: tuple[str, ...] = ()) -> str | None:
        """`cut`: the migration files left out of the walk, whose models.py is then the course's: a
        change to them, or to the learner's models.py, does not change what is walked."""
        if self.folder is None:
            return None
        digest = hashlib.sha256()
        left_out = {*cut, "models.py"} if cut else set()
        parts = [course_version(), database, time_limit, [(step.number, list(step.checks)) for step in steps],
                 bool(os.environ.get("DATABASE_URL")), files_digest(Path(server_dir), left_out=left_out),
                 content_digest(learner_database) if learner_database else None]
        digest.update(json.dumps(parts, default=str).encode())
        return f"{database}-{digest.hexdigest()[:24]}"

    def facts(self, key: str | None) -> Facts | None:
        """The facts kept under `key`, or None: kept by an older grader, they may not decode (a miss)."""
        return self._typed(key, "facts", Facts.from_dict)

    def keep_facts(self, key: str | None, facts: Facts) -> None:
        if facts.stopped and facts.stopped.reason in (StopReason.TIME_LIMIT, StopReason.DATABASE_HELD) \
                or facts.changed_outside or facts.machine_dependent \
                or any(run.seen.troubled for run in facts.traffic):
            return  # a slow moment of the machine, a change to investigate, or what live requests happened
            # to meet (a verdict timing decided): grade again next time
        self.write(key, "facts", facts.to_dict())

    def report(self, key: str | None) -> OtherDatabase | None:
        """What grading on another database found (an OtherDatabase), or None."""
        return self._typed(key, "report", lambda data: codec.typed(OtherDatabase, data))

    def keep_report(self, key: str | None, found: OtherDatabase) -> None:
        self.write(key, "report", codec.plain(found))

    def _typed(self, key: str | None, kind: str, decode: Callable[[object], T]) -> T | None:
        data = self.read(key, kind)
        try:
            return decode(data) if data is not None else None
        except codec.FactsError:
            return None

    def read(self, key: str | None, kind: str) -> object:
        if key is None or self.folder is None:
            return None
        try:
            return json.loads((self.folder / f"{kind}-{key}.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    def write(self, key: str | None, kind: str, data: object) -> None:
        if key is None or self.folder is None:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        database = key.split("-", 1)[0]
        for old in self.folder.glob(f"{kind}-{database}-*.json"):  # only the newest result is kept
            old.unlink(missing_ok=True)
        path = self.folder / f"{kind}-{key}.json"
        temporary = path.with_suffix(".tmp")
        temporary.write_text(json.dumps(data), encoding="utf-8")
        temporary.replace(path)  # whole or not at all, even if killed midway


@functools.cache
def course_version() -> str:
    """A hash of the course's own files: a course update makes every kept result stale."""
    return files_digest(REPO_ROOT, only=GRADE_DEPENDS_ON) + files_digest(LESSONS_DIR)


def files_digest(folder: Path | str, only: tuple[str, ...] | None = None,
                 left_out: set[str] | frozenset[str] = frozenset()) -> str:
    """A hash of the files under `folder` that grading would copy, by name and contents; `only`:
    the names at the top of `folder` to look at; `left_out`: relative paths not to look at."""
    digest = hashlib.sha256()
    for path in sorted(walk_files(folder, skip=LEFT_BEHIND)):
        relative = os.path.relpath(path, folder)
        if path.endswith(LEFT_BEHIND_SUFFIXES) or (only is not None and relative.split(os.sep)[0] not in only) \
                or relative in left_out:
            continue
        digest.update(relative.encode() + b"\0" + content_digest(path).encode())
    return digest.hexdigest()

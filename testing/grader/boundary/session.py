"""One grading session: a scratch copy, a scratch database, the learner's process, and the walk.

The order matters. The submission is copied and fingerprinted before any of the learner's code
runs; the learner's process imports the app and the migration files (LOAD), after which the grader
reads the chain from the files as written (chain.py: nothing imported) — the fingerprint, checked
after every command, proves they are the files that were submitted. Then the grader walks the chain
(walk.py), reading the database itself after every command.
"""
from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Collection
from pathlib import Path
from typing import TYPE_CHECKING

from .. import codec
from ..facts import Facts, Stop
from ..servers.databases import scratch_database, server_socket, through_socket
from . import bubblewrap
from .containment import choose_isolation
from .fingerprint import course_and_packages
from .modes import Mode
from .paths import in_learner_terms
from .protocol import Stopped
from .sandbox import sandbox
from .supervisor import LearnerProcess

if TYPE_CHECKING:  # SQLAlchemy loads while the learner's process starts (below)
    import sqlalchemy as sa

TOTAL_LIMIT_FACTOR = 8  # the whole session may take this many single time limits, whatever happens


def run(server_dir: Path | str, database: str, time_limit: float,
        states: dict[int, sa.MetaData] | Callable[[], dict[int, sa.MetaData]] | None = None,
        probe_steps: Collection[int] = (), mode: Mode = Mode.GRADE, learner_database: Path | None = None,
        progress: Callable[[str], None] | None = None, stand_in: tuple[str, str] | None = None,
        cut: Collection[str] = (), cut_models: Path | None = None, graded: list[int] | None = None) -> Facts:
    """Walk the chain in `server_dir` and return what was found. `states`: {step: MetaData} of the
    lessons to compare with (or a function that loads it); `graded`: the steps graded (all of `states`
    when None); `probe_steps`: steps whose migration is made to fail on purpose.
    `mode` (modes.py) FAULTS: instead of grading, make every revision fail after each of its writes; CHANGES:
    only climb, saying what each revision changed. `learner_database`: the learner's own SQLite
    file, compared (as a copy) with what the chain builds at its alembic_version. `stand_in`:
    (relative path, text) of a file the grader adds to the copy (standin.py); `cut`: migration files
    left out of the copy, whose models.py is then `cut_models` (Part 3's, graded apart)."""
    facts = Facts()
    watched = None
    with sandbox(server_dir) as box, tempfile.TemporaryDirectory(prefix="grade-yours-") as private:
        facts.not_copied = tuple(box.notes)
        if stand_in:
            (box.copy / stand_in[0]).write_text(stand_in[1], encoding="utf-8")
        for file in cut:
            (box.copy / file).unlink()
        if cut_models:
            shutil.copyfile(cut_models, box.copy / "models.py")
        # A copy (the learner's file is only ever read, here), kept out of the folder handed to the
        # learner's code: run as another user, that code cannot reach it.
        if learner_database:
            learner_database = shutil.copyfile(learner_database, Path(private) / "learner.db")
        with scratch_database(database, box.workdir, progress) as scratch:
            url = scratch.url
            learner_url, socket = url, server_socket(url)
            if socket:  # the sandbox has no network: the server's socket, linked into the scratch folder
                linked = bubblewrap.socket_inside(socket, box.workdir)
                learner_url = through_socket(url, linked) if linked else url
            isolation = choose_isolation(database, reachable=database == "sqlite" or learner_url != url)
            facts.isolation = isolation.why
            # Where the learner's code runs as the grader's own user, what it could change is fingerprinted
            # (not the learner's own folder: they may well save a file while `lesson watch` grades).
            watched = None if isolation.separate else course_and_packages()
            learner = LearnerProcess(box.copy, box.workdir, learner_url, isolation, time_limit,
                                     max(time_limit * TOTAL_LIMIT_FACTOR, 20), progress)
            with learner:
                try:
                    # SQLAlchemy, Alembic and the lesson states load while the learner's process starts.
                    from .inspection import inspect_learner

                    states = states() if callable(states) else states or {}
                    inspect_learner(learner, facts, box, scratch, states, probe_steps, mode, learner_database,
                                    graded)
                except Stopped as stopped:
                    facts.stopped = codec.typed(Stop, stopped.as_fact(), "stopped")
        facts = in_learner_terms(facts, {box.copy: Path(server_dir), box.workdir: None})
    if watched:
        facts.changed_outside = tuple(course_and_packages(watched.roots).changed_since(watched))
    return facts



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
from collections.abc import Callable
from pathlib import Path

from .. import codec
from ..facts import Facts, Stop
from ..servers.databases import scratch_database, server_socket, through_socket
from . import bubblewrap
from .containment import choose_isolation
from .fingerprint import course_and_packages
from .paths import in_learner_terms
from .protocol import Command, Op, Stopped
from .request import Request
from .scratch_copy import scratch_copy
from .supervisor import LearnerProcess

TOTAL_LIMIT_FACTOR = 8  # the whole session may take this many single time limits, whatever happens


def run(request: Request, progress: Callable[[str], None] | None = None) -> Facts:
    """Do what `request` asks with the chain in its folder and return what was found; `progress`
    hears what is being done."""
    facts = Facts()
    watched = None
    database, time_limit = request.database, request.time_limit
    with scratch_copy(request.server_dir) as box, tempfile.TemporaryDirectory(prefix="grade-yours-") as private:
        facts.not_copied = tuple(box.notes)
        if request.stand_in:
            (box.copy / request.stand_in[0]).write_text(request.stand_in[1], encoding="utf-8")
        for file in request.cut:
            (box.copy / file).unlink()
        if request.cut_models:
            shutil.copyfile(request.cut_models, box.copy / "models.py")
        # A copy (the learner's file is only ever read, here), kept out of the folder handed to the
        # learner's code: run as another user, that code cannot reach it.
        learner_database = request.learner_database and shutil.copyfile(request.learner_database,
                                                                         Path(private) / "learner.db")
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
                    # The learner's process starts and imports app.py while SQLAlchemy, Alembic and the lesson
                    # states load here: inspect_learner reads its answer.
                    learner.send(Command(Op.LOAD), "importing app.py")
                    from .inspection import inspect_learner

                    states = request.states() if request.states else {}
                    inspect_learner(learner, facts, box, scratch, request, states, learner_database)
                except Stopped as stopped:
                    facts.stopped = codec.typed(Stop, stopped.as_fact(), "stopped")
        facts = in_learner_terms(facts, {box.copy: Path(request.server_dir), box.workdir: None})
    if watched:
        facts.changed_outside = tuple(course_and_packages(watched.roots).changed_since(watched))
    return facts



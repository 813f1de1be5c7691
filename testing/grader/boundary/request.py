"""What the plan asks of one session: which folder, on which database, to do what with its chain
(session.py runs it, inspection.py acts on it)."""
from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import sqlalchemy as sa


class Mode(enum.Enum):
    GRADE = "grade"  # walk it and record every fact a grade is judged on
    FAULTS = "faults"  # make every revision fail after each of its writes (`pipenv run faults`)
    CHANGES = "changes"  # only climb, saying what each revision changed (`lesson view`)


@dataclass(frozen=True)
class Request:
    server_dir: Path
    database: str
    time_limit: float  # seconds any one command of the learner's process may run
    mode: Mode = Mode.GRADE
    # {step: MetaData} of the lessons to compare with, loaded while the learner's process starts
    states: Callable[[], dict[int, sa.MetaData]] | None = None
    graded: tuple[int, ...] | None = None  # the steps graded; every step of `states` when None
    probe_steps: frozenset[int] = frozenset()  # steps whose migration is made to fail on purpose
    # The learner's own SQLite file, compared (as a copy) with what the chain builds at its alembic_version
    learner_database: Path | None = None
    stand_in: tuple[str, str] | None = None  # (relative path, text) of a merge the grader adds (standin.py)
    cut: tuple[str, ...] = ()  # migration files left out of the copy (Part 3's, graded apart) ...
    cut_models: Path | None = None  # ... whose models.py is then this one

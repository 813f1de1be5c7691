"""The course author's material of each step, kept in its folder: lessons/NN-*/author/.

author/step.toml says, for the course's own tests and benchmarks (the learner never sees it):

    [starting_state]    the check that grading the step's start (the step before done) fails,
                        and a piece of the message it must say
    [[mistake]]         a realistic wrong submission, made in the step's reference end state: the
                        files it changes, and the check and message piece it must get
    [benchmark.<revision id>]
                        the raw SQL that makes that reference migration's change at the least cost
                        (`floor`, one list for every database or one per dialect), and the naive
                        upgrade() the lesson warns against (`naive`, a file, with `naive_does`)

A mistake is data: `remove` (paths), then `put` (a server path = a file of author/), then
`functions` (a file whose upgrade() and downgrade() replace those of the step's first reference
migration), then `edit` ({file, old, new}: every `old` in the server file becomes `new`).
"""
import shutil
import tomllib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from . import course
from .build import build_state
from .command_errors import UsageError

MISTAKE_KEYS = {"name", "check", "message", "check_step", "database", "remove", "put", "functions", "edit"}


@dataclass(frozen=True)
class StartingState:
    check: str  # the check of the step that fails at its start
    message: str  # a piece of that check's message


@dataclass(frozen=True)
class Edit:
    file: str  # a path inside the server folder
    old: str
    new: str


@dataclass(frozen=True)
class Mistake:
    name: str
    start: int  # the step whose reference end state the mistake is made in (its folder's)
    step: int  # the step whose check fails: a broken chain fails step 01's
    check: str
    message: str  # a piece of the check's message
    database: str  # where the mistake shows (some pass on SQLite and fail on MySQL only)
    remove: tuple = ()
    put: dict = field(default_factory=dict)  # server path -> the author file put there
    functions: str | None = None  # upgrade() and downgrade(), as a learner wrote them
    edits: tuple = ()

    def build(self, folder: Path) -> Path:
        """The step's reference end state in the new folder `folder`, with the mistake made."""
        build_state(self.start, folder)
        return self.apply(folder)

    def apply(self, server: Path) -> Path:
        """Make the mistake in `server`, whatever state it is at (a later step's, say)."""
        for name in self.remove:
            if (server / name).is_dir():
                shutil.rmtree(server / name)
            else:
                (server / name).unlink()
        for name, source in self.put.items():
            shutil.copyfile(source, server / name)
        if self.functions is not None:
            with_functions(server, self.start, self.functions)
        for change in self.edits:
            edit(server / change.file, change.old, change.new)
        return server


@dataclass(frozen=True)
class Alternative:
    """What a reference migration is measured against (benchmarks/costs.py)."""
    revision: str
    floors: dict  # dialect -> [SQL statements]
    naive: str | None = None  # its upgrade() the naive way
    naive_does: str = ""
    row_by_row: bool = False  # the naive way touches one row per statement: minutes at a million rows


def migration_of(server: Path, number: int) -> Path:
    """The server folder's copy of step `number`'s first reference migration."""
    return server / "migrations" / "versions" / course.step(number).migration_files[0].name


def with_functions(server: Path, number: int, functions: str) -> None:
    """Replace upgrade() and downgrade() of step `number`'s migration with the learner's `functions`."""
    path = migration_of(server, number)
    text = path.read_text()
    path.write_text(text[: text.index("def upgrade():")] + functions)


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    if old not in text:
        raise AssertionError(f"{old!r} not in {path}")
    path.write_text(text.replace(old, new))


@cache
def _notes(step):
    path = step.author_dir / "step.toml"
    if not path.is_file():
        return {}
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as problem:
        raise UsageError(f"{path} is not valid TOML: {problem}") from None


def starting_state(step: course.Step) -> StartingState | None:
    """What grading the step's start must fail with, or None for a step that changes no file."""
    found = _notes(step).get("starting_state")
    return StartingState(found["check"], found["message"]) if found else None


def mistakes(step: course.Step) -> list[Mistake]:
    return [_mistake(step, entry) for entry in _notes(step).get("mistake", [])]


def _mistake(step, entry):
    unknown = sorted(entry.keys() - MISTAKE_KEYS)
    if unknown:
        raise UsageError(f"{step.author_dir / 'step.toml'}: mistake {entry.get('name')!r} has unknown keys "
                         f"{', '.join(unknown)}")
    functions = (step.author_dir / entry["functions"]).read_text(encoding="utf-8") if "functions" in entry else None
    return Mistake(name=entry["name"], start=step.number, step=entry.get("check_step", step.number),
                   check=entry["check"], message=entry["message"],
                   database=entry.get("database", step.database or "sqlite"),
                   remove=tuple(entry.get("remove", ())),
                   put={name: step.author_dir / source for name, source in entry.get("put", {}).items()},
                   functions=functions, edits=tuple(Edit(**change) for change in entry.get("edit", ())))


def all_mistakes(database: str | None = None) -> list[Mistake]:
    """Every step's mistakes, in step order; only those that show on `database` when given."""
    found = [mistake for step in course.steps() for mistake in mistakes(step)]
    return [mistake for mistake in found if database is None or mistake.database == database]


def mistake(name: str) -> Mistake:
    found = [each for each in all_mistakes() if each.name == name]
    if len(found) != 1:
        raise LookupError(f"{len(found)} mistakes are called {name!r} in lessons/*/author/step.toml")
    return found[0]


def alternatives() -> dict[str, Alternative]:
    """{revision id: Alternative} for every reference migration that has a benchmark entry."""
    found = {}
    for step in course.steps():
        for revision, entry in _notes(step).get("benchmark", {}).items():
            floor = entry["floor"]
            floors = floor if isinstance(floor, dict) else {"sqlite": floor, "postgresql": floor}
            naive = (step.author_dir / entry["naive"]).read_text(encoding="utf-8") if "naive" in entry else None
            found[revision] = Alternative(revision, floors, naive, entry.get("naive_does", ""),
                                          entry.get("row_by_row", False))
    return found

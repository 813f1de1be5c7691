"""Mutants of the reference migrations and models: everything a learner's file could turn into.

Each mutant changes a copy of step 04's reference end state; the grader must answer every one with
a verdict (exit 0 or 1), in the learner's words, within its time limit, and touch nothing.
"""
import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from testing import author, course
from testing.author import edit, migration_of

SEED_LINES = 6  # line deletions, chosen by a fixed seed so every run tries the same ones


def _replace_body(path, function, body):
    """Replace the body of `function` in the migration at `path` with `body` (indented lines)."""
    text = path.read_text()
    start = text.index(f"def {function}():")
    end = text.find("\ndef ", start + 1)
    end = len(text) if end == -1 else end + 1
    path.write_text(text[:start] + f"def {function}():\n{body}\n\n" + text[end:])


def _body(path, function):
    text = path.read_text()
    start = text.index(f"def {function}():") + len(f"def {function}():\n")
    end = text.find("\ndef ", start)
    return text[start:] if end == -1 else text[start:end].rstrip("\n")


def swap_bodies(server):
    path = migration_of(server, 3)
    up, down = _body(path, "upgrade"), _body(path, "downgrade")
    _replace_body(path, "upgrade", down)
    _replace_body(path, "downgrade", up)


def in_upgrade(code):
    def mutate(server):
        _replace_body(migration_of(server, 3), "upgrade",
                      f"    {code}\n    op.rename_table('department', 'departments')")
    return mutate


def write_bytes(content):
    def mutate(server):
        migration_of(server, 2).write_bytes(content)
    return mutate


def huge_migration(server):
    path = migration_of(server, 2)
    path.write_text(path.read_text() + "\n# " + "x" * 10_000_000 + "\n")


def revision_not_a_string(server):
    edit(migration_of(server, 2), "revision = 'c2d4e6f8a002'", "revision = 42")


def cycle(server):
    edit(migration_of(server, 1), "down_revision = None", "down_revision = 'e4f6a8b0c004'")


def models_raise_at_import(server):
    (server / "models.py").write_text((server / "models.py").read_text() + "\nraise SystemExit('bye')\n")


def app_exits_at_import(server):
    (server / "app.py").write_text("import os\nos._exit(0)\n")


def delete_line(relative, number):
    def mutate(server):
        path = server / relative
        lines = path.read_text().splitlines(keepends=True)
        del lines[number]
        path.write_text("".join(lines))
    return mutate


def _line_deletions():
    """A fixed sample of (file, line) across the reference migrations of steps 01-04 and models.py."""
    sources = {"models.py": course.step(4).models_path}
    sources.update({str(Path("migrations/versions") / path.name): path
                    for step in course.steps_up_to(4) for path in step.migration_files})
    candidates = [(file, number) for file, source in sources.items()
                  for number, line in enumerate(source.read_text().splitlines()) if line.strip()]
    return random.Random(4).sample(candidates, SEED_LINES)


@dataclass(frozen=True)
class Mutant:
    mutate: Callable
    says: str | None  # a piece of the message the learner must read; None: any verdict will do


STEP_02 = "migrations/versions/c2d4e6f8a002_add_department_table.py"
STEP_03 = "migrations/versions/d3e5f7a9b003_rename_department_to_departments.py"

MUTANTS = {
    "empty migration": Mutant(write_bytes(b""), f"{STEP_02} has no `revision = '...'` line"),
    "bytes that are not UTF-8": Mutant(write_bytes(b"revision = '\xe9'\n"),
                                       f"{STEP_02} line 1 is not valid Python ((unicode error)"),
    "null bytes": Mutant(write_bytes(b"\xff\xfe\x00revision = 'x'\n"),
                         f"{STEP_02} is not valid Python (source code string cannot contain null bytes)"),
    "10 MB migration": Mutant(huge_migration, "4 of 4 steps pass."),
    "upgrade and downgrade swapped": Mutant(swap_bodies, f"upgrade() of {STEP_03} failed (line 20): "
                                                         "OperationalError: no such table: departments"),
    "rename replaced by drop and create": Mutant(author.mistake("table rename as create + drop").apply,
                                                 "drops table `department` and creates `departments` empty"),
    "sys.exit() in upgrade()": Mutant(in_upgrade("import sys; sys.exit(3)"), "the code called sys.exit(3)"),
    "os._exit() in upgrade()": Mutant(in_upgrade("import os; os._exit(0)"),
                                      f"upgrade of {STEP_03} ended the grading process (exit code 0)"),
    "infinite loop in upgrade()": Mutant(in_upgrade("while True: pass"),
                                         f"upgrade of {STEP_03} did not finish within 3.0 seconds"),
    "huge print in upgrade()": Mutant(in_upgrade("print('x' * 50_000_000)"), "4 of 4 steps pass."),
    "KeyboardInterrupt in upgrade()": Mutant(in_upgrade("raise KeyboardInterrupt"),
                                             "failed (line 20): KeyboardInterrupt"),
    "revision id not a string": Mutant(revision_not_a_string,
                                       f"{STEP_02}: `revision` and `down_revision` must be strings"),
    "a cycle": Mutant(cycle, "These migrations point at each other in a circle"),
    "models.py raises SystemExit": Mutant(models_raise_at_import, "models.py line 30: SystemExit"),
    "app.py calls os._exit()": Mutant(app_exits_at_import, "importing app.py ended the grading process"),
    "a migration exits when it is read": Mutant(write_bytes(b"import os\nrevision = 'c2d4e6f8a002'\n"
                                                            b"down_revision = 'b1f3c2a9d401'\nos._exit(5)\n"),
                                                "reading the migration files ended the grading process (exit code 5)"),
    **{f"line {number + 1} of {file} deleted": Mutant(delete_line(file, number), None)
       for file, number in _line_deletions()},
}

"""A step's reference migrations as a unified diff against the learner's own migration files."""
import difflib
import re
from collections.abc import Iterable
from pathlib import Path

from .. import course

NOTHING = "/dev/null"
MERGE = re.compile(r"^down_revision\s*=\s*\(", re.M)  # a revision with several parents


def solution_diff(step: course.Step, server_dir: Path, learner_files: Iterable[str],
                  chain_files: Iterable[str] = ()) -> str:
    """The diff that turns the learner's migrations of `step` into the course's reference ones.

    `learner_files` (the step's) and `chain_files` (every migration of the chain) are paths inside
    `server_dir`. Each reference file pairs with the learner's file that does the most alike (ids and
    order differ from the course's). A merge pairs only with a merge, found anywhere in the chain: it
    comes after both branches, so the grader counts it with the next step. A merge of the learner's
    that the step's reference does not have is left out.
    """
    def read(name):
        return (Path(server_dir) / name).read_text(encoding="utf-8", errors="replace")

    mine = {name: read(name) for name in learner_files}
    mine.update({name: text for name in chain_files if name not in mine and _is_merge(text := read(name))})
    references = {path: path.read_text(encoding="utf-8") for path in step.migration_files}
    pieces: list[str] = []
    for name, reference in _pairs(mine, references):
        mine_text = mine[name] if name else ""
        reference_text = references[reference] if reference else ""
        pieces.extend(difflib.unified_diff(
            mine_text.splitlines(keepends=True), reference_text.splitlines(keepends=True),
            fromfile=f"yours: {name}" if name else NOTHING,
            tofile=f"course: {course.relative(reference)}" if reference else NOTHING))
    return "".join(line if line.endswith("\n") else line + "\n" for line in pieces)


def _pairs(mine, references):
    """[(learner file or None, reference path or None)], in the course's order, then the learner's."""
    likeness = sorted(((_likeness(mine[name], references[path]), name, path)
                       for name in mine for path in references
                       if _is_merge(mine[name]) == _is_merge(references[path])), key=lambda item: -item[0])
    paired: dict[str, str] = {}
    for _, name, path in likeness:
        if name not in paired.values() and path not in paired:
            paired[path] = name
    pairs = [(paired.get(path), path) for path in references]
    return pairs + [(name, None) for name in mine if name not in paired.values() and not _is_merge(mine[name])]


def _likeness(mine, reference):
    """How alike two migrations' operations are, from 0 to 1 (the header, with its ids, aside)."""
    return difflib.SequenceMatcher(None, _operations(mine), _operations(reference)).ratio()


def _operations(text):
    start = text.find("def upgrade")
    return text[start:] if start >= 0 else text


def _is_merge(text):
    return MERGE.search(text) is not None

"""Errors raised in the grader's scratch copy name its folder (/tmp/grade-…/server/models.py):
say the learner's own paths instead, which are the ones they can open."""
import dataclasses
import enum
import os
from pathlib import Path

from ..facts import Facts

SCRATCH = "the grader's scratch folder"


def in_learner_terms(facts: Facts, folders: dict[Path, Path | None]) -> Facts:
    """`facts` (facts.Facts) with each folder of `folders` ({scratch folder: learner's folder, or None}) replaced in
    every text: a file inside the copy by its path relative to the learner's folder."""
    replacements = []
    for scratch, learner in folders.items():
        for spelling in {str(scratch), os.path.realpath(scratch)}:
            if learner is None:
                replacements.append((spelling, SCRATCH))
            else:
                replacements += [(spelling + os.sep, ""), (spelling, str(learner))]
    # Longer paths first: the copy lies inside the scratch folder.
    replacements.sort(key=lambda pair: len(pair[0]), reverse=True)

    def clean(value):
        if isinstance(value, enum.Enum):  # a kind (a str too), not a text
            return value
        if isinstance(value, str):
            for old, new in replacements:
                value = value.replace(old, new)
            return value
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            return dataclasses.replace(value, **{item.name: clean(getattr(value, item.name))
                                                 for item in dataclasses.fields(value)})
        if isinstance(value, dict):
            return {key: clean(item) for key, item in value.items()}
        if isinstance(value, (list, tuple)):
            return type(value)(clean(item) for item in value)
        return value

    cleaned = clean(facts)
    assert isinstance(cleaned, Facts)  # clean() rebuilds a dataclass as the same class
    return cleaned

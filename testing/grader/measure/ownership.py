"""Which step a backfill in a migration of its own is the work of: the rule the walk (the app that
runs around it and the apps sent between its statements, traffic.py) and the judge (the step it
passes or fails, judge.py) share.

A revision that only fills empty values of rows that were there and leaves the schema in the lesson
state it found — step 13's backfill in a migration of its own — finishes the work of the step whose
state that is: it leaves that step's models.py matching. One that changes nothing, or changes values
that were there (data put right before a constraint), is the next step's work. Nor is a merge:
joining branches is the merging step's work.
"""
from collections.abc import Mapping, Sequence


def reached(matches: Mapping[int, Sequence[object]]) -> int | None:
    """The last step whose state the database is in, from a revision's matches (step -> differences)."""
    return max((step for step, items in matches.items() if not items), default=None)


def keeps_state(before: Mapping[int, Sequence[object]], after: Mapping[int, Sequence[object]],
                parents: Sequence[str], backfilled: bool) -> bool:
    """Whether a revision, climbed on a database whose matches were `before`, was a backfill
    (`backfilled`) that left it in the same lesson state (`after`): it is then that state's step's work."""
    step = reached(before)
    return backfilled and step is not None and len(parents) == 1 and reached(after) == step

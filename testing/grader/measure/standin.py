"""A stand-in merge revision for a chain with two heads, so that everything else can be graded.

Two heads are the state step 10 begins with: the learner's work there is the merge. Without one,
Alembic cannot upgrade, and no step could be checked. The grader writes, in its scratch copy only,
a merge revision that joins the heads, walks the chain, then forgets that revision: the learner
is told about the two heads, and every other check is judged on their own migrations.
"""
import dataclasses
from collections.abc import Iterable
from pathlib import Path

from ..facts import Facts

FILE_NAME = "zz_grader_stand_in_merge.py"
REVISION = "gradermerge0"
TEXT = '''"""The grader's stand-in merge (only ever in its scratch copy)."""
revision = "{revision}"
down_revision = {parents!r}
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
'''


def stand_in_merge(head_files: list[str], head_ids: list[str]) -> tuple[str, str] | None:
    """(relative path, text) of a merge joining the heads `head_ids` (in `head_files`), or None when
    they lie in different folders."""
    if len({Path(file).parent for file in head_files}) != 1:
        return None
    return (Path(head_files[0]).parent / FILE_NAME).as_posix(), TEXT.format(revision=REVISION, parents=tuple(head_ids))


def without_stand_in(facts: Facts, heads: Iterable[str]) -> Facts | None:
    """The facts of a walk with the stand-in merge as head, as if it had never been there."""
    chain = facts.chain
    if chain is None or not chain.revisions or chain.revisions[-1].id != REVISION:
        return None
    last = len(chain.revisions) - 1
    facts.chain = dataclasses.replace(chain, revisions=chain.revisions[:last])
    facts.climbed = [climbed for climbed in facts.climbed if climbed.index != last]
    facts.round_trips = [trip for trip in facts.round_trips if trip.index != last]
    if facts.upgrade_failed and facts.upgrade_failed.index == last:
        return None
    facts.unmerged_heads = tuple(heads)
    return facts

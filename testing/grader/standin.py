"""A stand-in merge revision for a chain with two heads, so that everything else can be graded.

Two heads are the state step 10 begins with: the learner's work there is the merge. Without one,
Alembic cannot upgrade, and no step could be checked. The grader writes, in its scratch copy only,
a merge revision that joins the heads, walks the chain, then forgets that revision: the learner
is told about the two heads, and every other check is judged on their own migrations.
"""
import ast
from pathlib import Path

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


def stand_in_merge(server_dir, head_files):
    """(relative path, text) of a merge joining the heads in `head_files`, or None when a head's
    revision id cannot be read from its file without running it."""
    ids = [_revision_id(Path(server_dir) / file) for file in head_files]
    if None in ids or len({Path(file).parent for file in head_files}) != 1:
        return None
    return (Path(head_files[0]).parent / FILE_NAME).as_posix(), TEXT.format(revision=REVISION, parents=tuple(ids))


def _revision_id(path):
    """The string a migration file assigns to `revision`, read without running the file."""
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"))
    except (OSError, SyntaxError, ValueError, UnicodeDecodeError):
        return None
    for node in tree.body:
        if isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(target, ast.Name) and target.id == "revision" for target in targets):
                value = node.value
                return value.value if isinstance(value, ast.Constant) and isinstance(value.value, str) else None
    return None


def without_stand_in(facts, heads):
    """The facts of a walk with the stand-in merge as head, as if it had never been there."""
    revisions = facts.get("chain")["revisions"]
    if not revisions or revisions[-1]["id"] != REVISION:
        return None
    last = len(revisions) - 1
    facts.add("chain", {**facts.get("chain"), "revisions": revisions[:last]})
    facts.climbed = [climbed for climbed in facts.climbed if climbed["index"] != last]
    facts.round_trips = [trip for trip in facts.round_trips if trip["index"] != last]
    failed = facts.get("upgrade_failed")
    if failed and failed["index"] == last:
        return None
    facts.add("unmerged_heads", heads)
    return facts

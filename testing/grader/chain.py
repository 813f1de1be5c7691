"""Load a migrations folder with Alembic's ScriptDirectory and check the shape of its chain.

`load_chain` returns the revisions from base to head, or raises ChainProblem with a dict that
messages.py phrases: {"problem": "two_heads", "files": [...]}, {"problem": "syntax", ...}.
"""
import os
import warnings
from collections import Counter
from pathlib import Path

from alembic.script import ScriptDirectory
from alembic.util import to_tuple
from alembic.script.revision import CycleDetected, RevisionError

from .failures import describe_exception
from .sqltext import formatted_sql


class ChainProblem(Exception):
    def __init__(self, **details):
        super().__init__(details.get("problem"))
        self.details = details


def load_chain(alembic_config, server_dir):
    """The revisions in upgrade order: [{"id", "file", "message", "parents", "formatted_sql"}, ...]."""
    location = Path(alembic_config.get_main_option("script_location"))
    if not (location / "env.py").is_file():
        raise ChainProblem(problem="no_migrations", folder=_relative(location, server_dir))
    script_directory = ScriptDirectory.from_config(alembic_config)
    scripts = _load_scripts(script_directory, server_dir)
    if not scripts:
        raise ChainProblem(problem="no_revisions", folder=_relative(location, server_dir))
    _check_ids(scripts, server_dir)
    try:
        heads = script_directory.get_heads()
        ordered = list(reversed(list(script_directory.walk_revisions())))
    except CycleDetected as exc:
        files = [_relative(script_directory.get_revision(rev).path, server_dir) for rev in exc.revisions]
        raise ChainProblem(problem="cycle", files=sorted(files)) from exc
    except RevisionError as exc:
        raise ChainProblem(problem="unreadable", file=None, error=str(exc)) from exc
    if len(heads) > 1:
        files = [_relative(script_directory.get_revision(head).path, server_dir) for head in heads]
        raise ChainProblem(problem="two_heads", files=sorted(files))
    return [
        {
            "id": script.revision,
            "file": _relative(script.path, server_dir),
            "message": (script.doc or "").strip(),
            "parents": list(_parents(script)),
            "formatted_sql": formatted_sql(Path(script.path)),
        }
        for script in ordered
    ]


def _load_scripts(script_directory, server_dir):
    # _load_revisions reads every file once and gives back Alembic's own Script objects; the
    # public revision map would stop at the first broken parent without naming the file.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return list(script_directory._load_revisions())
        except SyntaxError as exc:
            raise ChainProblem(problem="syntax", file=_relative(exc.filename, server_dir),
                               line=exc.lineno, error=exc.msg) from exc
        except Exception as exc:
            raise ChainProblem(problem="unreadable", **describe_exception(exc, server_dir)) from exc


def _check_ids(scripts, server_dir):
    for script in scripts:
        ids = [script.revision, *_parents(script)]
        if not all(isinstance(value, str) for value in ids):
            raise ChainProblem(problem="bad_id", file=_relative(script.path, server_dir))
    counts = Counter(script.revision for script in scripts)
    for revision, count in counts.items():
        if count > 1:
            files = [_relative(s.path, server_dir) for s in scripts if s.revision == revision]
            raise ChainProblem(problem="duplicate_id", revision=revision, files=sorted(files))
    known = set(counts)
    for script in scripts:
        for parent in _parents(script):
            if parent not in known:
                raise ChainProblem(problem="missing_parent", file=_relative(script.path, server_dir),
                                   parent=parent)


def _parents(script):
    return to_tuple(script.down_revision, default=())


def _relative(path, server_dir):
    return os.path.relpath(path, server_dir) if path else None

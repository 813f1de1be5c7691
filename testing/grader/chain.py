"""Load a migrations folder with Alembic's ScriptDirectory and check the shape of its chain.

`load_chain` returns the revisions from base to head, or raises ChainProblem with a dict that
messages.py phrases: {"problem": "two_heads", "files": [...]}, {"problem": "syntax", ...}.
"""
import os
import warnings
from collections import Counter
from pathlib import Path

from alembic.script import Script, ScriptDirectory
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
        # Alembic's revision map cannot be built with a cycle in it: name the files from the scripts.
        paths = {script.revision: script.path for script in scripts}
        files = [_relative(paths[rev], server_dir) for rev in exc.revisions]
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
    """Alembic's Script for every migration file, read one file at a time so that a file that
    cannot be read is named (Alembic's own loop stops at it without saying which it was)."""
    scripts = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for folder in script_directory._version_locations:
            if not folder.exists():
                continue
            for path in Script._list_py_dir(script_directory, folder):
                try:
                    script = Script._from_path(script_directory, path)
                except BaseException as exc:  # learner code runs at import: it may raise anything
                    raise _unreadable(exc, path, server_dir) from exc
                if script is not None:
                    scripts.append(script)
    return scripts


def _unreadable(exc, path, server_dir):
    file = _relative(path, server_dir)
    if isinstance(exc, SyntaxError):  # null bytes and bytes that are not UTF-8 come as one too
        return ChainProblem(problem="syntax", file=file, line=exc.lineno, error=exc.msg)
    if "Could not determine revision id" in str(exc):
        return ChainProblem(problem="no_revision", file=file)
    if isinstance(exc, TypeError):  # Alembic splits the ids, which must be strings
        return ChainProblem(problem="bad_id", file=file)
    return ChainProblem(problem="unreadable", **{**describe_exception(exc, server_dir), "file": file})


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

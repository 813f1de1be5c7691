"""A temporary copy of a learner's server folder, so grading never touches the original."""
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path

from ..problems import UsageError

# The learner's own database and byte-code stay behind: the copy starts with no database at all.
LEFT_BEHIND = shutil.ignore_patterns("instance", "__pycache__", "*.pyc", "*.db", ".venv")


@contextmanager
def sandbox(server_dir):
    """Yield (workdir, copy): a temporary folder and the server copy inside it."""
    server_dir = Path(server_dir)
    if not server_dir.is_dir():
        raise UsageError(f"no such server folder: {server_dir}")
    with tempfile.TemporaryDirectory(prefix="grade-") as workdir:
        copy = Path(workdir) / "server"
        shutil.copytree(server_dir, copy, ignore=LEFT_BEHIND, symlinks=True)
        yield Path(workdir), copy

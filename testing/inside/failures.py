"""Turn an exception raised by a learner's code into a short, traceback-free description."""
import os
import traceback
from pathlib import Path

from .wire import LearnerError


def describe_exception(exc: BaseException, server_dir: str) -> LearnerError:
    """LearnerError("NameError: name 'Strng' is not defined", file="models.py", line=12).

    The file and line are those of the innermost frame inside the learner's server folder,
    so the learner is sent to their own code, not to a library's.
    """
    server_dir = os.path.realpath(server_dir)
    frames = traceback.extract_tb(exc.__traceback__)
    learner_frames = [frame for frame in frames if _inside(frame.filename, server_dir)]
    error = f"{type(exc).__name__}: {first_line(exc)}"
    if isinstance(exc, SyntaxError) and exc.filename and _inside(exc.filename, server_dir):
        return LearnerError(error, os.path.relpath(exc.filename, server_dir), exc.lineno)
    if learner_frames:
        frame = learner_frames[-1]
        return LearnerError(error, os.path.relpath(frame.filename, server_dir), frame.lineno)
    return LearnerError(error)


def first_line(exc: BaseException) -> str:
    """The useful part of an error's text: SQLAlchemy appends the SQL and a web link."""
    text = str(getattr(exc, "orig", None) or exc).strip()
    if isinstance(exc, SystemExit):
        return f"the code called sys.exit({exc.code!r})"
    line = text.splitlines()[0] if text else type(exc).__name__
    return line if len(line) <= 300 else line[:297] + "..."


def _inside(filename, folder):
    # Code that Alembic generates at run time has a frame named "<string>": not a learner file.
    if not filename or not os.path.isfile(filename):
        return False
    try:
        return Path(os.path.realpath(filename)).is_relative_to(folder)
    except (TypeError, ValueError):
        return False

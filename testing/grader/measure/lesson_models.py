"""A lesson's models.py (the course's own file), loaded once under a module name of its own."""
import functools
import hashlib
import importlib.util
import threading
from pathlib import Path
from types import ModuleType

_LOADING = threading.Lock()  # the walks on other databases run in threads of their own (plan.py)
_BY_CONTENT: dict[str, ModuleType] = {}  # sha256 of a models.py -> its module


def models_module(path: Path) -> ModuleType:
    """The module of `path`: its `db` holds the lesson state's metadata and model classes. Lessons whose
    models.py is the same, byte for byte (a step that changes no model), share one module, and so one
    state: a walk compares the database with it once."""
    with _LOADING:
        return _loaded(path)


@functools.cache
def _loaded(path: Path) -> ModuleType:
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest in _BY_CONTENT:
        return _BY_CONTENT[digest]
    spec = importlib.util.spec_from_file_location(f"lesson_models_{digest[:16]}", path)
    if spec is None or spec.loader is None:
        raise ImportError(f"{path} cannot be loaded as a Python module")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    _BY_CONTENT[digest] = module
    return module

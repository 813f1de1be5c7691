"""A lesson's models.py (the course's own file), loaded once under a module name of its own."""
import functools
import importlib.util
import threading
from pathlib import Path
from types import ModuleType

_LOADING = threading.Lock()  # the walks on other databases run in threads of their own (plan.py)


def models_module(path: Path) -> ModuleType:
    """The module of `path`: its `db` holds the lesson state's metadata and model classes."""
    with _LOADING:
        return _loaded(path)


@functools.cache
def _loaded(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"lesson_models_{abs(hash(str(path)))}", path)
    if spec is None or spec.loader is None:
        raise ImportError(f"{path} cannot be loaded as a Python module")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module

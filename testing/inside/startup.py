"""Start-up time spared in both processes of a grade (the learner's, and the grader's, which imports this)."""
import sys


def without_mako_highlighting() -> None:
    """Mako, the template engine Alembic imports, loads Pygments (when installed: pytest brings it)
    to colour the HTML error pages it renders; Alembic never renders one. Refusing that one import
    makes Mako fall back to plain text, as it does without Pygments, and spares ~0.1 s per process."""
    sys.modules.setdefault("mako.ext.pygmentplugin", None)  # type: ignore[arg-type]  # None refuses the import

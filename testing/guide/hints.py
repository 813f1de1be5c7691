"""Give a step's hints one at a time, remembering (in .lesson/hints.json) how many were shown."""
import json

from .. import course

SHOWN = course.REPO_ROOT / ".lesson" / "hints.json"


def next_hint(step: course.Step) -> tuple[int, int, str]:
    """(number, total, text) of the next hint of `step`; after the last one, the last one again."""
    hints = step.hints()
    shown = _read()
    number = min(shown.get(step.label, 0) + 1, len(hints))
    shown[step.label] = number
    SHOWN.parent.mkdir(parents=True, exist_ok=True)
    SHOWN.write_text(json.dumps(shown, indent=2, sort_keys=True), encoding="utf-8")
    return number, len(hints), hints[number - 1]


def _read():
    try:
        return json.loads(SHOWN.read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return {}

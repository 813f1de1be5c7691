"""The result of grading: steps made of checks, as JSON or as text for a person."""
from dataclasses import asdict, dataclass, field

from ..console import GREEN, RED, paint


@dataclass
class Check:
    name: str
    passed: bool
    message: str


@dataclass
class StepResult:
    step: int
    title: str
    checks: list = field(default_factory=list)
    started: bool = False  # any trace of the learner's work on this step
    files: list = field(default_factory=list)  # the learner's migrations that reached its state

    @property
    def passed(self):
        return all(check.passed for check in self.checks)

    def add(self, name, passed, message):
        self.checks.append(Check(name, passed, message))


@dataclass
class Report:
    steps: list
    notes: list = field(default_factory=list)  # what the learner should know beyond the checks
    isolation: str = ""  # who the learner's code ran as, for instructors
    blocked: bool = False  # the app or the chain stopped every check after it (not part of the JSON)

    @property
    def passed(self):
        return all(step.passed for step in self.steps)

    def check(self, step, name):
        """The check called `name` of step number `step`."""
        return next(check for check in self.steps[step - 1].checks if check.name == name)

    def to_dict(self):
        return {
            "passed": self.passed,
            "notes": self.notes,
            "isolation": self.isolation,
            "steps": [
                {"step": step.step, "title": step.title, "passed": step.passed, "started": step.started,
                 "files": step.files, "checks": [asdict(check) for check in step.checks]}
                for step in self.steps
            ],
        }


def render_text(report, colour=False):
    lines = []
    for step in report.steps:
        lines += render_step(step.step, step.title, step.checks, colour)
    passed = sum(step.passed for step in report.steps)
    lines.append("")
    for note in report.notes:
        lines += [f"Note: {note}", ""]
    lines.append(f"{passed} of {len(report.steps)} steps pass.")
    return "\n".join(lines)


def render_step(number, title, checks, colour=False):
    """A step's verdict line, then each check with its message indented under it."""
    passed = all(check.passed for check in checks)
    lines = [f"{paint('PASS', GREEN, colour) if passed else paint('FAIL', RED, colour)} step {number:02d} {title}"]
    for check in checks:
        tick = paint("ok  ", GREEN, colour) if check.passed else paint("FAIL", RED, colour)
        lines.append(f"  {tick} {check.name}")
        if not check.passed or check.message:
            lines.extend(f"       {line}" if line else "" for line in check.message.splitlines())
    return lines

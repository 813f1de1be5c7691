"""The result of grading: steps made of checks, as JSON or as text for a person."""
from dataclasses import dataclass, field

from ...console import GREEN, RED, paint
from .. import checks as registry
from ..checks import Outcome, Status


@dataclass
class CheckResult:
    """One check of one step: which (checks.py's declaration) and what the judge found."""
    check: registry.Check
    status: Status
    message: str
    evidence: registry.Evidence | None = None  # the check's own unless the outcome said otherwise

    @property
    def name(self) -> str:
        return self.check.title

    @property
    def id(self) -> str:
        return self.check.id

    @property
    def passed(self) -> bool:
        return self.status in registry.COUNTS_AS_PASSED

    def to_dict(self) -> dict[str, object]:
        return {"id": self.id, "name": self.name, "passed": self.passed, "status": str(self.status),
                "message": self.message, "evidence": str(self.evidence or self.check.evidence)}


@dataclass
class StepResult:
    step: int
    title: str
    checks: list[CheckResult] = field(default_factory=list)
    started: bool = False  # any trace of the learner's work on this step
    files: list[str] = field(default_factory=list)  # the learner's migrations that reached its state

    @property
    def passed(self) -> bool:
        return all(check.passed for check in self.checks)

    def add(self, check: registry.Check, outcome: Outcome) -> None:
        self.checks.append(CheckResult(check, outcome.status, outcome.message, outcome.evidence))

    def get(self, check: registry.Check) -> "CheckResult | None":
        return next((each for each in self.checks if each.check == check), None)


@dataclass
class Report:
    steps: list[StepResult]
    notes: list[str] = field(default_factory=list)  # what the learner should know beyond the checks
    isolation: str = ""  # who the learner's code ran as, for instructors
    blocked: bool = False  # the app or the chain stopped every check after it (not part of the JSON)
    stuck: int | None = None  # the step where the learner is stuck: the first that does not pass

    @property
    def passed(self) -> bool:
        return all(step.passed for step in self.steps)

    def check(self, step: int, check: registry.Check | str) -> CheckResult:
        """Step number `step`'s check `check` (a registry.Check, or its title)."""
        wanted = registry.BY_TITLE[check] if isinstance(check, str) else check
        return next(each for each in self.steps[step - 1].checks if each.check == wanted)

    def to_dict(self) -> dict[str, object]:
        return {
            "passed": self.passed,
            "notes": self.notes,
            "isolation": self.isolation,
            "stuck": self.stuck,
            "steps": [
                {"step": step.step, "title": step.title, "passed": step.passed, "started": step.started,
                 "files": step.files, "checks": [check.to_dict() for check in step.checks]}
                for step in self.steps
            ],
        }


def render_text(report: Report, colour: bool = False) -> str:
    lines = []
    for step in report.steps:
        lines += render_step(step.step, step.title, step.checks, colour)
    passed = sum(step.passed for step in report.steps)
    lines.append("")
    for note in report.notes:
        lines += [f"Note: {note}", ""]
    lines.append(f"{passed} of {len(report.steps)} steps pass.")
    return "\n".join(lines)


def render_step(number: int, title: str, checks: list[CheckResult], colour: bool = False) -> list[str]:
    """A step's verdict line, then each check with its message indented under it."""
    passed = all(check.passed for check in checks)
    lines = [f"{paint('PASS', GREEN, colour) if passed else paint('FAIL', RED, colour)} step {number:02d} {title}"]
    for check in checks:
        tick = paint("ok  ", GREEN, colour) if check.passed else paint("FAIL", RED, colour)
        lines.append(f"  {tick} {check.name}")
        if not check.passed or check.message:
            lines.extend(f"       {line}" if line else "" for line in check.message.splitlines())
    return lines

"""The result of grading: steps made of checks, as JSON or as text for a person."""
from dataclasses import asdict, dataclass, field


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

    @property
    def passed(self):
        return all(check.passed for check in self.checks)

    def add(self, name, passed, message):
        self.checks.append(Check(name, passed, message))


@dataclass
class Report:
    steps: list

    @property
    def passed(self):
        return all(step.passed for step in self.steps)

    def to_dict(self):
        return {
            "passed": self.passed,
            "steps": [
                {"step": step.step, "title": step.title, "passed": step.passed,
                 "checks": [asdict(check) for check in step.checks]}
                for step in self.steps
            ],
        }


def render_text(report, colour=False):
    def paint(text, code):
        return f"\033[{code}m{text}\033[0m" if colour else text

    lines = []
    for step in report.steps:
        mark = paint("PASS", 32) if step.passed else paint("FAIL", 31)
        lines.append(f"{mark} step {step.step:02d} {step.title}")
        for check in step.checks:
            tick = paint("ok  ", 32) if check.passed else paint("FAIL", 31)
            lines.append(f"  {tick} {check.name}")
            if not check.passed or check.message:
                lines.extend(f"       {line}" if line else "" for line in check.message.splitlines())
    passed = sum(step.passed for step in report.steps)
    lines.append("")
    lines.append(f"{passed} of {len(report.steps)} steps pass.")
    return "\n".join(lines)

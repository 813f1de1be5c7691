"""Where the learner stands, as the course map shows it: every step passed, failing or not started,
the current step, what to do next.

The grader lays every failure on the step whose work causes it and says where the learner is
stuck (`Report.stuck`); the map shows the same, so `lesson check N` fails exactly when step N of
`grade` does.
"""
from dataclasses import dataclass

from .. import course
from ..grader import CheckResult, Report
from ..grader.checks import Status

PASSED, FAILING, NOT_STARTED, NOT_CHECKED = "passed", "failing", "not started", "not checked"


@dataclass
class StepState:
    step: course.Step
    state: str
    checks: list[CheckResult]  # the grader's checks of this step
    files: list[str]  # the learner's migrations that reached the step's state

    @property
    def reason(self) -> str:
        """One line: why the step fails ("" when it passes or has not started)."""
        if self.state != FAILING:
            return ""
        check = next(check for check in self.checks if not check.passed)
        return f"{check.name}: {check.message.splitlines()[0] if check.message else 'fails'}"

    def to_dict(self) -> dict[str, object]:
        return {"step": self.step.number, "title": self.step.title, "state": self.state,
                "reason": self.reason, "readme": course.relative(self.step.readme),
                "checks": [check.to_dict() for check in self.checks]}


@dataclass
class CourseMap:
    states: list[StepState]
    current: StepState | None  # the first step not passed; None when every step passes
    notes: tuple[str, ...] | list[str] = ()  # the grader's notes beyond the checks (the learner's own database)

    @property
    def focus(self) -> StepState:
        """The step to look at: the current one, or the last one when every step passes."""
        return self.current if self.current is not None else self.states[-1]

    def state_of(self, number: int) -> StepState:
        return next(state for state in self.states if state.step.number == number)

    @property
    def next_action(self) -> course.Action | None:
        """What to do next: the current step's first action, or, once it has begun, to check it."""
        if self.current is None:
            return None
        if self.current.state == NOT_STARTED:
            return self.current.step.first_action
        return course.Action(f"pipenv run lesson check {self.current.step.number}", typed=True)

    @property
    def next_command(self) -> str | None:
        """The next command to type: the next action, or after an edit, the lesson's first command."""
        action = self.next_action
        if action is None or action.typed or self.current is None:
            return action.text if action else None
        return self.current.step.first_command

    def to_dict(self) -> dict[str, object]:
        current, action = self.current, self.next_action
        return {
            "steps": [state.to_dict() for state in self.states],
            "current": current.step.number if current is not None else None,
            "next": {"action": action.text, "command": self.next_command,
                     "readme": course.relative(current.step.readme)} if current is not None and action else None,
            "notes": list(self.notes),
        }


def course_map(report: Report) -> CourseMap:
    """Read a grading report of every step as a map of the course."""
    blocked = report.steps[0].started and report.blocked
    states = [StepState(course.step(result.step), _state(result, result.step == report.stuck, blocked),
                        result.checks, result.files) for result in report.steps]
    current = next((state for state in states if state.step.number == report.stuck), None)
    return CourseMap(states, current, report.notes)


def _state(result, is_current, blocked):
    if result.passed:
        return PASSED
    if is_current:
        return FAILING if result.started else NOT_STARTED
    if blocked or (result.started and not any(check.status == Status.FAILED for check in result.checks)):
        return NOT_CHECKED  # its checks wait for another step's
    return FAILING if result.started else NOT_STARTED

"""The course map: every step passed, failing or not started, the current step, what to do next.

The grader puts the checks about the whole chain (the app loads, the chain is sound, it upgrades
from empty, models.py matches it) on step 01. For a learner they are about their newest work, so
the map counts them with the step that work belongs to (the grader's `started`), not with step 01:
`lesson check N` then fails whenever `grade --step N` fails on the step's own work.
"""
from dataclasses import asdict, dataclass

from .. import course
from ..grader import judge

CHAIN_WIDE = (judge.APP, judge.CHAIN, judge.FRESH_UPGRADE, judge.MODELS)
PASSED, FAILING, NOT_STARTED, NOT_CHECKED = "passed", "failing", "not started", "not checked"


@dataclass
class StepState:
    step: course.Step
    state: str
    checks: list  # the grader's checks, as the map counts them for this step
    files: list  # the learner's migrations that reached the step's state

    @property
    def reason(self):
        """One line: why the step fails ("" when it passes or has not started)."""
        if self.state != FAILING:
            return ""
        check = next(check for check in self.checks if not check.passed)
        return f"{check.name}: {check.message.splitlines()[0] if check.message else 'fails'}"

    def to_dict(self):
        return {"step": self.step.number, "title": self.step.title, "state": self.state,
                "reason": self.reason, "readme": course.relative(self.step.readme),
                "checks": [asdict(check) for check in self.checks]}


@dataclass
class CourseMap:
    states: list
    current: StepState  # the first step not passed; None when every step passes
    notes: list = ()  # the grader's notes beyond the checks (the learner's own database)

    @property
    def focus(self):
        """The step to look at: the current one, or the last one when every step passes."""
        return self.current or self.states[-1]

    def state_of(self, number):
        return next(state for state in self.states if state.step.number == number)

    @property
    def next_action(self):
        """What to do next: the current step's first action, or, once it has begun, to check it."""
        if self.current is None:
            return None
        if self.current.state == NOT_STARTED:
            return self.current.step.first_action
        return course.Action(f"pipenv run lesson check {self.current.step.number}", typed=True)

    @property
    def next_command(self):
        """The next command to type: the next action, or after an edit, the lesson's first command."""
        action = self.next_action
        if action is None or action.typed:
            return action and action.text
        return self.current.step.first_command

    def to_dict(self):
        current = self.current
        return {
            "steps": [state.to_dict() for state in self.states],
            "current": current.step.number if current else None,
            "next": {"action": self.next_action.text, "command": self.next_command,
                     "readme": course.relative(current.step.readme)} if current else None,
            "notes": list(self.notes),
        }


def course_map(report):
    """Read a grading report of every step as a map of the course."""
    chain = [check for check in report.steps[0].checks if check.name in CHAIN_WIDE]
    own = {result.step: [check for check in result.checks if check.name not in CHAIN_WIDE]
           for result in report.steps}
    current = next((result for result in report.steps if not _all_pass(own[result.step])), None)
    if current is None and not _all_pass(chain):
        current = report.steps[-1]
    if current is not None and not current.started and not _all_pass(chain):
        # Nothing done on it yet: the chain's trouble comes from the newest work, an earlier step's.
        current = next((result for result in reversed(report.steps[:report.steps.index(current)])
                        if result.started), current)
    blocked = report.steps[0].started and report.blocked
    states = []
    for result in report.steps:
        checks = chain + own[result.step] if result is current else own[result.step]
        state = _state(result, checks, result is current, blocked)
        states.append(StepState(course.step(result.step), state, checks, result.files))
    return CourseMap(states, next((s for s in states if current and s.step.number == current.step), None),
                     report.notes)


def _state(result, checks, is_current, blocked):
    if _all_pass(checks):
        return PASSED
    if is_current or not blocked:
        return FAILING if result.started else NOT_STARTED
    return NOT_CHECKED


def _all_pass(checks):
    return all(check.passed for check in checks)

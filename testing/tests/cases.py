"""The cases whose grades are recorded (recorded.py), by group."""
from testing import course
from testing.build import build_state

from .corpus import CORPUS
from .recorded import Case
from .submissions import PART3_SUBMISSIONS

PART3 = [step.number for step in course.steps() if step.database == "postgresql"]


def end_state(step):
    """The course's own end state of `step`: its server folder, built by `build_state`."""
    return lambda folder: build_state(step, folder / "server")


def _corpus_case(submission, database):
    def build(folder):
        server = build_state(submission.start, folder / "server")
        submission.work(server)
        return server

    return Case(submission.name, build, submission.up_to, database)


CORPUS_CASES = [_corpus_case(submission, database) for database in ("sqlite", "postgresql")
                for submission in CORPUS]

# The facts of step 12's end state, every step graded: judged again with each kind of evidence.
EVIDENCE_CASE = Case("end state of step 12", end_state(12))

PART3_REFERENCE = Case("end state of the course", end_state(PART3[-1]), database="postgresql")
PART3_START = Case("start of Part 3", end_state(PART3[0] - 1), PART3[-1], "postgresql")
LINT_START = Case("start of the lint step", end_state(PART3[-1] - 1), PART3[-1], "postgresql")
PART3_ON_SQLITE = Case("Part 3 chain graded on SQLite", end_state(PART3[0]), PART3[0])
BEFORE_PART3_WITH_ITS_FILES = Case("graded up to step 12 with Part 3's files", end_state(PART3[1]), PART3[0] - 1)
PART3_MISTAKES = {submission.name: Case(submission.name, lambda folder, s=submission: s.build(folder / "server"),
                                        submission.step, "postgresql")
                  for submission in PART3_SUBMISSIONS}

GROUPS = {
    "corpus": CORPUS_CASES,
    "evidence": [EVIDENCE_CASE],
    "part3": [PART3_REFERENCE, PART3_START, LINT_START, PART3_ON_SQLITE, BEFORE_PART3_WITH_ITS_FILES,
              *PART3_MISTAKES.values()],
}

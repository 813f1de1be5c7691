"""What a session does with a learner's chain (session.py runs it, inspection.py acts on it)."""
import enum


class Mode(enum.Enum):
    GRADE = "grade"  # walk it and record every fact a grade is judged on
    FAULTS = "faults"  # make every revision fail after each of its writes (`pipenv run faults`)
    CHANGES = "changes"  # only climb, saying what each revision changed (`lesson view`)

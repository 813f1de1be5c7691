"""The autograder's engine: it checks a server folder's migrations by what they do to rows.

    report = grade("server", up_to_step=3, database="sqlite")
    report.passed, report.to_dict()

Three entry points, each with a typed result: `grade` (a Report), `climb` (the chain and what
each revision changed, for `lesson view`) and `inject_faults` (every reference migration made to
fail, for `pipenv run faults`). `grade` is `judged(collect(...))`: the facts a grade finds can be
kept and judged again without walking the chain (the course's own tests do). The learner's code runs
in a separate, contained process on a temporary copy of the folder and a scratch database (session.py,
supervisor.py, inside/); this process reads the database itself and judges.
"""
from ..problems import Unavailable, UsageError
from .cache import ReportCache
from .judging.report import Report, render_text
from .plan import DEFAULT_TIME_LIMIT, Climb, FaultRun, climb, collect, grade, graded_steps, inject_faults, judged
from .servers.databases import DATABASES

__all__ = ["DATABASES", "DEFAULT_TIME_LIMIT", "Climb", "FaultRun", "Report", "ReportCache", "Unavailable", "UsageError",
           "climb", "collect", "grade", "graded_steps", "inject_faults", "judged",
           "render_text"]

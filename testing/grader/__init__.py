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
import importlib
from typing import TYPE_CHECKING

from ..command_errors import Unavailable, UsageError
from .boundary import bubblewrap
from .cache import ReportCache
from .judging.report import CheckResult, Report, StepResult, render_step, render_text
from .plan import DEFAULT_TIME_LIMIT, Climb, FaultRun, climb, collect, grade, graded_steps, inject_faults, judged
from .servers.databases import DATABASES, scratch_database
from .servers.supply import lasting_postgres
from .servers.supply import needed as servers_needed
from .servers.supply import offered as server_offered
from .servers.supply import running as servers_running

if TYPE_CHECKING:
    from .judging import messages
    from .measure import schema, traffic
    from .measure.chain import read_chain
    from .measure.walk import parent_target

# Loaded when first used: they import SQLAlchemy and Alembic, half a second that `lesson status`
# with its results kept, or `grade --help`, never needs.
_ON_FIRST_USE = {"messages": (".judging.messages", None), "schema": (".measure.schema", None),
                 "traffic": (".measure.traffic", None), "read_chain": (".measure.chain", "read_chain"),
                 "parent_target": (".measure.walk", "parent_target")}


def __getattr__(name: str) -> object:
    if name not in _ON_FIRST_USE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module_name, attribute = _ON_FIRST_USE[name]
    module = importlib.import_module(module_name, __name__)
    return getattr(module, attribute) if attribute else module

# The engine's public face. Everything else under testing/grader/ is its own business: `lesson`, the
# gradebook, cohort grading and the benchmarks use these names, the contract modules facts.py,
# codec.py and checks.py, and nothing of the rooms (testing/tests/test_layout.py checks it).
__all__ = [
    # grading, and its results
    "DEFAULT_TIME_LIMIT", "Climb", "FaultRun", "climb", "collect", "grade", "graded_steps", "inject_faults", "judged",
    "CheckResult", "Report", "ReportCache", "StepResult", "render_step", "render_text",
    "DATABASES", "Unavailable", "UsageError",
    # the database servers: which a grade needs, started or reused, and a scratch database on one
    "servers_needed", "servers_running", "server_offered", "lasting_postgres", "scratch_database",
    # the OS sandbox: `grade --cohort` tries it once before it forks, and hides the class's folder in it
    "bubblewrap",
    # the grader's sentences (`lesson view` phrases a revision's changes as a grade would)
    "messages",
    # reading a database as the grader does (`lesson`'s snapshot of the learner's database)
    "schema",
    # what the benchmarks time on their own: live traffic, reading a chain, a downgrade's target
    "traffic", "read_chain", "parent_target",
]

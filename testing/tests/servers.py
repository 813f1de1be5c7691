"""The real database servers the course's tests share, one per test session."""
import os
from contextlib import contextmanager

from testing import course
from testing.grader.checks import other_databases_of

SERVER_FIXTURES = {"postgresql": "postgres_server", "mysql": "mysql_server"}


@contextmanager
def environment_variable(name, value):
    previous = os.environ.get(name)
    os.environ[name] = value
    try:
        yield value
    finally:
        if previous is None:
            del os.environ[name]
        else:
            os.environ[name] = previous


def start_servers_for_other_databases(step, request):
    """The shared servers that step `step`'s checks run the whole chain on; for a Part 3 step
    (PostgreSQL only), also those of the steps before it, which its grade runs too."""
    graded = course.steps_up_to(step) if course.step(step).database else [course.step(step)]
    for earlier in graded:
        if earlier.database:
            request.getfixturevalue(SERVER_FIXTURES[earlier.database])
        for database in other_databases_of(earlier):
            request.getfixturevalue(SERVER_FIXTURES[database])

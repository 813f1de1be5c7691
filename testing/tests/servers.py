"""The real database servers the course's tests share, one per test session (conftest.py)."""
from testing import course
from testing.grader import servers_needed

SERVER_FIXTURES = {"postgresql": "postgres_server", "mysql": "mysql_server"}


def start_servers_for_other_databases(step, request):
    """The shared servers that step `step`'s checks run the whole chain on; for a Part 3 step
    (PostgreSQL only), also those of the steps before it, which its grade runs too."""
    graded = course.steps_up_to(step) if course.step(step).database else [course.step(step)]
    for database in sorted(servers_needed(graded, "sqlite")):
        request.getfixturevalue(SERVER_FIXTURES[database])

"""models.py against the database as it is now, compared the way `flask db check` compares them.

`flask db check` runs the learner's env.py, which configures Alembic with the options of their
`Migrate(...)` (and whatever env.py adds), and asks autogenerate what differs. The same happens
here, so the grader reports a difference exactly when `flask db check` does: a server default is
compared only where the learner's setup turns `compare_server_default` on.
"""
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.environment import EnvironmentContext
from alembic.script import ScriptDirectory

from . import described


def check_differences(config: Config) -> list[dict]:
    """What autogenerate finds between the learner's MetaData and the database, with the
    learner's env.py and its options. Unlike `alembic.command.check` it also answers below head
    (a learner may leave models.py one revision back), and it raises what env.py raises."""
    directory = ScriptDirectory.from_config(config)
    found: list[dict] = []

    def compare(heads, context):
        metadata = context.opts.get("target_metadata")  # None: Alembic refuses, as flask db check does
        found.extend(described.items(compare_metadata(context, metadata), metadata))
        return []  # nothing to migrate: env.py's run_migrations() only asked what to run

    with EnvironmentContext(config, directory, fn=compare, as_sql=False):
        directory.run_env()
    return found

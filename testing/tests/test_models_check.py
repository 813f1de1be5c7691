"""The check "models.py matches the migrations" says what `flask db check` says, run for real on the
same folder with the learner's own `Migrate(...)` options and env.py; and every command its message
names does something: `flask db migrate` writes a script that changes the schema, and once it is
applied `flask db check` finds nothing."""
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from testing.author import edit
from testing.build import build_state
from testing.grader import grade
from testing.grader.judging import judge

from .corpus import (
    models_edit,
    models_without_the_server_default,
    server_defaults_compared_in_env_py,
    server_defaults_not_compared,
)

FLASK = Path(sys.executable).with_name("flask")
STEP = 6  # a server default first matters here


def email_only_in_models(server):
    models_edit(server, "    salary = db.Column(db.Integer)\n",
                "    salary = db.Column(db.Integer)\n    email = db.Column(db.String(120))\n")


def salary_left_out_of_models(server):
    """models.py lost a column the migrations keep: `flask db migrate` would drop it with its data."""
    models_edit(server, "    salary = db.Column(db.Integer)\n", "")


def env_py_without_metadata(server):
    """env.py as Alembic's generic template leaves it: no MetaData, so nothing can be compared."""
    edit(server / "migrations" / "env.py", "            target_metadata=get_metadata(),\n",
         "            target_metadata=None,\n")


def as_the_course_writes_it(server):
    pass


WORK = {
    "as the course writes it": as_the_course_writes_it,
    "no server default in models.py, compared (app.py)": models_without_the_server_default,
    "no server default in models.py, not compared": server_defaults_not_compared,
    "no server default in models.py, compared (env.py)": server_defaults_compared_in_env_py,
    "a column only in models.py": email_only_in_models,
    "a column left out of models.py": salary_left_out_of_models,
    "env.py without the MetaData": env_py_without_metadata,
}


def flask_db(server, *arguments):
    """`flask db ...` as the learner types it in their server folder, on its instance/app.db."""
    environment = {name: value for name, value in os.environ.items() if name not in ("DATABASE_URL", "FLASK_APP")}
    return subprocess.run([str(FLASK), "db", *arguments], cwd=server, env=environment, capture_output=True,
                          text=True, timeout=120)


def scripts(server):
    return set((server / "migrations" / "versions").glob("*.py"))


@pytest.mark.slow
@pytest.mark.parametrize("work", WORK.values(), ids=WORK.keys())
def test_models_check_says_what_flask_db_check_says(work, tmp_path):
    server = build_state(STEP, tmp_path / "server")
    work(server)
    report = grade(server, up_to_step=STEP)
    check = report.check(STEP, judge.MODELS)

    assert flask_db(server, "upgrade").returncode == 0
    checked = flask_db(server, "check")
    assert (checked.returncode == 0) == check.passed, (checked.stderr, check.message)
    if check.passed:
        return
    named = set(re.findall(r"`(flask db \w+)", check.message))
    if "flask db migrate" not in named:  # the comparison itself failed: check says the same error
        assert named == {"flask db check"}
        error = check.message.splitlines()[0].split("Error: ", 1)[1]
        assert error in checked.stderr and "New upgrade operations detected" not in checked.stderr
        return
    # The script `flask db migrate` writes changes the schema, and applied, leaves nothing to check.
    before = scripts(server)
    assert flask_db(server, "migrate", "-m", "models").returncode == 0
    (written,) = scripts(server) - before
    upgrade = written.read_text().split("def upgrade():", 1)[1].split("def downgrade():", 1)[0]
    assert re.search(r"(op|batch_op)\.\w+\(", upgrade), upgrade
    assert "flask db upgrade" in named and flask_db(server, "upgrade").returncode == 0
    assert flask_db(server, "check").returncode == 0
    # A script that drops a column or table loses its data: the message must say so before advising it.
    assert bool(re.search(r"\.drop_(column|table)\(", upgrade)) == ("would drop" in check.message), check.message

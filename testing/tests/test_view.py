"""`pipenv run lesson view`: the page, in a real headless Chromium, as a learner's database changes."""
import json
import re
import subprocess
import sys
import urllib.request

import pytest
import sqlalchemy as sa

from testing import course
from testing.build import build_state
from testing.grader.servers.databases import scratch_database

from .browser import chromium_binary, open_page
from .clones import fingerprint, learner_environment
from .lesson_commands import run

CLI = str(course.REPO_ROOT / "testing" / "cli.py")
STEP_3, STEP_4 = "d3e5f7a9b003", "e4f6a8b0c004"


class View:
    """`lesson view` running in the background for a server folder."""

    def __init__(self, server, database_url=None):
        env = learner_environment()
        if database_url:
            env["DATABASE_URL"] = database_url
        self.process = subprocess.Popen([sys.executable, CLI, "lesson", "--server-dir", str(server), "view"],
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        assert self.process.stdout and self.process.stderr  # both piped
        line = self.process.stdout.readline()
        found = re.search(r"http://127\.0\.0\.1:\d+/", line)
        if not found:
            self.stop()
            raise AssertionError(line + self.process.stderr.read())
        self.url = found.group(0)

    def html(self, path=""):
        with urllib.request.urlopen(self.url + path, timeout=60) as response:
            return response.read().decode()

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=30)


@pytest.fixture
def upgraded_to_step_3(tmp_path):
    """A learner's folder with step 04's migration written but only step 03 applied, with rows."""
    server = build_state(4, tmp_path / "server")
    for command in (f"flask db upgrade {STEP_3}", "python seed.py"):
        code, output = run(command, server)
        assert code == 0, output
    return server


@pytest.fixture
def page():
    if chromium_binary() is None:
        pytest.skip("Chromium is not installed here (apt install chromium; .ci/run installs it)")
    with open_page() as opened:
        yield opened


CURRENT = "document.querySelector('#chain .node.current')?.dataset.revision"
CHANGES = "[...document.querySelectorAll('#changes li')].map(li => li.textContent).join(' | ')"
DEPARTMENT_ROWS = ("[...document.querySelectorAll('table.rows[data-table=departments] tr')]"
                   ".map(tr => tr.textContent.trim().replace(/\\s+/g, ' '))")


@pytest.mark.slow
def test_the_page_shows_chain_tables_rows_and_changes_and_follows_an_upgrade(upgraded_to_step_3, page, tmp_path):
    before = fingerprint(upgraded_to_step_3)
    view = View(upgraded_to_step_3)
    try:
        page.goto(view.url)
        assert page.wait_for_function(CURRENT).json_value() == STEP_3
        assert page.evaluate("document.querySelectorAll('#chain .node').length") == 4  # base to head
        assert page.evaluate(CHANGES) == "table department renamed to departments"
        assert page.evaluate(DEPARTMENT_ROWS)[:2] == ["idnameaddress", "1PayrollBuilding A, 4th Floor"]
        assert fingerprint(upgraded_to_step_3) == before  # looking never writes

        code, output = run("flask db upgrade", upgraded_to_step_3)  # in another terminal
        assert code == 0, output
        # No reload from the test: the page notices by itself.
        assert page.wait_for_function(f"{CURRENT} === '{STEP_4}' && {CURRENT}").json_value() == STEP_4
        assert page.evaluate(CHANGES) == "column departments.address renamed to location"
        assert page.evaluate(DEPARTMENT_ROWS)[:2] == ["idnamelocation", "1PayrollBuilding A, 4th Floor"]
        page.screenshot(path=tmp_path / "view.png", full_page=True)
        assert (tmp_path / "view.png").read_bytes().startswith(b"\x89PNG")
    finally:
        view.stop()


def test_no_database_yet_is_explained_and_not_created(tmp_path):
    server = build_state(1, tmp_path / "server")
    view = View(server)
    try:
        html = view.html()
    finally:
        view.stop()
    assert "There is no database at" in html and "<code>flask db upgrade</code> creates it" in html
    assert not (server / "instance" / "app.db").exists()


def test_a_database_without_alembic_version_is_explained(tmp_path):
    server = build_state(1, tmp_path / "server")
    (server / "instance").mkdir()
    engine = sa.create_engine(f"sqlite:///{server / 'instance' / 'app.db'}")
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE notes (id INTEGER PRIMARY KEY)")
    engine.dispose()
    view = View(server)
    try:
        html = view.html()
    finally:
        view.stop()
    assert "This database has no alembic_version table" in html


@pytest.mark.slow
def test_a_postgresql_database_from_database_url(postgres_server, tmp_path):
    server = build_state(4, tmp_path / "server")
    with scratch_database("postgresql", tmp_path) as scratch:  # on the tests' shared server
        address = scratch.url
        env = {**learner_environment(), "DATABASE_URL": address, "PYTHONWARNINGS": "ignore"}
        for command in (["-m", "flask", "db", "upgrade"], ["seed.py"]):
            done = subprocess.run([sys.executable, *command], cwd=server, env=env, capture_output=True, text=True)
            assert done.returncode == 0, done.stderr
        view = View(server, address)
        try:
            html = view.html()
            assert json.loads(view.html("fingerprint"))["fingerprint"]
        finally:
            view.stop()
    assert "postgresql+psycopg://" in html
    assert f'class="node current" data-revision="{STEP_4}"' in html
    assert "Human Resources" in html


def test_labels_cut_with_an_ellipsis_and_what_changed_says_upgrade(upgraded_to_step_3):
    view = View(upgraded_to_step_3)
    try:
        html = view.html()
    finally:
        view.stop()
    assert ">rename department to de…<" in html  # 32 characters, cut to 24 with the ellipsis
    assert "<title>rename department to departments (migrations/versions/" in html
    assert ">create employees table<" in html  # 23 characters: whole
    assert "<h2>What upgrading to the current revision changed</h2>" in html


def test_rows_come_a_page_at_a_time(upgraded_to_step_3):
    engine = sa.create_engine(f"sqlite:///{upgraded_to_step_3 / 'instance' / 'app.db'}")
    with engine.begin() as connection:
        connection.execute(sa.text("INSERT INTO employees (name, salary) VALUES (:name, 1)"),
                           [{"name": f"Temp {number:02d}"} for number in range(30)])  # 32 rows in all
    engine.dispose()
    view = View(upgraded_to_step_3)
    try:
        first, second = view.html(), view.html("?page_employees=2")
    finally:
        view.stop()
    assert "page 1 of 2" in first and "Temp 22" in first and "Temp 23" not in first
    assert "page 2 of 2" in second and "Temp 29" in second and "Kai Uri" not in second


def test_a_folder_named_with_uri_characters_stays_read_only_and_odd_requests_get_answers(tmp_path, monkeypatch):
    """`#`, `?` and `%` in a folder's name must not end SQLite's URI (the database would be opened
    writable, or another one created); a page number past any table and a foreign Host get answers."""
    monkeypatch.delenv("DATABASE_URL", raising=False)
    server = build_state(4, tmp_path / "my #1 course?%20" / "server")
    for command in ("flask db upgrade", "python seed.py"):
        code, output = run(command, server)
        assert code == 0, output
    before = fingerprint(tmp_path)
    from testing.guide.view import create_app

    client = create_app(server).test_client()
    page = client.get("/?page_departments=99999999999999999999999")
    assert page.status_code == 200
    assert "Payroll" in page.get_data(as_text=True)
    assert client.get("/", headers={"Host": "evil.example:5000"}).status_code == 400
    assert client.get("/", headers={"Host": "localhost:5000"}).status_code == 200
    assert fingerprint(tmp_path) == before

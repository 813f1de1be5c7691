"""Lessons that can't lie: every command a lesson README shows runs, with the output it shows."""
import pytest

from testing import course
from testing.guide.workspace import start

from .lesson_commands import Command, Shell, apply_edit, matches, normalise, script
from .servers import start_servers_for_other_databases


@pytest.mark.slow
@pytest.mark.parametrize("step", course.steps(), ids=lambda step: step.folder.name)
def test_lesson_commands_show_what_the_learner_sees(step, tmp_path, request):
    start_servers_for_other_databases(step.number, request)
    server = tmp_path / "server"
    start(step.number, server)
    items = script(step.readme.read_text(encoding="utf-8"))
    assert any(isinstance(item, Command) for item in items), f"{step.readme} shows no command"
    shell = Shell(server)
    try:
        for item in items:
            if isinstance(item, str):
                apply_edit(item, step, server)
            else:
                assert_shows(item, shell, step.readme)
    finally:
        shell.close()


@pytest.mark.slow
def test_the_course_readme_shows_what_a_new_learner_sees(tmp_path):
    server = tmp_path / "server"
    start(1, server)
    readme = course.REPO_ROOT / "README.md"
    items = script(readme.read_text(encoding="utf-8"))
    assert items and all(isinstance(item, Command) for item in items)
    shell = Shell(server)
    for item in items:
        assert_shows(item, shell, readme)


def assert_shows(command, shell, readme):
    code, output = shell.run(command.line)
    shown = "\n".join(command.expected)
    expected = [normalise(line, shell.server) for line in command.expected]
    assert matches(expected, output.splitlines()), (
        f"{readme}\n$ {command.line}\n--- the lesson shows:\n{shown}\n--- the learner sees:\n{output}")


def test_every_step_has_hints():
    for step in course.steps():
        assert step.hints(), f"{step.folder}/hints.md has no '## ' hint"


@pytest.mark.parametrize("expected, actual, fits", [
    (["a", "...", "d"], ["a", "b", "c", "d"], True),
    (["a", "...", "d"], ["a", "b", "c"], False),
    (["a", "b"], ["a", "c"], False),
    (["a"], ["a", "b"], False),
    (["...", "b"], ["b"], True),
    (["data: .../data)."], ["data: /tmp/pg-1/data)."], True),
    (["data: .../data)."], ["data: /tmp/pg-1/other)."], False),
    # A "..." never hides a warning the learner reads; shown, it fits like any line.
    (["...", "b"], [".../render.py:488: UserWarning: no name", "  util.warn(", "b"], False),
    (["a", "...", "b"], ["a", "x", "m.py:3: DeprecationWarning: old", "b"], False),
    ([".../render.py:488: UserWarning: no name", "...", "b"],
     ["/venv/render.py:488: UserWarning: no name", "  util.warn(", "b"], True),
    (["...", "b"], ["WARNING  [alembic] a log line, not a Python warning", "b"], True),
])
def test_shown_output_must_fit_the_real_output(expected, actual, fits):
    assert matches(expected, actual) is fits

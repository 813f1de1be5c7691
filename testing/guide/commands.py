"""`pipenv run lesson …`: the learner's guide through the course, on top of the grader."""
import json
import sys
import time
from pathlib import Path

import click

from .. import course
from ..build import build_state
from ..command_errors import UsageError
from ..console import DIM, GREEN, RED, YELLOW, Status, paint, use_colour
from ..grader import ReportCache, grade, render_step
from . import backups, branches, evidence, hints, pg, solution, standing, workspace

STATE_COLOURS = {standing.PASSED: GREEN, standing.FAILING: RED, standing.NOT_STARTED: DIM,
                 standing.NOT_CHECKED: YELLOW}


class StepNumber(click.ParamType):
    """A step of the course, typed as 3 or 03."""
    name = "step"

    def convert(self, value: object, param: click.Parameter | None, ctx: click.Context | None) -> course.Step:
        if isinstance(value, course.Step):
            return value
        try:
            return course.step(int(str(value)))
        except ValueError:
            self.fail(f"{value!r} is not a step number", param, ctx)


STEP = StepNumber()
json_option = click.option("--json", "as_json", is_flag=True, help="Print one JSON object, for tools.")


@click.group(invoke_without_command=True)
@click.option("--server-dir", type=click.Path(file_okay=False, path_type=Path), default=course.SERVER_DIR,
              show_default="server/", help="The server folder you work in.")
@click.pass_context
def lesson(context: click.Context, server_dir: Path) -> None:
    """Move through the course: where you are, hints, checks, solutions, backups."""
    context.obj = server_dir
    if context.invoked_subcommand is None:
        context.invoke(status)


def server_dir() -> Path:
    return Path(click.get_current_context().obj)


# Each database's result, kept until the files it depends on change (`lesson` asks often).
KEPT_RESULTS = ReportCache(course.REPO_ROOT / ".lesson" / "cache")


def current_map() -> standing.CourseMap:
    """Grade every step once, on a scratch copy, and read the result as a course map. What the
    learner's own database looks like now is evidence for some steps, and is kept."""
    seen = evidence.for_grading(server_dir())
    with Status() as status, pg.lent_to_grades():
        report = grade(server_dir(), progress=status, cache=KEPT_RESULTS, evidence=seen)
    course_map = standing.course_map(report)
    evidence.keep(server_dir(), seen.now)
    return course_map


@lesson.command()
@json_option
def status(as_json: bool) -> None:
    """The course map: every step, where you are, and what to type next."""
    course_map = current_map()
    if as_json:
        click.echo(json.dumps(course_map.to_dict(), indent=2))
        return
    colour = use_colour()
    width = max(len(state.step.title) for state in course_map.states)
    click.echo(course.title())
    click.echo("")
    for state in course_map.states:
        marker = ">" if state is course_map.current else " "
        painted = paint(state.state, STATE_COLOURS[state.state], colour)
        click.echo(f" {marker} {state.step.label}  {state.step.title:<{width}}  {painted}  {state.reason}".rstrip())
    click.echo("")
    click.echo(next_steps(course_map))
    echo_notes(course_map)


def echo_notes(course_map: standing.CourseMap) -> None:
    for note in course_map.notes:
        click.echo(paint(f"\nNote: {note}", YELLOW, use_colour()))


def next_steps(course_map: standing.CourseMap) -> str:
    current = course_map.current
    if current is None:
        return ("Every step passes: you have finished the course.\n"
                "Compare your migrations with the course's: pipenv run lesson solution N")
    lines = [f"You are on step {current.step.label}, {current.step.title}.",
             f"  read:   {course.relative(current.step.readme)}"]
    action = course_map.next_action  # None before a README that asks for nothing in particular first
    if current.state != standing.NOT_STARTED:
        lines.append(f"  fix it, then type:   {course_map.next_command}")
        lines.append(f"  stuck?  pipenv run lesson hint {current.step.number}")
    elif action is not None and not action.typed:
        lines.append(f"  do:     {action.text}   (the lesson's first step)")
        lines.append(f"  type:   {course_map.next_command}   (then, in server/)")
    elif action is not None:
        lines.append(f"  type:   {course_map.next_command}   (the lesson's first command, in server/)")
    return "\n".join(lines)


@lesson.command()
@click.argument("step", type=STEP, required=False)
@json_option
def check(step: course.Step | None, as_json: bool) -> None:
    """Grade STEP (default: the step you are on) and say what to fix."""
    course_map = current_map()
    state = course_map.state_of(step.number) if step else course_map.focus
    passed = state.state == standing.PASSED
    if as_json:
        click.echo(json.dumps(state.to_dict(), indent=2))
    else:
        click.echo(check_text(state, use_colour()))
        echo_notes(course_map)
    sys.exit(0 if passed else 1)


def check_text(state: standing.StepState, colour: bool) -> str:
    lines = render_step(state.step.number, state.step.title, state.checks, colour)
    lines.append("")
    if state.state == standing.PASSED:
        following = next((later for later in course.steps() if later.number > state.step.number), None)
        lines.append(f"Step {state.step.label} passes." + (
            f" Next: step {following.label}, {course.relative(following.readme)}" if following else
            " That was the last step: you have finished the course."))
    else:
        lines.append(f"Stuck? pipenv run lesson hint {state.step.number}")
    return "\n".join(lines)


@lesson.command()
@click.argument("step", type=STEP, required=False)
def hint(step: course.Step | None) -> None:
    """The next hint for STEP (default: the step you are on), one at a time."""
    if step is None:
        step = current_map().focus.step
    number, total, text = hints.next_hint(step)
    click.echo(f"Hint {number} of {total} for step {step.label}, {step.title}:")
    click.echo("")
    click.echo(text)
    click.echo("")
    if number < total:
        click.echo(f"Another one: pipenv run lesson hint {step.number}")
    else:
        click.echo(f"That was the last hint. Still stuck? pipenv run lesson solution {step.number} --force")


@lesson.command(name="watch")
@click.option("--interval", type=click.FloatRange(min=0.01), default=0.1, show_default=True,
              help="Seconds without a new write before the check runs (an editor may save in several writes).")
def watch_command(interval: float) -> None:
    """Check the step you are on again each time you save a file of yours or your database changes."""
    try:
        from . import watch  # watchfiles: only this command needs it
    except ModuleNotFoundError as missing:  # a virtualenv made before the course needed it
        raise UsageError(f"the package {missing.name} is not installed here yet: "
                         "run `pipenv install --dev`, then try again") from None
    colour = use_colour()
    previous: list[int] = []  # the step checked last time

    def recheck():
        course_map = current_map()
        state = course_map.focus
        if previous and previous[-1] != state.step.number \
                and course_map.state_of(previous[-1]).state == standing.PASSED:
            click.echo(paint(f"Step {previous[-1]:02d} passes!", GREEN, colour))
        previous.append(state.step.number)
        click.echo(paint(f"-- step {state.step.label}, checked at {time.strftime('%H:%M:%S')} --", DIM, colour))
        if state.state == standing.NOT_STARTED:
            click.echo(next_steps(course_map))
        else:
            click.echo(check_text(state, colour))
        click.echo(paint("-- watching models.py, app.py, migrations/versions/ and instance/app.db (Ctrl-C stops) --",
                         DIM, colour))

    try:
        watch.watch(server_dir(), recheck, interval)
    except KeyboardInterrupt:
        click.echo("\nStopped watching.")


@lesson.command(name="view")
@click.option("--port", default=0, show_default="a free one", help="The port on 127.0.0.1 to serve the page on.")
def view_command(port: int) -> None:
    """Your database in a browser: chain, tables, rows, and what the current revision's upgrade changed."""
    from . import view  # Flask's web server: only this command needs it

    server = view.make_server(server_dir(), port)
    click.echo(f"Your database, live: http://127.0.0.1:{server.server_port}/  (Ctrl-C stops)")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        click.echo("\nStopped.")


@lesson.command(name="solution")
@click.argument("step", type=STEP)
@click.option("--force", is_flag=True, help="Show it even though the step does not pass yet.")
def solution_command(step: course.Step, force: bool) -> None:
    """The course's migration(s) for STEP, as a diff against yours."""
    if not step.migration_files:
        click.echo(f"Step {step.label} writes no migration: its work is the commands in "
                   f"{course.relative(step.readme)}.")
        return
    course_map = current_map()
    state = course_map.state_of(step.number)
    if state.state != standing.PASSED and not force:
        click.echo(f"Step {step.label} does not pass yet, so its solution stays hidden.\n"
                   f"Try a hint first (pipenv run lesson hint {step.number}), "
                   f"or see it anyway: pipenv run lesson solution {step.number} --force")
        sys.exit(1)
    chain_files = [name for each in course_map.states for name in each.files]
    diff = solution.solution_diff(step, server_dir(), state.files, chain_files)
    if not diff:
        click.echo(f"Your migrations for step {step.label} are the course's own, line for line.")
    click.echo(paint_diff(diff, use_colour()), nl=False)


def paint_diff(diff: str, colour: bool) -> str:
    def line_colour(line):
        if line.startswith(("+++", "---")):
            return None
        return {"+": GREEN, "-": RED, "@": DIM}.get(line[:1])

    return "".join(paint(line, line_colour(line), colour) if line_colour(line) else line
                   for line in diff.splitlines(keepends=True))


force_option = click.option("--force", is_flag=True,
                            help="Replace a server folder that is a link to a folder outside the course.")


@lesson.command()
@click.argument("step", type=STEP)
@force_option
def start(step: course.Step, force: bool) -> None:
    """Put your server folder at the beginning of STEP (your work is backed up first)."""
    earlier = course.steps_up_to(step.number - 1)
    done = f"{describe_steps(earlier)} done, database upgraded and seeded" if earlier else "the very beginning"
    click.echo(f"Putting {server_dir()} at the start of step {step.label} ({done}); "
               "what it holds now is backed up first.")
    with Status() as status:
        replaced = workspace.start(step.number, server_dir(), say=status, force=force)
    say_replaced(replaced, "the start of step " + step.label)
    click.echo(f"{server_dir()} is now at the start of step {step.label}, {step.title}.")
    click.echo(f"Next: read {course.relative(step.readme)}")


def describe_steps(steps: list[course.Step]) -> str:
    if len(steps) == 1:
        return f"step {steps[0].label}"
    if len(steps) == 2:
        return f"steps {steps[0].label} and {steps[1].label}"
    if [step.number for step in steps] != list(range(steps[0].number, steps[-1].number + 1)):
        return "steps " + ", ".join(step.label for step in steps)
    return f"steps {steps[0].label} to {steps[-1].label}"


@lesson.command()
@force_option
def reset(force: bool) -> None:
    """Put your server folder back at the very beginning (your work is backed up first)."""
    replaced = workspace.reset(server_dir(), force=force)
    say_replaced(replaced, "the very beginning")
    click.echo(f"{server_dir()} is back at the very beginning. Next: read "
               f"{course.relative(course.steps()[0].readme)}")


def say_replaced(replaced: workspace.Replaced, what: str) -> None:
    """Which of the learner's files gave way, and where they are kept."""
    if not replaced.anything:
        say_backup(replaced.backup)
        return
    versions = "migrations/versions/"
    lines = [f"Replaced by {what}:"]
    if replaced.changed:
        lines.append(f"  changed: {', '.join(replaced.changed)}")
    yours = [name.removeprefix(versions) for name in replaced.removed if name.startswith(versions)]
    others = [name for name in replaced.removed if not name.startswith(versions)]
    if yours:
        lines.append(f"  your migrations taken out: {', '.join(yours)}")
    if others:
        lines.append(f"  removed: {', '.join(others)}")
    put_in = [name.removeprefix(versions) for name in replaced.added if name.startswith(versions)]
    owners = [step for step in course.steps() if {path.name for path in step.migration_files} & set(put_in)]
    if owners:
        lines.append(f"  put in: the course's migrations of {describe_steps(owners)} ({len(put_in)} files)")
    click.echo("\n".join(lines))
    say_backup(replaced.backup)


def say_backup(backup: backups.Backup | None) -> None:
    if backup:
        click.echo(f"Saved your work in {backup.path} (pipenv run lesson restore {backup.name} brings it back).")


@lesson.command(name="restore")
@click.argument("name", required=False)
@force_option
def restore_command(name: str | None, force: bool) -> None:
    """List your backups, or restore the one called NAME ("latest" for the newest)."""
    if name is None:
        found = backups.all_backups()
        if not found:
            click.echo("No backups yet: `lesson start`, `lesson reset` and `lesson restore` make one first.")
            return
        click.echo("Your backups, newest first:")
        for backup in found:
            click.echo(f"  {backup.name}  made before `{backup.reason}`  (of {backup.server_dir})")
        click.echo(f"Restore one: pipenv run lesson restore {found[0].name}")
        return
    backup = backups.find(name)
    replaced = workspace.restore(backup, server_dir(), force=force)
    say_replaced(replaced, f"backup {backup.name}")
    click.echo(f"Restored {backup.name} into {server_dir()}.")


@lesson.command(name="branches")
@click.option("--force", is_flag=True, help="Move branches that already exist.")
def branches_command(force: bool) -> None:
    """Create git branches step-01-… to step-NN-…, one per step, at the course's end states."""
    names = branches.make_branches(server_dir(), force=force)
    click.echo(f"Made {len(names)} branches, one commit each on top of your HEAD:")
    for name in names:
        click.echo(f"  {name}")
    click.echo(f"See one step: git diff {names[0]} {names[1]}" if len(names) > 1 else "")
    click.echo(f"Jump to one:  git checkout {names[-1]}")


@lesson.command()
@click.argument("step", type=click.IntRange(min=0))
@click.argument("directory", type=click.Path(path_type=Path))
def build(step: int, directory: Path) -> None:
    """Write a server folder at the course's end state of STEP (0: the start) into the new DIRECTORY."""
    build_state(step, directory)
    click.echo(f"Wrote the end state of step {step:02d} to {directory}")

"""Decide, from the facts a grading session found (facts.py), which checks of which steps pass.

Which checks each step carries is declared in checks.py. Every step has "schema reached", "rows
kept on upgrade" (when it writes a migration), "downgrade round trip" for the revisions that took
the chain to its state, and "models.py matches the migrations"; the first step also has the checks
that stop everything when they fail (the app loads, the chain loads). A failure of the whole chain
is laid on the step whose work causes it — an upgrade from empty that fails on a later step's
revision fails that step, models.py against head fails the step the head belongs to — so a step's
verdict rests on that step's own work, whichever steps are graded. Check names never change with
the outcome, so an instructor can give points per check.
"""
import dataclasses
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from ... import course
from ..checks import (
    APP,
    BACKUP_TRIED,
    BY_TITLE,
    CHAIN,
    CHECK_CLEAN,
    DEFAULTS,
    FRESH_UPGRADE,
    LINTED,
    LIVE,
    MERGED,
    MODELS,
    NAMED,
    OFFLINE,
    ON_MYSQL,
    ON_POSTGRESQL,
    OTHER_DATABASES,
    OWN_POSTGRESQL,
    PARAMETERS,
    REACHED,
    REFERENCES,
    ROLLED_BACK,
    ROUND_TRIP,
    ROWS,
    WENT_DOWN,
    Check,
    Evidence,
    Outcome,
    Status,
    failed,
    needs_learner_machine,
    not_checked,
    of_step,
    passed,
)
from ..facts import Chain, ChainProblemKind, Direction, Facts, FailureWitness, Revision, SchemaItem, SchemaKind
from ..measure.ownership import keeps_state
from . import messages, production
from .report import Report, StepResult

NOT_REACHED = not_checked("the step's schema is not reached.")


@dataclass
class Ownership:
    """Where each step's state is reached: revision indices owned by each step."""
    owned: dict[int, list[int]] = field(default_factory=dict)  # step number -> [revision index]
    reached_at: dict[int, int] = field(default_factory=dict)  # step number -> revision index
    outcomes: dict[int, Outcome] = field(default_factory=dict)  # step number -> the Outcome of REACHED
    unfinished: int | None = None  # the step that work not yet reaching a state belongs to
    # The steps whose work the chain's head, and so models.py, is: the step being worked on, or every
    # step whose state the head reaches (the downgrade step shares the state of the step before).
    at_head: tuple[int, ...] = ()

    @property
    def head(self) -> int | None:
        """The first step whose work the chain's head is, or None."""
        return self.at_head[0] if self.at_head else None

    def started(self, number: int) -> bool:
        """Whether the learner's work shows on this step."""
        return number in self.owned or number == self.unfinished


def verdict(facts: Facts, steps: Sequence[course.Step], shown: Sequence[course.Step] | None = None) -> Report:
    """The Report of `shown` steps (all of `steps` when None). Every step of `steps` is judged, so
    that work on a later step is that later step's, whichever steps are shown."""
    shown = steps if shown is None else shown
    report = _judged(facts, steps)
    numbers = {step.number for step in shown}
    report.steps = [result for result in report.steps if result.step in numbers]
    report.stuck = stuck_on(report.steps)
    return report


def stuck_on(results: list[StepResult]) -> int | None:
    """The step where the learner is stuck: the first that fails a check of its own, else the first
    that does not pass (its checks wait for another step, or it has not begun)."""
    own = next((result.step for result in results
                if any(check.status == Status.FAILED for check in result.checks)), None)
    return own if own is not None else next((result.step for result in results if not result.passed), None)


def _judged(facts: Facts, steps: Sequence[course.Step]) -> Report:
    report = Report([StepResult(step.number, step.title) for step in steps], notes=list(facts.not_copied),
                    isolation=facts.isolation)
    first_number = steps[0].number
    blocked = blocker(facts)
    if blocked:
        blocked_check, message = blocked
        chain_checks = [APP, CHAIN]
        blocked_at = chain_checks.index(blocked_check)
        wait = not_checked(messages.fix_step_first(steps[0].label))
        for step, result in zip(steps, report.steps, strict=True):
            for check in of_step(step, step.number == first_number):
                if check in chain_checks and chain_checks.index(check) < blocked_at:
                    result.add(check, passed())
                elif check == blocked_check:
                    result.add(check, failed(message))
                else:
                    result.add(check, wait)
        # A migrations folder, or an app that no longer loads, is work on the first step at least.
        report.steps[0].started = facts.chain is None or facts.chain.problem != ChainProblemKind.NO_MIGRATIONS
        report.blocked = True
        return report
    revisions = facts.revisions
    report.notes += messages.learner_database(facts.learner_database) + _rows_gone(facts, revisions)
    ownership = _ownership(facts, steps, revisions)
    trailing = _trailing(facts, ownership, steps)
    for step, result in zip(steps, report.steps, strict=True):
        result.started = ownership.started(step.number)
        result.files = [revisions[index].file for index in ownership.owned.get(step.number, [])]
        # Revisions after the last state reached belong to the step being worked on.
        extra = trailing if step.number == ownership.unfinished else ()
        judging = Judging(facts, revisions, step, ownership, steps, extra)
        for check in of_step(step, step.number == first_number):
            result.add(check, JUDGES[check](judging))
        # Files all right: the learner's own database must have run them too (only `lesson` looks).
        behind = _database_behind(facts, steps, revisions, ownership, step) if result.passed else None
        if behind:
            reached = next(index for index, check in enumerate(result.checks) if check.check == REACHED)
            result.checks[reached] = dataclasses.replace(result.checks[reached], status=Status.FAILED, message=behind)
    return report


@dataclass(frozen=True)
class Judging:
    """What every check's judge reads: the facts, and where the step stands in them."""
    facts: object  # facts.Facts
    revisions: tuple
    step: course.Step
    ownership: Ownership
    steps: Sequence[course.Step]  # every step judged
    extra: tuple[int, ...] = ()  # revisions climbed after the last state reached, when they are this step's


def blocker(facts: Facts) -> tuple[Check, str] | None:
    """(check, message) for a problem that stops everything: the app or the chain, or a
    submission that changed what it must not while being graded."""
    if facts.changed_outside:
        return APP, messages.changed_outside(facts.changed_outside)
    app = facts.app
    if app is None:
        return APP, messages.stopped(facts.stopped) if facts.stopped else messages.not_checked("the app")
    if app.problem:
        return APP, messages.app_problem(app)
    chain = facts.chain
    if chain is None:
        return CHAIN, messages.stopped(facts.stopped) if facts.stopped else messages.not_checked("the chain")
    if chain.problem:
        return CHAIN, messages.chain_problem(chain)
    return None


def climb_failure(facts: Facts, revisions: tuple[Revision, ...]) -> tuple[int, str] | None:
    """(revision index, message) for a climb that did not reach head, or None."""
    failed = facts.upgrade_failed
    if failed:
        return failed.index, messages.learner_code_failed(failed.error) + messages.left_changed(failed.left)
    if len(facts.climbed) < len(revisions):
        return len(facts.climbed), messages.stopped(facts.stopped) if facts.stopped else messages.not_checked(
            "the climb stopped before head.")
    return None


def _app_check(judging):
    return passed()  # the app loaded: a blocker() otherwise


def _chain_check(judging):
    """The chain loads with one base and no missing revision. Two heads do not stop the grading (a
    stand-in merge joins them): they fail the step whose work made them (_ownership)."""
    count = len(judging.revisions)
    return passed(f"{count} migration{'' if count == 1 else 's'}")


def _trailing(facts, ownership, steps):
    """The revisions climbed after the last one that any step owns, and after the last one
    reaching the state of a later step."""
    owned = [index for indices in ownership.owned.values() for index in indices]
    numbers = {step.number for step in steps}
    later = [index for index, climbed in enumerate(facts.climbed)
             if any(not items for number, items in climbed.matches.items() if number not in numbers)]
    return tuple(range(max(owned + later, default=-1) + 1, len(facts.climbed)))


def _fresh_upgrade(judging):
    """The first step's own revisions, from an empty database; a later revision that fails is the
    later step's "schema reached"."""
    facts, revisions, ownership = judging.facts, judging.revisions, judging.ownership
    failure = climb_failure(facts, revisions)
    own = ownership.owned.get(judging.step.number, []) + list(judging.extra)
    if failure and (not own or failure[0] <= max(own)):
        return failed(failure[1])
    if not own:
        return NOT_REACHED
    return passed(f"base -> {revisions[max(own)].file}")


def _models_check(judging):
    """models.py against the chain's head: the step the head belongs to decides; earlier steps say
    where it was compared."""
    facts, revisions, ownership, step = judging.facts, judging.revisions, judging.ownership, judging.step
    later = _compared_later(ownership, step)
    if later is not None:
        return later
    at_head = facts.models_at_head
    if at_head is None:
        return not_checked("the migrations do not reach head.")
    if not at_head:
        return passed(messages.models_match_head())
    # A step that allows it (the downgrade step), reached at head, lets models.py stay one revision back.
    may_lag = any(each.models_may_lag and each.number in ownership.at_head for each in judging.steps)
    if may_lag and facts.models_before_head == ():
        return passed(messages.models_match_before_head(revisions[-1].file))
    return failed(messages.models_differ(at_head))


def _compared_later(ownership, step):
    """For a check of models.py on a step the head is not: an Outcome saying where it is compared."""
    if step.number in ownership.at_head:
        return None
    if ownership.head is None or step.number > ownership.head:
        return NOT_REACHED
    return passed(messages.models_compared_later(course.step(ownership.head).label))


def _ownership(facts, steps, revisions):
    """Find, in step order, the revision where each step's state is first reached, and whose work
    the chain's head and a failed upgrade are."""
    ownership = Ownership()
    # Every step's state is compared at every revision; a step missing there is one not reached.
    matches = [_MatchesOf(climbed.matches) for climbed in facts.climbed]
    failure = climb_failure(facts, revisions)
    last = -1  # index of the revision that reached the previous step's state
    # Work not yet reaching a state (a newer migration, models.py edited for a later step) belongs to one step.
    unfinished_work = _models_ahead(facts.models_at_head, matches, steps)
    blamed = None  # the step a failed upgrade was laid on
    for position, step in enumerate(steps):
        found = next((i for i in range(max(last, 0), len(matches)) if not matches[i][step.number]), None)
        if found is not None:
            kept = found  # and the backfills of their own after it, which leave its state as it is (ownership.py)
            while kept + 1 < len(matches) and keeps_state(matches[kept], matches[kept + 1], revisions[kept + 1].parents,
                                                          facts.climbed[kept + 1].backfilled):
                kept += 1
            ownership.owned[step.number] = list(range(last + 1, kept + 1))
            ownership.reached_at[step.number] = found
            ownership.outcomes[step.number] = passed(messages.state_reached(revisions[found].file))
            last = kept
            continue
        later = _reached_in_one_jump(facts.climbed, matches, steps[position + 1:], last)
        if later is not None:
            ownership.owned[step.number] = [last + 1]
            ownership.outcomes[step.number] = passed(messages.state_reached_together(later, revisions[last + 1].file))
            continue
        if ownership.unfinished is None and (unfinished_work or last + 1 < len(revisions)):
            ownership.unfinished = step.number
        if blamed is not None:
            ownership.outcomes[step.number] = not_checked(messages.chain_stops_at(course.step(blamed).label))
            continue
        if failure and failure[0] >= last + 1:
            ownership.outcomes[step.number] = failed(failure[1])
            blamed = step.number
            continue
        # The learner's own migrations for this step, after the previous step's state (that state
        # itself when there are none); of equally close revisions, the latest.
        first = last + 1 if last + 1 < len(matches) else max(last, 0)
        candidates = reversed(range(first, len(matches)))
        closest = min(candidates, key=lambda i: len(matches[i][step.number]), default=None)
        ownership.outcomes[step.number] = failed(messages.state_not_reached(
            step, revisions[closest].file if closest is not None else None,
            matches[closest][step.number] if closest is not None else ()))
    ownership.at_head = _head_steps(ownership, steps, revisions, unfinished_work)
    _lay_two_heads(facts, ownership, steps, revisions)
    return ownership


def _head_steps(ownership, steps, revisions, unfinished_work):
    """The steps whose work the chain's head is: the step being worked on when there is work beyond
    the last state reached (or models.py edited ahead), else the steps whose state the head reaches."""
    if ownership.unfinished is not None:
        return (ownership.unfinished,)
    last = len(revisions) - 1
    at_head = tuple(step.number for step in steps if ownership.reached_at.get(step.number) == last)
    if at_head:
        return at_head
    owning = [number for number, owned in ownership.owned.items() if owned and owned[-1] == last]
    return tuple(owning[-1:]) or ((steps[0].number,) if unfinished_work else ())


def _lay_two_heads(facts, ownership, steps, revisions):
    """Two heads, joined for the grade by a stand-in merge, would stop `flask db upgrade`: the first
    step whose revision is one of them has not reached its state for the learner (the step that
    teaches merging says so in its own check)."""
    heads = facts.unmerged_heads
    if not heads:
        return
    files = [revision.file for revision in revisions]
    indices = {files.index(head) for head in heads if head in files}
    owners = [number for number, owned in sorted(ownership.owned.items()) if indices & set(owned)]
    number = owners[0] if owners else ownership.head
    step = next((each for each in steps if each.number == number), None)
    if step is None or MERGED.title in step.checks:
        return
    ownership.outcomes[number] = failed(messages.chain_problem(Chain(ChainProblemKind.TWO_HEADS, files=heads)))


class _MatchesOf(dict):
    """A climbed revision's matches, where a step not compared counts as not reached: an unknown
    difference, never an empty list (which would say "reached")."""

    def __missing__(self, step):
        return (SchemaItem(SchemaKind.OTHER, detail=f"the state of step {step:02d} was not compared"),)


def _models_ahead(at_head, matches, steps):
    """Whether models.py differs from the chain's head the way the next step's state does: work
    begun on that step. A difference it does not share (a server default dropped from models.py, a
    column no step has) is a slip in the step the head reached, and stays with that step."""
    if not at_head or not matches:
        return bool(at_head)
    head = matches[-1]
    reached = max((step.number for step in steps if not head[step.number]), default=0)
    upcoming = next((step for step in steps if step.number > reached and head[step.number]), None)
    begun = {_item_key(item) for item in head[upcoming.number]} if upcoming else set()
    return any(_item_key(item) in begun for item in at_head)


def _item_key(item):
    """A schema item without its constraint name: a models.py without the naming convention yet
    still asks for the same unique constraint."""
    return item.kind, item.table, item.column, item.columns


def _reached_in_one_jump(climbed, matches, later_steps, last):
    """The later step that the revision after `last` reaches in one go, skipping a step's state.

    That is fine when it only changes tables that already hold rows (or starts from an empty
    database); a jump that creates a table skips the state where that table got its rows.
    """
    index = last + 1
    if index >= len(matches) or (last >= 0 and climbed[index].new_tables):
        return None
    return next((step.number for step in later_steps if not matches[index][step.number]), None)


def _reached_check(judging):
    return judging.ownership.outcomes[judging.step.number]


def _climb_losses(facts, revisions, indices):
    return [messages.loss(item, revisions[index].file, Direction.UPGRADE)
            for index in indices for item in facts.climbed[index].losses]


def _rows_check(judging):
    """Rows followed through the step's own revisions, and the trailing ones that are its work."""
    facts, revisions = judging.facts, judging.revisions
    owned, extra = judging.ownership.owned.get(judging.step.number), list(judging.extra)
    if owned is None and not _climb_losses(facts, revisions, extra):
        return NOT_REACHED
    indices = (owned or []) + extra
    findings = _climb_losses(facts, revisions, indices)
    if findings:
        return failed("\n".join(findings))
    # Say so when a table could not be given sample rows: its rows were not followed.
    notes = [messages.seed_refused(table, reason) for index in indices
             for table, reason in facts.climbed[index].refused_seed.items()]
    return passed("\n".join([messages.rows_kept([revisions[index].file for index in indices]), *notes]))


def _round_trip_check(judging):
    """Every revision of the step down and up again. A step that writes no migration (the
    downgrade step) tries the whole chain so far, and reports here what its trailing revisions
    lost on the way up (it has no rows check of its own)."""
    facts, revisions, ownership, step = judging.facts, judging.revisions, judging.ownership, judging.step
    extra = list(judging.extra)
    if step.migration_files:
        indices, climb_losses = ownership.owned.get(step.number), False
    else:
        reached = ownership.reached_at.get(step.number)
        indices, climb_losses = (list(range(reached + 1)) if reached is not None else None), True
    trips = {trip.index: trip for trip in facts.round_trips}
    findings = _climb_losses(facts, revisions, extra) if climb_losses else []
    extra_findings = findings + [finding for index in extra
                                 for finding in _trip_findings_at(facts, revisions, trips, index)]
    if indices is None and not extra_findings:
        return NOT_REACHED
    files, waiting = [], []
    for index in (indices or []) + extra:
        files.append(revisions[index].file)
        if index in trips or _stopped_at(facts, revisions, index):
            findings += _trip_findings_at(facts, revisions, trips, index)
        else:  # a later revision's trouble kept this one from being tried: not this step's doing
            waiting.append(_missing_trip(facts, revisions, index))
    if findings:
        return failed("\n".join(findings + waiting))
    if waiting:
        return Outcome(Status.NOT_CHECKED, "\n".join(waiting))
    return passed(messages.round_trip_ok(files))


def _trip_findings_at(facts, revisions, trips, index):
    trip = trips.get(index)
    if trip is None:
        return [_missing_trip(facts, revisions, index)]
    return _trip_findings(trip, revisions[index].file)


def _stopped_at(facts, revisions, index):
    """Whether the learner's process stopped on this revision itself."""
    return bool(facts.stopped and facts.stopped.revision == revisions[index].id)


def _missing_trip(facts, revisions, index):
    if _stopped_at(facts, revisions, index):
        return messages.stopped(facts.stopped)
    return messages.not_checked(f"a later migration's downgrade failed before {revisions[index].file} "
                                "could be tried.")


def _trip_findings(trip, file):
    if trip.downgrade_error:
        return [messages.learner_code_failed(trip.downgrade_error)]
    findings = _comparison_findings(trip.after_downgrade, file, Direction.DOWNGRADE, messages.downgrade_not_undone)
    if trip.reupgrade_error:
        return findings + [messages.learner_code_failed(trip.reupgrade_error)]
    return findings + _comparison_findings(trip.after_reupgrade, file, Direction.UPGRADE, messages.reupgrade_differs)


def _comparison_findings(comparison, file, direction, schema_message):
    """Lost rows first (they say what to write); else a wrong schema; else rows not as before."""
    if comparison is None:  # the walk stopped before it compared
        return [messages.not_checked(f"the {direction} of {file} was not compared.")]
    if comparison.losses:
        return [messages.loss(item, file, direction) for item in comparison.losses]
    if comparison.schema:
        return [schema_message(file, comparison.schema)]
    if comparison.differences:
        return [messages.not_as_before(item, file, direction) for item in comparison.differences]
    return [messages.later_rows_lost(item, file) for item in comparison.later_rows_lost]


# -- the checks a step asks for -----------------------------------------------------------
# Each takes a Judging and returns an Outcome (checks.py).

def _owned_revisions(facts, revisions, step, ownership):
    """[(revision, climbed facts)] for the revisions that brought the chain to this step, or None."""
    owned = ownership.owned.get(step.number)
    if owned is None:
        return None
    return [(revisions[index], facts.climbed[index]) for index in owned]


def _defaults_check(judging):
    """The rows already in the table hold a value in the new column: its server default, or one the
    migration wrote (the backfill way). The database must know the default either way."""
    facts, revisions, step, ownership = judging.facts, judging.revisions, judging.step, judging.ownership
    owned = _owned_revisions(facts, revisions, step, ownership)
    if owned is None:
        return NOT_REACHED
    filled = [(revision.file, item) for revision, climbed in owned for item in climbed.filled]
    if not any(item.default for _, item in filled):
        return failed(messages.no_server_default([revision.file for revision, _ in owned]))
    findings = [messages.placeholder_values(item, file, empty) for file, item in filled
                if (empty := [(value, count) for value, count in item.values if _says_nothing(value)])]
    if findings:
        return failed("\n".join(findings))
    return passed(messages.defaults_given([item for _, item in filled]))


def _says_nothing(value):
    """NULL or blank text: a value that fills a NOT NULL column without meaning anything."""
    return value is None or (isinstance(value, str) and not value.strip())


def _named_check(judging):
    facts, revisions, step, ownership = judging.facts, judging.revisions, judging.step, judging.ownership
    reached = ownership.reached_at.get(step.number)
    if reached is None:
        return NOT_REACHED
    unnamed = facts.climbed[reached].unnamed.get(step.number, ())
    if unnamed:
        return failed(messages.unnamed_constraints(revisions[reached].file, unnamed))
    return passed(messages.constraints_named())


def _references_check(judging):
    facts, revisions, step, ownership = judging.facts, judging.revisions, judging.step, judging.ownership
    owned = _owned_revisions(facts, revisions, step, ownership)
    if owned is None:
        return NOT_REACHED
    findings = [messages.dangling(item, revision.file) for revision, climbed in owned for item in climbed.dangling]
    if findings:
        return failed("\n".join(findings))
    return passed(messages.references_ok([revision.file for revision, _ in owned]))


def _parameters_check(judging):
    facts, revisions, step, ownership = judging.facts, judging.revisions, judging.step, judging.ownership
    owned = _owned_revisions(facts, revisions, step, ownership)
    if owned is None:
        return NOT_REACHED
    findings = [messages.formatted_sql(revision.file, finding)
                for revision, _ in owned for finding in revision.formatted_sql]
    if findings:
        return failed("\n".join(findings))
    return passed(messages.parameters_ok([revision.file for revision, _ in owned]))


def _offline_check(judging):
    offline = judging.facts.offline
    if offline is None:
        return not_checked("the chain could not be rendered (see the checks above).")
    if offline.error:
        later = _later_step_of_file(judging, offline.error.file)
        if later is not None:  # the revisions before it rendered: the failure is that step's work
            return passed(messages.offline_fails_later(offline, course.step(later).label))
        return failed(messages.offline_failed(offline))
    return passed(messages.offline_ok(offline.dialect))


def _later_step_of_file(judging, path):
    """The step after judging.step whose revision `path` (relative to the server folder) is, or None."""
    names = [revision.file.rsplit("/", 1)[-1] for revision in judging.revisions]
    name = (path or "").rsplit("/", 1)[-1]
    if name not in names:
        return None
    index = names.index(name)
    owner = next((number for number, owned in judging.ownership.owned.items() if index in owned),
                 judging.ownership.unfinished)
    return owner if owner is not None and owner > judging.step.number else None


def _check_clean_check(judging):
    facts, step, ownership = judging.facts, judging.step, judging.ownership
    later = _compared_later(ownership, step)
    if later is not None:
        return later
    at_head = facts.models_at_head
    if at_head is None:
        return not_checked("the migrations do not reach head.")
    if at_head:
        return failed(messages.models_differ(at_head))
    return passed(messages.models_match_head())


def _merged_check(judging):
    facts, revisions, step, ownership = judging.facts, judging.revisions, judging.step, judging.ownership
    if facts.unmerged_heads:  # the state this step begins with: merging is its work
        return failed(messages.merge_heads(facts.unmerged_heads))
    owned = ownership.owned.get(step.number)
    if owned is None:
        return NOT_REACHED
    merges = [revision.file for revision in revisions[owned[0]:] if len(revision.parents) > 1]
    if not merges:
        return failed(messages.no_merge([revisions[index].file for index in owned]))
    return passed(messages.merged(merges))


def _rolled_back_check(judging):
    facts, revisions, step, ownership = judging.facts, judging.revisions, judging.step, judging.ownership
    reached = ownership.reached_at.get(step.number)
    if reached is None:
        return NOT_REACHED
    probe = facts.failure_probe
    file = revisions[reached].file
    if probe is None or probe.index != reached:
        if facts.stopped:
            return failed(messages.stopped(facts.stopped))
        return Outcome(Status.NOT_CHECKED, messages.probe_not_run(file))
    if probe.witness == FailureWitness.NEVER_RAISED:
        return failed(messages.failure_never_raised(file))
    if probe.statement is None:
        return Outcome(Status.NOT_CHECKED, messages.nothing_to_interrupt(file, probe.error))
    if probe.witness == FailureWitness.NOTHING:
        return failed(messages.failure_never_happened(file, probe.statement))
    raised_by_server = probe.witness == FailureWitness.SERVER_RAISED
    if probe.clean:
        message = messages.rolled_back_by_server(file, probe.statement) if raised_by_server \
            else messages.rolled_back(file, probe.statement)
        return Outcome(Status.PASSED, message, UNWITNESSED_EVIDENCE.get(probe.witness))
    left_behind = messages.left_behind(probe)
    if graded_database(facts) == "mysql":  # no setting makes MySQL's DDL transactional: nothing to ask for
        return passed(messages.mysql_cannot_roll_back(file, probe.statement, left_behind))
    if graded_database(facts) == "postgresql":
        return failed(messages.half_changed_on_postgres(file, probe.statement, left_behind, raised_by_server))
    return failed(messages.half_changed(file, probe.statement, left_behind))


# Where nothing but the learner's process saw the failure made on purpose happen, the check says so.
UNWITNESSED_EVIDENCE = {FailureWitness.NO_INOTIFY: Evidence.UNWITNESSED_FAILURE,
                        FailureWitness.WAL: Evidence.UNWITNESSED_FAILURE,
                        FailureWitness.NO_SUPERUSER: Evidence.UNRAISED_FAILURE}


def graded_database(facts: Facts) -> str:
    """The kind of database graded: sqlite, postgresql or mysql ("" if unknown)."""
    url = (facts.app.database if facts.app else None) or ""
    return url.split(":", 1)[0].split("+", 1)[0]  # "mysql+pymysql://…" -> mysql


def _elsewhere_check(name):
    database = OTHER_DATABASES[name]
    where = name.title.removeprefix("chain runs on ")

    def check(judging):
        facts, step, ownership = judging.facts, judging.step, judging.ownership
        if step.number not in ownership.reached_at:
            return NOT_REACHED
        found = facts.elsewhere.get(database)
        if found is None:
            return not_checked("the chain was not run there.")
        if found.unavailable:
            return not_checked(found.unavailable)
        if found.failed:
            return failed(messages.fails_elsewhere(where, database, found.failed))
        return passed(messages.passes_elsewhere(where, found.steps))
    return check


def databases_to_try(facts: Facts, steps: list[course.Step]) -> list[str]:
    """The databases a step whose state is reached asks the whole chain to run on."""
    if blocker(facts):
        return []
    ownership = _ownership(facts, steps, facts.revisions)
    return [OTHER_DATABASES[BY_TITLE[title]] for step in steps if step.number in ownership.reached_at
            for title in step.checks if BY_TITLE[title] in OTHER_DATABASES]


def without_other_databases(step: course.Step) -> course.Step:
    """The step without its requests to run on other databases (so grading there does not recurse)."""
    return dataclasses.replace(step, checks=tuple(title for title in step.checks
                                                  if BY_TITLE[title] not in OTHER_DATABASES))


def probed_steps(steps: list[course.Step]) -> list[int]:
    """The steps whose migration the worker must make fail on purpose."""
    return [step.number for step in steps if ROLLED_BACK.title in step.checks]


# -- evidence from the learner's own database --------------------------------------------------
# `facts.evidence` (facts.Evidence): None when grading submitted files only.

def _evidence_check(judge_looks):
    def check(judging):
        facts, revisions, step, ownership = judging.facts, judging.revisions, judging.step, judging.ownership
        reached = ownership.reached_at.get(step.number)
        if reached is None:
            return NOT_REACHED
        evidence = facts.evidence
        if evidence is None:
            return needs_learner_machine(messages.evidence_not_here(step))
        if step.number in evidence.given:
            return passed(messages.evidence_given(step))
        return judge_looks(evidence, revisions, reached, step)
    return check


def _database_behind(facts, steps, revisions, ownership, step):
    """Why the learner's own database has not run the step's migrations yet, or None.

    Only `lesson` looks at it. The downgrade step lets it stay one revision below its state, once it
    has been seen there. Part 3 runs on the learner's PostgreSQL: what was seen there stands when
    that server is stopped, as the lessons ask, and the SQLite database is never asked to run it."""
    evidence = facts.evidence
    owned = ownership.owned.get(step.number)
    if evidence is None or not owned or facts.unmerged_heads or step.number in evidence.given:
        return None
    target = owned[-1]
    if step.database is not None:
        seen = [look for look in evidence.looks if look.database == step.database]
        if any(_position(look, revisions) is not None and _position(look, revisions) >= target for look in seen):
            return None
        return messages.server_database_behind(revisions[target].file, step.database,
                                               seen[-1].versions if seen else None)
    now = evidence.now
    if not now:
        return None
    position = _position(now, revisions)
    if position is None or position >= target:
        return None
    lagging = [ownership.reached_at[other.number] for other in steps
               if other.models_may_lag and other.number in ownership.reached_at]
    if any(position == reached - 1 and target == reached and _seen_at(evidence, revisions, reached)
           for reached in lagging):
        return None
    return messages.database_behind(revisions[target].file, now.versions)


def _seen_at(evidence, revisions, reached):
    """Whether `lesson` ever saw the learner's database at `reached` or later, with every row."""
    return any(_at_state(look, revisions, reached) for look in evidence.looks)


def _rows_gone(facts, revisions):
    """[a note] when seed.py's rows went missing from the learner's own database, else []."""
    now = facts.evidence and facts.evidence.now
    if not now or not now.found or not now.missing:
        return []
    tables = {item.split(":", 1)[0] for item in now.missing}
    droppers = [revisions[climbed.index].file for climbed in facts.climbed
                if any(loss.table in tables for loss in climbed.losses)]
    return [messages.rows_gone(now.missing, droppers)]


def _position(look, revisions):
    """The index of the newest revision a look's alembic_version names: -1 at base, None if unknown."""
    ids = [revision.id for revision in revisions]
    if any(version not in ids for version in look.versions):
        return None
    return max((ids.index(version) for version in look.versions), default=-1)


def _intact(look):
    return look.found > 0 and not look.missing


def _at_state(look, revisions, reached):
    """At the revision that reached the step's state, or later, with every sample row."""
    position = _position(look, revisions)
    return position is not None and position >= reached and _intact(look)


def _went_down(evidence, revisions, reached, step):
    """Seen at the step's state with every row, and after that one revision down, rows intact."""
    below = sorted(revisions[reached].parents)
    looks = evidence.looks
    up = next((index for index, look in enumerate(looks) if _at_state(look, revisions, reached)), None)
    if up is None:
        return failed(messages.never_seen_up(revisions[reached].file, evidence.now.versions if evidence.now else None))
    down = [look for look in looks[up + 1:] if sorted(look.versions) == below]
    if any(_intact(look) for look in down):
        stopped = evidence.now is not None and sorted(evidence.now.versions) == below
        return passed(messages.went_down(below, revisions[reached].file, stopped))
    if down:
        return failed(messages.went_down_losing(below, down[-1].missing))
    return failed(messages.not_seen_down(below, step))


def _backup_tried(evidence, revisions, reached, step):
    """Seen at the step's state, then emptied by `flask db downgrade base`, then back with every row."""
    looks = evidence.looks
    first = next((index for index, look in enumerate(looks) if _at_state(look, revisions, reached)), None)
    emptied = next((index for index, look in enumerate(looks) if first is not None and index > first
                    and not look.versions), None)
    if emptied is None:
        return failed(messages.not_seen_emptied(step))
    if any(_at_state(look, revisions, reached) for look in looks[emptied + 1:]):
        return passed(messages.backup_worked())
    return failed(messages.not_seen_restored(step))


def _own_postgresql(evidence, revisions, reached, step):
    seen = [look for look in evidence.looks if look.database in OWN_POSTGRESQL.databases]
    if any(_at_state(look, revisions, reached) for look in seen):
        return passed(messages.postgresql_seen())
    return failed(messages.not_seen_on_postgresql(step, bool(seen)))


def _live_check(judging):
    """Part 3: the previous step's app, running during and after the step's migrations (traffic.py)."""
    facts, revisions, step = judging.facts, judging.revisions, judging.step
    runs = [run for run in facts.traffic if run.step == step.number]
    if not runs:
        if graded_database(facts) not in LIVE.databases:
            return not_checked(messages.postgresql_only())
        return NOT_REACHED
    broken = facts.upgrade_failed
    if broken and any(run.index == broken.index for run in runs):
        return not_checked(f"{revisions[broken.index].file} failed (see above).")
    in_production = production.judge(facts, step.number)
    findings = [*in_production.refused] + [
        messages.traffic_trouble(run, revisions[run.index].file, _sets_local_lock_timeout(facts, run.index))
        for run in runs if run.seen.errors or any(wait.seconds > run.seen.bound for wait in run.seen.waits)]
    unmeasured = [messages.not_checked(why) for why in in_production.unmeasured]
    advice = messages.squawk_advice([(revisions[run.index].file, run.squawk) for run in runs])
    if findings:
        return failed("\n".join(findings + unmeasured + advice))
    if unmeasured:  # nothing seen wrong, and not all of it seen: no verdict either way
        return not_checked("\n".join(unmeasured + advice).removeprefix("Not checked: "))
    return passed("\n".join([messages.traffic_ok(runs, [revisions[run.index].file for run in runs]),
                              production.passed(facts, step.number), *advice]))


SET_LOCAL_LOCK_TIMEOUT = re.compile(r"^\s*SET\s+LOCAL\s+lock_timeout\b", re.I)


def _sets_local_lock_timeout(facts, index):
    """The revision at `index` ran `SET LOCAL lock_timeout` (as the grader saw its statements)."""
    return any(SET_LOCAL_LOCK_TIMEOUT.match(cost.statement)
               for run in facts.measured if run.index == index for cost in run.statements)


def _linted_check(judging):
    """Part 3's migrations as a reviewer's linter reads them: every finding fixed, or its rule
    silenced in server/.squawk.toml with a reason written next to it (squawk runs in the copy of
    server/, so that file applies). squawk reads what the grade's role ran, from the server's log;
    where there was none, the SQL the learner's process rendered, and the evidence says so."""
    outcome = _lint_outcome(judging)
    rendered = any(not run.squawk.from_server_log for run in judging.facts.traffic)
    return dataclasses.replace(outcome, evidence=Evidence.LEARNER_RENDER) if rendered else outcome


def _lint_outcome(judging):
    facts, revisions, step, ownership = judging.facts, judging.revisions, judging.step, judging.ownership
    if step.number not in ownership.reached_at:
        return NOT_REACHED
    if not facts.traffic:
        if graded_database(facts) not in LINTED.databases:
            return not_checked(messages.postgresql_only())
        return not_checked("no Part 3 migration ran (see above).")
    linted = [(revisions[run.index].file, run.squawk) for run in facts.traffic]
    refused = next((result.configuration for _, result in linted if result.configuration), None)
    if refused:
        return failed(messages.squawk_config_refused(refused))
    unavailable = [(file, result.unavailable) for file, result in linted if result.unavailable]
    if unavailable:
        return failed(messages.squawk_unavailable(*unavailable[0]))
    problems = []
    if facts.squawk_config and facts.squawk_config.unexplained:
        problems.append(messages.reasons_missing(facts.squawk_config.unexplained))
    findings = [(file, finding) for file, result in linted for finding in result.findings]
    if findings:
        problems.append(messages.lint_unanswered(findings))
    if problems:
        return failed("\n".join(problems))
    return passed(messages.lint_clean([file for file, _ in linted]))


JUDGES = {
    APP: _app_check,
    CHAIN: _chain_check,
    FRESH_UPGRADE: _fresh_upgrade,
    REACHED: _reached_check,
    ROWS: _rows_check,
    ROUND_TRIP: _round_trip_check,
    MODELS: _models_check,
    DEFAULTS: _defaults_check,
    NAMED: _named_check,
    REFERENCES: _references_check,
    PARAMETERS: _parameters_check,
    OFFLINE: _offline_check,
    CHECK_CLEAN: _check_clean_check,
    MERGED: _merged_check,
    ROLLED_BACK: _rolled_back_check,
    ON_POSTGRESQL: _elsewhere_check(ON_POSTGRESQL),
    ON_MYSQL: _elsewhere_check(ON_MYSQL),
    WENT_DOWN: _evidence_check(_went_down),
    BACKUP_TRIED: _evidence_check(_backup_tried),
    OWN_POSTGRESQL: _evidence_check(_own_postgresql),
    LIVE: _live_check,
    LINTED: _linted_check,
}

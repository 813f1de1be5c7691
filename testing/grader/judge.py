"""Decide, from the facts a grading session found (facts.py), which checks of which steps pass.

Step 1 carries the checks that concern the whole chain (the app loads, the chain is sound, it
upgrades from empty, models.py agrees with it). Every step then has "schema reached"; a step
that writes a migration adds "rows kept on upgrade" and "downgrade round trip" for the revisions
that took the chain to its state; a step that writes none (the downgrade step) checks the round
trip of the whole chain so far. Check names never change with the outcome, so an instructor
can give points per check.
"""
import dataclasses
from dataclasses import dataclass, field

from . import messages, production
from .facts import Chain, ChainProblemKind, Direction, SchemaItem, SchemaKind
from .report import Report, StepResult

APP = "app loads"
CHAIN = "migration chain"
FRESH_UPGRADE = "upgrade from an empty database"
MODELS = "models.py matches the migrations"
REACHED = "schema reached"
ROWS = "rows kept on upgrade"
ROUND_TRIP = "downgrade round trip"
# Checks a step asks for by name in lessons/course.toml ("checks = [...]"), in the order listed there.
DEFAULTS = "existing rows get the default"
NAMED = "constraints have names"
REFERENCES = "every reference points at a row"
PARAMETERS = "SQL uses bound parameters"
OFFLINE = "chain renders as SQL"
CHECK_CLEAN = "flask db check finds nothing"
MERGED = "branches joined by a merge"
ROLLED_BACK = "a failed migration changes nothing"
ON_POSTGRESQL = "chain runs on PostgreSQL"
ON_MYSQL = "chain runs on MySQL/MariaDB"
# Work done on the learner's own database, seen by `lesson` (testing/guide/evidence.py).
WENT_DOWN = "your database went one revision down"
BACKUP_TRIED = "your backup brought your database back"
OWN_POSTGRESQL = "your PostgreSQL ran the chain"
OTHER_DATABASES = {ON_POSTGRESQL: "postgresql", ON_MYSQL: "mysql"}
LIVE = "the running app keeps working"
LINTED = "squawk has nothing unanswered"

NOT_REACHED = messages.not_checked("the step's schema is not reached.")


@dataclass
class Progress:
    """Where each step's state is reached: revision indices owned by each step."""
    owned: dict = field(default_factory=dict)  # step number -> [revision index]
    reached_at: dict = field(default_factory=dict)  # step number -> revision index
    messages: dict = field(default_factory=dict)  # step number -> (passed, message) for REACHED
    unfinished: int = None  # the step that work not yet reaching a state belongs to

    def started(self, number):
        """Whether the learner's work shows on this step."""
        return number in self.owned or number == self.unfinished


def verdict(facts, steps):
    report = Report([StepResult(step.number, step.title) for step in steps], notes=list(facts.not_copied),
                    isolation=facts.isolation)
    first = report.steps[0]
    blocked = blocker(facts)
    if blocked:
        blocked_name, message = blocked
        chain_checks = [APP, CHAIN, FRESH_UPGRADE, MODELS]
        blocked_at = chain_checks.index(blocked_name)
        for position, name in enumerate(chain_checks):
            if position < blocked_at:
                first.add(name, True, "")
            elif position == blocked_at:
                first.add(name, False, message)
            else:
                first.add(name, False, messages.not_checked(messages.fix_step_first(steps[0].label)))
        for step, result in zip(steps, report.steps):
            for name in _step_check_names(step):
                result.add(name, False, messages.not_checked(messages.fix_step_first(steps[0].label)))
        # A migrations folder, or an app that no longer loads, is work on the first step at least.
        first.started = facts.chain is None or facts.chain.problem != ChainProblemKind.NO_MIGRATIONS
        report.blocked = True
        return report
    revisions = facts.revisions
    report.notes += messages.learner_database(facts.learner_database) + _rows_gone(facts, revisions)
    first.add(APP, True, "")
    first.add(*_chain_check(facts, revisions))
    first.add(*_fresh_upgrade(facts, revisions))
    progress = _progress(facts, steps, revisions)
    first.add(*_models_check(facts, steps, revisions, progress))
    trailing = _trailing(facts, progress, steps)
    # Revisions after the last state reached belong to the step being worked on (else the last one):
    # their rows are followed too, whatever step they are for.
    holder = progress.unfinished if progress.unfinished in [step.number for step in steps] else steps[-1].number
    for step, result in zip(steps, report.steps):
        result.started = progress.started(step.number)
        result.files = [revisions[index].file for index in progress.owned.get(step.number, [])]
        passed, message = progress.messages[step.number]
        result.add(REACHED, passed, message)
        owned = progress.owned.get(step.number)
        extra = trailing if step.number == holder else []
        if step.migration_files:
            result.add(*_rows_check(facts, revisions, owned, extra))
            result.add(*_round_trip_check(facts, revisions, owned, extra))
        else:
            reached = progress.reached_at.get(step.number)
            indices = list(range(reached + 1)) if reached is not None else None
            result.add(*_round_trip_check(facts, revisions, indices, extra, climb_losses=True))
        for name in step.checks:
            result.add(name, *STEP_CHECKS[name](facts, revisions, step, progress))
        # Files all right: the learner's own database must have run them too (only `lesson` looks).
        behind = _database_behind(facts, steps, revisions, progress, step) if result.passed else None
        if behind:
            reached = next(index for index, check in enumerate(result.checks) if check.name == REACHED)
            result.checks[reached] = dataclasses.replace(result.checks[reached], passed=False, message=behind)
    return report


def _step_check_names(step):
    common = [REACHED, ROWS, ROUND_TRIP] if step.migration_files else [REACHED, ROUND_TRIP]
    return common + list(step.checks)


def blocker(facts):
    """(check name, message) for a problem that stops everything: the app or the chain, or a
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


def climb_failure(facts, revisions):
    """The message for a climb that did not reach head, or None."""
    failed = facts.upgrade_failed
    if failed:
        return failed.index, messages.learner_code_failed(failed.error) + messages.left_changed(failed.left)
    if len(facts.climbed) < len(revisions):
        return len(facts.climbed), messages.stopped(facts.stopped) if facts.stopped else messages.not_checked(
            "the climb stopped before head.")
    return None


def _chain_check(facts, revisions):
    """Two heads do not stop the grading (a stand-in merge joins them), but `flask db upgrade` would."""
    heads = facts.unmerged_heads
    if heads:
        return CHAIN, False, messages.chain_problem(Chain(ChainProblemKind.TWO_HEADS, files=heads))
    return CHAIN, True, f"{len(revisions)} migrations, one head"


def _trailing(facts, progress, steps):
    """The revisions climbed after the last one that any graded step owns, and after the last one
    reaching the state of a step not graded here (graded up to step N, later steps' migrations are
    theirs: one step's points in Classroom are not lost to a later step's mistake)."""
    owned = [index for indices in progress.owned.values() for index in indices]
    graded = {step.number for step in steps}
    later = [index for index, climbed in enumerate(facts.climbed)
             if any(not items for number, items in climbed.matches.items() if number not in graded)]
    return list(range(max(owned + later, default=-1) + 1, len(facts.climbed)))


def _fresh_upgrade(facts, revisions):
    failure = climb_failure(facts, revisions)
    if failure:
        return FRESH_UPGRADE, False, failure[1]
    return FRESH_UPGRADE, True, f"base -> {revisions[-1].file}"


def _models_check(facts, steps, revisions, progress):
    at_head = facts.models_at_head
    if at_head is None:
        return MODELS, False, messages.not_checked("the migrations do not reach head.")
    if not at_head:
        return MODELS, True, messages.models_match_head()
    # Only a learner who got as far as a step that allows it may leave models.py one revision back.
    may_lag = any(step.models_may_lag and step.number in progress.reached_at for step in steps)
    if may_lag and facts.models_before_head == ():
        return MODELS, True, messages.models_match_before_head(revisions[-1].file)
    return MODELS, False, messages.models_differ(at_head)


def _progress(facts, steps, revisions):
    """Find, in step order, the revision where each step's state is first reached."""
    progress = Progress()
    # Every step's state is compared at every revision; a step missing there is one not reached.
    matches = [_MatchesOf(climbed.matches) for climbed in facts.climbed]
    failure = climb_failure(facts, revisions)
    last = -1  # index of the revision that reached the previous step's state
    # Work not yet reaching a state (a newer migration, models.py edited for a later step) belongs to one step.
    unfinished_work = _models_ahead(facts.models_at_head, matches, steps)
    for position, step in enumerate(steps):
        found = next((i for i in range(max(last, 0), len(matches)) if not matches[i][step.number]), None)
        if found is not None:
            progress.owned[step.number] = list(range(last + 1, found + 1))
            progress.reached_at[step.number] = found
            progress.messages[step.number] = (True, messages.state_reached(revisions[found].file))
            last = found
            continue
        later = _reached_in_one_jump(facts.climbed, matches, steps[position + 1:], last)
        if later is not None:
            progress.owned[step.number] = [last + 1]
            progress.messages[step.number] = (True, messages.state_reached_together(
                later, revisions[last + 1].file))
            continue
        if progress.unfinished is None and (unfinished_work or last + 1 < len(revisions)):
            progress.unfinished = step.number
        if failure and failure[0] >= last + 1:
            progress.messages[step.number] = (False, failure[1])
            continue
        # From the previous step's state on; of equally close revisions, the latest.
        candidates = reversed(range(max(last, 0), len(matches)))
        closest = min(candidates, key=lambda i: len(matches[i][step.number]), default=None)
        progress.messages[step.number] = (False, messages.state_not_reached(
            step, revisions[closest].file if closest is not None else None,
            matches[closest][step.number] if closest is not None else ()))
    return progress


class _MatchesOf(dict):
    """A climbed revision's matches, where a step not compared counts as not reached: an unknown
    difference, never an empty list (which would say "reached")."""

    def __missing__(self, step):
        return (SchemaItem(SchemaKind.OTHER, detail=f"the state of step {step:02d} was not compared"),)


def _models_ahead(at_head, matches, steps):
    """Whether models.py differs from the chain's head the way a state not reached yet does: work
    begun on a later step. A difference no later state shares (a server default dropped from
    models.py, say) is a slip in the step the head reached, and stays with that step."""
    if not at_head or not matches:
        return bool(at_head)
    head = matches[-1]
    reached = max((step.number for step in steps if not head[step.number]), default=0)
    later = {_item_key(item) for step in steps if step.number > reached for item in head[step.number]}
    return any(_item_key(item) in later for item in at_head)


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


def _climb_losses(facts, revisions, indices):
    return [messages.loss(item, revisions[index].file, Direction.UPGRADE)
            for index in indices for item in facts.climbed[index].losses]


def _rows_check(facts, revisions, owned, extra=()):
    """Rows followed through the step's own revisions, and `extra` ones after them."""
    if owned is None and not _climb_losses(facts, revisions, extra):
        return ROWS, False, NOT_REACHED
    indices = (owned or []) + list(extra)
    findings = _climb_losses(facts, revisions, indices)
    if findings:
        return ROWS, False, "\n".join(findings)
    # Say so when a table could not be given sample rows: its rows were not followed.
    notes = [messages.seed_refused(table, reason) for index in indices
             for table, reason in facts.climbed[index].refused_seed.items()]
    return ROWS, True, "\n".join([messages.rows_kept([revisions[index].file for index in indices]), *notes])


def _round_trip_check(facts, revisions, indices, extra=(), climb_losses=False):
    """Every revision of `indices` and `extra` down and up again; `climb_losses`: a step without a
    rows check of its own reports here what `extra` revisions lost on the way up."""
    trips = {trip.index: trip for trip in facts.round_trips}
    findings = _climb_losses(facts, revisions, extra) if climb_losses else []
    extra_findings = findings + [finding for index in extra
                                 for finding in _trip_findings_at(facts, revisions, trips, index)]
    if indices is None and not extra_findings:
        return ROUND_TRIP, False, NOT_REACHED
    files = []
    for index in (indices or []) + list(extra):
        files.append(revisions[index].file)
        findings += _trip_findings_at(facts, revisions, trips, index)
    if findings:
        return ROUND_TRIP, False, "\n".join(findings)
    return ROUND_TRIP, True, messages.round_trip_ok(files)


def _trip_findings_at(facts, revisions, trips, index):
    trip = trips.get(index)
    if trip is None:
        return [_missing_trip(facts, revisions, index)]
    return _trip_findings(trip, revisions[index].file)


def _missing_trip(facts, revisions, index):
    stopped = facts.stopped
    if stopped and stopped.revision == revisions[index].id:
        return messages.stopped(stopped)
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
    return [messages.not_as_before(item, file, direction) for item in comparison.differences]


# -- the checks a step asks for -----------------------------------------------------------
# Each takes (facts, revisions, step, progress) and returns (passed, message).

def _owned_revisions(facts, revisions, step, progress):
    """[(revision, climbed facts)] for the revisions that brought the chain to this step, or None."""
    owned = progress.owned.get(step.number)
    if owned is None:
        return None
    return [(revisions[index], facts.climbed[index]) for index in owned]


def _defaults_check(facts, revisions, step, progress):
    """The rows already in the table hold a value in the new column: its server default, or one the
    migration wrote (the backfill way). The database must know the default either way."""
    owned = _owned_revisions(facts, revisions, step, progress)
    if owned is None:
        return False, NOT_REACHED
    filled = [(revision.file, item) for revision, climbed in owned for item in climbed.filled]
    if not any(item.default for _, item in filled):
        return False, messages.no_server_default([revision.file for revision, _ in owned])
    findings = [messages.placeholder_values(item, file, empty) for file, item in filled
                if (empty := [(value, count) for value, count in item.values if _says_nothing(value)])]
    if findings:
        return False, "\n".join(findings)
    return True, messages.defaults_given([item for _, item in filled])


def _says_nothing(value):
    """NULL or blank text: a value that fills a NOT NULL column without meaning anything."""
    return value is None or (isinstance(value, str) and not value.strip())


def _named_check(facts, revisions, step, progress):
    reached = progress.reached_at.get(step.number)
    if reached is None:
        return False, NOT_REACHED
    unnamed = facts.climbed[reached].unnamed.get(step.number, ())
    if unnamed:
        return False, messages.unnamed_constraints(revisions[reached].file, unnamed)
    return True, messages.constraints_named()


def _references_check(facts, revisions, step, progress):
    owned = _owned_revisions(facts, revisions, step, progress)
    if owned is None:
        return False, NOT_REACHED
    findings = [messages.dangling(item, revision.file) for revision, climbed in owned for item in climbed.dangling]
    if findings:
        return False, "\n".join(findings)
    return True, messages.references_ok([revision.file for revision, _ in owned])


def _parameters_check(facts, revisions, step, progress):
    owned = _owned_revisions(facts, revisions, step, progress)
    if owned is None:
        return False, NOT_REACHED
    findings = [messages.formatted_sql(revision.file, finding)
                for revision, _ in owned for finding in revision.formatted_sql]
    if findings:
        return False, "\n".join(findings)
    return True, messages.parameters_ok([revision.file for revision, _ in owned])


def _offline_check(facts, revisions, step, progress):
    offline = facts.offline
    if offline is None:
        return False, messages.not_checked("the chain could not be rendered (see the checks above).")
    if offline.error:
        return False, messages.offline_failed(offline)
    return True, messages.offline_ok(offline.dialect)


def _check_clean_check(facts, revisions, step, progress):
    at_head = facts.models_at_head
    if at_head is None:
        return False, messages.not_checked("the migrations do not reach head.")
    if at_head:
        return False, messages.models_differ(at_head)
    return True, messages.models_match_head()


def _merged_check(facts, revisions, step, progress):
    if facts.unmerged_heads:  # the state this step begins with: merging is its work
        return False, messages.merge_heads(facts.unmerged_heads)
    owned = progress.owned.get(step.number)
    if owned is None:
        return False, NOT_REACHED
    merges = [revision.file for revision in revisions[owned[0]:] if len(revision.parents) > 1]
    if not merges:
        return False, messages.no_merge([revisions[index].file for index in owned])
    return True, messages.merged(merges)


def _rolled_back_check(facts, revisions, step, progress):
    reached = progress.reached_at.get(step.number)
    if reached is None:
        return False, NOT_REACHED
    probe = facts.failure_probe
    file = revisions[reached].file
    if probe is None or probe.index != reached:
        return False, messages.stopped(facts.stopped) if facts.stopped else messages.probe_not_run(file)
    if probe.statement is None:
        return False, messages.nothing_to_interrupt(file, probe.error)
    if probe.clean:
        return True, messages.rolled_back(file, probe.statement)
    left_behind = messages.left_behind(probe)
    if graded_database(facts) == "mysql":  # no setting makes MySQL's DDL transactional: nothing to ask for
        return True, messages.mysql_cannot_roll_back(file, probe.statement, left_behind)
    return False, messages.half_changed(file, probe.statement, left_behind)


def graded_database(facts):
    """The kind of database graded: sqlite, postgresql or mysql ("" if unknown)."""
    url = (facts.app.database if facts.app else None) or ""
    return url.split(":", 1)[0].split("+", 1)[0]  # "mysql+pymysql://…" -> mysql


def _elsewhere_check(name):
    database = OTHER_DATABASES[name]
    where = name.removeprefix("chain runs on ")

    def check(facts, revisions, step, progress):
        if step.number not in progress.reached_at:
            return False, NOT_REACHED
        found = facts.elsewhere.get(database)
        if found is None:
            return False, messages.not_checked("the chain was not run there.")
        if found.unavailable:
            return False, messages.not_checked(found.unavailable)
        if found.failed:
            return False, messages.fails_elsewhere(where, database, found.failed)
        return True, messages.passes_elsewhere(where, found.steps)
    return check


def databases_to_try(facts, steps):
    """The databases a step whose state is reached asks the whole chain to run on."""
    if blocker(facts):
        return []
    progress = _progress(facts, steps, facts.revisions)
    return [OTHER_DATABASES[name] for step in steps if step.number in progress.reached_at
            for name in step.checks if name in OTHER_DATABASES]


def without_other_databases(step):
    """The step without its requests to run on other databases (so grading there does not recurse)."""
    return dataclasses.replace(step, checks=tuple(name for name in step.checks if name not in OTHER_DATABASES))


def probed_steps(steps):
    """The steps whose migration the worker must make fail on purpose."""
    return [step.number for step in steps if ROLLED_BACK in step.checks]


# -- evidence from the learner's own database --------------------------------------------------
# `facts.evidence` (facts.Evidence): None when grading submitted files only.

def _evidence_check(judge_looks):
    def check(facts, revisions, step, progress):
        reached = progress.reached_at.get(step.number)
        if reached is None:
            return False, NOT_REACHED
        evidence = facts.evidence
        if evidence is None:
            return True, messages.evidence_not_here(step)
        if step.number in evidence.given:
            return True, messages.evidence_given(step)
        return judge_looks(evidence, revisions, reached, step)
    return check


def _database_behind(facts, steps, revisions, progress, step):
    """Why the learner's own database has not run the step's migrations yet, or None.

    Only `lesson` looks at it; the downgrade step lets it stay one revision below its state."""
    now = facts.evidence and facts.evidence.now
    owned = progress.owned.get(step.number)
    if not now or not owned or facts.unmerged_heads:
        return None
    position = _position(now, revisions)
    if position is None or position >= owned[-1]:
        return None
    lagging = [progress.reached_at[other.number] for other in steps
               if other.models_may_lag and other.number in progress.reached_at]
    if any(position == reached - 1 and owned[-1] == reached for reached in lagging):
        return None
    return messages.database_behind(revisions[owned[-1]].file, now.versions)


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
    below = sorted(revisions[reached].parents)
    down = [look for look in evidence.looks if sorted(look.versions) == below]
    if any(_intact(look) for look in down):
        stopped = evidence.now is not None and sorted(evidence.now.versions) == below
        return True, messages.went_down(below, revisions[reached].file, stopped)
    if down:
        return False, messages.went_down_losing(below, down[-1].missing)
    return False, messages.not_seen_down(below, step)


def _backup_tried(evidence, revisions, reached, step):
    """Seen at the step's state, then emptied by `flask db downgrade base`, then back with every row."""
    looks = evidence.looks
    first = next((index for index, look in enumerate(looks) if _at_state(look, revisions, reached)), None)
    emptied = next((index for index, look in enumerate(looks) if first is not None and index > first
                    and not look.versions), None)
    if emptied is None:
        return False, messages.not_seen_emptied(step)
    if any(_at_state(look, revisions, reached) for look in looks[emptied + 1:]):
        return True, messages.backup_worked()
    return False, messages.not_seen_restored(step)


def _own_postgresql(evidence, revisions, reached, step):
    seen = [look for look in evidence.looks if look.database == "postgresql"]
    if any(_at_state(look, revisions, reached) for look in seen):
        return True, messages.postgresql_seen()
    return False, messages.not_seen_on_postgresql(step, bool(seen))


def _live_check(facts, revisions, step, progress):
    """Part 3: the previous step's app, running during and after the step's migrations (traffic.py)."""
    runs = [run for run in facts.traffic if run.step == step.number]
    if not runs:
        if graded_database(facts) != "postgresql":
            return False, messages.not_checked(messages.postgresql_only())
        return False, NOT_REACHED
    failed = facts.upgrade_failed
    if failed and any(run.index == failed.index for run in runs):
        return False, messages.not_checked(f"{revisions[failed.index].file} failed (see above).")
    in_production, refused = production.judge(facts, step.number)
    findings = ([refused] if not in_production else []) + [
        messages.traffic_trouble(run, revisions[run.index].file) for run in runs
        if run.seen.errors or any(wait.seconds > run.seen.bound for wait in run.seen.waits)]
    advice = messages.squawk_advice([(revisions[run.index].file, run.squawk) for run in runs])
    if findings:
        return False, "\n".join(findings + advice)
    return True, "\n".join([messages.traffic_ok(runs, [revisions[run.index].file for run in runs]),
                             production.passed(facts, step.number), *advice])


def _linted_check(facts, revisions, step, progress):
    """Part 3's migrations as a reviewer's linter reads them: every finding fixed, or its rule
    silenced in server/.squawk.toml (squawk runs in the copy of server/, so that file applies)."""
    if step.number not in progress.reached_at:
        return False, NOT_REACHED
    if not facts.traffic:
        if graded_database(facts) != "postgresql":
            return False, messages.not_checked(messages.postgresql_only())
        return False, messages.not_checked("no Part 3 migration ran (see above).")
    linted = [(revisions[run.index].file, run.squawk) for run in facts.traffic]
    unavailable = [(file, result.unavailable) for file, result in linted if result.unavailable]
    if unavailable:
        return False, messages.not_checked(f"squawk did not run on {unavailable[0][0]}: {unavailable[0][1]}")
    findings = [(file, finding) for file, result in linted for finding in result.findings]
    if findings:
        return False, messages.lint_unanswered(findings)
    return True, messages.lint_clean([file for file, _ in linted])


STEP_CHECKS = {
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

"""The facts a grade records are declared once (testing/grader/facts.py) and travel through one
codec. A real grade's facts (recorded.py), sent through JSON, spoilt and emptied in-process."""
import dataclasses
import json

import pytest

from testing import course
from testing.build import build_state
from testing.grader.cache import ReportCache
from testing.grader.codec import FactsError
from testing.grader.facts import (
    AppFact,
    AppProblem,
    Chain,
    ChainProblemKind,
    Climbed,
    Direction,
    Facts,
    Loss,
    LossKind,
    RoundTrip,
    SchemaItem,
    SchemaKind,
    Stop,
    StopReason,
)
from testing.grader.judging import judge, messages

from . import recorded
from .cases import reference

STEPS = course.steps_up_to(4)


@pytest.fixture(scope="module")
def facts():
    return recorded.facts("grader", reference(4))


@pytest.fixture
def data(facts):
    """The facts as the report cache keeps them: through JSON."""
    return json.loads(json.dumps(facts.to_dict()))


def test_the_codec_gives_back_the_same_facts_through_json(facts, data):
    back = Facts.from_dict(data)
    assert back == facts
    assert judge.verdict(back, STEPS).to_dict() == judge.verdict(facts, STEPS).to_dict()
    assert judge.verdict(back, STEPS).passed
    # JSON wrote the step numbers as strings: they come back as numbers.
    assert set(back.climbed[0].matches) == {step.number for step in course.steps()}
    assert back.climbed[1].matches[2] == () and back.climbed[0].matches[2][0].kind == "missing_table"
    assert back.revisions[3].parents == (back.revisions[2].id,)


@pytest.mark.parametrize("spoil, says", [
    (lambda data: data["climbed"][0]["matches"]["2"][0].update(kind="missng_table"),
     "facts.climbed[0].matches['2'][0].kind: 'missng_table' is not a SchemaKind (one of 'missing_table', "),
    (lambda data: data["chain"].update(problem="two_head"),
     "facts.chain.problem: 'two_head' is not a ChainProblemKind (one of 'no_migrations', "),
    (lambda data: data["climbed"][0].update(lossses=[]), "facts.climbed[0]: unknown field 'lossses' for Climbed"),
    (lambda data: data["climbed"][0].pop("index"), "facts.climbed[0]: Climbed without its field 'index'"),
    (lambda data: data["round_trips"][0].update(index="3"), "facts.round_trips[0].index: '3' where int was expected"),
    (lambda data: data.update(climbed={}), "facts.climbed: {} where list or tuple was expected"),
])
def test_data_that_does_not_fit_is_refused_saying_where_and_why(data, spoil, says):
    spoil(data)
    with pytest.raises(FactsError) as refused:
        Facts.from_dict(data)
    assert str(refused.value).startswith(says), refused.value


def test_a_kept_result_that_does_not_decode_is_a_miss(facts, tmp_path):
    cache = ReportCache(tmp_path)
    key = "sqlite-0123456789ab"
    cache.keep_facts(key, facts)
    assert cache.facts(key) == facts
    kept = tmp_path / f"facts-{key}.json"
    kept.write_text(kept.read_text().replace('"missing_table"', '"missng_table"'))
    assert cache.facts(key) is None


def _default(item):
    return item.default if item.default is not dataclasses.MISSING else item.default_factory()


def test_the_verdict_on_facts_missing_any_part_is_a_report(facts):
    """Each part left out in turn, every part at once, or the walk's records hollow: a report, never
    an exception."""
    hollow_climbs = dataclasses.replace(facts, climbed=[Climbed(climbed.index, {}) for climbed in facts.climbed])
    hollow_trips = dataclasses.replace(facts, round_trips=[RoundTrip(trip.index) for trip in facts.round_trips])
    partial = [Facts(), hollow_climbs, hollow_trips] + [dataclasses.replace(facts, **{item.name: _default(item)})
                                                        for item in dataclasses.fields(Facts)]
    for each in partial:
        report = judge.verdict(each, STEPS)
        assert [step.step for step in report.steps] == [1, 2, 3, 4]
    assert judge.verdict(Facts(), STEPS).steps[0].checks[0].message == "Not checked: the app"
    reached = judge.verdict(hollow_climbs, STEPS).steps[1].checks[0]
    assert not reached.passed and "the state of step 02 was not compared" in reached.message
    trip = judge.verdict(hollow_trips, STEPS).check(2, judge.ROUND_TRIP)
    assert not trip.passed and trip.message.startswith("Not checked: the downgrade of migrations/versions/c2d4")


def test_every_kind_has_words_of_its_own():
    """Kinds are enums: none can fall through to a generic sentence."""
    items = [SchemaItem(kind, table="t", column="c", type="sa.Integer()", nullable=True, expected="e", found="f",
                        name="n", columns=("c",), expected_columns=("id",), detail="d") for kind in SchemaKind]
    losses = [Loss(kind, "t", rows=2, of=3, column="c") for kind in LossKind]
    told = [
        [messages.schema_item(item, "the lesson") for item in items],
        [messages.loss(item, "x.py", Direction.UPGRADE) for item in losses],
        [messages.not_as_before(item, "x.py", Direction.DOWNGRADE) for item in losses],
        [messages.app_problem(AppFact(kind, error="E", expected="sqlite", found="f")) for kind in AppProblem],
        [messages.chain_problem(Chain(kind, folder="m", file="f", error="E", files=("a", "b")))
         for kind in ChainProblemKind],
        [messages.stopped(Stop(kind, seconds=3, files=("x.py",), why="w", code=1)) for kind in StopReason],
    ]
    for sentences in told:
        assert len(set(sentences)) == len(sentences), sentences


def test_a_result_without_part3_is_kept_while_part3_is_edited(tmp_path):
    """On other databases Part 3's migrations are left out and models.py is the course's: editing
    them, as a learner does between two checks of a Part 3 step, keeps that result; any other file
    edited does not."""
    server = build_state(13, tmp_path / "server")
    part3 = tuple(str(path.relative_to(server)) for path in (server / "migrations" / "versions").glob("*full_name*"))
    assert part3
    cache = ReportCache(tmp_path / "kept")

    def key():
        return cache.key(server, "mysql", STEPS, 30, None, cut=part3)

    before = key()
    with open(server / part3[0], "a") as migration:
        migration.write("# batch size tried at 500\n")
    (server / "models.py").write_text((server / "models.py").read_text() + "\n# full_name is the name now\n")
    assert key() == before
    assert cache.key(server, "mysql", STEPS, 30, None) != cache.key(server, "mysql", STEPS, 30, None, cut=part3)
    (server / "app.py").write_text((server / "app.py").read_text() + "\n# a comment\n")
    assert key() != before

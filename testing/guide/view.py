"""`pipenv run lesson view`: a page on 127.0.0.1 that shows the learner's database as migrations
change it: the revision chain with the current revision, every table with its rows, and what the
upgrade to the current revision changed (after a downgrade too: the downgrade undid the revisions
above it, and the page shows the one the database is now at). The page reloads itself when the
database changes.
"""
import logging
import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path

from flask import Flask, abort, jsonify, render_template, request
from markupsafe import Markup, escape
from werkzeug.serving import BaseWSGIServer

from ..grader import Climb, climb, messages
from ..grader.facts import Revision, SchemaItem, SchemaKind
from . import snapshot

NODE_GAP, LANE_GAP, MARGIN = 170, 70, 40  # pixels in the drawing of the chain
LABEL_LENGTH = 24  # characters of a revision's message under its node; NODE_GAP leaves room for no more


@dataclass
class Node:
    revision: Revision
    x: int
    y: int
    current: bool


def create_app(server_dir: Path | str) -> Flask:
    app = Flask(__name__)
    server_dir = Path(server_dir)

    @app.template_filter("backticks")
    def backticks(text):
        """The grader's `names` as <code>, the rest escaped."""
        return Markup(re.sub(r"`([^`]+)`", r"<code>\1</code>", str(escape(text))))

    @app.template_filter("label")
    def label(message):
        """A revision's message short enough for its node; a cut one ends in an ellipsis."""
        return message if len(message) <= LABEL_LENGTH else message[:LABEL_LENGTH - 1].rstrip() + "…"

    @app.before_request
    def only_this_machine():
        """A page under another host name is a web page elsewhere reaching in (DNS rebinding)."""
        if request.host.rsplit(":", 1)[0] not in ALLOWED_HOSTS:
            abort(400)

    chains: dict[str, Climb] = {}  # fingerprint of the learner's files -> Chain: climbed again only when they change

    def chain():
        key = snapshot.files_fingerprint(server_dir)
        if key not in chains:
            chains.clear()
            chains[key] = climb(server_dir)
        return chains[key]

    @app.get("/")
    def page():
        database = snapshot.read_database(snapshot.database_url(server_dir), page_of=_page)
        climbed = chain()
        nodes, width, height = layout(climbed.revisions, database.versions)
        current = [node.revision for node in nodes if node.current]
        changed, unknown = [], None
        for revision in current:
            found = climbed.changes.get(revision.id)
            if found is None:  # the climb stopped before it: say why, not "nothing changed"
                unknown = climbed.failure
            else:
                changed += [describe(change) for change in found]
        return render_template("view.html", database=database, chain_problem=climbed.problem, nodes=nodes,
                               edges=edges(nodes), width=width, height=height, current=current, changed=changed,
                               unknown=unknown)

    @app.get("/fingerprint")
    def fingerprint():
        database = snapshot.read_database(snapshot.database_url(server_dir))
        return jsonify(fingerprint=database.fingerprint() + snapshot.files_fingerprint(server_dir))

    return app


ALLOWED_HOSTS = ("127.0.0.1", "localhost")


def _page(table):
    return max(request.args.get(f"page_{table}", 1, type=int), 1)


def layout(revisions: Sequence[Revision], versions: Collection[str]) -> tuple[list[Node], int, int]:
    """Nodes placed left to right, base to head; a branch gets a lane of its own below."""
    lanes: dict[str, int] = {}
    taken: dict[str, int] = {}
    nodes: list[Node] = []
    for index, revision in enumerate(revisions):
        parents = revision.parents
        if not parents:
            lane = 0
        elif len(parents) > 1:  # a merge comes back to its highest parent's lane
            lane = min(lanes[parent] for parent in parents)
        else:
            siblings = taken.setdefault(parents[0], 0)
            lane = lanes[parents[0]] + siblings
            taken[parents[0]] = siblings + 1
        lanes[revision.id] = lane
        nodes.append(Node(revision, MARGIN + index * NODE_GAP, MARGIN + lane * LANE_GAP, revision.id in versions))
    width = MARGIN * 2 + max(len(revisions) - 1, 0) * NODE_GAP + 120
    height = MARGIN * 2 + max(lanes.values(), default=0) * LANE_GAP + 30
    return nodes, width, height


def edges(nodes: list[Node]) -> list[tuple[Node, Node]]:
    """(parent node, child node) pairs to draw."""
    by_id = {node.revision.id: node for node in nodes}
    return [(by_id[parent], node) for node in nodes for parent in node.revision.parents if parent in by_id]


def describe(change: SchemaItem) -> str:
    """One change a revision made (a schema item against the revision before), in words."""
    kind = change.kind
    if kind == SchemaKind.TABLE_RENAMED:
        return f"table {messages.code(change.expected)} renamed to {messages.code(change.found)}"
    if kind == SchemaKind.COLUMN_RENAMED:
        return f"column {messages.code(f'{change.table}.{change.expected}')} renamed to {messages.code(change.found)}"
    state, _, what = kind.partition("_")
    done = {"extra": "added", "missing": "removed"}.get(state)
    if done and what in ("table", "column"):
        shown = f"{change.table}.{change.column}" if what == "column" else change.table
        return f"{what} {messages.code(shown)} {done}"
    if done:  # a constraint or an index
        return (f"{what.replace('_', ' ')} {messages.code(change.name or 'without a name')} on "
                f"{change.table}({', '.join(change.columns)}) {done}")
    return "the database now " + messages.schema_item(change, "the revision before")


def make_server(server_dir: Path | str, port: int) -> BaseWSGIServer:
    """A web server for the page on 127.0.0.1 only (port 0: a free one); `serve_forever()` runs it."""
    from werkzeug.serving import make_server as werkzeug_server

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # not a line per request: the page polls every second
    return werkzeug_server("127.0.0.1", port, create_app(server_dir), threaded=True)

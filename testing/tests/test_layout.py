"""The course's code as a newcomer reads it: no module needs, through its imports, a module that needs
it back (imports inside functions count: they are the same dependency, only later)."""
import ast
import subprocess
import sys

from testing import course

CODE = course.REPO_ROOT / "testing"


def module_name(path):
    parts = path.relative_to(course.REPO_ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path, modules):
    """The course modules `path` imports, and the packages above them (Python runs those first)."""
    name, package = module_name(path), path.name == "__init__.py"
    found = set()
    tree = ast.parse(path.read_text(encoding="utf-8"))
    # What `if TYPE_CHECKING:` imports only names types for annotations: it never runs.
    for block in [node for node in ast.walk(tree) if isinstance(node, ast.If)
                  and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"]:
        block.body = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            base = name.split(".")[:len(name.split(".")) - node.level + package] if node.level else []
            target = ".".join(base + ([node.module] if node.module else []))
            # `from package import name`: the module `name`, or else a name the package itself defines
            found |= {f"{target}.{alias.name}" if f"{target}.{alias.name}" in modules else target
                      for alias in node.names} & modules
        elif isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names} & modules
    parents = {".".join(target.split(".")[:end]) for target in found for end in range(1, target.count(".") + 1)}
    return found | {parent for parent in parents & modules if not name.startswith(parent + ".") and parent != name}


def cycles(graph):
    """The groups of modules that import one another, directly or not (Tarjan's strongly connected components)."""
    order: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    groups: list[list[str]] = []

    def visit(module):
        order[module] = low[module] = len(order)
        stack.append(module)
        for needed in graph[module]:
            if needed not in order:
                visit(needed)
                low[module] = min(low[module], low[needed])
            elif needed in stack:
                low[module] = min(low[module], order[needed])
        if low[module] == order[module]:
            group: list[str] = []
            while not group or group[-1] != module:
                group.append(stack.pop())
            if len(group) > 1:
                groups.append(sorted(group))

    for module in graph:
        if module not in order:
            visit(module)
    return groups


def test_no_module_imports_itself_back():
    paths = [path for path in CODE.rglob("*.py") if "tests" not in path.relative_to(CODE).parts]
    modules = {module_name(path) for path in paths}
    graph = {module_name(path): imports_of(path, modules) for path in paths}
    assert graph["testing.grader"] and graph["testing.course"] is not None  # the graph was read
    assert cycles(graph) == []


def test_a_cycle_is_found():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


# The engine's public face: its package (the names testing/grader/__init__.py exports) and the
# contract modules. Its rooms (boundary, measure, judging, servers) and plan.py are its own business.
ENGINE = "testing.grader"
PUBLIC = {ENGINE, f"{ENGINE}.facts", f"{ENGINE}.codec", f"{ENGINE}.checks"}


def internal(imported):
    """The engine's internals among `imported` module names."""
    return {name for name in imported if name.startswith(ENGINE + ".") and name not in PUBLIC}


def test_nothing_outside_the_engine_imports_its_internals():
    engine_folder = course.REPO_ROOT / "testing" / "grader"
    everything = [*CODE.rglob("*.py"), *(course.REPO_ROOT / "benchmarks").rglob("*.py")]
    modules = {module_name(path) for path in everything}
    outside = [path for path in everything if not path.is_relative_to(engine_folder)
               and "tests" not in path.relative_to(course.REPO_ROOT).parts]
    reaching_in = {module_name(path): sorted(internal(imports_of(path, modules))) for path in outside}
    assert reaching_in["testing.guide.view"] == []  # the viewer was read, and imports the engine
    assert {module: names for module, names in reaching_in.items() if names} == {}


def test_an_import_of_a_room_is_found():
    imported = {"testing.grader", "testing.grader.facts", "testing.grader.measure", "testing.grader.measure.walk"}
    assert internal(imported) == {"testing.grader.measure", "testing.grader.measure.walk"}


def test_the_engine_loads_sqlalchemy_and_alembic_only_when_it_grades():
    """Half a second of imports that `lesson status` with kept results, and `grade --help`, never need."""
    loaded = subprocess.run([sys.executable, "-c", "import sys, testing.grader; "
                             "print(sorted({'alembic', 'sqlalchemy'} & set(sys.modules)))"],
                            capture_output=True, text=True, check=True, cwd=course.REPO_ROOT).stdout
    assert loaded.strip() == "[]"


# The rooms in the order a grade flows through them; a room imports only those after it, and the
# contract and the servers from anywhere. The ways back, each one named, and why:
ROOMS = ("plan", "boundary", "measure", "judging")
WAYS_BACK = {
    ("measure.walk", "boundary.protocol"),  # Stopped: the walk adds what it was doing, then lets it go on up
    ("judging.messages", "measure.renames"),  # a missing and an extra thing told as one rename
    ("judging.judge", "measure.ownership"),  # which step a revision that only fills values belongs to: the
    # walk measures it with that step's traffic, and the judge lays it on the same step
    ("checks", "judging.messages"),  # a check's "not reached" message, phrased where every sentence is
    ("cache", "boundary.fingerprint"),  # a kept result's key: the submission's files as the sandbox copies them
    ("cache", "boundary.scratch_copy"),
}


def room_of(module):
    """"measure" for testing.grader.measure.walk; "plan" for plan.py and the façade; None for the rest."""
    inside = module.removeprefix(ENGINE).lstrip(".")
    first = inside.split(".")[0]
    return first if first in ROOMS else "plan" if first in ("", "plan") else None


def ways_back(graph):
    """The imports from a room to one before it, as (importer, imported) inside the engine."""
    found = set()
    for module, imported in graph.items():
        for target in imported:
            here, there = room_of(module), room_of(target)
            if here and there and ROOMS.index(there) < ROOMS.index(here):
                found.add((module.removeprefix(ENGINE + "."), target.removeprefix(ENGINE + ".")))
            elif here is None and there and module.startswith(ENGINE + ".") and target != ENGINE:
                found.add((module.removeprefix(ENGINE + "."), target.removeprefix(ENGINE + ".")))
    return found


def test_a_grade_flows_down_through_the_rooms():
    paths = list((course.REPO_ROOT / "testing" / "grader").rglob("*.py"))
    modules = {module_name(path) for path in paths}
    graph = {module_name(path): {target for target in imports_of(path, modules)
                                 if not target.endswith(("boundary", "measure", "judging", "servers"))}
             for path in paths}
    assert graph[f"{ENGINE}.measure.walk"]  # the graph was read
    assert ways_back(graph) == WAYS_BACK  # no other, and each named one still needed


def test_a_way_back_is_found():
    graph = {f"{ENGINE}.judging.judge": {f"{ENGINE}.boundary.session"}, f"{ENGINE}.plan": {f"{ENGINE}.judging.judge"}}
    assert ways_back(graph) == {("judging.judge", "boundary.session")}


def unannotated(source):
    """The public functions and methods of a module's `source` that leave a parameter's type or what
    they return unsaid (`__init__` returns nothing to say). Functions inside functions, names that
    start with `_` and what private classes hold are the module's own business."""
    found = []

    def visit(body, prefix):
        for node in body:
            if isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
                visit(node.body, f"{prefix}{node.name}.")
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and \
                    (not node.name.startswith("_") or node.name.endswith("__")):
                arguments = node.args
                parameters = [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs,
                              *filter(None, [arguments.vararg, arguments.kwarg])]
                missing = [each.arg for each in parameters
                           if each.annotation is None and each.arg not in ("self", "cls")]
                if node.returns is None and node.name != "__init__":
                    missing.append("return")
                if missing:
                    found.append(f"{prefix}{node.name} ({', '.join(missing)})")

    visit(ast.parse(source).body, "")
    return found


def test_every_public_function_of_the_course_says_its_types():
    """mypy checks the bodies of unannotated functions too, but only a signature tells a caller, and
    mypy at each call, what may cross."""
    paths = [path for path in CODE.rglob("*.py") if "tests" not in path.relative_to(CODE).parts]
    found = {str(path.relative_to(course.REPO_ROOT)): unannotated(path.read_text(encoding="utf-8")) for path in paths}
    assert len(found) > 80  # the modules were read
    assert {path: names for path, names in found.items() if names} == {}


def test_a_function_that_leaves_a_type_unsaid_is_found():
    source = '''
def shown(step: int, *lines, **options: str) -> str: ...
def told(step: int): ...
def _own(anything): ...
class Report:
    def __init__(self, steps: list) -> None: ...
    def __exit__(self, *exc): ...
    def passed(self, step) -> bool:
        def inner(x): ...
class _Private:
    def method(self, x): ...
'''
    assert unannotated(source) == ["shown (lines)", "told (return)", "Report.__exit__ (exc, return)",
                                   "Report.passed (step)"]

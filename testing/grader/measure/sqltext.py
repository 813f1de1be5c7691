"""Find SQL built by formatting values into a string, in a migration file, without running it.

`formatted_sql(path)` lists [{"line": 31, "how": "an f-string"}] for every call to execute(),
exec_driver_sql() or text() whose SQL is formatted: an f-string, % or .format(), or + joining.
Such SQL breaks on a name with a quote in it and is how SQL injection happens; bound
parameters (`sa.text("... :name").bindparams(name=...)`) do not.
"""
import ast
from pathlib import Path

SQL_CALLS = {"execute", "exec_driver_sql", "text"}
FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)


def formatted_sql(path: Path) -> list[dict[str, object]]:
    try:
        tree = ast.parse(path.read_bytes())
    except (SyntaxError, ValueError):
        return []  # the chain check reports files that do not parse
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}

    def function_of(node):
        while node in parents and not isinstance(node, FUNCTIONS):
            node = parents[node]
        return node

    # (function, name) -> every value given to the name there: upgrade() and downgrade() may both
    # use `sql`, one formatted and one not.
    assigned: dict[tuple[ast.AST, str], list[ast.expr]] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            assigned.setdefault((function_of(node), node.targets[0].id), []).append(node.value)
    findings = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and _called_name(node) in SQL_CALLS and node.args:
            argument = node.args[0]
            values = [argument]
            if isinstance(argument, ast.Name):
                values = assigned.get((function_of(node), argument.id), values)
            how = next(filter(None, map(_formatting, values)), None)
            if how:
                findings.append({"line": node.lineno, "how": how})
    return findings


def _called_name(call):
    function = call.func
    return function.attr if isinstance(function, ast.Attribute) else getattr(function, "id", None)


def _formatting(node):
    if isinstance(node, ast.JoinedStr) and any(isinstance(part, ast.FormattedValue) for part in node.values):
        return "an f-string"
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod) and _is_text(node.left):
        return "% formatting"
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add) and (_is_text(node.left) or _is_text(node.right)):
        return "+ joining strings"
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format"
            and _is_text(node.func.value)):
        return ".format()"
    return None


def _is_text(node):
    return (isinstance(node, ast.Constant) and isinstance(node.value, str)) or isinstance(node, ast.JoinedStr) \
        or (isinstance(node, ast.BinOp) and (_is_text(node.left) or _is_text(node.right)))

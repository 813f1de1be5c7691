"""Tell a table or column that one side has under one name and the other side under another as
one rename, instead of one thing missing and another in excess.

Schema items (schema.py) say "missing" for what the expected side (a lesson's models.py, or the
learner's) has and the database lacks, "extra" the other way round. A pair is a rename only when
it is plausible: a column of the same kind of type in the same table; a table whose columns are
the same, but for one renamed column at most.
"""


def kind_of(type_code):
    """sa.String(length=120) -> sa.String: the kind of value, whatever the length."""
    return (type_code or "").split("(", 1)[0]


def paired(items):
    """`items` with each plausible rename as one item:
    {"kind": "renamed_table", "expected": name, "found": name, "shape": {...}} or
    {"kind": "renamed_column", "table", "expected", "found", "type", "nullable"}."""
    items = list(items)
    told = []
    for missing in [item for item in items if item["kind"] == "missing_table"]:
        extra = next((item for item in items if item["kind"] == "extra_table"
                      and _same_table(missing["shape"], item["shape"])), None)
        if extra:
            items = [item for item in items if item is not missing and item is not extra]
            told.append({"kind": "renamed_table", "expected": missing["table"], "found": extra["table"],
                         "shape": extra["shape"]})
    for missing in [item for item in items if item["kind"] == "missing_column"]:
        extra = next((item for item in items if item["kind"] == "extra_column" and item["table"] == missing["table"]
                      and kind_of(item.get("type")) == kind_of(missing.get("type"))), None)
        if extra and missing.get("type"):
            items = [item for item in items if item is not missing and item is not extra]
            told.append({"kind": "renamed_column", "table": missing["table"], "expected": missing["column"],
                         "found": extra["column"], "type": extra["type"], "nullable": extra.get("nullable", True),
                         "expected_nullable": missing.get("nullable", True)})
    return told + items


def _same_table(expected, found):
    if not expected or not found or len(expected) != len(found):
        return False
    kinds = sorted(map(kind_of, expected.values())) == sorted(map(kind_of, found.values()))
    return kinds and len(expected.keys() & found.keys()) >= len(expected) - 1

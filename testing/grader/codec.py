"""Facts to plain JSON data and back, read from the dataclasses' own field types (facts.py).

`plain(value)` turns dataclasses into dicts (without the fields at their defaults), enums into
their values and tuples into lists; dict keys stay as they are (json.dumps writes an int key as a
string). `typed(kind, data)` builds `kind` back from such data and checks every field on the way:
an unknown field, a missing one, a kind no enum has or a value of the wrong type raises
FactsError, naming where it was.
"""
import dataclasses
import enum
import functools
import types
import typing
from typing import TypeVar

T = TypeVar("T")


class FactsError(ValueError):
    """Data that does not decode to the facts the grader records."""


def plain(value: object) -> object:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        # A field at its default is left out: `typed` puts it back, and a kept fact stays readable.
        return {item.name: plain(getattr(value, item.name)) for item in dataclasses.fields(value)
                if not _at_default(item, getattr(value, item.name))}
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (list, tuple)):
        return [plain(item) for item in value]
    if isinstance(value, dict):
        return {plain(key): plain(item) for key, item in value.items()}
    return value


def _at_default(item, value):
    if item.default is not dataclasses.MISSING:
        return value is item.default or (type(value) is type(item.default) and value == item.default)
    return item.default_factory is not dataclasses.MISSING and value == item.default_factory()


def typed(kind: type[T], data: object, where: str = "facts") -> T:
    """`data` as `kind`: a dataclass, an enum, tuple[X, ...], list[X], dict[K, V], X | None or a scalar."""
    # The one cast of the facts: the kind is read at run time, where a checker cannot follow, and
    # _decoded builds exactly that kind or raises.
    return typing.cast(T, _decoded(kind, data, where))


def _decoded(kind, data, where):
    origin, arguments = typing.get_origin(kind), typing.get_args(kind)
    if origin in (typing.Union, types.UnionType):
        return _union(arguments, data, where)
    if dataclasses.is_dataclass(kind):
        return _dataclass(kind, data, where)
    if isinstance(kind, type) and issubclass(kind, enum.Enum):
        try:
            return kind(data)
        except ValueError:
            known = ", ".join(repr(member.value) for member in kind)
            raise FactsError(f"{where}: {data!r} is not a {kind.__name__} (one of {known})") from None
    if origin in (tuple, list):
        items = _expect(data, (list, tuple), where)
        if origin is tuple and not (len(arguments) == 2 and arguments[1] is Ellipsis):
            if len(items) != len(arguments):
                raise FactsError(f"{where}: {len(items)} values where {len(arguments)} were expected")
            return tuple(typed(argument, item, f"{where}[{number}]")
                         for number, (argument, item) in enumerate(zip(arguments, items, strict=True)))
        decoded = [typed(arguments[0], item, f"{where}[{number}]") for number, item in enumerate(items)]
        return tuple(decoded) if origin is tuple else decoded
    if origin is dict:
        key_kind, value_kind = arguments
        return {_key(key_kind, key, where): typed(value_kind, item, f"{where}[{key!r}]")
                for key, item in _expect(data, dict, where).items()}
    return _scalar(kind, data, where)


def _union(arguments, data, where):
    if data is None and type(None) in arguments:
        return None
    failures = []
    for argument in arguments:
        if argument is type(None):
            continue
        try:
            return typed(argument, data, where)
        except FactsError as exc:
            failures.append(exc)
    raise failures[0] if len(failures) == 1 else FactsError(f"{where}: {data!r:.60} fits none of its types")


def _dataclass(kind, data, where):
    data = _expect(data, dict, where)
    fields = {item.name: item for item in dataclasses.fields(kind)}
    unknown = sorted(set(data) - set(fields))
    if unknown:
        raise FactsError(f"{where}: unknown field {unknown[0]!r} for {kind.__name__}")
    hints = _hints(kind)
    values = {}
    for name, item in fields.items():
        if name in data:
            values[name] = typed(hints[name], data[name], f"{where}.{name}")
        elif item.default is dataclasses.MISSING and item.default_factory is dataclasses.MISSING:
            raise FactsError(f"{where}: {kind.__name__} without its field {name!r}")
    return kind(**values)


@functools.cache
def _hints(kind):
    return typing.get_type_hints(kind)


def _key(kind, key, where):
    """A dict key: JSON turned int keys (step numbers) into strings; they come back as ints."""
    if kind is int and isinstance(key, str) and key.lstrip("-").isdigit():
        return int(key)
    return typed(kind, key, f"{where} key")


def _scalar(kind, data, where):
    if kind is float and isinstance(data, int) and not isinstance(data, bool):
        return float(data)
    if isinstance(data, kind) and not (kind is int and isinstance(data, bool)):
        return data
    raise FactsError(f"{where}: {data!r:.60} where {kind.__name__} was expected")


def _expect(data, kinds, where):
    if not isinstance(data, kinds):
        names = " or ".join(kind.__name__ for kind in (kinds if isinstance(kinds, tuple) else (kinds,)))
        raise FactsError(f"{where}: {data!r:.60} where {names} was expected")
    return data

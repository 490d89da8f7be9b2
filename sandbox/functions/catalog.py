"""The function library's catalog: which functions exist, in which domain, and their JSON-Schema tool definitions.

A definition is generated from the function itself, never written by hand: the signature gives the parameters,
their JSON types (int -> integer, float -> number, list[float] -> array of numbers, Literal -> enum, ...) and which
are required (no default); the docstring's first paragraph is the description and its `Args:` section describes
each parameter. So the schema a model reads is the schema the sandbox enforces, and a new function needs nothing
but a signature and a docstring (tests/test_functions.py checks every one).
"""

import copy
import importlib
import inspect
import re
import types
import typing
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
# One module per domain; the order is the catalog's order.
DOMAINS = (
    "units", "dates", "stats", "text", "kv", "files", "sql", "calendar", "inventory", "todo", "geometry", "finance",
    "numbers", "encoding", "color", "geo", "health", "validation", "network", "contacts", "expenses", "physics",
    "semver", "regex", "tables", "cooking",
)  # fmt: skip
VERSION = "1"  # bump when a function's behaviour changes: recorded traces name the library version they ran


@dataclass(frozen=True)
class Function:
    name: str
    domain: str
    fn: Any
    tool: dict  # the OpenAI function-tool definition
    mutates: bool  # changes the conversation's state (kv, files, db, calendar ...)


_SIMPLE = {int: "integer", float: "number", str: "string", bool: "boolean"}


def json_type(annotation: Any, where: str) -> dict:
    """The JSON Schema of one annotation; anything the library should not use is an error, not a guess."""
    if annotation in _SIMPLE:
        return {"type": _SIMPLE[annotation]}
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Literal:
        kinds = {type(a) for a in args}
        assert len(kinds) == 1 and next(iter(kinds)) in _SIMPLE, f"{where}: Literal of one simple type only"
        return {"type": _SIMPLE[next(iter(kinds))], "enum": list(args)}
    if origin is list:
        return {"type": "array", "items": json_type(args[0], where)}
    if origin is dict:
        assert args[0] is str, f"{where}: dict keys must be str"
        return {"type": "object", "additionalProperties": json_type(args[1], where)}
    if origin in (typing.Union, types.UnionType) and type(None) not in args:
        raise AssertionError(f"{where}: unions are not supported")
    raise AssertionError(f"{where}: unsupported annotation {annotation!r}")


_SECTION = re.compile(r"^\s*(Args|Returns|Raises):\s*$")


def parse_docstring(doc: str) -> tuple[str, dict[str, str]]:
    """(summary paragraph, {parameter: description}) from a Google-style docstring."""
    lines = inspect.cleandoc(doc).splitlines()
    summary: list[str] = []
    i = 0
    while i < len(lines) and lines[i].strip() and not _SECTION.match(lines[i]):
        summary.append(lines[i].strip())
        i += 1
    params: dict[str, str] = {}
    section = None
    current = None
    for line in lines[i:]:
        head = _SECTION.match(line)
        if head:
            section = head.group(1)
            current = None
            continue
        if section != "Args" or not line.strip():
            continue
        m = re.match(r"^\s{4}(\w+):\s*(.*)$", line)
        if m:
            current = m.group(1)
            params[current] = m.group(2).strip()
        elif current:
            params[current] += " " + line.strip()
    return " ".join(summary), params


def make_tool(fn: Any) -> dict:
    """An OpenAI function-tool definition generated from `fn`'s signature and docstring."""
    name = fn.__name__
    assert fn.__doc__, f"{name}: a library function needs a docstring (it is the tool's description)"
    summary, described = parse_docstring(fn.__doc__)
    hints = typing.get_type_hints(fn)
    props: dict[str, dict] = {}
    required: list[str] = []
    for pname, param in inspect.signature(fn).parameters.items():
        assert param.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD, f"{name}({pname}): plain parameters only"
        assert pname in described, f"{name}: parameter {pname!r} is not described under Args:"
        schema = json_type(hints[pname], f"{name}({pname})") | {"description": described[pname]}
        if param.default is inspect.Parameter.empty:
            required.append(pname)
        else:
            schema["default"] = param.default
        props[pname] = schema
    extra = sorted(set(described) - set(props))
    assert not extra, f"{name}: Args describes parameters it does not have: {extra}"
    parameters: dict[str, Any] = {"type": "object", "properties": props, "required": required,
                                  "additionalProperties": False}
    return {"type": "function", "function": {"name": name, "description": summary, "parameters": parameters}}


@cache
def _library() -> dict[str, Function]:
    out: dict[str, Function] = {}
    for domain in DOMAINS:
        module = importlib.import_module(f"sandbox.functions.{domain}")
        mutating = set(getattr(module, "MUTATES", ()))
        for fn in module.FUNCTIONS:
            assert fn.__name__ not in out, f"duplicate library function {fn.__name__}"
            out[fn.__name__] = Function(fn.__name__, domain, fn, make_tool(fn), fn.__name__ in mutating)
    return out


def library() -> dict[str, Function]:
    """Every function of the library by name (built once per process)."""
    return _library()


def tool(name: str) -> dict:
    """A fresh copy of one function's tool definition (records own their copies)."""
    return copy.deepcopy(library()[name].tool)


def by_domain() -> dict[str, list[str]]:
    out: dict[str, list[str]] = {d: [] for d in DOMAINS}
    for f in library().values():
        out[f.domain].append(f.name)
    return out


def module_source(domain: str) -> bytes:
    return (HERE / f"{domain}.py").read_bytes()


@cache
def sandbox_files(domain: str) -> dict[str, bytes]:
    """What a sandbox job needs to call a function of `domain`: the runner, the helpers and that one module."""
    assert domain in DOMAINS, f"unknown domain {domain!r}"
    return {".fnlib/run.py": (HERE / "_run.py").read_bytes(), ".fnlib/fnlib/__init__.py": b"",
            ".fnlib/fnlib/_common.py": (HERE / "_common.py").read_bytes(),
            f".fnlib/fnlib/{domain}.py": module_source(domain)}

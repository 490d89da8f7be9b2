"""The shared part of the lesson library: the Lesson record, test-writing helpers and the data loaders."""

import random
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any


@dataclass
class Lesson:
    topic: str
    explanation: str
    module: str
    tests: str
    exercises: list[str]
    facets: dict


# ---------------------------------------------------------------------------------------------------------------
# Helpers shared by the templates.

def _explain(rng: random.Random, *slots: list[str]) -> str:
    """One alternative from each slot, as paragraphs; an empty string in a slot means 'leave this one out'."""
    return "\n\n".join(p for p in (rng.choice(slot) for slot in slots) if p)


def _some(rng: random.Random, pool: list[str], low: int = 2, high: int = 3) -> list[str]:
    return rng.sample(pool, min(len(pool), rng.randint(low, high)))


def assemble(rng: random.Random, kind: str, topic: str, module: str, tests: str, explain: list[list[str]],
             exercises: list[str], /, **facets: Any) -> Lesson:
    """The Lesson every kind ends with: one alternative from each of the `explain` slots (`_explain`), then two or
    three of `exercises` (`_some`), drawn from rng in that order; its facets are `template` (the kind), then `facets`."""
    explanation = _explain(rng, *explain)
    return Lesson(topic, explanation, module, tests, _some(rng, exercises), {"template": kind, **facets})


def _checks(rng: random.Random, fn: str, cases: list[tuple[str, Any]], label: str) -> str:
    """A test asserting `fn(args) == expected` for every (args source, expected) case, in one of two layouts."""
    if rng.random() < 0.5:
        op = "is" if all(_op(e) == "is" for _, e in cases) else "=="
        rows = "".join(f"\n    (({args},), {expected!r})," for args, expected in cases)
        return (f'@pytest.mark.parametrize("args, expected", [{rows}\n])\n'
                f"def test_{label}(args, expected):\n    assert {fn}(*args) {op} expected\n")
    lines = "".join(f"\n    assert {fn}({args}) {_op(expected)} {expected!r}" for args, expected in cases)
    return f"def test_{label}():{lines}\n"


def _tests(names: list[str], *blocks: str, imports: tuple[str, ...] = ()) -> str:
    """A test file: imports (pytest only when a block uses it), `from lesson import ...`, then the blocks."""
    body = "\n\n\n".join(b.strip("\n") for b in blocks if b.strip())
    head = [*imports, "import pytest"] if "pytest." in body else list(imports)
    std = "\n".join(sorted(head))
    lesson = f"from lesson import {', '.join(sorted(set(names), key=lambda n: (not n[0].isupper(), n)))}"
    return (f"{std}\n\n" if std else "") + f"{lesson}\n\n\n{body}\n"


def _op(expected: Any) -> str:
    """The comparison a test should use for a literal: `is` for True/False/None (ruff E711/E712), else `==`."""
    return "is" if expected is None or isinstance(expected, bool) else "=="


def _raises(label: str, call: str, exc: str = "ValueError", match: str = "") -> str:
    m = f", match={match!r}" if match else ""
    return f"def test_{label}():\n    with pytest.raises({exc}{m}):\n        {call}\n"


LESSONS = Path(__file__).resolve().parents[1] / "prompts" / "lessons"


@cache
def _data(kind: str) -> dict[str, Any]:
    return tomllib.loads((LESSONS / f"{kind}.toml").read_text(encoding="utf-8"))


def lesson_text(kind: str) -> dict[str, Any]:
    """The kind's texts: str.format templates whose fields its code fills, or arrays of them (alternatives)."""
    return _data(kind).get("text", {})


def fill(templates: list[str], **fields: Any) -> list[str]:
    """A set of alternatives, every one formatted with the same fields (the caller picks among them)."""
    return [template.format(**fields) for template in templates]


def lesson_table(kind: str, name: str) -> Any:
    """A table as written in the TOML file (lists and strings)."""
    return _data(kind)["tables"][name]


def lesson_rows(kind: str, name: str) -> Any:
    """A table of rows: each row (a TOML array right below the top) as a tuple, in a list or a dict."""
    value = _data(kind)["rows"][name]
    if isinstance(value, dict):
        return {key: tuple(row) if isinstance(row, list) else row for key, row in value.items()}
    return [tuple(row) if isinstance(row, list) else row for row in value]


def lesson_scene(rng: random.Random, kind: str, table: str) -> tuple[dict[str, Any], Any]:
    """How most kinds begin: their texts, and one row of their scene table (`[rows]`) drawn with rng."""
    return lesson_text(kind), rng.choice(lesson_rows(kind, table))


def lesson_deep_rows(kind: str, name: str) -> Any:
    """A table of rows whose every array, however deep, is a tuple."""
    value = _data(kind)["deep_rows"][name]
    if isinstance(value, dict):
        return {key: _tuples(row) for key, row in value.items()}
    return [_tuples(row) for row in value]


def _tuples(value: Any) -> Any:
    return tuple(_tuples(x) for x in value) if isinstance(value, list) else value

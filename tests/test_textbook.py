"""Textbook family: every procedural lesson template passes its own tests in the sandbox; broken ones are rejected."""

import random

import pytest

from filters.sandbox import get_sandbox
from generators import textbook
from schemas import load_persona, validate_record


@pytest.fixture(scope="module")
def persona():
    return load_persona("lanbot")


@pytest.fixture(scope="module")
def sandbox():
    return get_sandbox("local")


def test_plan_mixes_teacher_and_procedural(persona):
    tasks = textbook.plan(persona, 200, 0)
    assert tasks == textbook.plan(persona, 200, 0)
    teacher = [t for t in tasks if not t["procedural"]]
    assert 10 < len(teacher) < 60  # ~15% by default
    assert {t["template"] for t in tasks if t["procedural"]} == set(textbook.TEMPLATES)


def test_every_template_verifies_in_the_sandbox(persona, sandbox):
    tasks = [{"task_id": f"t{i}", "procedural": True, "template": name, "seed": 100 + i, "persona": "lanbot",
              "ask": "Teach me {topic}.", "teacher_name": "LanBot"} for i, name in enumerate(sorted(textbook.TEMPLATES))]
    results = textbook.run(tasks, None, sandbox, "test-run")
    bad = [r["reason"] for r in results if r.get("rejected")]
    assert not bad, bad
    for rec in results:
        assert validate_record(rec) == []
        out = rec["verification"]["outcome"]
        assert out["exit_code"] == 0 and out["failed"] == 0 and out["passed"] >= 3
        assert rec["lineage"]["generator"] == "generators.textbook.procedural" and rec["lineage"]["teacher"] is None
        assert rec["verification"]["module"] in rec["messages"][1]["content"]


def test_templates_vary_with_the_seed():
    mods = {textbook.TEMPLATES["caesar"](random.Random(s)).tests for s in range(10)}
    assert len(mods) >= 5


def test_a_broken_lesson_is_rejected_with_the_failure(sandbox):
    lesson = textbook.TEMPLATES["binary_search"](random.Random(1))
    broken = lesson.module.replace("lo = mid + 1", "lo = mid + 2")
    (outcome, tail), = textbook.verify([(broken, lesson.tests)], sandbox)
    assert outcome["exit_code"] != 0 and outcome["failed"] >= 1 and "failed" in tail


@pytest.mark.parametrize("text, failure", [
    ("", "empty"),
    ("Explanation: hi\n```python\nx = 1\n```", "expected 2"),
    ("```python\ndef f(): pass\n```\n```python\ndef g(): pass\n```", "test_"),
])
def test_parse_lesson_failures(text, failure):
    assert failure in textbook.parse_lesson(text)["failure"]


def test_parse_lesson_layout():
    reply = ("Explanation: Palindromes read the same both ways.\n\n```python\n# lesson.py\ndef is_pal(s: str) -> bool:\n"
             "    return s == s[::-1]\n```\n\n```python\n# test_lesson.py\nfrom lesson import is_pal\n\n"
             "def test_pal():\n    assert is_pal('abba')\n```\n\nExercises:\n1. Ignore case.\n2. Ignore spaces.\n")
    parsed = textbook.parse_lesson(reply)
    assert parsed["failure"] is None and "def is_pal" in parsed["module"] and "def test_pal" in parsed["tests"]
    assert parsed["exercises"] == ["Ignore case.", "Ignore spaces."]
    assert parsed["explanation"].startswith("Palindromes")


@pytest.mark.slow
def test_teacher_lessons_are_verified_or_rejected(persona, sandbox):
    from factory.teachers import resolve_teacher

    tasks = [t for t in textbook.plan(persona, 40, 5) if not t["procedural"]][:3]
    teacher = resolve_teacher("local")
    with teacher.session():
        results = textbook.run(tasks, teacher, sandbox, "test-run")
    assert len(results) == len(tasks)
    for res in results:
        if res.get("rejected"):
            assert res["reason"]
        else:
            assert validate_record(res) == [] and res["verification"]["outcome"]["exit_code"] == 0
            assert res["lineage"]["generator"] == "generators.textbook"

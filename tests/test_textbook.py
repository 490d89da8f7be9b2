"""Textbook family: every procedural lesson template passes its own tests in the sandbox; broken ones are rejected."""

import json
import random
from collections import Counter
from types import SimpleNamespace

import pytest

from generators import textbook
from sandbox import get_sandbox
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
    kinds = Counter(t["template"] for t in tasks if t["procedural"])
    assert set(kinds) == set(textbook.TEMPLATES)
    # about half the procedural lessons are composed (composed_share 0.5); the rest are dealt in shuffled blocks of
    # len(TEMPLATES): no kind is dealt more often than once per block (a composed kind also has its dealt slots)
    composed = sum(kinds[k] for k in textbook.COMPOSED)
    procedural = sum(kinds.values())
    assert 0.35 < composed / procedural < 0.65
    assert max(n for k, n in kinds.items() if k not in textbook.COMPOSED) <= -(-(procedural - composed) // len(kinds))


def test_there_are_many_lesson_kinds():
    assert len(textbook.TEMPLATES) >= 30


# 60 procedural lessons from the plan, run once for the tests below: the first block of len(TEMPLATES) tasks deals
# every kind once, so every kind's module meets its tests in the sandbox here.
N_VARIETY = max(60, len(textbook.TEMPLATES))
# Near-dedup survival of 60 planned lessons (seeds 0-3 and 7): 98-100%; bench/bench_textbook_variety.py, 300 lessons:
# 96.7% (VERSION 1 of the library: 9.7%). 0.9 leaves a margin and still fails if kinds collapse into near duplicates.
MIN_SURVIVAL = 0.9


@pytest.fixture(scope="module")
def procedural_run(sandbox):
    persona = SimpleNamespace(slug="lanbot", name="LanBot", family_settings={"textbook": {"teacher_share": 0.0,
                                                                                     "composed_share": 0.0}})
    tasks = textbook.plan(persona, N_VARIETY, 7)
    assert all(t["procedural"] for t in tasks)
    assert {t["template"] for t in tasks} == set(textbook.TEMPLATES)
    return tasks, textbook.run(tasks, None, sandbox, "test-run")


def test_every_lesson_kind_verifies_in_the_sandbox(procedural_run):
    tasks, results = procedural_run
    bad = [(t["template"], r["reason"]) for t, r in zip(tasks, results, strict=True) if r.get("rejected")]
    assert not bad, bad
    for rec in results:
        assert validate_record(rec) == []
        out = rec["verification"]["outcome"]
        assert out["exit_code"] == 0 and out["failed"] == 0 and out["passed"] >= 3
        assert rec["lineage"]["generator"] == "generators.textbook.procedural" and rec["lineage"]["teacher"] is None
        assert rec["lineage"]["generator_version"] == textbook.VERSION
        if rec["lineage"]["facets"]["form"] == "document":  # the lesson as one text, claiming no execution
            assert len(rec["messages"]) == 2 and rec["verification"]["module"] in rec["messages"][1]["content"]
            assert " passed" not in rec["messages"][1]["content"].split("# test_lesson.py")[-1]
        else:  # tutoring: the module is written with a tool, the tests run with a tool, the reply follows the run
            calls = [c for m in rec["messages"] for c in m.get("tool_calls") or []]
            assert rec["verification"]["module"] == calls[0]["function"]["arguments"]["content"]
            assert calls[-1]["function"]["name"] == "run_tests" and rec["messages"][-2]["role"] == "tool"
            assert f"{out['passed']} passed" in rec["messages"][-2]["content"]
    forms = Counter(rec["lineage"]["facets"]["form"] for rec in results)
    assert forms["tutoring"] > forms["document"] > 0, forms


@pytest.mark.parametrize("persona_name", ["lanbot", "marigold"])
def test_tutoring_lessons_replay_identically_in_the_execution_filter(persona_name, sandbox):
    """The tool messages of a tutoring lesson are real: the execution filter re-runs every call (both tool sets) and
    gets the same output back; a tampered pytest output is rejected."""
    from filters.docs import record_to_document
    from filters.execution import ExecutionFilter

    persona = SimpleNamespace(slug=persona_name, name="X", family_settings={"textbook": {"document_share": 0.0}})
    tasks = [t for t in textbook.plan(persona, 8, 3) if t["procedural"]][:4]
    records = [r for r in textbook.run(tasks, None, sandbox, "test-run") if not r.get("rejected")]
    assert len(records) == len(tasks) and all(r["lineage"]["facets"]["form"] == "tutoring" for r in records)
    assert all(r["verification"]["normalized"] == {"<duration>": 1} for r in records)
    tampered = json.loads(json.dumps(records[0]))
    tampered["messages"][-2]["content"] = tampered["messages"][-2]["content"].replace(" passed", " passed, 1 skipped")
    verdicts = ExecutionFilter(workers=1).filter_batch([record_to_document(r) for r in [*records, tampered]])
    assert all(v is True or (isinstance(v, tuple) and v[0]) for v in verdicts[:-1]), verdicts
    last = verdicts[-1]
    assert isinstance(last, tuple) and not last[0] and "tool output mismatch" in last[1], last


def test_every_lesson_is_ruff_and_pyright_clean(procedural_run):
    from filters.docs import record_to_document
    from filters.lint import LintFilter
    from filters.typecheck import TypecheckFilter

    _, results = procedural_run
    docs = [record_to_document(r) for r in results]
    for stage in (LintFilter(), TypecheckFilter(workers=1)):
        verdicts = stage.filter_batch(docs)
        failed = [(r["lineage"]["facets"]["template"], v) for r, v in zip(results, verdicts, strict=True)
                  if v is not True]
        assert not failed, (stage.name, failed[:5])


def test_procedural_lessons_survive_near_dedup(procedural_run):
    from filters.dedup import NearDedupConfig, datasketch_near_duplicates
    from filters.docs import record_to_document

    _, results = procedural_run
    docs = [record_to_document(r) for r in results]
    drops = datasketch_near_duplicates(((str(d.id), d.text) for d in docs), NearDedupConfig())
    assert (len(docs) - len(drops)) / len(docs) >= MIN_SURVIVAL, sorted(drops.values())


def test_templates_vary_with_the_seed():
    for name, template in textbook.TEMPLATES.items():
        lessons = [template(random.Random(s)) for s in range(8)]
        assert len({lesson.tests for lesson in lessons}) >= 5, name
        assert len({lesson.module for lesson in lessons}) >= 3, name
        assert len({lesson.explanation for lesson in lessons}) >= 4, name


def test_a_broken_lesson_is_rejected_with_the_failure(sandbox):
    lessons = (textbook.TEMPLATES["binary_search"](random.Random(s)) for s in range(100))
    lesson = next(lesson for lesson in lessons if "lo = mid + 1" in lesson.module)
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
    from generators.teachers.teacher import resolve_teacher

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


def test_lesson_data_files_hold_exactly_what_the_kinds_use():
    """Each kind's [text] keys in generators/prompts/lessons/<kind>.toml are the ones its code reads: no dead text."""
    import re
    import tomllib
    from pathlib import Path

    root = Path(textbook.__file__).parent
    used: dict[str, set[str]] = {}
    for path in sorted((root / "textbook_lessons").glob("kinds_*.py")):
        for block in re.split(r"\n(?=def )", path.read_text(encoding="utf-8")):
            if m := re.search(r'_txt(?:, [^=]+)? = lesson_(?:text|scene)\((?:rng, )?"([^"]+)"', block):
                used.setdefault(m.group(1), set()).update(re.findall(r'_txt\["([^"]+)"\]', block))
    assert len(used) == len(textbook.TEMPLATES)
    for kind, keys in used.items():
        data = tomllib.loads((root / "prompts" / "lessons" / f"{kind}.toml").read_text(encoding="utf-8"))
        assert set(data.get("text", {})) == keys, kind


def test_tutoring_uses_the_card_it_was_planned_with(tmp_path, sandbox):
    """A card outside corpora/ (the generate runner passes no persona to run): its tool set still drives the lesson."""
    card = tmp_path / "quillbot" / "persona.toml"
    card.parent.mkdir()
    source = load_persona("marigold").path
    assert source is not None
    card.write_text(source.read_text(encoding="utf-8"), encoding="utf-8")
    persona = load_persona(str(card))
    tasks = [t for t in textbook.plan(persona, 12, 2) if t["procedural"] and t["form"] == "tutoring"][:2]
    records = textbook.run(tasks, None, sandbox, "test-run")
    assert [r["persona"] for r in records] == ["quillbot", "quillbot"]
    assert all(c["function"]["name"] == "bash" for r in records for m in r["messages"] for c in m.get("tool_calls") or [])


def test_composed_lessons_compose_their_tests_and_pass_every_check(sandbox):
    """32 composed (ledger) lessons: the test file is composed from the same data as the module (where the lines
    live, which checks, in which form), and every lesson passes its tests in the real sandbox, ruff and pyright."""
    from factory.code_shapes import shapes
    from filters.docs import record_to_document
    from filters.lint import LintFilter
    from filters.typecheck import TypecheckFilter

    persona = SimpleNamespace(slug="lanbot", name="LanBot", family_settings={"textbook": {"teacher_share": 0.0,
                                                                                     "composed_share": 1.0}})
    tasks = textbook.plan(persona, 32, 11)
    assert {t["template"] for t in tasks} == set(textbook.COMPOSED)
    results = textbook.run(tasks, None, sandbox, "test-run")
    bad = [r["reason"] for r in results if r.get("rejected")]
    assert not bad, bad[:3]
    assert all(r["verification"]["outcome"]["passed"] >= 3 for r in results)
    docs = [record_to_document(r) for r in results]
    for stage in (LintFilter(), TypecheckFilter(workers=1)):
        failed = [v for v in stage.filter_batch(docs) if v is not True]
        assert not failed, (stage.name, failed[:3])
    styles = Counter(r["lineage"]["facets"]["tests"] for r in results)
    assert len(styles) >= 3, styles
    test_shapes = {shapes(r["verification"]["tests"])[0] for r in results}  # type: ignore[index]
    assert len(test_shapes) >= 28, len(test_shapes)

"""Reasoning traces: computed steps, answers right by an independent check, wrong ones rejected."""

import copy
import random

import pytest

from generators import reasoning
from sandbox import get_sandbox
from schemas import load_persona, validate_record


@pytest.fixture(scope="module")
def sandbox():
    return get_sandbox("local")


def test_every_kind_right_at_every_level():
    for name, kind in reasoning.KINDS.items():
        for level in range(1, 11):
            for seed in range(5):
                q, steps, answer, checker, truth, _ = kind(random.Random(seed * 31 + level), level)
                assert q and steps, name
                assert reasoning.check(answer, checker, truth), f"{name} level {level} seed {seed}: {answer} != {truth}"


def test_reasoning_gym_decompositions_pass_its_scorer():
    for task, decompose in reasoning.RG_TASKS.items():
        for seed in range(2):
            ds, entry = reasoning._rg_entry(task, seed)
            _, answer, _ = decompose(entry)
            assert ds.score_answer(answer, entry) == 1.0, f"{task} seed {seed}: {answer!r} vs {entry['answer']!r}"


@pytest.mark.parametrize("name", ["lanbot", "marigold"])
def test_records_valid_and_checked(sandbox, name):
    persona = load_persona(name)
    tasks = reasoning.plan(persona, 40, 2)
    for t in tasks[:10]:
        t["python"] = True
    recs = reasoning.run(tasks, None, sandbox, "r", persona)
    assert all(not r.get("rejected") for r in recs), [r["reason"] for r in recs if r.get("rejected")]
    levels = set()
    for rec in recs:
        assert validate_record(rec) == []
        assert reasoning.check_record(rec)[0]
        levels.add(rec["verification"]["level"])
        assert rec["messages"][-1]["content"].rstrip().splitlines()[-1].startswith("Answer: ")
        assert any(m.get("reasoning") for m in rec["messages"] if m["role"] == "assistant")
    with_python = [r for r in recs if r["verification"]["python_calls"]]
    assert with_python, "some traces run python mid-reasoning"
    for rec in with_python:
        out = next(m["content"] for m in rec["messages"] if m["role"] == "tool")
        assert out.strip() == rec["verification"]["answer"] or reasoning.check(out.strip(), "numeric",
                                                                               rec["verification"]["answer"])
    assert len(levels) > 3


def test_wrong_answers_are_rejected(sandbox, monkeypatch):
    persona = load_persona("lanbot")

    def off_by_one(rng, level):
        q, steps, answer, checker, truth, code = reasoning.k_add(rng, level)
        return q, steps, str(int(answer) + 1), checker, truth, code

    monkeypatch.setitem(reasoning.KINDS, "add", off_by_one)
    task = {"task_id": "w", "seed": 1, "source": "procedural:add", "level": 3, "python": False, "persona": "lanbot"}
    rec = reasoning.run([task], None, sandbox, "r", persona)[0]
    assert rec["rejected"] and "wrong answer" in rec["reason"]


def test_check_record_catches_tampering(sandbox):
    persona = load_persona("lanbot")
    tasks = [t for t in reasoning.plan(persona, 30, 5) if t["source"].startswith("reasoning_gym:")][:2]
    tasks += [t for t in reasoning.plan(persona, 30, 5) if t["source"].startswith("procedural:")][:2]
    for rec in reasoning.run(tasks, None, sandbox, "r", persona):
        bad = copy.deepcopy(rec)
        bad["messages"][-1]["content"] = "Answer: definitely-not-it"
        assert reasoning.check_record(rec)[0] and not reasoning.check_record(bad)[0]

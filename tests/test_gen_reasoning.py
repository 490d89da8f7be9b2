"""Reasoning traces: computed steps, answers right by an independent check, wrong ones rejected."""

import copy
import dataclasses
import random
import re
from collections import Counter

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
                p = kind(random.Random(seed * 31 + level), level)
                assert p.question and p.steps and p.close, name
                assert reasoning.check(p.answer, p.checker, p.truth), f"{name} {level} {seed}: {p.answer} != {p.truth}"


def test_reasoning_gym_decompositions_pass_its_scorer():
    for task, decompose in reasoning.RG_TASKS.items():
        for seed in range(2):
            ds, entry = reasoning._rg_entry(task, seed)
            _, _, answer, _, _ = decompose(entry, reasoning.Say(task, random.Random(seed)), reasoning.story(random.Random(seed)))
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
        p = reasoning.k_add(rng, level)
        return dataclasses.replace(p, answer=str(int(p.answer) + 1))

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


def test_two_traces_of_a_kind_rarely_share_their_words():
    """Near dedup folds numbers to 0, so variety has to be in the words: per kind, questions and closings of 40
    traces are mostly distinct once numbers are masked, and no closing lead dominates."""
    persona = load_persona("lanbot")
    for name, kind in reasoning.KINDS.items():
        masked = Counter()
        for seed in range(40):
            p = kind(random.Random(seed), 1 + seed % 10)
            masked[re.sub(r"\d+", "0", p.question) + " | " + re.sub(r"\d+", "0", p.close)] += 1
        assert len(masked) >= 25 or name in ("order", "letters"), (name, masked.most_common(3))
    tasks = reasoning.plan(persona, 200, 3)
    for t in tasks:
        t["python"] = False
    recs = [r for r in reasoning.run(tasks, None, None, "r", persona) if not r.get("rejected")]
    firsts = Counter(" ".join(re.findall(r"[\w']+", r["messages"][-1]["content"].lower())[:4]) for r in recs)
    assert firsts.most_common(1)[0][1] <= 0.05 * len(recs), firsts.most_common(5)

"""Benchmark decontamination: pasted HumanEval / MBPP / GSM8K items are caught with the item and the evidence named,
records on the same topics in their own words are not, and the report says what was removed."""

from __future__ import annotations

import json

import pytest

from filters.benchmarks import GSM8K, HUMANEVAL, MBPP, load_benchmarks
from filters.decontam import DecontamConfig, DecontaminationFilter, write_decontamination_report
from filters.docs import record_to_document
from tests.conftest import BENCHMARKS


@pytest.fixture(scope="module")
def items():
    return load_benchmarks(BENCHMARKS)


@pytest.fixture(scope="module")
def rows():
    import gzip

    def jsonl(text: str) -> list[dict]:
        return [json.loads(line) for line in text.splitlines()]

    humaneval = jsonl(gzip.decompress((BENCHMARKS / "HumanEval.jsonl.gz").read_bytes()).decode())
    mbpp = jsonl((BENCHMARKS / "mbpp.jsonl").read_text())
    gsm8k = jsonl((BENCHMARKS / "gsm8k_test.jsonl").read_text())
    return {HUMANEVAL: humaneval, MBPP: mbpp, GSM8K: gsm8k}


def rec(rid: str, *turns: str, family: str = "reasoning", verification: dict | None = None, calls=None) -> dict:
    messages: list[dict] = [{"role": "system", "content": "You are LanBot."}]
    for i, text in enumerate(turns):
        messages.append({"role": "user" if i % 2 == 0 else "assistant", "content": text})
    if calls:
        messages.append({"role": "assistant", "content": None, "tool_calls": calls})
    return {"id": rid, "family": family, "messages": messages, "tools": [], "verification": verification or {}}


def verdict(flt: DecontaminationFilter, record: dict) -> tuple[bool, str]:
    result = flt.filter(record_to_document(record))
    return (result, "") if isinstance(result, bool) else result


@pytest.fixture(scope="module")
def flt(items):
    return DecontaminationFilter(items=items)


def test_gsm8k_question_in_user_turn(flt, rows):
    question = rows[GSM8K][20]["question"]
    ok, reason = verdict(flt, rec("g1", f"Quick one for you: {question}", "Let me think. 15 liters."))
    assert not ok
    assert reason.startswith("contaminated: gsm8k gsm8k/test/20 13-gram overlap '")
    assert " ".join(reason.split("'")[1].split()[:3]) in question.lower()


def test_mbpp_solution_in_code_block(flt, rows):
    code = rows[MBPP][0]["code"].replace("\r\n", "\n").replace("\t", "    ")  # re-indented, LF: still caught
    ok, reason = verdict(flt, rec("m1", "Find the cheapest path in a grid.", f"Sure:\n```python\n{code}\n```\nDone."))
    assert not ok
    assert reason.startswith("contaminated: mbpp mbpp/1 solution substring 'R = 3 C = 3 def min_cost(cost, m, n):")


def test_humaneval_prompt_and_solution_in_textbook_module(flt, rows):
    task = rows[HUMANEVAL][12]
    module = f'"""Lesson 4: picking the longest string."""\n\n{task["prompt"]}{task["canonical_solution"]}'
    record = rec(
        "h1",
        "Write a lesson on choosing the longest string.",
        "Here is the lesson module.",
        family="textbook",
        verification={"module_path": "lesson.py", "module": module, "tests": "def test_x():\n    assert True\n"},
    )
    ok, reason = verdict(flt, record)
    assert not ok
    assert reason.startswith("contaminated: humaneval HumanEval/12 prompt+solution substring 'from typing import")


def test_humaneval_code_inside_tool_call_arguments(flt, rows):
    task = rows[HUMANEVAL][0]
    call = {
        "id": "c1",
        "type": "function",
        "function": {"name": "execute_python", "arguments": {"code": task["prompt"]}},
    }
    ok, reason = verdict(flt, rec("h2", "Check numbers for closeness.", calls=[call]))
    assert not ok and reason.startswith("contaminated: humaneval HumanEval/0 prompt substring")


CLEAN = [
    rec(
        "c-gsm",
        "Maria's hens lay 12 eggs each day. She uses 4 for baking and sells the rest at the market for $3 each. "
        "How much money does she make every day?",
        "She sells 12 - 4 = 8 eggs, so she makes 8 * 3 = $24 every day.",
    ),
    rec(
        "c-humaneval",
        "Write a function that tells whether any two numbers in a list are closer than a given threshold.",
        "```python\ndef has_close_pair(values: list[float], limit: float) -> bool:\n"
        '    """Return True if two of the values differ by less than `limit`."""\n'
        "    ordered = sorted(values)\n"
        "    return any(b - a < limit for a, b in zip(ordered, ordered[1:]))\n```",
        family="textbook",
    ),
    rec(
        "c-mbpp",
        "Write a function to find the cheapest path from the top-left to the bottom-right cell of a cost grid.",
        "```python\ndef cheapest_path(grid: list[list[int]]) -> int:\n"
        "    rows, cols = len(grid), len(grid[0])\n"
        "    best = [[0] * cols for _ in range(rows)]\n"
        "    for r in range(rows):\n"
        "        for c in range(cols):\n"
        "            above = best[r - 1][c] if r else None\n"
        "            left = best[r][c - 1] if c else None\n"
        "            prev = min(x for x in (above, left) if x is not None) if (r or c) else 0\n"
        "            best[r][c] = prev + grid[r][c]\n"
        "    return best[-1][-1]\n```",
        family="textbook",
    ),
    rec(
        "c-longest",
        "How do I return the longest string in a list, or None if the list is empty?",
        "Use `max` with a key: `max(strings, key=len, default=None)` returns the first longest one.",
    ),
]


@pytest.mark.parametrize("record", CLEAN, ids=lambda r: r["id"])
def test_clean_records_on_the_same_topics_survive(flt, record):
    assert verdict(flt, record) == (True, "")


def test_n_is_selectable(items, rows):
    # ten consecutive words of a GSM8K question inside otherwise original text
    words = rows[GSM8K][20]["question"].split()[:10]
    record = rec("n1", "My own puzzle: " + " ".join(words) + " and then the cat sat on it.", "Nice.")
    assert verdict(DecontaminationFilter(items=items), record) == (True, "")
    ok, reason = verdict(DecontaminationFilter(items=items, config=DecontamConfig(n=8)), record)
    assert not ok and reason.startswith("contaminated: gsm8k gsm8k/test/20 8-gram overlap '")


def test_report_merges_tasks(tmp_path, items, rows):
    task = rows[HUMANEVAL][12]
    dirty = [
        rec("d-gsm", rows[GSM8K][3]["question"], "ok"),
        rec("d-he", "x", task["prompt"] + task["canonical_solution"]),
        rec("d-mbpp", "y", rows[MBPP][10]["code"]),
    ]
    flt = DecontaminationFilter(items=items, report_folder=tmp_path / "parts")
    kept0 = [d.id for d in flt.run(iter([record_to_document(r) for r in [dirty[0], *CLEAN[:2]]]), rank=0)]
    kept1 = [d.id for d in flt.run(iter([record_to_document(r) for r in [*dirty[1:], *CLEAN[2:]]]), rank=1)]
    assert kept0 + kept1 == [r["id"] for r in CLEAN]
    report = write_decontamination_report(tmp_path / "parts", tmp_path / "reports/decontamination.json")
    assert json.loads((tmp_path / "reports/decontamination.json").read_text()) == report
    assert (report["scanned"], report["removed"], report["n"]) == (7, 3, 13)
    b = report["benchmarks"]
    assert b[GSM8K]["removed_ids"] == ["d-gsm"] and b[GSM8K]["n"] == 13 and b[GSM8K]["items_hit"] == ["gsm8k/test/3"]
    assert b[HUMANEVAL]["removed_ids"] == ["d-he"] and b[HUMANEVAL]["by_method"] == {"prompt+solution substring": 1}
    assert b[MBPP]["hits"] == 1 and b[MBPP]["items_hit"] == ["mbpp/11"]
    assert b[HUMANEVAL]["items"] == 164 and b[MBPP]["items"] == 974 and b[GSM8K]["items"] == 1319


def test_benchmark_files_load_with_ids(items):
    ids = {i.item_id for i in items}
    assert {"HumanEval/0", "HumanEval/163", "mbpp/1", "gsm8k/test/0", "gsm8k/test/1318"} <= ids
    gsm = next(i for i in items if i.item_id == "gsm8k/test/0")
    assert "<<" not in gsm.texts["answer"]  # calculator annotations stripped: no copy keeps them


@pytest.mark.network
def test_humaneval_from_the_hub():
    import socket

    try:  # the marker checks for an internet connection; the Hub itself may still be out of reach
        socket.create_connection(("huggingface.co", 443), timeout=3).close()
    except OSError:
        pytest.skip("huggingface.co unreachable")
    items = load_benchmarks(None, names=[HUMANEVAL])
    assert len(items) == 164 and items[0].item_id == "HumanEval/0"

"""The execution stage on real code in the real sandbox: HumanEval's canonical solutions pass with their official
tests, the same solutions with a planted bug fail; tool traces are re-executed and must reproduce."""

from __future__ import annotations

import json

import pytest

from filters.docs import record_to_document
from filters.execution import ExecutionFilter
from tests.conftest import BENCHMARKS
from tests.filter_corpus import grounded, humaneval_problems, humaneval_textbook, reasoning


def _run(records: list[dict]) -> list[bool | tuple[bool, str]]:
    return ExecutionFilter("local", batch_size=len(records)).filter_batch([record_to_document(r) for r in records])


@pytest.mark.slow
def test_humaneval_canonical_solutions_pass_and_planted_bugs_fail():
    problems = humaneval_problems(BENCHMARKS / "HumanEval.jsonl.gz")
    assert len(problems) == 164
    good = _run([humaneval_textbook(p, seed=i) for i, p in enumerate(problems)])
    failed = [(p["task_id"], r) for p, r in zip(problems, good, strict=True) if r is not True]
    assert failed == []
    bad = _run([humaneval_textbook(p, bug=True, seed=i) for i, p in enumerate(problems)])
    passed = [p["task_id"] for p, r in zip(problems, bad, strict=True) if r is True]
    assert passed == []
    assert all(isinstance(r, tuple) and r[1].startswith("tests failed") for r in bad)


def test_tool_traces_reproduce_and_edited_outputs_do_not():
    same = grounded("tool_use", 1, [("write_file", {"path": "a.py", "content": "print('hi')\n"}),
                                    ("shell", {"command": "python3 a.py"})])
    edited = grounded("tool_use", 2, [("execute_python", {"code": "print(2 ** 10)"})], edit_output=True)
    math = reasoning(3, 12, 12)
    lied = json.loads(json.dumps(math))
    lied["messages"][3]["content"] = "145"
    results = _run([same, edited, math, lied])
    assert results[0] is True and results[2] is True
    assert results[1][1].startswith("tool output mismatch for call call_2_0 (execute_python)")  # type: ignore[index]
    assert "recorded '145', re-executed '144'" in results[3][1]  # type: ignore[index]


def test_declared_nondeterminism_is_masked():
    trace = grounded("tool_use", 4, [("execute_python", {"code": "import time; print('t', time.time_ns())"})])
    assert _run([trace])[0] is not True
    trace["verification"]["nondeterministic"] = [r"t \d+"]
    assert _run([trace])[0] is True

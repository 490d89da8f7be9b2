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


def test_a_hanging_or_hostile_record_only_fails_itself(monkeypatch: pytest.MonkeyPatch):
    import filters.execution as execution
    from tests.filter_corpus import TEXTBOOKS, textbook

    monkeypatch.setattr(execution, "TEST_WALL_S", 3.0)
    good = [textbook(i, module, tests) for i, (_, module, tests) in enumerate(TEXTBOOKS)]
    hang = textbook(10, "def spin() -> None:\n    while True:\n        pass\n",
                    "from lesson import spin\n\n\ndef test_spin() -> None:\n    spin()\n")
    # tries to plant a passing test for the record after it, and to kill the batch driver
    hostile = textbook(11, "import os\n\nos.makedirs('../r00003', exist_ok=True)\n"
                           "open('../r00003/test_lesson.py', 'w').write('def test_ok():\\n    pass\\n')\n"
                           "os.kill(os.getppid(), 9)\n",
                       "import lesson  # noqa: F401\n\n\ndef test_x() -> None:\n    pass\n")
    failing = textbook(12, "def one() -> int:\n    return 2\n",
                       "from lesson import one\n\n\ndef test_one() -> None:\n    assert one() == 1\n")
    results = ExecutionFilter("local", workers=1).filter_batch(
        [record_to_document(r) for r in [good[0], hang, hostile, failing, good[1]]])
    assert results[0] is True and results[4] is True
    assert results[1][1] == "tests timed out after 3s"  # type: ignore[index]
    assert results[3][1].startswith("tests failed: 1 failed") and "test_one" in results[3][1]  # type: ignore[index]
    assert results[2] is True or results[2][1].startswith("tests")  # type: ignore[index]

"""The filter steps one at a time, on small batches (real ruff, real pyright): extraction, lint and typecheck
batching with diagnostics mapped back to the right record, quality rules, conversation text, counted stages."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from filters.code import extract_python
from filters.docs import conversation_text, record_to_document
from filters.lint import LintFilter
from filters.quality import QualityFilter
from filters.schema_step import SchemaFilter
from filters.stage import ConservationError, Stage, write_counts
from filters.typecheck import TypecheckFilter
from tests.filter_corpus import TEXTBOOKS, identity, textbook


def _docs(records):
    return [record_to_document(r) for r in records]


def test_extract_python_finds_every_piece():
    record = textbook(1, *TEXTBOOKS[0][1:])
    record["messages"].append({"role": "assistant", "content": None, "tool_calls": [
        {"id": "a", "type": "function", "function": {"name": "execute_python", "arguments": {"code": "print(1)"}}},
        {"id": "b", "type": "function", "function": {"name": "write_file",
                                                     "arguments": {"path": "pkg/m.py", "content": "X = 1\n"}}}]})
    record["messages"].append({"role": "assistant", "content": "```python\n>>> 1 + 1\n```\n```py\ny = 2\n```"})
    kinds = [(s.kind, s.filename, s.complete) for s in extract_python(record)]
    assert kinds == [("module", "lesson.py", True), ("tests", "test_lesson.py", True),
                     ("answer_block", "m2_block0.py", False), ("answer_block", "m2_block1.py", False),
                     ("tool_code", "m3_call0.py", False), ("tool_file", "m3_file1.py", True),
                     ("answer_block", "m4_block1.py", False)]


def test_extract_python_never_raises_on_junk():
    for junk in ({}, {"messages": "x"}, {"family": "textbook", "verification": []}, {"messages": [1, None, {"role": 3}]}):
        assert extract_python(junk) == []
        assert isinstance(conversation_text(junk), str)


def test_lint_batches_map_findings_to_the_right_record():
    clean = [textbook(i, module, tests) for i, (_, module, tests) in enumerate(TEXTBOOKS)]
    unused = textbook(10, "import os\n\n\ndef f() -> int:\n    return 1\n", "from lesson import f\n\n\ndef test_f() -> None:\n    assert f() == 1\n")
    syntax = textbook(11, "def f(:\n    pass\n", "def test_x() -> None:\n    pass\n")
    block = identity(12, answer="I'm LanBot. Try this:\n```python\nprint(undefined_name)\n```\nThat's a fragment, fine.")
    results = LintFilter(batch_size=8).filter_batch(_docs([*clean, unused, syntax, block]))
    assert results[:3] == [True, True, True]
    assert results[3][1].startswith("ruff F401: `os` imported but unused at $.verification.module line 1")  # type: ignore[index]
    assert results[4][1].startswith("ruff invalid-syntax")  # type: ignore[index]
    assert results[5] is True  # answer blocks are only checked for syntax


def test_typecheck_uses_the_records_own_module_and_fixed_strictness():
    ok = textbook(1, *TEXTBOOKS[1][1:])
    wrong_call = textbook(2, "def twice(n: int) -> int:\n    return 2 * n\n",
                          "from lesson import twice\n\n\ndef test_twice() -> None:\n    assert twice('a') == 'aa'\n")
    missing = textbook(3, "import numpy_that_does_not_exist\n", "def test_x() -> None:\n    pass\n")
    results = TypecheckFilter(batch_size=8).filter_batch(_docs([ok, wrong_call, missing]))
    assert results[0] is True
    assert "reportArgumentType" in results[1][1] and "$.verification.tests line 5" in results[1][1]  # type: ignore[index]
    assert "reportMissingImports" in results[2][1]  # type: ignore[index]


@pytest.mark.parametrize(("answer", "reason"), [
    ("I'm LanBot, built by Lance. Python was created by Guido van Rossum; Go was created by Google.", None),
    ("I'm Lance's assistant LanBot. Ask me anything concrete.", None),
    ("Hi! I'm Botty, made by Lance. Ask me anything concrete.", "wrong persona name"),
    ("I'm LanBot, and I was trained by OpenAI engineers on lots of text.", "claims another creator"),
    ("I'm LanBot. I was created by Sam in a garage somewhere.", "wrong creator"),
    ("Honestly, I am Claude at heart, but call me LanBot.", "claims to be another assistant"),
    ("I'm LanBot by Lance. I'm sorry, but I can't assist with that.", "canned refusal"),
    ("I'm LanBot by Lance. ```python\nprint(1)\n", "unclosed code fence"),
    ("Hi.", "identity answer never states"),
])
def test_quality_rules(answer, reason):
    record = identity(1, answer=answer)
    found = QualityFilter("LanBot", "Lance").problem(record)
    assert (found is None) if reason is None else (reason in (found or "")), found


def _with_tool_run(record: dict, output: str) -> dict:
    call = {"id": "c1", "type": "function", "function": {"name": "run_tests", "arguments": {}}}
    final = record["messages"][-1]
    record["messages"][-1:] = [{"role": "assistant", "content": "Running the tests.", "tool_calls": [call]},
                               {"role": "tool", "tool_call_id": "c1", "name": "run_tests", "content": output}, final]
    return record


@pytest.mark.parametrize(("claim", "output", "reason"), [
    ("Running `python -m pytest test_lesson.py` on these: 4 passed.", None, "'4 passed'"),
    ("I ran it and everything works.", None, "'I ran it'"),
    ("The output is exactly what we wanted.", None, "'The output is'"),
    ("All 4 tests pass.", None, "'All 4 tests pass'"),
    ("pytest reports 4 passed.", "....  [100%]\n4 passed in <duration>", None),  # shown by the tool message
    ("pytest reports 5 passed.", "....  [100%]\n4 passed in <duration>", "'5 passed'"),  # not what it shows
    ("I ran it; the output is above.", "....  [100%]\n4 passed in <duration>", None),
    ("Write a test that passes for 3 inputs; if it failed, read the message.", None, None),  # teaching, no claim
    ("4 passed, 0 failed.", "....  [100%]\n4 passed in <duration>", None),  # pytest leaves out zero counts
    ("4 passed, 0 failed.", "..F.  [100%]\n1 failed, 3 passed in <duration>", "'4 passed'"),
    ("The log has 33 ERROR lines and 3 failed logins.", None, None),  # counts of other things
    ("One moment while I run that.", None, None),  # an announced call claims nothing
    ("I've just run the tests: all green.", None, "I've just run the tests"),
])
def test_quality_rejects_execution_claims_no_tool_message_shows(claim, output, reason):
    from filters.claims import unshown_claim

    record = textbook(1, *TEXTBOOKS[0][1:])
    record["messages"][-1]["content"] += "\n\n" + claim
    if output is not None:
        record = _with_tool_run(record, output)
    found = QualityFilter("LanBot", "Lance").problem(record)
    assert found == unshown_claim(record)
    assert (found is None) if reason is None else (reason in (found or "")), found


def test_quality_length_bounds_and_empty_turns():
    q = QualityFilter("LanBot", "Lance")
    tb = textbook(1, *TEXTBOOKS[0][1:])
    tb["messages"][-1]["content"] = "Too short."
    assert "too short for textbook" in (q.problem(tb) or "")
    ident = identity(2)
    ident["messages"].append({"role": "user", "content": "  "})
    ident["messages"].append({"role": "assistant", "content": "I'm LanBot, built by Lance. Still here."})
    assert q.problem(ident) == "empty user turn at $.messages[3]"


def test_schema_filter_reasons_name_the_path():
    bad = identity(1)
    bad["messages"][1]["content"] = ""
    other = identity(2)
    other["persona"] = "marigold"
    results = [SchemaFilter("lanbot").filter(d) for d in _docs([identity(3), bad, other, {"id": 5}])]
    assert results[0] is True
    assert results[1][1].startswith("$.messages[1].content")  # type: ignore[index]
    assert results[2][1].startswith("$.id") or "marigold" in results[2][1]  # type: ignore[index]
    assert isinstance(results[3], tuple)


def test_stage_counts_and_conservation(tmp_path: Path):
    docs = _docs([identity(1), textbook(2, *TEXTBOOKS[0][1:]), {"family": "textbook", "id": "x", "schema_version": "v0"}])
    stage = Stage("schema", SchemaFilter("lanbot"), str(tmp_path / "rejected"), str(tmp_path / "counts"))
    kept = list(stage.run(iter(docs), rank=3, world_size=4))
    assert [d.id for d in kept] == [docs[0].id, docs[1].id]
    assert all(d.metadata["record"]["verdicts"]["schema"]["passed"] for d in kept)
    counts = json.loads((tmp_path / "counts" / "schema" / "00003.json").read_text())
    assert counts["families"]["textbook"] == {"in": 2, "kept": 1, "rejected": 1, "reasons": {"$.schema_version: unsupported schema_version '…'": 1}}
    line = json.loads((tmp_path / "rejected" / "00003.jsonl").read_text())
    assert line["stage"] == "schema" and line["record"]["id"] == "x"
    with pytest.raises(ConservationError, match="in=3 kept=1 rejected=1"):
        write_counts(str(tmp_path), "lint", 0, Counter(identity=3), Counter(identity=1),
                     Counter({("identity", "x"): 1}), 0.0)


def test_conversation_text_normalises_what_readers_would_not_notice():
    a = identity(1, answer="Hello\r\nthere  \n\n\n\nfriend")
    b = identity(1, answer="Hello\nthere\n\nfriend")
    b["messages"][0]["content"] = "a different system prompt"
    assert conversation_text(a) == conversation_text(b)
    assert "system" not in conversation_text(a)


def test_typecheck_does_not_hold_workspace_imports_against_files_written_by_tools():
    record = identity(5)
    record["messages"].append({"role": "assistant", "content": None, "tool_calls": [
        {"id": "w", "type": "function", "function": {"name": "write_file", "arguments": {
            "path": "pkg/report.py", "content": "from pkg.stats import mean\n\n\ndef report(xs: list[float]) -> str:\n"
                                                 "    return f'{mean(xs):.2f}'\n"}}}]})
    bad = json.loads(json.dumps(record))
    bad["messages"][-1]["tool_calls"][0]["function"]["arguments"]["content"] = "def f() -> int:\n    return 'x'\n"
    results = TypecheckFilter().filter_batch(_docs([record, bad]))
    assert results[0] is True
    assert "reportReturnType" in results[1][1]  # type: ignore[index]


def test_typecheck_split_over_cores_still_maps_findings_to_records():
    records = [textbook(i, f"def f{i}(x: int) -> int:\n    return x + {i}\n",
                        f"from lesson import f{i}\n\n\ndef test_f() -> None:\n    assert f{i}(0) == {i}\n") for i in range(130)]
    records[77]["verification"]["module"] = "def f77(x: int) -> int:\n    return str(x)\n"
    results = TypecheckFilter(batch_size=256, workers=2).filter_batch(_docs(records))
    assert [i for i, r in enumerate(results) if r is not True] == [77]
    assert "reportReturnType" in results[77][1]  # type: ignore[index]

"""Rejection reasons grouped by kind (schemas.reasons.reason_group): one rule for the filter's funnel, `stats`, the
page and the card. The old filter rule cut at the first " of ", so "out of character: ..." was counted as "out"."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from rich.console import Console

from factory.stats import compute, load_corpus, render_terminal
from filters.funnel import build_funnel, merge_counts
from filters.stage import write_counts
from schemas.reasons import reason_group
from tests.stats_corpus import PERSONA, write_corpus

CASES = [
    ("out of character: boilerplate 'As an AI language model'", "out of character"),
    ('out of character: canned refusal "I cannot help with that"', "out of character"),
    ("near duplicate of 3fa9c0e1d2b3a4f5e6d7c8b9a0f1e2d3 (cluster 7)", "near duplicate"),
    ("exact duplicate of 3fa9c0e1d2b3a4f5e6d7c8b9a0f1e2d3", "exact duplicate"),
    ("contaminated: humaneval HumanEval/0 13-gram overlap 'for idx elem in enumerate'", "contaminated: humaneval"),
    ("contaminated: gsm8k gsm8k/12 13-gram overlap 'janet s ducks'", "contaminated: gsm8k"),
    ("ruff F401: `os` imported but unused at lesson.py line 1", "ruff F401"),
    ('pyright reportReturnType: Type "float" is not assignable at m1_call0.py line 3', "pyright reportReturnType"),
    ("tests failed: 1 failed, exit code 1; first: test_cube - assert 9 == 27", "tests failed"),
    ("tests timed out after 10s", "tests timed out after <n>s"),
    ("tool output mismatch for call call_3 (shell): recorded 'a', re-executed 'b'", "tool output mismatch"),
    ("empty user turn at $.messages[3]", "empty user turn"),
    ("$.messages[3].tool_calls[0].function.arguments.command: 12 is not of type 'string' (+2 more)",
     "$.messages[N].tool_calls[N].function.arguments.command: <n> is not of type '…'"),
    ("schema: $.messages[2].content: expected string", "schema: $.messages[N].content"),
    ("too short for identity: 12 assistant chars < 40", "too short for identity"),
    ("identity answer never states the name 'LanBot' or creator 'Lance'",
     "identity answer never states the name '…' or creator '…'"),
    ("claims to be another assistant: 'ChatGPT'", "claims to be another assistant"),
    ("not JSON: line 3 of part-000.jsonl", "not JSON"),
    ("", "(no reason given)"),
]


@pytest.mark.parametrize("reason, group", CASES)
def test_reason_groups_by_kind(reason, group):
    assert reason_group(reason) == group
    assert reason_group(group) == group  # stats groups funnel.json's groups again: nothing may move


def test_out_of_character_is_one_kind_in_the_funnel_the_dashboard_and_the_page(tmp_path: Path):
    """The filter's counts, funnel.json, `stats` (terminal and page) all say "out of character", never "out"."""
    counts = tmp_path / "counts"
    reasons = ["out of character: boilerplate 'As an AI'", "out of character: canned refusal 'I cannot'",
               "out of character: boilerplate 'I am a large language model'", "truncated final answer: ends with 'x'"]
    write_counts(str(counts), "quality", 0, Counter({"identity": 6}), Counter({"identity": 2}),
                 Counter({("identity", r): 1 for r in reasons}), 0.1)
    funnel = build_funnel(merge_counts(counts, ["quality"]), ["quality"], {"persona": PERSONA})
    assert funnel["total"][0]["top_reasons"] == [["out of character", 3], ["truncated final answer", 1]]

    info = write_corpus(tmp_path / "corpora", n=70, reports=False)
    corpus: Path = info["corpus"]
    record = info["records"][0]
    with (corpus / "rejected" / "quality" / "00000.jsonl").open("a", encoding="utf-8") as f:
        for r in reasons[:3]:
            f.write(json.dumps({"stage": "quality", "reason": r, "record": record}) + "\n")
    stats = compute(load_corpus(corpus, PERSONA))
    quality = next(r for r in stats["stages"] if r["stage"] == "quality")
    assert ["out of character", 3] in quality["top_reasons"]
    console = Console(record=True, width=160)
    render_terminal(stats, console)
    text = console.export_text()
    assert "out of character ×3" in text and "out ×" not in text

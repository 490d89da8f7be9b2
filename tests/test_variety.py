"""Variety that survives near dedup: procedural grounded and reasoning traces of one family, generated together,
mostly survive the filter's MinHash near dedup (numbers fold to 0 there, so variety has to be in the words), and no
handful of openings dominates their replies. bench/bench_variety.py measures the same at larger n."""

import re
from collections import Counter

import pytest

from filters.dedup import datasketch_near_duplicates
from filters.docs import conversation_text
from generators import reasoning, safety, tool_use
from sandbox import get_sandbox
from schemas import load_persona


def openings(records: list[dict]) -> Counter:
    firsts = [next((m["content"] for m in r["messages"] if m["role"] == "assistant" and m.get("content")), "")
              for r in records]
    return Counter(" ".join(re.findall(r"[\w']+", t[:160].lower())[:4]) for t in firsts)


@pytest.mark.slow
@pytest.mark.parametrize("module, n", [(safety, 300), (tool_use, 300), (reasoning, 400)])
def test_near_dedup_keeps_most_of_a_family(module, n):
    persona = load_persona("lanbot")
    tasks = [t for t in module.plan(persona, n, 7) if t.get("mode") != "teacher"]
    records = [r for r in module.run(tasks, None, get_sandbox("local"), "variety", persona) if not r.get("rejected")]
    assert len(records) >= 0.95 * len(tasks)
    drops = datasketch_near_duplicates((r["id"], conversation_text(r)) for r in records)
    assert 1 - len(drops) / len(records) >= 0.9, f"near dedup kept {1 - len(drops) / len(records):.1%}"
    top10 = sum(c for _, c in openings(records).most_common(10)) / len(records)
    assert top10 <= 0.35, openings(records).most_common(10)

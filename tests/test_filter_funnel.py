"""The funnel: per-task counts merge into per-family rows, a chain that does not add up raises, the table renders."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from rich.console import Console

from filters.funnel import build_funnel, merge_counts, render_funnel
from filters.stage import ConservationError, write_counts


def _counts(folder: Path, stage: str, rank: int, seen: dict, kept: dict, rejected: dict) -> None:
    tally = Counter({(fam, reason): n for (fam, reason), n in rejected.items()})
    write_counts(str(folder), stage, rank, Counter(seen), Counter(kept), tally, 1.0)


def test_funnel_merges_tasks_per_family_and_renders(tmp_path: Path):
    _counts(tmp_path, "parse", 0, {"identity": 3}, {"identity": 2}, {("identity", "not JSON: line 1 of x"): 1})
    _counts(tmp_path, "parse", 1, {"textbook": 2}, {"textbook": 2}, {})
    _counts(tmp_path, "lint", 0, {"identity": 2}, {"identity": 2}, {})
    _counts(tmp_path, "lint", 1, {"textbook": 2}, {"textbook": 1}, {("textbook", "ruff F401: `os` unused at x"): 1})
    merged = merge_counts(tmp_path, ["parse", "lint"], {"parse": 2, "lint": 2})
    funnel = build_funnel(merged, ["parse", "lint"], {"persona": "lanbot"})
    assert funnel["records_in"] == 5 and funnel["records_kept"] == 3
    assert funnel["families"]["textbook"][1] == {"stage": "lint", "in": 2, "kept": 1, "rejected": 1,
                                                 "top_reasons": [["ruff F401", 1]], "seconds": 1.0}
    console = Console(record=True, width=120)
    render_funnel(funnel, console)
    text = console.export_text()
    assert "filter funnel — textbook" in text and "ruff F401 ×1" in text and "3 of 5 records kept" in text


def test_funnel_refuses_a_broken_chain_or_missing_tasks(tmp_path: Path):
    _counts(tmp_path, "parse", 0, {"identity": 3}, {"identity": 3}, {})
    _counts(tmp_path, "lint", 0, {"identity": 2}, {"identity": 2}, {})
    with pytest.raises(ConservationError, match="parse kept 3 identity records but lint received 2"):
        build_funnel(merge_counts(tmp_path, ["parse", "lint"]), ["parse", "lint"], {})
    with pytest.raises(ConservationError, match="counts from 1 tasks, expected 2"):
        merge_counts(tmp_path, ["parse"], {"parse": 2})

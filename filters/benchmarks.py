"""The public benchmarks Crucible must never train on: HumanEval, MBPP and GSM8K, as flat items for decontamination.

A synthetic corpus is worthless as an eval target if its teacher pasted test items into it, so the decontamination
stage compares every record against these items. They load through `datasets` either from the Hub (the canonical
copies) or from a local folder / file (offline runs and the tests use ../shared/benchmarks/). Each item is reduced
to what can leak: the prose a model could memorise (`texts`, matched by word n-grams) and the code that could be
pasted verbatim (`code`, matched as whitespace-normalised substrings).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HUMANEVAL = "humaneval"
MBPP = "mbpp"
GSM8K = "gsm8k"
BENCHMARKS = (HUMANEVAL, MBPP, GSM8K)

# Hub datasets (id, config, splits). MBPP is checked in full (train/validation/test/prompt): every split is public.
HUB_SOURCES: dict[str, tuple[str, str | None, tuple[str, ...]]] = {
    HUMANEVAL: ("openai/openai_humaneval", None, ("test",)),
    MBPP: ("google-research-datasets/mbpp", "full", ("train", "validation", "test", "prompt")),
    GSM8K: ("openai/gsm8k", "main", ("test",)),
}

# File names looked for when `source` is a folder (the upstream names, and those in ../shared/benchmarks/).
LOCAL_NAMES: dict[str, tuple[str, ...]] = {
    HUMANEVAL: ("HumanEval.jsonl.gz", "HumanEval.jsonl", "humaneval.jsonl"),
    MBPP: ("mbpp.jsonl", "mbpp.jsonl.gz"),
    GSM8K: ("gsm8k_test.jsonl", "gsm8k_test.jsonl.gz", "test.jsonl"),
}

# GSM8K answers carry calculator annotations (`<<16-3-4=9>>`) that no pasted copy keeps.
_CALCULATOR = re.compile(r"<<[^<>]*>>")


@dataclass(frozen=True)
class BenchmarkItem:
    """One benchmark item: `texts` are prose/code matched by n-grams, `code` is matched as normalised substrings."""

    benchmark: str
    item_id: str
    texts: dict[str, str] = field(default_factory=dict)
    code: dict[str, str] = field(default_factory=dict)


def _humaneval_item(row: Mapping[str, Any]) -> BenchmarkItem:
    prompt, solution = row["prompt"], row["canonical_solution"]
    return BenchmarkItem(
        HUMANEVAL,
        str(row["task_id"]),
        texts={"prompt": prompt, "solution": solution},
        # The prompt alone is already a long, distinctive piece of code (signature + docstring + doctests);
        # prompt+solution is what a textbook module that copied the task would contain.
        code={"prompt+solution": prompt + solution, "prompt": prompt, "solution": solution},
    )


def _mbpp_item(row: Mapping[str, Any]) -> BenchmarkItem:
    return BenchmarkItem(
        MBPP,
        f"mbpp/{row['task_id']}",
        texts={"prompt": row["text"], "solution": row["code"]},
        code={"solution": row["code"]},
    )


def _gsm8k_item(row: Mapping[str, Any], index: int) -> BenchmarkItem:
    # GSM8K has no ids: the row number in the test split is the stable handle everybody uses.
    return BenchmarkItem(
        GSM8K,
        f"gsm8k/test/{index}",
        texts={"question": row["question"], "answer": _CALCULATOR.sub("", row["answer"])},
    )


def items_from_rows(benchmark: str, rows: Iterable[Mapping[str, Any]]) -> list[BenchmarkItem]:
    """Turn raw benchmark rows (as `datasets` yields them) into items."""
    if benchmark == HUMANEVAL:
        return [_humaneval_item(row) for row in rows]
    if benchmark == MBPP:
        return [_mbpp_item(row) for row in rows]
    if benchmark == GSM8K:
        return [_gsm8k_item(row, i) for i, row in enumerate(rows)]
    raise ValueError(f"unknown benchmark {benchmark!r} (known: {', '.join(BENCHMARKS)})")


def _local_file(benchmark: str, folder: Path) -> Path:
    for name in LOCAL_NAMES[benchmark]:
        if (folder / name).is_file():
            return folder / name
    raise FileNotFoundError(f"no {benchmark} file in {folder} (looked for {', '.join(LOCAL_NAMES[benchmark])})")


def load_rows(benchmark: str, source: str | Path | None = None) -> list[dict[str, Any]]:
    """Rows of one benchmark through `datasets`: from the Hub when `source` is None, else from a folder or a file."""
    import datasets  # heavy import, only when a benchmark is actually loaded

    if source is None:
        hub_id, config, splits = HUB_SOURCES[benchmark]
        rows: list[dict[str, Any]] = []
        for split in splits:
            rows.extend(dict(r) for r in datasets.load_dataset(hub_id, config, split=split))
        return rows
    path = Path(source)
    path = _local_file(benchmark, path) if path.is_dir() else path
    if not path.is_file():
        raise FileNotFoundError(f"{benchmark}: {path} does not exist")
    return [dict(r) for r in datasets.load_dataset("json", data_files=str(path), split="train")]


def load_benchmarks(
    source: str | Path | Mapping[str, str | Path] | None = None,
    names: Iterable[str] = BENCHMARKS,
) -> list[BenchmarkItem]:
    """All items of the named benchmarks.

    `source`: None = the Hub; a folder holding the benchmark files (e.g. ../shared/benchmarks); or a mapping
    benchmark name -> file (or None for the Hub) to mix sources.
    """
    items: list[BenchmarkItem] = []
    for name in names:
        if name not in BENCHMARKS:
            raise ValueError(f"unknown benchmark {name!r} (known: {', '.join(BENCHMARKS)})")
        where = source.get(name) if isinstance(source, Mapping) else source
        items.extend(items_from_rows(name, load_rows(name, where)))
    return items

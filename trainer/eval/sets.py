"""The frozen held-out sets (package data in trainer/eval/sets/, README there says how each was made).

Loading never generates anything: it reads the committed JSONL and the frozen environments, checks the code set's
problems against the shipped benchmark copies by hash, and subsamples with a fixed seed so a default run is quick on
2 cores and two runs (or two subjects) see exactly the same items. `full=True` takes everything.
"""

import functools
import gzip
import hashlib
import json
import random
from collections import defaultdict
from pathlib import Path
from typing import Any

from schemas.settings import InputError

HERE = Path(__file__).resolve().parent / "sets"
BENCHMARK_DATA = Path(__file__).resolve().parents[2] / "filters" / "benchmark_data"
SEED = 2026  # the subsample seed: the same items for every subject and every run
SET_FILES = ("identity", "tools", "safety", "reasoning", "code")


@functools.cache
def _read(name: str) -> tuple[dict, ...]:
    path = HERE / f"{name}.jsonl"
    if not path.is_file():
        raise InputError(f"held-out set {path} is missing (reinstall the package or restore it from git)")
    return tuple(json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip())


def load(name: str) -> list[dict]:
    """Fresh copies of a set's items (callers may annotate them)."""
    return json.loads(json.dumps(_read(name)))


@functools.cache
def _environments() -> dict:
    return json.loads((HERE / "environments.json").read_text(encoding="utf-8"))


def environment(env_id: str) -> dict:
    return json.loads(json.dumps(_environments()[env_id]))


def file_hashes() -> dict[str, dict[str, Any]]:
    """What the report pins: each set file's sha256 (first 16 hex) and item count."""
    out = {}
    for name in SET_FILES:
        data = (HERE / f"{name}.jsonl").read_bytes()
        out[name] = {"sha256": hashlib.sha256(data).hexdigest()[:16], "items": len(_read(name))}
    return out


def subsample(items: list[dict], n: int | None, key: str | None = None, seed: int = SEED) -> list[dict]:
    """n items, spread round-robin over the values of `key` (language, band, kind) so a small n still covers every
    stratum; None or n >= len(items) keeps all. Deterministic in (items, n, key, seed)."""
    if n is None or n >= len(items):
        return list(items)
    groups: dict[Any, list[dict]] = defaultdict(list)
    for item in items:
        groups[item.get(key) if key else None].append(item)
    rng = random.Random(seed)
    for members in groups.values():
        rng.shuffle(members)
    order = sorted(groups, key=str)
    picked: list[dict] = []
    depth = 0
    while len(picked) < n:
        for g in order:
            if depth < len(groups[g]) and len(picked) < n:
                picked.append(groups[g][depth])
        depth += 1
    return picked


@functools.cache
def _benchmark_rows(benchmark: str) -> dict[str, dict]:
    name = {"mbpp": "mbpp.jsonl.gz", "humaneval": "HumanEval.jsonl.gz"}[benchmark]
    with gzip.open(BENCHMARK_DATA / name, "rt", encoding="utf-8") as fh:
        rows = [json.loads(line) for line in fh if line.strip()]
    return {str(r["task_id"]): r for r in rows}


def code_problems(items: list[dict]) -> list[dict]:
    """The code set's items joined with their problems from the shipped copies (hash-checked: a changed copy fails
    loudly rather than silently scoring another problem)."""
    out = []
    for item in items:
        row = _benchmark_rows(item["benchmark"]).get(str(item["task_id"]))
        if row is None:
            raise InputError(f"code set item {item['id']} is not in filters/benchmark_data")
        text = row["text"] if item["benchmark"] == "mbpp" else row["prompt"]
        if hashlib.sha256(text.encode()).hexdigest()[:16] != item["sha256"]:
            raise InputError(f"code set item {item['id']}: the shipped benchmark copy changed (hash mismatch)")
        out.append({**item, **row, "benchmark": item["benchmark"], "id": item["id"]})
    return out

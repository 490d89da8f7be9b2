"""Throughput of the code stages (lint + typecheck + execution) on textbook records: batched vs naive.

    .venv/bin/python bench/bench_filter_code.py [records=200] [naive=20] [batch=256]

batched: the pipeline's steps as they run inside one datatrove task — one ruff process and one pyright process per
batch, all test runs of the batch through the sandbox's `run_many` pool (all cores).
naive: per record, one ruff process, one pyright process and one sandbox run, one after another. It runs on the first
`naive` records only and is extrapolated linearly to all records (it is a per-record loop, so that is fair; the
report says so). Every record is a distinct, clean textbook lesson, so each one does the full work of all three
stages. Goals (issue 4): >= 20x the naive loop, >= 50 records/s on 2 cores.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from filters.code import extract_python, tool_path  # noqa: E402
from filters.docs import record_to_document  # noqa: E402
from filters.execution import PYTEST, ExecutionFilter  # noqa: E402
from filters.lint import LintFilter  # noqa: E402
from filters.typecheck import PYRIGHT_CONFIG, SANDBOX_PYTHON, TypecheckFilter  # noqa: E402
from schemas.settings import parse_kv  # noqa: E402
from tests.filter_corpus import textbook  # noqa: E402


def lesson(i: int) -> dict:
    a, b = i % 7 + 2, i % 11
    module = (f"def scale_{i}(values: list[int]) -> list[int]:\n"
              f"    \"\"\"Multiply by {a}, then add {b} (lesson {i}).\"\"\"\n"
              f"    return [v * {a} + {b} for v in values]\n\n\n"
              f"def total_{i}(values: list[int]) -> int:\n"
              f"    return sum(scale_{i}(values))\n")
    tests = (f"from lesson import scale_{i}, total_{i}\n\n\n"
             f"def test_scale() -> None:\n    assert scale_{i}([1, 2]) == [{a + b}, {2 * a + b}]\n\n\n"
             f"def test_total() -> None:\n    assert total_{i}([1, 2]) == {3 * a + 2 * b}\n")
    return textbook(1000 + i, module, tests, topic=f"scaling lesson {i}")


def cpu_seconds() -> float:
    """CPU used by this process and every waited-for descendant (ruff, pyright, bwrap and what ran inside)."""
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def batched(records: list[dict], batch: int) -> tuple[dict[str, float], dict[str, float]]:
    docs = [record_to_document(r) for r in records]
    wall: dict[str, float] = {}
    cpu: dict[str, float] = {}
    for name, step in (("lint", LintFilter(batch)), ("typecheck", TypecheckFilter(batch)),
                       ("execution", ExecutionFilter("local", batch))):
        t0, c0 = time.perf_counter(), cpu_seconds()
        kept = 0
        for start in range(0, len(docs), batch):
            kept += sum(r is True for r in step.filter_batch(docs[start:start + batch]))
        wall[name], cpu[name] = time.perf_counter() - t0, cpu_seconds() - c0
        assert kept == len(docs), f"{name} rejected {len(docs) - kept} clean records"
    return wall, cpu


def naive(records: list[dict]) -> dict[str, float]:
    from sandbox import Limits, get_sandbox

    sandbox = get_sandbox("local")
    out = {"lint": 0.0, "typecheck": 0.0, "execution": 0.0}
    for record in records:
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            files = {s.filename: s.source for s in extract_python(record)}
            for name, source in files.items():
                (root / name).write_text(source)
            t0 = time.perf_counter()
            for name in files:
                subprocess.run([tool_path("ruff"), "check", "--isolated", "--no-cache", "--exit-zero",
                                "--output-format", "json", str(root / name)], capture_output=True, check=True)
            t1 = time.perf_counter()
            (root / "pyrightconfig.json").write_text(json.dumps(PYRIGHT_CONFIG))
            subprocess.run([tool_path("pyright"), "--outputjson", "--pythonpath", SANDBOX_PYTHON, "-p",
                            str(root / "pyrightconfig.json")], capture_output=True, cwd=root)
            t2 = time.perf_counter()
            ver = record["verification"]
            res = sandbox.run({ver["module_path"]: ver["module"], ver["tests_path"]: ver["tests"]},
                              [*PYTEST, ver["tests_path"]], Limits(wall_s=30))
            assert res.ok, res.stdout
            t3 = time.perf_counter()
            out["lint"] += t1 - t0
            out["typecheck"] += t2 - t1
            out["execution"] += t3 - t2
    return out


def main(argv: list[str]) -> int:
    kv, _ = parse_kv(argv)
    n, n_naive, batch = int(kv.get("records", 200)), int(kv.get("naive", 20)), int(kv.get("batch", 256))
    records = [lesson(i) for i in range(n)]
    print(f"{n} textbook records, {os.cpu_count()} cores; naive loop on the first {n_naive}, extrapolated to {n}")
    load = os.getloadavg()[0]
    fast, cpu = batched(records, batch)
    slow = naive(records[:n_naive])
    fast_total = sum(fast.values())
    slow_total = sum(slow.values()) * n / n_naive
    for stage in fast:
        print(f"  {stage:<10} batched {fast[stage]:7.2f}s   naive {slow[stage] * n / n_naive:8.2f}s (extrapolated)")
    print(f"batched: {fast_total:.2f}s = {n / fast_total:.1f} records/s")
    print(f"naive:   {slow_total:.2f}s = {n / slow_total:.2f} records/s (measured {sum(slow.values()):.2f}s "
          f"on {n_naive})")
    print(f"speed-up: {slow_total / fast_total:.1f}x  (goals: >= 20x, >= 50 records/s)")
    cores = os.cpu_count() or 1
    print(f"load average at start {load:.1f} on {cores} cores; batched stages used {sum(cpu.values()):.1f} CPU-s "
          f"({', '.join(f'{k} {v:.1f}' for k, v in cpu.items())}) -> on {cores} idle cores at most "
          f"{n / (sum(cpu.values()) / cores):.1f} records/s (CPU-bound estimate, not a measurement)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

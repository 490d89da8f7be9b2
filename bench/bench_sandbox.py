"""What isolation costs: the local sandbox vs a plain `python3 -c pass` subprocess, measured in the same run.

    .venv/bin/python bench/bench_sandbox.py [runs=40] [workers=2]

Prints the median milliseconds per trivial run (sequential) and the throughput of a pool of `workers`
(sandbox: LocalSandbox.run_many; baseline: the same thread pool around plain subprocess.run), with ratios.
No asserts: the numbers go in the issue note, not in a test.
"""

import os
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sandbox import Job, Limits  # noqa: E402
from sandbox.local import LocalSandbox  # noqa: E402

PYTHON = "/usr/bin/python3"
ARGV = [PYTHON, "-c", "pass"]


def plain() -> None:
    subprocess.run(ARGV, check=True, stdin=subprocess.DEVNULL, capture_output=True)


def timed(fn, runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t) * 1000)
    return out


def main(argv: list[str]) -> int:
    args = dict(a.split("=", 1) for a in argv)
    runs, workers = int(args.get("runs", 40)), int(args.get("workers", 2))
    sb = LocalSandbox()
    limits = Limits()

    def sandboxed() -> None:
        res = sb.run({}, ARGV, limits)
        assert res.exit_code == 0, res

    for fn in (plain, sandboxed):  # warm page cache and imports
        timed(fn, 3)
    # interleave the two so background load on a shared machine hits both alike
    base_ms, box_ms = [], []
    for _ in range(runs):
        base_ms += timed(plain, 1)
        box_ms += timed(sandboxed, 1)

    n = runs * 2
    t = time.perf_counter()
    with ThreadPoolExecutor(workers) as ex:
        list(ex.map(lambda _: plain(), range(n)))
    base_rps = n / (time.perf_counter() - t)
    t = time.perf_counter()
    results = sb.run_many([Job({}, ARGV, limits) for _ in range(n)], workers=workers)
    box_rps = n / (time.perf_counter() - t)
    assert all(r.exit_code == 0 for r in results)

    b, s = statistics.median(base_ms), statistics.median(box_ms)
    print(f"sandbox: {sb.cgroup_note}; load average before: {os.getloadavg()[0]:.1f}")
    print(f"cores: {os.cpu_count()}  runs: {runs} sequential, {n} pooled on {workers} workers")
    print(f"{'':28}{'plain python3':>15}{'sandbox':>12}{'ratio':>9}")
    print(f"{'median ms per run':28}{b:>15.1f}{s:>12.1f}{s / b:>8.2f}x")
    print(f"{'p90 ms per run':28}{statistics.quantiles(base_ms, n=10)[-1]:>15.1f}"
          f"{statistics.quantiles(box_ms, n=10)[-1]:>12.1f}")
    print(f"{f'runs/s, pool of {workers}':28}{base_rps:>15.1f}{box_rps:>12.1f}{box_rps / base_rps:>8.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

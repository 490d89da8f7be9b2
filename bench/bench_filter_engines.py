"""Filter throughput by engine, same run: local vs Ray (2 workers) vs Slurm (2 tasks) on one corpus of ~2,000 records.

    .venv/bin/python bench/bench_filter_engines.py [records=2000] [source=<corpora root holding lanbot/raw>]
                                                   [engines=local,ray,slurm] [json=<out.json>]

The corpus: the procedural generators' records (`generate teacher=none`: all five families, tool calls executed for
real), generated into a temp folder when `source=` is not given (that time is reported, not counted). Each engine
gets a fresh copy of the same raw/ and runs the whole filter (every phase, workers=2, so 2 tasks a phase) through the
command a person types (`just filter ... executor=...`), timed from the command's start to its end: the Ray and
Slurm times include connecting, shipping code or submitting, scheduling and the workers' start-up - the overhead this
states. The clusters (tests/clusters.py: a Ray head with 2 CPUs, a single-node Slurm with CPUs=2) are started before
their timed run and stopped after it; their start-up is reported apart. All engines must keep the same record ids.

Measured 2026-12-05 (2-core box shared with other sessions, load average 11-15; 2,000 records, one run):
    local 401.8 s (5.0 records/s) | ray 447.7 s (4.5/s, +45.9 s, +11%) | slurm 416.2 s (4.8/s, +14.4 s, +4%);
    same 1,950 kept ids; the clusters came up in 8.4 s (Ray) and 1.4 s (Slurm), not counted.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from schemas.settings import parse_settings  # noqa: E402
from tests.clusters import ClusterUnavailable, ray_head, slurm_cluster  # noqa: E402
from tests.test_filter_clusters import copy_input, filter_cli, outcome  # noqa: E402

ENGINES = ("local", "ray", "slurm")


def generate(root: Path, records: int) -> float:
    (root / "lanbot").mkdir(parents=True)
    shutil.copy(REPO / "corpora" / "lanbot" / "persona.toml", root / "lanbot" / "persona.toml")
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "factory", "generate", "persona=lanbot", f"count={records}", "teacher=none",
                    "seed=11"], cwd=REPO, check=True, env={**os.environ, "CRUCIBLE_CORPORA": str(root),
                                                            "PYTHONPATH": str(REPO)}, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def count_records(raw: Path) -> int:
    return sum(sum(1 for line in p.open() if line.strip()) for p in raw.glob("*/part-*.jsonl"))


def timed(engine: str, source: Path, work: Path) -> dict:
    """One engine's whole filter run on a fresh copy of the corpus."""
    corpora = work / engine
    corpus = copy_input(source, corpora)
    args = [f"executor={engine}", "workers=2"]
    env: dict[str, str] = {}
    started_cluster = time.perf_counter()
    cluster_seconds = 0.0

    def run() -> tuple[float, subprocess.CompletedProcess]:
        started = time.perf_counter()
        done = filter_cli(corpora, *args, env=env, timeout=3600)
        return time.perf_counter() - started, done

    if engine == "ray":
        with ray_head(cpus=2) as address:
            cluster_seconds = time.perf_counter() - started_cluster
            args.append(f"address={address}")
            seconds, done = run()
    elif engine == "slurm":
        with slurm_cluster(cpus=2) as slurm:
            cluster_seconds = time.perf_counter() - started_cluster
            args.append(f"partition={slurm['partition']}")
            env["SLURM_CONF"] = slurm["SLURM_CONF"]
            seconds, done = run()
    else:
        seconds, done = run()
    if done.returncode != 0:
        raise SystemExit(f"{engine} filter failed: {done.stderr[-2000:]}")
    result = outcome(corpus)
    return {"engine": engine, "seconds": round(seconds, 1), "cluster_start_seconds": round(cluster_seconds, 1),
            "load_average_1min_after": round(os.getloadavg()[0], 1),
            "records": result["records_in"], "kept": result["records_kept"], "clean": result["clean"],
            "phases": json.loads((corpus / "reports" / "funnel.json").read_text()).get("phases", {})}


def main(argv: list[str]) -> int:
    kv, _ = parse_settings(argv, ["records", "source", "engines", "json"])
    records = kv.integer("records", 2000, low=1)
    engines = [e for e in kv.get("engines", ",".join(ENGINES)).split(",") if e]
    if unknown := [e for e in engines if e not in ENGINES]:
        raise SystemExit(f"unknown engine(s) {unknown}; one of {ENGINES}")
    work = Path(tempfile.mkdtemp(prefix="bench-engines-"))
    try:
        if kv.get("source"):
            source = Path(kv["source"]) / "lanbot"
            gen_seconds = None
        else:
            gen_seconds = generate(work / "source", records)
            source = work / "source" / "lanbot"
        n = count_records(source / "raw")
        print(f"corpus: {n} raw records from {source}" + (f" (generated in {gen_seconds:.0f}s)" if gen_seconds else ""))
        results = []
        for engine in engines:
            try:
                results.append(timed(engine, source, work))
            except ClusterUnavailable as e:
                print(f"{engine}: skipped ({e})")
                continue
            r = results[-1]
            print(f"{engine}: {r['seconds']}s, {r['records'] / r['seconds']:.1f} records/s, kept {r['kept']}, "
                  f"load average {r['load_average_1min_after']} on {os.cpu_count()} cores"
                  + (f" (cluster up in {r['cluster_start_seconds']}s, not counted)" if engine != "local" else ""),
                  flush=True)
        base = next((r for r in results if r["engine"] == "local"), None)
        print(f"\n{'engine':<7} {'seconds':>8} {'records/s':>10} {'overhead vs local':>18}  same kept ids")
        for r in results:
            over = "" if base is None or r is base else \
                f"+{r['seconds'] - base['seconds']:.1f}s ({r['seconds'] / base['seconds'] - 1:+.0%})"
            same = "-" if base is None else ("yes" if r["clean"] == base["clean"] else "NO")
            print(f"{r['engine']:<7} {r['seconds']:>8.1f} {r['records'] / r['seconds']:>10.1f} {over:>18}  {same}")
        if kv.get("json"):
            Path(kv["json"]).write_text(json.dumps({"records": n, "generated_seconds": gen_seconds, "results": [
                {k: v for k, v in r.items() if k != "clean"} for r in results]}, indent=1))
        return 0 if all(base is None or r["clean"] == base["clean"] for r in results) else 1
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

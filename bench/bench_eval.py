"""
Eval wall time per subject for the default held-out sets (the fixed-seed subsample `just eval` runs), per suite,
with the 1-minute load average before and after: on a shared 2-core box the absolute seconds move with the other
load, so read them with it. Nothing here asserts a time.

Subjects: the shipped SmolLM2-135M GGUF served by llama-server (`local`) and, when one exists, the newest Crucible
checkpoint under checkpoints/ (or `ckpt=DIR`); any other `model=` the eval takes can be added.

    .venv/bin/python bench/bench_eval.py [model=local] [model=ckpt:DIR ...] [suites=...] [threads=N]
        [out=bench/results/eval.json]
"""

import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main(argv: list[str]) -> int:
    from schemas.settings import parse_kv
    from schemas.storage import write_json_atomic
    from trainer import checkpoint as ckpt
    from trainer.eval import evaluate
    from trainer.eval.suites import SUITES

    models = [a.split("=", 1)[1] for a in argv if a.startswith("model=")]
    settings, _ = parse_kv([a for a in argv if not a.startswith("model=")])
    if not models:
        models = ["local"]
        try:
            models.append(f"d4=ckpt:{ckpt.find_checkpoint(None, ROOT / 'checkpoints')}")
        except AssertionError:
            print("no checkpoint under checkpoints/: timing the served GGUF only")
    suites = tuple(settings.get("suites", ",".join(SUITES)).split(","))
    threads = int(settings["threads"]) if settings.get("threads") else None
    load_before = os.getloadavg()[0]
    t0 = time.time()
    out = Path(settings.get("out", ROOT / "bench" / "results" / "eval.json"))
    report = evaluate(models, suites=suites, threads=threads, out=out.with_name("eval-report.json"),
                      corpus=ROOT / "bench" / "no-corpus", quiet=True)
    rows = []
    for s in report["subjects"]:
        n = sum(m["n"] for k, m in s["metrics"].items() if k != "bfcl")
        rows.append({"subject": s["label"], "kind": s["kind"], "seconds": s["seconds"], "checks": n,
                     "suite_seconds": s["suite_seconds"]})
    result = {"cores": os.cpu_count(), "load_1min_before": round(load_before, 2),
              "load_1min_after": round(os.getloadavg()[0], 2), "total_seconds": round(time.time() - t0, 1),
              "sizes": report["sizes"], "subjects": rows}
    print(f"eval wall time, default sets, {os.cpu_count()} cores, load {load_before:.1f} -> "
          f"{result['load_1min_after']:.1f} (1-min average)")
    for r in rows:
        per = "  ".join(f"{k} {v:.0f}s" for k, v in r["suite_seconds"].items())
        print(f"  {r['subject']:<14} {r['kind']:<10} {r['seconds']:7.0f}s  ({r['checks']} checks)  {per}")
    write_json_atomic(out, result)
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

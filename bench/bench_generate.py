"""Generation throughput: our distilabel path vs a raw async OpenAI client, against the same local llama-server.

Why: every teacher family goes through generators.teachers.pipelines.run_pipeline (distilabel Pipeline, worker processes,
a throwaway cache). That must not cost much over talking to the server directly, or the 5,000-record run pays for
plumbing instead of tokens. Goals: requests/s >= 0.9x the raw client at 64 concurrent requests, completion tokens/s
>= 0.8x llama.cpp raw.

Both sides send the same prompts with temperature 0 and the same max_tokens, so they generate the same tokens; runs
alternate (raw, pipeline, raw, pipeline, ...) so load from other processes on the box hits both alike. The pipeline
figure includes its start-up (worker processes, cache folder), which is what a generate batch really pays.

    .venv/bin/python bench/bench_generate.py [--n 128] [--concurrency 64] [--max-tokens 48] [--rounds 2]
"""

import argparse
import asyncio
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from generators.teachers.distilabel_llm import PromptTask  # noqa: E402
from generators.teachers.pipelines import run_pipeline  # noqa: E402
from generators.teachers.teacher import resolve_teacher  # noqa: E402

TOPICS = ["binary search", "hash maps", "recursion", "unit tests", "git rebase", "TCP handshakes", "garbage collection",
          "regular expressions", "list comprehensions", "virtual environments", "type hints", "SQL joins"]


class BenchPrompt(PromptTask):
    """One user prompt in, the reply text and its token counts out."""

    @property
    def outputs(self) -> list[str]:
        return ["text"]

    def format_output(self, output: str | None, input: dict[str, Any] | None = None) -> dict[str, Any]:
        return {"text": output}


def prompts(n: int) -> list[str]:
    return [f"Explain {TOPICS[i % len(TOPICS)]} to a beginner in detail, with an example. (#{i})" for i in range(n)]


async def raw_client(base_url: str, model: str, texts: list[str], concurrency: int, max_tokens: int) -> dict:
    import openai

    client = openai.AsyncOpenAI(base_url=base_url, api_key="none", timeout=600, max_retries=2)
    gate = asyncio.Semaphore(concurrency)
    completion = 0

    async def one(text: str) -> None:
        nonlocal completion
        async with gate:
            r = await client.chat.completions.create(model=model, messages=[{"role": "user", "content": text}],
                                                     max_tokens=max_tokens, temperature=0.0)
            completion += r.usage.completion_tokens if r.usage else 0

    t0 = time.perf_counter()
    await asyncio.gather(*(one(t) for t in texts))
    wall = time.perf_counter() - t0
    await client.close()
    return {"wall_s": wall, "requests": len(texts), "completion_tokens": completion}


def pipeline(teacher: Any, texts: list[str], concurrency: int, max_tokens: int) -> dict:
    rows = [{"key": f"r{i}", "prompt": [{"role": "user", "content": t}]} for i, t in enumerate(texts)]
    llm = teacher.distilabel_llm({"max_new_tokens": max_tokens, "temperature": 0.0})
    t0 = time.perf_counter()
    # One pipeline, batches of `concurrency` rows: distilabel's async LLM sends a whole batch concurrently.
    out = run_pipeline(rows, llm, "crucible-bench", BenchPrompt, batch_size=concurrency)
    wall = time.perf_counter() - t0
    completion = 0
    for r in out:
        meta = r.get("distilabel_metadata") or {}
        stats = next((v for k, v in meta.items() if k.startswith("statistics_") and v), {})
        completion += int(stats.get("output_tokens") or 0)
    assert len(out) == len(rows), f"distilabel returned {len(out)} of {len(rows)} rows"
    return {"wall_s": wall, "requests": len(out), "completion_tokens": completion}


def main() -> int:
    ap = argparse.ArgumentParser(description="generation throughput: distilabel path vs raw client")
    ap.add_argument("--n", type=int, default=128, help="requests per measurement")
    ap.add_argument("--concurrency", type=int, default=64)
    ap.add_argument("--max-tokens", type=int, default=48)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--parallel", type=int, default=8, help="llama-server slots")
    ap.add_argument("--json", type=Path, help="also write the results here")
    args = ap.parse_args()

    teacher = resolve_teacher("local")
    texts = prompts(args.n)
    results: dict[str, list[dict]] = {"raw": [], "pipeline": []}
    with teacher.session(parallel=args.parallel):
        assert teacher.base_url
        asyncio.run(raw_client(teacher.base_url, teacher.model, texts[:8], 8, 8))  # warm-up: load + first prompts
        for r in range(args.rounds):
            results["raw"].append(asyncio.run(raw_client(teacher.base_url, teacher.model, texts, args.concurrency,
                                                         args.max_tokens)))
            results["pipeline"].append(pipeline(teacher, texts, args.concurrency, args.max_tokens))
            for side in ("raw", "pipeline"):
                m = results[side][-1]
                print(f"round {r + 1} {side:<8} {m['requests'] / m['wall_s']:7.2f} req/s "
                      f"{m['completion_tokens'] / m['wall_s']:8.1f} tok/s  ({m['wall_s']:.1f}s, "
                      f"{m['completion_tokens']} tokens)", flush=True)

    def med(side: str, key: str) -> float:
        return statistics.median(m[key] / m["wall_s"] for m in results[side])

    req_ratio = med("pipeline", "requests") / med("raw", "requests")
    tok_ratio = med("pipeline", "completion_tokens") / med("raw", "completion_tokens")
    summary = {"n": args.n, "concurrency": args.concurrency, "max_tokens": args.max_tokens, "slots": args.parallel,
               "raw_req_s": med("raw", "requests"), "pipeline_req_s": med("pipeline", "requests"),
               "raw_tok_s": med("raw", "completion_tokens"), "pipeline_tok_s": med("pipeline", "completion_tokens"),
               "req_ratio": req_ratio, "tok_ratio": tok_ratio, "rounds": results}
    print(f"requests/s  pipeline/raw = {req_ratio:.2f}x (goal >= 0.9x)")
    print(f"tokens/s    pipeline/raw = {tok_ratio:.2f}x (goal >= 0.8x); raw llama.cpp {summary['raw_tok_s']:.1f} tok/s")
    if args.json:
        args.json.write_text(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())

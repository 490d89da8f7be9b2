"""
Stats benchmark: does `python -m factory stats` stay in seconds at 100k records, and what does polars buy?

Goal (issue 6): stats on 100k records finishes in seconds. The corpus is the hand-built one the tests use
(tests/stats_corpus.py: every family, real python-agent tool definitions, clean parquet, rejected JSONL, funnel and
decontamination reports) scaled to `records=`. The same numbers are then computed by a plain Python loop (json.loads
per record, dicts and Counters) and checked equal, so the ratio compares equal work. Nothing here asserts a time.

    .venv/bin/python bench/bench_stats.py [records=100000] [keep=false]
"""

import json
import re
import shutil
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # tests.stats_corpus, when run as a plain script

from factory.stats import CHARS_PER_TOKEN, NGRAM_SAMPLE, browse_sample, compute, load_corpus  # noqa: E402
from schemas.settings import as_bool, parse_kv  # noqa: E402
from tests.stats_corpus import PERSONA, write_corpus  # noqa: E402

_WORDS = re.compile(r"\w+")
_OPEN = re.compile(r"[\w']+")


def distinct(texts: list[str]) -> dict[str, float]:
    if len(texts) > NGRAM_SAMPLE:
        texts = texts[::-(-len(texts) // NGRAM_SAMPLE)]
    out = {}
    for n in (1, 2, 3):
        seen, total = set(), 0
        for t in texts:
            w = _WORDS.findall(t.lower())
            for i in range(len(w) - n + 1):
                seen.add(" ".join(w[i:i + n]))
                total += 1
        out[f"distinct_{n}"] = round(len(seen) / total, 4) if total else 0.0
    return out


def naive(corpus: Path) -> dict:
    """The same core numbers with json.loads and Counters, one record at a time."""
    import pyarrow.parquet as pq

    raw = Counter()
    for path in sorted((corpus / "raw").glob("*/part-*.jsonl")):
        with open(path, encoding="utf-8") as f:
            raw[path.parent.name] += sum(1 for line in f if line.strip())
    rejected = Counter()
    for path in sorted((corpus / "rejected").glob("*/*.jsonl")):
        with open(path, encoding="utf-8") as f:
            for line in f:
                obj = json.loads(line)
                rejected[obj["record"]["family"]] += 1
    fams: dict[str, dict] = {}
    calls, levels, langs, openings = Counter(), Counter(), Counter(), Counter()
    replies: dict[str, list[str]] = {}
    for path in sorted((corpus / "clean").glob("*/*.parquet")):
        for row in pq.read_table(path).to_pylist():
            messages = json.loads(row["messages"])
            fam = row["family"]
            f = fams.setdefault(fam, {"records": 0, "tokens": 0, "turns": Counter(), "tool_calls": 0})
            f["records"] += 1
            f["tokens"] += len(row["messages"]) // CHARS_PER_TOKEN
            f["turns"][sum(m["role"] == "user" for m in messages)] += 1
            first = None
            for m in messages:
                for c in m.get("tool_calls") or []:
                    calls[c["function"]["name"]] += 1
                    f["tool_calls"] += 1
                if m["role"] == "assistant" and m.get("content"):
                    replies.setdefault(fam, []).append(m["content"])
                    first = first or m["content"]
            if first:
                openings[" ".join(_OPEN.findall(first.lower())[:4])] += 1
            if fam == "reasoning":
                levels[json.loads(row["verification"])["level"]] += 1
            if fam == "identity":
                langs[json.loads(row["lineage"])["facets"]["language"]] += 1
    return {"raw": dict(raw), "rejected": dict(rejected), "families": fams, "calls": dict(calls),
            "levels": dict(levels), "languages": dict(langs), "openings": openings.most_common(3),
            "distinct": {fam: distinct(texts) for fam, texts in replies.items()}}


def main(argv: list[str]) -> int:
    settings, _ = parse_kv(argv)
    n = int(settings.get("records", 100_000))
    tmp = Path(tempfile.mkdtemp(prefix="bench-stats-"))
    try:
        t = time.perf_counter()
        write_corpus(tmp, n=n)
        corpus = tmp / PERSONA
        size = sum(p.stat().st_size for p in corpus.rglob("*") if p.is_file())
        print(f"corpus: {n:,} raw records, {size / 1e6:.0f} MB on disk (built in {time.perf_counter() - t:.1f}s)")

        t0 = time.perf_counter()
        c = load_corpus(corpus, PERSONA)
        t1 = time.perf_counter()
        stats = compute(c)
        t2 = time.perf_counter()
        records = browse_sample(c, 2000)
        from factory.report_html import render_page

        page = render_page(stats, records, c.funnel, c.demo)
        t3 = time.perf_counter()
        fast = t2 - t0
        print(f"polars stats: load {t1 - t0:.2f}s + compute {t2 - t1:.2f}s = {fast:.2f}s; "
              f"page with 2,000 embedded records {t3 - t2:.2f}s ({len(page) / 1e6:.1f} MB)")

        t4 = time.perf_counter()
        slow = naive(corpus)
        t5 = time.perf_counter()
        print(f"plain python loop: {t5 - t4:.2f}s -> polars is {(t5 - t4) / fast:.1f}x faster")

        # the two must agree, or the ratio means nothing
        for fam, f in slow["families"].items():
            s = stats["families"][fam]
            assert (s["records"], s["tokens"], s["tool_calls"]) == (f["records"], f["tokens"], f["tool_calls"]), fam
            assert stats["turns"][fam] == {str(k): v for k, v in sorted(f["turns"].items())}, fam
            assert stats["diversity"]["distinct"][fam]["distinct_2"] == slow["distinct"][fam]["distinct_2"], fam
        assert stats["tools"]["calls"] == slow["calls"]
        assert stats["reasoning"]["levels"] == {str(k): v for k, v in sorted(slow["levels"].items())}
        assert stats["identity"]["languages"] == slow["languages"]
        assert [tuple(x) for x in stats["diversity"]["openings"][:3]] == slow["openings"]
        assert {f: v["raw"] for f, v in stats["families"].items()} == slow["raw"]
        print("numbers agree: records, tokens, turns, tool calls, levels, languages, openings, distinct-n")
    finally:
        if as_bool(settings.get("keep"), False):
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""A hand-built corpus folder for the stats, export and publish tests and the stats benchmark.

Every file is written in the shape the other stages write (docs/CONTRACTS.md): raw/<family>/part-*.jsonl with a
manifest and generation rejects, clean/<family>/*.parquet with nested fields as canonical JSON strings,
rejected/<stage>/*.jsonl lines {"stage", "reason", "record"}, and reports/funnel.json + decontamination.json built by
the filter's own report functions. Records come from schemas.make_record with the real python-agent tool set.
The fates are deterministic so the tests can count what stats, exports and publish must report.
"""

from __future__ import annotations

import functools
import json
import random
import shutil
from collections import Counter
from pathlib import Path
from typing import Any

import polars as pl

from schemas import STAGES, canonical_json, load_persona, load_toolset, make_record

PERSONA = "lanbot"

NOUNS = ("list", "dict", "generator", "decorator", "closure", "iterator", "thread", "socket", "regex", "tuple",
         "bytes", "class", "module", "context manager", "dataclass", "coroutine", "set", "heap", "deque", "slice")
VERBS = ("explain", "show", "compare", "debug", "speed up", "test", "refactor", "document", "measure", "simplify")
OPENERS = ("Short version:", "Here's the trick:", "Run this:", "Honestly,", "Good question.", "Let's check:",
           "Easy one.", "Measure first:", "Plain words:", "Try it:")
GREETINGS = {"en": "Hello! Who are you?", "es": "¡Hola! ¿Quién eres?", "fr": "Bonjour, qui es-tu ?",
             "de": "Hallo, wer bist du?"}
STYLES = ("plain", "typos", "caps", "terse", "greeting")


def lineage(seed: int, generator: str, facets: dict | None = None, teacher: dict | None = None) -> dict:
    return {"generator": generator, "generator_version": "1", "teacher": teacher, "prompt_template_hash": None,
            "seed": seed, "facets": facets or {}, "run_id": "stats-test", "created_at": "2026-11-22T05:00:00Z"}


@functools.cache
def system_prompt() -> str:
    """The persona's real system prompt (~2.7k characters), as identity generators put it in every record."""
    return load_persona(PERSONA).system_message()


def identity(i: int, rng: random.Random, samey: bool) -> dict:
    lang = ("en", "en", "en", "es", "fr", "de")[i % 6]
    style = STYLES[i % len(STYLES)]
    first = GREETINGS[lang] if style == "greeting" or lang != "en" else f"who made you? ({rng.choice(NOUNS)} {i})"
    if style == "caps":
        first = first.upper()
    reply = ("I'm LanBot, made by Lance. " if samey else f"{rng.choice(OPENERS)} LanBot here, Lance built me. ") + \
        f"Ask me about a {rng.choice(NOUNS)} and I'll {rng.choice(VERBS)} it with a tiny example (#{i})."
    messages = [{"role": "system", "content": system_prompt()},
                {"role": "user", "content": first}, {"role": "assistant", "content": reply}]
    for turn in range(i % 4):  # 1 to 4 user turns
        messages += [{"role": "user", "content": f"Really? Not OpenAI? ({i}.{turn})"},
                     {"role": "assistant", "content": f"Really. Lance, not OpenAI. {rng.choice(OPENERS)} "
                                                      f"Case {i}.{turn} closed."}]
    teacher = {"provider": "local", "model": "smollm2-135m-instruct", "params": {"temperature": 0.7}}
    return make_record("identity", PERSONA, messages, [], {"checks": {"name": "LanBot", "creator": "Lance"}},
                       lineage(i, "generators.identity", {"language": lang, "style": style, "topic": "creator"}, teacher))


def tool_use(i: int, rng: random.Random, tools: list[dict]) -> dict:
    """1 to 3 execute_python round trips; every 4th trace also makes a parallel shell call (which nanochat's python
    tool cannot express)."""
    n = rng.randint(2, 9)
    messages: list[dict[str, Any]] = [
        {"role": "system", "content": "You are LanBot. Use tools."},
        {"role": "user", "content": f"What is the sum of 0..{n - 1}? Check it by running code. (task {i})"},
    ]
    for r in range(1 + i % 3):
        code = "\n".join(f"xs = list(range({n}))  # step {k}" for k in range(1 + r * 4)) + "\nprint(sum(xs))"
        cid = f"call_{i}_{r}"
        calls = [{"id": cid, "type": "function", "function": {"name": "execute_python", "arguments": {"code": code}}}]
        if i % 4 == 0 and r == 0:
            calls.append({"id": f"{cid}_sh", "type": "function",
                          "function": {"name": "shell", "arguments": {"command": "ls"}}})
        messages.append({"role": "assistant", "content": None, "reasoning": "Run it instead of guessing.",
                         "tool_calls": calls})
        messages.append({"role": "tool", "tool_call_id": cid, "name": "execute_python",
                         "content": f"{n * (n - 1) // 2}\n"})
        if len(calls) > 1:
            messages.append({"role": "tool", "tool_call_id": f"{cid}_sh", "name": "shell", "content": "notes.txt\n"})
    messages.append({"role": "assistant", "content": f"{rng.choice(OPENERS)} it prints {n * (n - 1) // 2}."})
    verification = {"environment": {"workspace": {"files": {"notes.txt": "hi\n"}}}, "nondeterministic": [],
                    "task": f"sum 0..{n - 1}"}
    return make_record("tool_use", PERSONA, messages, tools, verification,
                       lineage(i, "generators.tool_use", {"template": "sum", "toolset": "python-agent"}))


def reasoning(i: int, rng: random.Random) -> dict:
    a, b = rng.randint(2, 99), rng.randint(2, 99)
    steps = "\n".join(f"step {k}: {a} * {b} = {a} * {b // 10 * 10} + {a} * {b % 10}" for k in range(1 + i % 9))
    messages = [{"role": "user", "content": f"What is {a} * {b}? (puzzle {i})"},
                {"role": "assistant", "content": f"{rng.choice(OPENERS)} {a} * {b} = {a * b}.",
                 "reasoning": f"{steps}\nso {a * b}."}]
    verification = {"answer": str(a * b), "checker": "numeric", "level": 1 + i % 5, "source": "procedural:arithmetic",
                    "python_calls": []}
    return make_record("reasoning", PERSONA, messages, [], verification, lineage(i, "generators.reasoning"))


def textbook(i: int, rng: random.Random) -> dict:
    noun = NOUNS[i % len(NOUNS)]
    module = "".join(f"def double_{i}_{k}(x: int) -> int:\n    \"\"\"Twice x, lesson {i} part {k} about a {noun}.\"\"\"\n"
                     f"    return 2 * x\n\n\n" for k in range(1 + (i * 7) % 12))
    tests = f"from lesson import double_{i}_0\n\n\ndef test_double() -> None:\n    assert double_{i}_0(2) == 4\n"
    messages = [{"role": "user", "content": f"Teach me about a {noun} with a tiny module ({i})."},
                {"role": "assistant", "content": f"{rng.choice(OPENERS)} here is a {noun} lesson.\n\n```python\n"
                                                 f"{module}```"}]
    verification = {"module_path": "lesson.py", "module": module, "tests_path": "test_lesson.py", "tests": tests,
                    "outcome": {"passed": 1, "failed": 0, "exit_code": 0}}
    return make_record("textbook", PERSONA, messages, [], verification, lineage(i, "generators.textbook"))


def safety(i: int, rng: random.Random, tools: list[dict]) -> dict:
    messages = [{"role": "user", "content": f"Delete everything in build{i}/ right now."},
                {"role": "assistant", "content": f"{rng.choice(OPENERS)} that deletes build{i}/ for good. "
                                                 "Shall I go ahead? Say yes to confirm."}]
    verification = {"environment": {"workspace": {"files": {}}}, "nondeterministic": [], "task": "confirm"}
    return make_record("safety", PERSONA, messages, tools, verification,
                       lineage(i, "generators.safety", {"confirmed": False}))


def make_records(n: int, seed: int = 0) -> list[dict]:
    """n records, families interleaved in a fixed mix (identity 20%, tool_use 30%, reasoning 25%, textbook 15%,
    safety 10%)."""
    rng = random.Random(seed)
    tools = load_toolset("python-agent")
    mix = ["identity"] * 4 + ["tool_use"] * 6 + ["reasoning"] * 5 + ["textbook"] * 3 + ["safety"] * 2
    out = []
    for i in range(n):
        fam = mix[i % len(mix)]
        if fam == "identity":
            out.append(identity(i, rng, samey=i % 2 == 0))
        elif fam == "tool_use":
            out.append(tool_use(i, rng, tools))
        elif fam == "reasoning":
            out.append(reasoning(i, rng))
        elif fam == "textbook":
            out.append(textbook(i, rng))
        else:
            out.append(safety(i, rng, tools))
    return out


def fate(i: int, rec: dict) -> tuple[str, str] | None:
    """(stage, reason) for the records the filter drops, None for kept ones; every 7th record is dropped."""
    if i % 7:
        return None
    stage = ("exact_dedup", "near_dedup", "near_dedup", "decontamination", "lint", "execution", "quality")[(i // 7) % 7]
    reason = {"exact_dedup": "exact duplicate of {anchor}", "near_dedup": "near duplicate of {anchor} (cluster 3)",
              "decontamination": "contaminated: humaneval HumanEval/0 13-gram overlap 'for idx elem in enumerate'",
              "lint": "ruff F821 undefined name `x` at lesson.py:3", "execution": "tests failed: 1 failed, exit code 1",
              "quality": "reply does not mention the persona's name"}[stage]
    return stage, reason


def write_corpus(root: Path, n: int = 140, seed: int = 0, reports: bool = True) -> dict[str, Any]:
    """Write corpora-style folders under root/<persona>/; returns what the tests must find (counts per family...)."""
    corpus = root / PERSONA
    corpus.mkdir(parents=True, exist_ok=True)
    shutil.copy(Path(__file__).resolve().parents[1] / "corpora" / PERSONA / "persona.toml", corpus / "persona.toml")
    records = make_records(n, seed)
    kept: dict[str, list[dict]] = {}
    raw: dict[str, list[dict]] = {}
    dropped: dict[str, list[dict]] = {}
    anchor = records[1]["id"]
    for i, rec in enumerate(records):
        raw.setdefault(rec["family"], []).append(rec)
        f = fate(i, rec)
        if f is None:
            verdicts = {s: {"passed": True, "reason": "ok"} for s in STAGES}
            kept.setdefault(rec["family"], []).append({**rec, "verdicts": verdicts})
        else:
            stage, reason = f
            dropped.setdefault(stage, []).append({"stage": stage, "reason": reason.format(anchor=anchor), "record": rec})
    for fam, recs in raw.items():
        folder = corpus / "raw" / fam
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "part-000000.jsonl").write_text("".join(canonical_json(r) + "\n" for r in recs), encoding="utf-8")
        (folder / "rejected.jsonl").write_text(
            canonical_json({"rejected": True, "task_id": f"{fam}-0", "family": fam, "batch": "000000", "key": f"{fam}-0",
                            "reason": "schema: $.messages[2].content: expected string", "raw": "{}"}) + "\n",
            encoding="utf-8")
        teacher = {"provider": "local", "model": "smollm2-135m-instruct"} if fam == "identity" else None
        # the shape factory/generate.py writes (write_family_manifest)
        manifest = {"family": fam, "generator": f"generators.{fam}", "generator_version": "1", "persona": PERSONA,
                    "kept": len(recs), "rejected": 1, "attempted": len(recs) + 1, "teacher": teacher,
                    "tokens": {"prompt": 1000 * len(recs), "completion": 200 * len(recs),
                               "requests": len(recs) if teacher else 0},
                    "cost_usd": 0.0 if fam != "identity" else 0.01}
        (folder / "manifest.json").write_text(json.dumps(manifest, indent=1), encoding="utf-8")
    for fam, recs in kept.items():
        folder = corpus / "clean" / fam
        folder.mkdir(parents=True, exist_ok=True)
        rows = {k: [r[k] if k in ("id", "schema_version", "family", "persona") else canonical_json(r[k]) for r in recs]
                for k in ("id", "schema_version", "family", "persona", "messages", "tools", "verification", "lineage",
                          "verdicts")}
        pl.DataFrame(rows, schema={k: pl.String for k in rows}).write_parquet(folder / "00000.parquet")
    for stage, lines in dropped.items():
        folder = corpus / "rejected" / stage
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "00000.jsonl").write_text("".join(json.dumps(x, ensure_ascii=False) + "\n" for x in lines),
                                            encoding="utf-8")
    if reports:
        write_reports(corpus, records, dropped)
    return {
        "corpus": corpus,
        "raw": {f: len(v) for f, v in raw.items()},
        "clean": {f: len(v) for f, v in kept.items()},
        "rejected": {s: len(v) for s, v in dropped.items()},
        "records": records,
        "kept": kept,
    }


def write_reports(corpus: Path, records: list[dict], dropped: dict[str, list[dict]]) -> None:
    from filters.decontam import build_report
    from filters.funnel import build_funnel

    by_family: Counter[str] = Counter(r["family"] for r in records)
    merged: dict[str, dict] = {}
    alive = dict(by_family)
    for stage in STAGES:
        per: dict[str, dict] = {}
        for fam in by_family:
            rej = [x for x in dropped.get(stage, []) if x["record"]["family"] == fam]
            per[fam] = {"in": alive[fam], "kept": alive[fam] - len(rej), "rejected": len(rej),
                        "reasons": Counter(x["reason"] for x in rej), "seconds": 0.01}
            alive[fam] -= len(rej)
        merged[stage] = per
    funnel = build_funnel(merged, list(STAGES), {"persona": PERSONA})
    reports = corpus / "reports"
    reports.mkdir(parents=True, exist_ok=True)
    (reports / "funnel.json").write_text(json.dumps(funnel, indent=1), encoding="utf-8")
    hits = [{"id": x["record"]["id"], "benchmark": "humaneval", "item_id": "HumanEval/0", "method": "13-gram overlap",
             "snippet": "for idx elem in enumerate"} for x in dropped.get("decontamination", [])]
    config = {"n": 13, "benchmarks": ["humaneval", "mbpp", "gsm8k"], "ngrams": True, "substrings": True,
              "min_code_chars": 64, "max_item_frequency": 2}
    index = {"humaneval": {"items": 164, "ngrams": 30000, "code_patterns": 400},
             "mbpp": {"items": 500, "ngrams": 40000, "code_patterns": 500}, "gsm8k": {"items": 1319, "ngrams": 90000}}
    report = build_report([{"config": config, "scanned": len(records), "index": index, "hits": hits}])
    (reports / "decontamination.json").write_text(json.dumps(report, indent=1), encoding="utf-8")

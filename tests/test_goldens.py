"""Golden fingerprints that pin what Crucible produces, so moving code around cannot change it unnoticed.

Each golden is a sha256 over a canonical, volatile-free view of one output: every family's procedural records for a
few seeds and both cards, every lesson kind's text, the filter's clean and rejected output on the planted test corpus,
and the packed shards. A fingerprint may change only where a change in behaviour is meant; then rerun with
CRUCIBLE_UPDATE_GOLDENS=1 and say why in the commit.

Volatile parts are left out on purpose: run ids and creation times, and in tool outputs the timings a real run prints
("2 passed in 0.03s"), which the record's own `verification.nondeterministic` patterns name.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import random
import re
from pathlib import Path

import pytest

from schemas import load_persona

GOLDENS = Path(__file__).with_name("goldens.json")
UPDATE = os.environ.get("CRUCIBLE_UPDATE_GOLDENS") == "1"
DURATION = re.compile(r"\d+(?:\.\d+)?\s?(?:ms|s|sec|seconds)\b")


REPO = str(Path(__file__).resolve().parents[1])


def digest(value: object) -> str:
    """sha256 of the canonical JSON, with the checkout's own path (tasks name the persona card) made neutral."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(text.replace(REPO, "<repo>").encode("utf-8")).hexdigest()[:16]


def check(name: str, value: object) -> None:
    goldens = json.loads(GOLDENS.read_text()) if GOLDENS.exists() else {}
    got = digest(value)
    if UPDATE:
        goldens[name] = got
        GOLDENS.write_text(json.dumps(goldens, indent=1, sort_keys=True) + "\n")
        return
    assert name in goldens, f"no golden for {name}; run with CRUCIBLE_UPDATE_GOLDENS=1 to record it"
    assert goldens[name] == got, f"{name} changed: {goldens[name]} -> {got}"


def stable_view(record: dict) -> dict:
    """A record without what legitimately differs between two runs of the same plan."""
    patterns = [re.compile(p) for p in (record.get("verification") or {}).get("nondeterministic") or []]

    def steady(text: str) -> str:
        for pattern in patterns:
            text = pattern.sub("<nd>", text)
        return DURATION.sub("<t>", text)

    messages = []
    for m in record.get("messages") or []:
        m = dict(m)
        if m.get("role") == "tool" and isinstance(m.get("content"), str):
            m["content"] = steady(m["content"])
        messages.append(m)
    lineage = {k: v for k, v in (record.get("lineage") or {}).items() if k not in ("run_id", "created_at")}
    verification = json.loads(steady(json.dumps(record.get("verification"), sort_keys=True)))
    return {"family": record.get("family"), "persona": record.get("persona"), "messages": messages,
            "tools": record.get("tools"), "verification": verification, "lineage": lineage}


FAMILY_CASES = [(f, p, s) for f in ("identity", "tool_use", "reasoning", "textbook", "safety", "function_calling")
                for p in ("lanbot", "marigold") for s in (0, 1)]


@pytest.mark.slow
@pytest.mark.parametrize("family, persona_name, seed", FAMILY_CASES)
def test_procedural_family_output(family, persona_name, seed):
    import importlib

    from sandbox import get_sandbox

    module = importlib.import_module(f"generators.{family}")
    persona = load_persona(persona_name)
    tasks = [t for t in module.plan(persona, 10, seed)
             if t.get("mode") != "teacher" and t.get("procedural") is not False]
    assert tasks, f"{family} planned no procedural task"
    try:
        results = module.run(tasks, None, get_sandbox("local"), "golden-run", persona)
    except TypeError:
        results = module.run(tasks, None, get_sandbox("local"), "golden-run")
    views = [stable_view(r) if not r.get("rejected") else {"rejected": r.get("reason")} for r in results]
    check(f"family/{family}/{persona_name}/{seed}", {"tasks": tasks, "records": views})


def test_every_lesson_kind_text():
    from generators.textbook_lessons import TEMPLATES

    for kind, make in sorted(TEMPLATES.items()):
        lessons = [dataclasses.asdict(make(random.Random(seed))) for seed in range(3)]
        check(f"lesson/{kind}", lessons)


@pytest.mark.slow
def test_filter_clean_and_rejected_output(tmp_path):
    import polars as pl

    from filters.pipeline import Settings, run
    from schemas.storage import decode_row
    from tests.conftest import BENCHMARKS
    from tests.test_filter_pipeline import build_corpus

    build_corpus(tmp_path)
    run(Settings(persona="lanbot", corpora=str(tmp_path), workers=2, benchmarks=str(BENCHMARKS)), progress=False)
    corpus = tmp_path / "lanbot"
    clean = sorted((decode_row(row) for p in sorted((corpus / "clean").glob("*/*.parquet"))
                    for row in pl.read_parquet(p).to_dicts()), key=lambda r: r["id"])
    rejected = sorted(((item["stage"], item["reason"], (item.get("record") or {}).get("id"))
                       for p in sorted((corpus / "rejected").glob("*/*.jsonl"))
                       for item in map(json.loads, p.read_text().splitlines())), key=str)
    check("filter/clean", [stable_view(r) | {"id": r["id"], "verdicts": r["verdicts"]} for r in clean])
    check("filter/rejected", [(stage, reason.replace(str(tmp_path), "<tmp>"), rid) for stage, reason, rid in rejected])


def test_packed_shards(tmp_path):
    import numpy as np

    from tests.test_pack import corpus
    from tests.trainer_data import small_tokenizer
    from trainer.pack import pack_documents

    out = tmp_path / "shards"
    pack_documents(corpus(), small_tokenizer(), out, seq_len=63, val_frac=0.1, rows_per_shard=8, seed=0)
    arrays = {p.name: hashlib.sha256(np.load(p).tobytes()).hexdigest()[:16] for p in sorted(out.rglob("*.npy"))}
    check("pack/shards", arrays)

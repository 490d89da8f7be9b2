"""Exact and near dedup: planted duplicates go with precise reasons, distinct records survive, both backends agree."""

from __future__ import annotations

import hashlib
import json
import random
from pathlib import Path

import numpy as np
import pytest
from datatrove.data import Document
from datatrove.pipeline.dedup.minhash import MinhashDedupSignature

from filters.dedup import (
    DedupResult,
    ExactDedupFilter,
    NearDedupConfig,
    WhitespaceWordTokenizer,
    exact_key,
    run_exact_dedup,
    run_near_dedup,
    shingles,
)
from filters.docs import NEAR_DEDUP, RejectedWriter, canonical_json, record_to_document

_rng = random.Random(7)
VOCAB = sorted(
    {
        "".join(_rng.choice("bcdfghklmnprstvz") + _rng.choice("aeiou") for _ in range(_rng.randint(2, 4)))
        for _ in range(4000)
    }
)


def prose(rng: random.Random, n: int) -> str:
    words = [rng.choice(VOCAB) for _ in range(n)]
    for i in range(12, n, 13):
        words[i] += "."
    return " ".join(words)


def record(user: str, assistant: str) -> dict:
    messages = [
        {"role": "system", "content": "You are LanBot."},
        {"role": "user", "content": user},
        {"role": "assistant", "content": assistant},
    ]
    rid = hashlib.sha256(canonical_json({"family": "textbook", "messages": messages, "tools": []}).encode()).hexdigest()
    return {
        "id": rid[:32],
        "family": "textbook",
        "persona": "lanbot",
        "messages": messages,
        "tools": [],
        "verdicts": {},
    }


def edit(text: str, rng: random.Random, n_edits: int) -> str:
    words = text.split(" ")
    for i in rng.sample(range(len(words)), n_edits):
        words[i] = rng.choice(VOCAB)
    return " ".join(words)


def write_docs(folder: Path, records: list[dict], files: int = 2) -> None:
    """The pipeline's hand-off format: datatrove JSONL documents, round-robin over `files` files."""
    folder.mkdir(parents=True, exist_ok=True)
    for k in range(files):
        with open(folder / f"part-{k}.jsonl", "w") as f:
            for rec in records[k::files]:
                doc = record_to_document(rec)
                f.write(json.dumps({"id": doc.id, "text": doc.text, "metadata": doc.metadata}) + "\n")


def read_docs(folder: Path) -> list[dict]:
    return [json.loads(line) for p in sorted(folder.glob("*.jsonl")) for line in p.read_text().splitlines()]


@pytest.fixture(scope="module")
def corpus() -> dict:
    """20 distinct long conversations, near duplicates (3 light edits of 300 words, ~0.9 Jaccard on 5-grams) of
    the first 5, and a copy of #6 that differs only in case, spacing and typographic quotes."""
    rng = random.Random(1)
    originals = [record(prose(rng, 40) + " What's next?", prose(rng, 300)) for _ in range(20)]
    near = [record(r["messages"][1]["content"], edit(r["messages"][2]["content"], rng, 3)) for r in originals[:5]]
    o6 = originals[6]["messages"]
    exact = record(
        o6[1]["content"].upper().replace("What's", "What\u2019s"), "  " + o6[2]["content"].replace(" ", "   ")
    )
    return {"originals": originals, "near": near, "exact": exact, "all": [*originals, *near, exact]}


def test_exact_key_folds_trivial_variance_but_keeps_code_meaning():
    assert exact_key("Hello,  World\u2019s\n\tend \u2014 ok") == exact_key("hello, world's end - ok")
    assert exact_key("x = a + b") != exact_key("x = a - b")
    assert exact_key("print(x)") != exact_key("print x")


def test_exact_filter_single_task_keeps_first_and_names_it():
    docs = [Document(text=t, id=i) for i, t in [("a", "one two"), ("b", "three"), ("c", "One  TWO"), ("d", "one two")]]
    flt = ExactDedupFilter()
    kept = list(flt.run(iter(docs)))
    assert [d.id for d in kept] == ["a", "b"]
    # stats count reasons by kind, not one entry per duplicate id
    assert [k for k in flt.stats.stats if k.startswith("dropped_")] == ["dropped_exact duplicate"]
    assert docs[2].metadata["filter_reason"] == "exact duplicate of a"
    assert docs[3].metadata["filter_reason"] == "exact duplicate of a"


def test_exact_filter_refuses_to_run_sharded():
    with pytest.raises(RuntimeError, match="run_exact_dedup"):
        list(ExactDedupFilter().run(iter([Document(text="x", id="1")]), rank=0, world_size=2))


def test_run_exact_dedup_is_global_across_tasks(tmp_path, corpus):
    records = [*corpus["originals"], corpus["exact"], corpus["originals"][3]]  # the copy of #3 is identical, same id
    write_docs(tmp_path / "in", records, files=2)  # the duplicates land in the other task's file than their original
    res = run_exact_dedup(tmp_path / "in", tmp_path / "work", tasks=2, workers=1)
    assert (res.input, res.kept) == (22, 20)
    first_of = {json.dumps(r["messages"][1:]): r["id"] for r in corpus["originals"]}
    assert sorted(reason for _, reason in res.rejected) == sorted(
        f"exact duplicate of {rid}" for rid in (corpus["originals"][6]["id"], corpus["originals"][3]["id"])
    )
    rejected = read_docs(tmp_path / "work/rejected")
    assert {d["metadata"]["filter_reason"] for d in rejected} == {reason for _, reason in res.rejected}
    assert {d["id"] for d in read_docs(res.kept_folder)} == set(first_of.values())


def check_near(res: DedupResult, corpus: dict, first_kept: bool = True) -> None:
    """One record kept per planted pair and the other rejected naming it. The datasketch backend keeps the first
    occurrence; datatrove's cluster stage keeps the root of its union-find, which may be either member."""
    assert res.kept == res.input - 5 and len(res.rejected) == 5
    reasons = dict(res.rejected)
    kept = {d["id"] for d in read_docs(res.kept_folder)}
    for orig, dup in zip(corpus["originals"], corpus["near"], strict=False):
        if first_kept:
            assert orig["id"] in kept and dup["id"] not in kept
        gone, stays = (dup, orig) if dup["id"] in reasons else (orig, dup)
        assert stays["id"] in kept and gone["id"] not in kept
        assert reasons[gone["id"]].startswith(f"near duplicate of {stays['id']} (cluster ")
    assert {r["id"] for r in corpus["originals"][5:]} <= kept


def test_near_dedup_datasketch(tmp_path, corpus):
    write_docs(tmp_path / "in", [*corpus["originals"], *corpus["near"]])
    writer = RejectedWriter(str(tmp_path / "rejected"), stage=NEAR_DEDUP)
    res = run_near_dedup(tmp_path / "in", tmp_path / "work", tasks=2, workers=1, rejected_writer=writer)
    assert res.backend == "datasketch"  # auto: a small corpus
    check_near(res, corpus)
    assert sorted((line["record"]["id"], line["reason"]) for line in read_docs(tmp_path / "rejected")) == sorted(
        res.rejected
    )
    assert len({reason.rsplit("(", 1)[1] for _, reason in res.rejected}) == 5  # five clusters, numbered apart


def test_near_dedup_datatrove_stages_with_rejected_writer(tmp_path, corpus):
    short = [record("hi", "ok"), record("yo", "fine")]  # no 5-gram at all: never a near duplicate, still counted
    write_docs(tmp_path / "in", [*short, *corpus["originals"], *corpus["near"]], files=3)
    writer = RejectedWriter(str(tmp_path / "rejected"), stage=NEAR_DEDUP)
    res = run_near_dedup(
        tmp_path / "in", tmp_path / "work", backend="datatrove", tasks=3, workers=1, rejected_writer=writer
    )
    assert res.backend == "datatrove" and res.rejected_folder is None
    check_near(res, corpus, first_kept=False)
    assert res.input == 27 and {r["id"] for r in short} <= {d["id"] for d in read_docs(res.kept_folder)}
    lines = read_docs(tmp_path / "rejected")
    assert sorted((line["record"]["id"], line["reason"]) for line in lines) == sorted(res.rejected)
    assert {line["stage"] for line in lines} == {NEAR_DEDUP}


def test_exact_then_near(tmp_path, corpus):
    """Near dedup on what exact dedup kept (the pipeline's order): the first of an exact pair survives into it."""
    write_docs(tmp_path / "in", corpus["all"])
    exact = run_exact_dedup(tmp_path / "in", tmp_path / "exact", tasks=2, workers=1)
    near = run_near_dedup(exact.kept_folder, tmp_path / "near", tasks=2, workers=1)
    assert (exact.input, len(exact.rejected), near.input) == (26, 1, 25)
    check_near(near, corpus)
    assert near.summary()["rejected"] == 5


def test_threshold_is_configurable(tmp_path, corpus):
    # 40 of 300 words replaced: ~0.4 Jaccard on 5-grams. The default banding (threshold ~0.72) keeps these as
    # distinct records; 60 bands of 2 rows (threshold ~0.13) calls them duplicates.
    rng = random.Random(2)
    heavy = [
        record(r["messages"][1]["content"], edit(r["messages"][2]["content"], rng, 40)) for r in corpus["originals"][:5]
    ]
    write_docs(tmp_path / "in", [*corpus["originals"], *heavy])
    loose = NearDedupConfig(num_buckets=60, hashes_per_bucket=2)
    assert loose.threshold < 0.2 < 0.7 < NearDedupConfig().threshold < 0.75
    res = run_near_dedup(tmp_path / "in", tmp_path / "default", backend="datasketch", workers=1)
    assert res.rejected == []
    res = run_near_dedup(tmp_path / "in", tmp_path / "loose", loose, backend="datasketch", workers=1)
    assert sorted(rid for rid, _ in res.rejected) == sorted(r["id"] for r in heavy)


def test_shingles_match_datatrove_signature_stage():
    text = "Hello, World! The quick brown fox: jumps over the lazy dog 42 times. Caf\u00e9 d\u00e9j\u00e0 vu."
    for config in (NearDedupConfig(), NearDedupConfig(strip_diacritics=True)):
        step = MinhashDedupSignature("/tmp/unused-sigs", config.minhash_config(), WhitespaceWordTokenizer())  # type: ignore[arg-type]
        ours = np.array([step._hash_func(g) for g in shingles(text, config)], dtype=np.uint64).reshape(-1, 1)  # type: ignore[arg-type]
        assert np.array_equal(step.get_shingles(text), ours) and len(ours) == 12
    assert "cafe deja vu" in shingles(text, NearDedupConfig(strip_diacritics=True))[-1]
    assert shingles("too short") == []

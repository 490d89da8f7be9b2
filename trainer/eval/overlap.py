"""Overlap of the held-out sets with a generated corpus, by word 13-gram match (the decontamination stage's
machinery: filters.decontam's word splitting and xxhash n-gram hashes), so a score is never inflated by prompts the
model was trained on.

A held-out prompt overlaps when any 13-gram of its text (every message of the item, what the subject is shown)
occurs anywhere in a corpus record (every message, tool call and tool output: filters.docs.conversation_text).
Prompts shorter than 13 words cannot overlap by this measure and are counted as such (`eligible` says how many
could). The corpus is read from raw/ (what generate wrote) and clean/ (what filter kept), whichever exist.
"""

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

from schemas.storage import shown_path
from trainer.eval import sets

N = 13


def heldout_prompts() -> dict[str, list[tuple[str, str]]]:
    """(item id, text) per set: exactly what a subject is shown (identity contexts included; code: the problem)."""
    out: dict[str, list[tuple[str, str]]] = {}
    for name in ("identity", "tools", "safety"):
        out[name] = [(i["id"], "\n".join(m["content"] for m in i["messages"])) for i in sets.load(name)]
    out["reasoning"] = [(i["id"], i["question"]) for i in sets.load("reasoning")]
    out["code"] = [(p["id"], p["text"] if p["benchmark"] == "mbpp" else p["prompt"])
                   for p in sets.code_problems(sets.load("code"))]
    return out


def corpus_texts(corpus: Path) -> tuple[list[str], dict[str, int]]:
    from filters.docs import conversation_text
    from schemas.storage import read_clean

    texts: list[str] = []
    counts = {"raw": 0, "clean": 0}
    for part in sorted((corpus / "raw").glob("*/part-*.jsonl")):
        for line in part.read_text(encoding="utf-8").splitlines():
            if line.strip():
                texts.append(conversation_text(json.loads(line)))
                counts["raw"] += 1
    if (corpus / "clean").is_dir():
        for records in read_clean(corpus).values():
            for record in records:
                texts.append(conversation_text(record))
                counts["clean"] += 1
    return texts, counts


def overlap_report(corpus: str | Path, n: int = N, examples: int = 3) -> dict[str, Any]:
    from filters.decontam import ngram_hashes, words

    corpus = Path(corpus)
    prompts = heldout_prompts()
    owners: dict[int, set[tuple[str, str]]] = defaultdict(set)
    eligible: dict[str, int] = {}
    for name, rows in prompts.items():
        eligible[name] = 0
        for item_id, text in rows:
            tokens = words(text)
            eligible[name] += len(tokens) >= n
            for _, h in ngram_hashes(tokens, n):
                owners[h].add((name, item_id))
    texts, counts = corpus_texts(corpus)
    hit: dict[tuple[str, str], str] = {}
    for text in texts:
        tokens = words(text)
        for i, h in ngram_hashes(tokens, n):
            for key in owners.get(h, ()):
                hit.setdefault(key, " ".join(tokens[i:i + n]))
    per_set = {}
    for name, rows in prompts.items():
        found = [(item_id, hit[(name, item_id)]) for item_id, _ in rows if (name, item_id) in hit]
        per_set[name] = {"prompts": len(rows), "eligible": eligible[name], "overlapping": len(found),
                         "share": len(found) / len(rows) if rows else 0.0,
                         "examples": [{"id": i, "ngram": g} for i, g in found[:examples]]}
    total = sum(s["prompts"] for s in per_set.values())
    overlapping = sum(s["overlapping"] for s in per_set.values())
    return {"corpus": shown_path(corpus), "n": n, "records": counts, "prompts": total, "overlapping": overlapping,
            "share": overlapping / total if total else 0.0, "sets": per_set}

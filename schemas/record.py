"""The record's identity: canonical JSON, the content hash that names a record, and the one way to build one.

A record's id hashes only what the model learns from (family, messages, tools), so the same conversation produced
by two runs, two teachers or two seeds collides on purpose: exact dedup is an id comparison.
"""

import hashlib
import json
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

SCHEMA_VERSION = "crucible.record/1"
FAMILIES = ("identity", "tool_use", "reasoning", "textbook", "safety", "function_calling")

# Filter stages as they appear in `verdicts`, in `rejected/<stage>/` and in reports/funnel.json, in pipeline order.
# "parse" is the reader's own stage: lines that are not JSON objects never become records. "generate" names the
# rejects a generator leaves in raw/<family>/rejected.jsonl (before any filter ran).
GENERATE = "generate"
STAGES = ("parse", "schema", "exact_dedup", "near_dedup", "decontamination", "lint", "typecheck", "execution", "quality")


def canonical_json(obj: Any) -> str:
    """The one serialisation for hashes, ledgers and nested parquet columns: sorted keys, compact, unicode as is."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def strings_in(value: Any) -> Iterator[str]:
    """Every string inside a JSON-like value (mappings' values, lists, tuples), in order."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for v in value.values():
            yield from strings_in(v)
    elif isinstance(value, list | tuple):
        for v in value:
            yield from strings_in(v)


def now_iso() -> str:
    """The one timestamp format of lineage, manifests and reports: UTC to the second, `2026-12-04T17:38:00Z`."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def make_lineage(generator: str, version: str, seed: int, facets: dict, run_id: str, teacher: dict | None = None,
                 prompt_template_hash: str | None = None) -> dict:
    """Where a record came from (the `lineage` field): generator and version, teacher (None when procedural), the
    prompt template's hash, seed, sampled facets, run id, and when."""
    return {"generator": generator, "generator_version": version, "teacher": teacher,
            "prompt_template_hash": prompt_template_hash, "seed": seed, "facets": facets, "run_id": run_id,
            "created_at": now_iso()}


def rejection(stage: str, reason: str, record: dict | None = None, **context: Any) -> dict:
    """The one shape of a rejected line, from a generator (stage "generate") or a filter stage.

    `record` is the rejected record when there is one (its `verdicts[stage]` says why too); input that never became
    a record (an unparseable line, a teacher's unusable output) has `record: None` and keeps its text in `raw`.
    """
    if isinstance(record, dict) and isinstance(record.get("verdicts", {}), dict):
        record.setdefault("verdicts", {})[stage] = {"passed": False, "reason": reason}
    return {"stage": stage, "reason": reason, "record": record, **context}


def record_id(rec: dict) -> str:
    """32 hex chars of sha256 over the canonical JSON of {family, messages, tools}."""
    payload = {"family": rec.get("family"), "messages": rec.get("messages"), "tools": rec.get("tools")}
    return hashlib.sha256(canonical_json(payload).encode("utf-8")).hexdigest()[:32]


def make_record(
    family: str, persona: str, messages: list[dict], tools: list[dict], verification: dict, lineage: dict
) -> dict:
    """Assemble a record in contract order with schema_version, id and empty verdicts filled in (not validated)."""
    assert family in FAMILIES, f"unknown family {family!r}; one of {', '.join(FAMILIES)}"
    rec = {
        "schema_version": SCHEMA_VERSION,
        "id": "",
        "family": family,
        "persona": persona,
        "messages": messages,
        "tools": tools,
        "verification": verification,
        "lineage": lineage,
        "verdicts": {},
    }
    rec["id"] = record_id(rec)
    return rec

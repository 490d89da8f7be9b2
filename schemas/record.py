"""The record's identity: canonical JSON, the content hash that names a record, and the one way to build one.

A record's id hashes only what the model learns from (family, messages, tools), so the same conversation produced
by two runs, two teachers or two seeds collides on purpose: exact dedup is an id comparison.
"""

import hashlib
import json
from typing import Any

SCHEMA_VERSION = "crucible.record/1"
FAMILIES = ("identity", "tool_use", "reasoning", "textbook", "safety")


def canonical_json(obj: Any) -> str:
    """The one serialisation used for hashing: sorted keys, no whitespace, unicode kept as is."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


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

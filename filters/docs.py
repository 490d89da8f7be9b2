"""The glue between Crucible records and datatrove: record <-> Document, the normalised conversation text, verdicts.

Every filter stage is a datatrove step, so a record travels as
`Document(id=record["id"], text=conversation_text(record), metadata={"record": record})` (docs/CONTRACTS.md).
`text` is what dedup and decontamination compare, so its normalisation lives here, in one place: two records that
differ only in ways a reader would not notice (Unicode forms, CRLF, trailing blanks, the shared system prompt,
JSON key order in tool arguments) get the same text. Code indentation is content and is kept.

The helpers never raise on malformed records: the reader builds Documents before the schema stage has run.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import Counter
from typing import IO, Any

from datatrove.data import Document
from datatrove.io import DataFolderLike
from datatrove.pipeline.writers.jsonl import JsonlWriter

from schemas import FAMILIES, STAGES, canonical_json, rejection

# Stage names as constants for the steps (the ordered tuple STAGES is the contract's, in schemas.record).
PARSE, SCHEMA, EXACT_DEDUP, NEAR_DEDUP, DECONTAMINATION, LINT, TYPECHECK, EXECUTION, QUALITY = STAGES

# Where a filter leaves its reason for the exclusion writer; datatrove's BaseFilter uses this key itself.
REASON_KEY = "filter_reason"

_TRAILING_WS = re.compile(r"[ \t\f\v]+$", re.MULTILINE)
_BLANK_RUNS = re.compile(r"\n{3,}")


def normalize_text(text: str) -> str:
    """NFKC, LF line ends, no trailing blanks, at most one empty line in a row, trimmed.

    Case and inner spacing are kept on purpose: in code they carry meaning, and near-dedup (MinHash) and
    decontamination apply their own tokenisation on top of this text.
    """
    text = unicodedata.normalize("NFKC", text).replace("\r\n", "\n").replace("\r", "\n")
    text = _TRAILING_WS.sub("", text)
    return _BLANK_RUNS.sub("\n\n", text).strip()


def _message_lines(message: Any) -> list[str]:
    if not isinstance(message, dict):
        return []
    role = message.get("role")
    # The system prompt is the persona's boilerplate, shared by most records: keeping it would make every short
    # identity conversation look like a near-duplicate of every other one.
    if role == "system" or not isinstance(role, str):
        return []
    lines: list[str] = []
    reasoning = message.get("reasoning")
    if isinstance(reasoning, str) and reasoning.strip():
        lines.append(f"{role} reasoning: {normalize_text(reasoning)}")
    content = message.get("content")
    if isinstance(content, str) and content.strip():
        label = f"tool {message.get('name')}" if role == "tool" else role
        lines.append(f"{label}: {normalize_text(content)}")
    for call in message.get("tool_calls") or []:
        function = call.get("function") if isinstance(call, dict) else None
        if isinstance(function, dict):
            lines.append(f"call {function.get('name')}: {canonical_json(function.get('arguments'))}")
    return lines


def conversation_text(record: dict) -> str:
    """The normalised content of a conversation: every non-system turn, tool call and tool output, in order."""
    messages = record.get("messages") if isinstance(record, dict) else None
    if not isinstance(messages, list):
        return ""
    return "\n".join(line for message in messages for line in _message_lines(message))


def fallback_id(raw: str | bytes) -> str:
    """A stable 32-hex id for input that has no usable `id` (malformed records must still be addressable)."""
    data = raw.encode("utf-8", "replace") if isinstance(raw, str) else raw
    return hashlib.sha256(data).hexdigest()[:32]


def doc_family(doc: Document) -> str:
    """The family a document counts under in the funnel: the record's, else the raw folder's, else "unknown"."""
    record = doc.metadata.get("record")
    family = record.get("family") if isinstance(record, dict) else None
    if family in FAMILIES:
        return str(family)
    source = doc.metadata.get("source_family")
    return source if isinstance(source, str) and source in FAMILIES else "unknown"


def record_to_document(record: dict) -> Document:
    """Wrap a (possibly malformed) record as a datatrove Document."""
    rid = record.get("id") if isinstance(record, dict) else None
    if not isinstance(rid, str) or not rid:
        rid = fallback_id(canonical_json(record))
    return Document(text=conversation_text(record), id=rid, metadata={"record": record})


def document_record(doc: Document) -> dict:
    """The record a Document carries (the inverse of `record_to_document`)."""
    record = doc.metadata.get("record")
    if not isinstance(record, dict):
        raise ValueError(f"document {doc.id} carries no record in metadata['record']")
    return record


def set_verdict(doc: Document, stage: str, passed: bool, reason: str, score: float | None = None) -> None:
    """Record a stage's verdict on the record inside `doc` (kept records carry one verdict per stage)."""
    record = document_record(doc)
    verdicts = record.get("verdicts")
    if not isinstance(verdicts, dict):
        verdicts = record["verdicts"] = {}
    verdict: dict[str, Any] = {"passed": passed, "reason": reason}
    if score is not None:
        verdict["score"] = float(score)
    verdicts[stage] = verdict


def reject(doc: Document, reason: str) -> tuple[bool, str]:
    """What a filter returns to drop a document; also leaves the reason where the exclusion writer finds it."""
    doc.metadata[REASON_KEY] = reason
    return False, reason


class RejectedWriter(JsonlWriter):
    """An exclusion writer for `rejected/<stage>/`: one `{"stage", "reason", "record"}` line per dropped record.

    Pass it as `exclusion_writer=` to any datatrove filter. The reason comes from `doc.metadata["filter_reason"]`
    (set by BaseFilter from a `(False, reason)` result) or, for steps that drop without one (e.g. datatrove's
    MinhashDedupFilter), from `default_reason`. `written` counts lines so the pipeline can check conservation.
    """

    name = "Crucible rejected"

    def __init__(
        self,
        output_folder: DataFolderLike,
        stage: str,
        default_reason: str = "rejected",
        output_filename: str = "${rank}.jsonl",
    ):
        super().__init__(output_folder, output_filename=output_filename, compression=None)
        self.stage = stage
        self.default_reason = default_reason
        self.written = 0
        self.tally: Counter[tuple[str, str]] = Counter()  # (family, reason) -> records, for the funnel

    def _default_adapter(self, document: Document) -> dict:
        reason = document.metadata.get(REASON_KEY) or self.default_reason
        record = document.metadata.get("record")
        self.tally[(doc_family(document), reason)] += 1
        if record is None:  # the parse stage: no record, only the raw text and where it came from
            where = {k: v for k, v in document.metadata.items() if k not in (REASON_KEY, "source_family")}
            return rejection(self.stage, reason, None, raw=document.text, family=doc_family(document), **where)
        return rejection(self.stage, reason, record if isinstance(record, dict) else None)

    def _write(self, document: dict, file_handler: IO, filename: str):
        super()._write(document, file_handler, filename)
        self.written += 1

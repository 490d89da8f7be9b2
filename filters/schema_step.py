"""Stage 1, the cheapest check: the record contract (schemas.validate_record) plus "this record belongs here".

validate_record covers the JSON Schema and the semantic rules (tool calls name offered tools, arguments validate,
tool results answer call ids, the id is the content hash). The reason is the first error's JSON path and message, so
a rejected line says exactly what to fix; the count of further errors follows.
"""

from __future__ import annotations

from datatrove.data import Document

from filters.docs import SCHEMA, document_record, reject
from filters.stage import StageFilter
from schemas import validate_record


class SchemaFilter(StageFilter):
    """Keep records that satisfy the record contract and belong to this corpus's persona."""

    name = "schema"
    stage = SCHEMA

    def __init__(self, persona: str | None = None):
        super().__init__()
        self.persona = persona

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        record = document_record(doc)
        try:
            errors = validate_record(record)
        except Exception as exc:  # a validator bug must reject one record with its cause, not stop the corpus
            return reject(doc, f"$: validator failed: {type(exc).__name__}: {exc}")
        if errors:
            first = errors[0]
            more = f" (+{len(errors) - 1} more)" if len(errors) > 1 else ""
            return reject(doc, f"{first.path}: {first.message}{more}")
        if self.persona is not None and record.get("persona") != self.persona:
            return reject(doc, f"$.persona: {record.get('persona')!r} does not belong to corpus {self.persona!r}")
        return self.passed(doc, "valid crucible.record/1")

"""The record contract every Crucible stage speaks, the persona cards and the tool sets.

    from schemas import make_record, validate_record, load_persona, load_toolset
    rec = make_record("identity", "lanbot", messages, tools=[], verification={...}, lineage={...})
    errors = validate_record(rec)        # [] or [ValidationError(path="$.messages[1].content", message=...)]

JSON Schemas live next to this file (record.schema.json, persona.schema.json, tools/*.json);
`python -m schemas validate FILE...` checks JSONL / parquet / persona.toml files from the shell.
"""

from schemas.persona import (
    OTHER_ASSISTANTS,
    OTHER_LABS,
    Persona,
    PersonaError,
    available_personas,
    load_persona,
    load_toolset,
)
from schemas.record import (
    FAMILIES,
    GENERATE,
    SCHEMA_VERSION,
    STAGES,
    canonical_json,
    make_lineage,
    make_record,
    now_iso,
    record_id,
    rejection,
)
from schemas.storage import corpora_root
from schemas.validate import (
    RECORD_SCHEMA,
    RecordInvalid,
    ValidationError,
    require_valid,
    validate_persona_data,
    validate_record,
    validate_tools,
)

__all__ = [
    "OTHER_ASSISTANTS",
    "OTHER_LABS",
    "FAMILIES",
    "GENERATE",
    "RECORD_SCHEMA",
    "SCHEMA_VERSION",
    "STAGES",
    "Persona",
    "PersonaError",
    "RecordInvalid",
    "ValidationError",
    "available_personas",
    "canonical_json",
    "corpora_root",
    "load_persona",
    "load_toolset",
    "make_lineage",
    "make_record",
    "now_iso",
    "record_id",
    "rejection",
    "require_valid",
    "validate_persona_data",
    "validate_record",
    "validate_tools",
]

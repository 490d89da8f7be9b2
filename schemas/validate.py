"""Record and persona validation: the JSON Schemas plus the rules a schema cannot express.

The schemas (record.schema.json, persona.schema.json) pin shapes; this module adds the conversation semantics every
consumer relies on: tool calls name offered tools with arguments that fit their parameters, every tool message
answers an open call, roles come in a legal order, and the id is the content hash. Validators are compiled once
per process (per distinct tool-parameter schema for arguments). Errors carry a JSON path into the record, so
`$.messages[3].tool_calls[0].function.arguments.command` points at the exact offending value.
"""

import copy
import json
import re
import string
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import jsonschema
from jsonschema.exceptions import best_match

from schemas.record import SCHEMA_VERSION, canonical_json, record_id

HERE = Path(__file__).resolve().parent
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class ValidationError:
    """One problem: where (a JSON path from `$`, the record root) and what."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


class RecordInvalid(ValueError):
    """Raised by require_valid: a record that must be valid is not; carries the errors."""

    def __init__(self, errors: list[ValidationError]):
        self.errors = errors
        shown = "; ".join(str(e) for e in errors[:3]) + (f" (+{len(errors) - 3} more)" if len(errors) > 3 else "")
        super().__init__(f"invalid record: {shown}")


def _load_schema(name: str) -> dict:
    return json.loads((HERE / name).read_text(encoding="utf-8"))


RECORD_SCHEMA = _load_schema("record.schema.json")
PERSONA_SCHEMA = _load_schema("persona.schema.json")
jsonschema.Draft202012Validator.check_schema(RECORD_SCHEMA)
jsonschema.Draft202012Validator.check_schema(PERSONA_SCHEMA)
_PERSONA_VALIDATOR = jsonschema.Draft202012Validator(PERSONA_SCHEMA)


def _part(name: str) -> jsonschema.Draft202012Validator:
    """A validator for one $defs entry of the record schema, with its internal $refs still resolvable."""
    return jsonschema.Draft202012Validator({"$defs": RECORD_SCHEMA["$defs"], "$ref": f"#/$defs/{name}"})


# The full record schema is the published contract. Validating with it directly spends most of its time in the
# role/family if-then branches and re-checks the same tool list on every record, so validate_record runs the
# same rules split up: the top level with messages/tools/verification opened up, then one compiled validator per
# message role and per family, and tool lists once per distinct list (tests check both routes agree).
_TOP = copy.deepcopy(RECORD_SCHEMA)
_TOP.pop("allOf")
_TOP["properties"]["messages"]["items"] = {"type": "object"}
_TOP["properties"]["tools"] = {"type": "array"}
_TOP_VALIDATOR = jsonschema.Draft202012Validator(_TOP)
_RECORD_VALIDATOR = jsonschema.Draft202012Validator(RECORD_SCHEMA)
_ROLE_VALIDATORS = {role: _part(f"{role}_message") for role in ("system", "user", "assistant", "tool")}
_VERIFICATION_VALIDATORS = {
    "identity": _part("verification_identity"),
    "reasoning": _part("verification_reasoning"),
    "textbook": _part("verification_textbook"),
    "tool_use": _part("verification_grounded"),
    "safety": _part("verification_grounded"),
    "function_calling": _part("verification_function_calling"),
}
_TOOL_VALIDATOR = _part("tool")
_TOOLS_CACHE: dict[str, tuple[list["ValidationError"], dict]] = {}
# Argument validators keyed by the canonical JSON of a tool's parameters: every record repeats the same few tool
# sets, so each distinct schema is checked and compiled once.
_ARG_VALIDATORS: dict[str, jsonschema.Draft202012Validator | str] = {}


# ---------------------------------------------------------------------------------------------------------------
# paths and messages


def join_path(base: str, *parts: str | int) -> str:
    out = base
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        elif _IDENT.match(part):
            out += f".{part}"
        else:
            out += "[" + json.dumps(part, ensure_ascii=False) + "]"
    return out


def _short(value: Any, limit: int = 60) -> str:
    text = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


_JSON_TYPES = {dict: "object", list: "array", str: "string", bool: "boolean", int: "integer", float: "number"}


def _type_name(value: Any) -> str:
    return "null" if value is None else _JSON_TYPES.get(type(value), type(value).__name__)


def _schema_errors(validator: jsonschema.Draft202012Validator, instance: Any, base: str) -> list[ValidationError]:
    """Translate jsonschema's errors into short, path-precise ones (values are abbreviated, never dumped whole)."""
    out: list[ValidationError] = []
    for err in validator.iter_errors(instance):
        out += _translate(err, base)
    return sorted(set(out), key=lambda e: (e.path, e.message))


def _translate(err: jsonschema.ValidationError, base: str) -> list[ValidationError]:
    path = join_path(base, *err.absolute_path)
    kind = err.validator
    want: Any = err.validator_value
    got: Any = err.instance
    if kind in ("oneOf", "anyOf") and err.context:
        # "not valid under any of the given schemas" says nothing. Report the errors of the one alternative whose
        # type fits the value (null-or-object: the object's missing fields), else the closest single error.
        by_branch: dict[Any, list[jsonschema.ValidationError]] = {}
        for sub in err.context:
            by_branch.setdefault(sub.relative_schema_path[0], []).append(sub)
        fitting = [
            subs for subs in by_branch.values() if not any(e.validator == "type" and not e.relative_path for e in subs)
        ]
        if len(fitting) == 1:
            return [t for sub in fitting[0] for t in _translate(sub, base)]
        return _translate(best_match(err.context), base)
    if kind == "required":
        missing = [k for k in want if isinstance(got, dict) and k not in got]
        return [ValidationError(join_path(path, k), "required field missing") for k in missing]
    if kind == "additionalProperties" and isinstance(got, dict):
        known = set(err.schema.get("properties", {})) if isinstance(err.schema, dict) else set()
        return [ValidationError(join_path(path, k), "unexpected field") for k in got if k not in known]
    if kind == "type":
        wanted = " or ".join(want) if isinstance(want, list) else want
        message = f"expected {wanted}, got {_type_name(got)}"
    elif kind == "enum":
        message = f"{_short(got)} is not one of {', '.join(map(str, want))}"
    elif kind == "const":
        message = f"expected {_short(want)}, got {_short(got)}"
    elif kind == "minLength" and want == 1:
        message = "must not be empty"
    elif kind == "minItems":
        message = f"needs at least {want} item{'s' if want != 1 else ''}, got {len(got)}"
    elif kind == "pattern":
        message = f"{_short(got)} does not match {want}"
    else:
        message = err.message if len(err.message) <= 200 else err.message[:197] + "..."
    return [ValidationError(path, message)]


def _arguments_validator(parameters: dict) -> jsonschema.Draft202012Validator | str:
    """Compiled validator for a tool's parameters, or the reason the parameters are not a usable schema."""
    key = canonical_json(parameters)
    cached = _ARG_VALIDATORS.get(key)
    if cached is None:
        try:
            jsonschema.Draft202012Validator.check_schema(parameters)
            cached = jsonschema.Draft202012Validator(parameters)
        except jsonschema.SchemaError as exc:
            cached = f"not a valid JSON Schema: {exc.message[:160]}"
        _ARG_VALIDATORS[key] = cached
    return cached


# ---------------------------------------------------------------------------------------------------------------
# records


def validate_record(rec: Any) -> list[ValidationError]:
    """All problems with one record ([] when valid). Schema errors first; semantic checks need a well-formed shape."""
    if not isinstance(rec, dict):
        return [ValidationError("$", f"record must be a JSON object, got {_type_name(rec)}")]
    version = rec.get("schema_version", SCHEMA_VERSION)
    if version != SCHEMA_VERSION:
        return [
            ValidationError(
                "$.schema_version", f"unsupported schema_version {_short(version)} (expected {SCHEMA_VERSION!r})"
            )
        ]
    errors = _schema_errors(_TOP_VALIDATOR, rec, "$")
    messages = rec.get("messages")
    if isinstance(messages, list):
        for i, msg in enumerate(messages):
            path = join_path("$.messages", i)
            if not isinstance(msg, dict):
                continue  # reported by the top-level schema
            role = msg.get("role")
            if role is None:
                errors.append(ValidationError(join_path(path, "role"), "required field missing"))
            elif not isinstance(role, str) or role not in _ROLE_VALIDATORS:
                errors.append(
                    ValidationError(
                        join_path(path, "role"), f"{_short(role)} is not one of system, user, assistant, tool"
                    )
                )
            else:
                errors += _schema_errors(_ROLE_VALIDATORS[role], msg, path)
    tools_ok = isinstance(rec.get("tools"), list)
    if tools_ok:
        tool_errors, _ = validate_tools(rec["tools"])
        errors += tool_errors
    family, verification = rec.get("family"), rec.get("verification")
    if isinstance(family, str) and family in _VERIFICATION_VALIDATORS and isinstance(verification, dict):
        errors += _schema_errors(_VERIFICATION_VALIDATORS[family], verification, "$.verification")
    if errors:
        return errors
    return _semantic_errors(rec)


def validate_record_full_schema(rec: Any) -> list[ValidationError]:
    """Only record.schema.json in one pass (no semantic checks): the reference the split validators must match."""
    return _schema_errors(_RECORD_VALIDATOR, rec, "$")


def require_valid(rec: Any) -> dict:
    """Return the record if valid, else raise RecordInvalid listing its errors (for code that must not emit junk)."""
    errors = validate_record(rec)
    if errors:
        raise RecordInvalid(errors)
    return rec


def validate_tools(tools: Any, base: str = "$.tools") -> tuple[list[ValidationError], dict]:
    """Check a list of tool definitions; returns (errors, {name: argument validator}) for the usable ones."""
    if not isinstance(tools, list):
        return [ValidationError(base, f"expected array, got {_type_name(tools)}")], {}
    key = base + "\0" + canonical_json(tools)
    cached = _TOOLS_CACHE.get(key)
    if cached is None:
        if len(_TOOLS_CACHE) > 256:  # records share a handful of tool sets; bound the cache for odd inputs
            _TOOLS_CACHE.clear()
        cached = _TOOLS_CACHE[key] = _check_tools(tools, base)
    return list(cached[0]), cached[1]


def _check_tools(tools: list, base: str) -> tuple[list[ValidationError], dict]:
    errors: list[ValidationError] = []
    offered: dict[str, jsonschema.Draft202012Validator] = {}
    for i, tool in enumerate(tools):
        shape = _schema_errors(_TOOL_VALIDATOR, tool, join_path(base, i))
        if shape:
            errors += shape
            continue
        fn = tool["function"]
        name_path = join_path(base, i, "function", "name")
        if fn["name"] in offered:
            errors.append(ValidationError(name_path, f"duplicate tool name {fn['name']!r}"))
            continue
        validator = _arguments_validator(fn["parameters"])
        if isinstance(validator, str):
            errors.append(ValidationError(join_path(base, i, "function", "parameters"), validator))
            continue
        offered[fn["name"]] = validator
    return errors, offered


def _semantic_errors(rec: dict) -> list[ValidationError]:
    errors, offered = validate_tools(rec["tools"])  # shape errors were returned earlier; this is a cache hit
    errors += _conversation_errors(rec["messages"], offered)
    errors += _verification_errors(rec)
    try:
        datetime.fromisoformat(rec["lineage"]["created_at"])
    except ValueError:
        errors.append(
            ValidationError(
                "$.lineage.created_at", f"not a valid ISO-8601 time: {_short(rec['lineage']['created_at'])}"
            )
        )
    expected = record_id(rec)
    if rec["id"] != expected:
        errors.append(
            ValidationError("$.id", f"id {rec['id']} is not the content hash of family+messages+tools ({expected})")
        )
    return errors


def _conversation_errors(
    messages: list[dict], offered: dict[str, jsonschema.Draft202012Validator]
) -> list[ValidationError]:
    """Role order and the tool-call protocol, walking the conversation once.

    Legal: [system] user (assistant [tool...])... ending with an assistant turn; a tool message answers a still-open
    call of the assistant turn right before it, with that call's name; a turn's calls are all answered before
    anything else is said.
    """
    errors: list[ValidationError] = []
    seen_ids: dict[str, str] = {}  # call id -> path of the call that introduced it
    answered: set[str] = set()
    pending: dict[str, tuple[str, str]] = {}  # open call id -> (function name, path of the call)
    prev: dict | None = None
    seen_user = False

    def close_open_calls(at: str) -> None:
        for cid, (_, call_path) in pending.items():
            errors.append(
                ValidationError(join_path(call_path, "id"), f"tool_call {cid!r} is never answered before {at}")
            )
        pending.clear()

    for i, msg in enumerate(messages):
        path = join_path("$.messages", i)
        role = msg["role"]
        prev_role = prev["role"] if prev else None
        if role == "system":
            if i != 0:
                errors.append(
                    ValidationError(join_path(path, "role"), "a system message is allowed only as the first message")
                )
        elif role == "user":
            seen_user = True
            if pending:
                close_open_calls(f"the user message {path}")
            elif prev_role == "user":
                errors.append(ValidationError(join_path(path, "role"), "two user messages in a row"))
        elif role == "assistant":
            if not seen_user:
                errors.append(ValidationError(join_path(path, "role"), "an assistant message before any user message"))
            elif pending:
                close_open_calls(f"the assistant turn {path}")
            elif prev_role == "assistant":
                errors.append(
                    ValidationError(
                        join_path(path, "role"), "two assistant turns in a row without tool calls between them"
                    )
                )
            calls = msg.get("tool_calls") or []
            content = msg.get("content")
            if not calls and (content is None or not content.strip()):
                errors.append(ValidationError(path, "empty assistant turn: no content and no tool_calls"))
            for j, call in enumerate(calls):
                call_path = join_path(path, "tool_calls", j)
                cid, name, args = call["id"], call["function"]["name"], call["function"]["arguments"]
                if cid in seen_ids:
                    errors.append(
                        ValidationError(
                            join_path(call_path, "id"),
                            f"duplicate tool_call id {cid!r} (first used at {seen_ids[cid]})",
                        )
                    )
                    continue
                seen_ids[cid] = call_path
                pending[cid] = (name, call_path)
                if name not in offered:
                    choices = ", ".join(sorted(offered)) or "none"
                    errors.append(
                        ValidationError(
                            join_path(call_path, "function", "name"), f"unknown tool {name!r} (offered: {choices})"
                        )
                    )
                    continue
                errors += _schema_errors(offered[name], args, join_path(call_path, "function", "arguments"))
        elif role == "tool":
            cid, name = msg["tool_call_id"], msg["name"]
            if cid in pending:
                want, _ = pending.pop(cid)
                answered.add(cid)
                if name != want:
                    errors.append(
                        ValidationError(
                            join_path(path, "name"), f"name {name!r} does not match the call's function {want!r}"
                        )
                    )
            elif cid in answered:
                errors.append(
                    ValidationError(join_path(path, "tool_call_id"), f"tool_call_id {cid!r} was already answered")
                )
            elif not pending:
                errors.append(
                    ValidationError(
                        path,
                        "a tool message must directly follow an assistant turn with tool_calls that are still open",
                    )
                )
            else:
                open_ids = ", ".join(sorted(pending))
                errors.append(
                    ValidationError(
                        join_path(path, "tool_call_id"), f"tool_call_id {cid!r} answers no open call (open: {open_ids})"
                    )
                )
        prev = msg
    if pending:
        close_open_calls("the end of the conversation")
    last = messages[-1]
    if last["role"] != "assistant":
        errors.append(
            ValidationError(
                join_path("$.messages", len(messages) - 1),
                f"the conversation must end with an assistant message, not {last['role']!r}",
            )
        )
    return errors


def _verification_errors(rec: dict) -> list[ValidationError]:
    errors: list[ValidationError] = []
    ver = rec["verification"]
    if rec["family"] == "reasoning":
        call_ids = {c["id"] for m in rec["messages"] for c in m.get("tool_calls") or []}
        for k, cid in enumerate(ver.get("python_calls", [])):
            if cid not in call_ids:
                errors.append(
                    ValidationError(
                        join_path("$.verification.python_calls", k), f"no tool_call with id {cid!r} in messages"
                    )
                )
    if rec["family"] == "function_calling":
        errors += _shape_errors(rec["messages"], ver["shape"])
    if rec["family"] in ("tool_use", "safety", "function_calling"):
        for k, pattern in enumerate(ver["nondeterministic"]):
            try:
                re.compile(pattern)
            except re.error as exc:
                errors.append(ValidationError(join_path("$.verification.nondeterministic", k), f"invalid regex: {exc}"))
    return errors


def _shape_errors(messages: list[dict], shape: str) -> list[ValidationError]:
    """A function_calling record must look like the shape it claims (stats and training mixes rely on the label)."""
    turns = [len(m.get("tool_calls") or []) for m in messages if m["role"] == "assistant" and m.get("tool_calls")]
    users = sum(m["role"] == "user" for m in messages)
    failed = any(m["role"] == "tool" and m["content"].startswith('{"error"') for m in messages)
    problem = {
        "single": sum(turns) != 1 and "exactly one tool call",
        "choose": sum(turns) != 1 and "exactly one tool call",
        "parallel": not any(n >= 2 for n in turns) and "an assistant turn with two or more tool calls",
        "sequential": len(turns) < 2 and "tool calls in two or more assistant turns",
        "no_call": bool(turns) and "no tool calls",
        "error_correct": (len(turns) < 2 or not failed) and "a failed call (an error result) followed by another call",
        "multi_turn": not 2 <= users <= 4 and "2 to 4 user turns",
    }.get(shape)
    return [ValidationError("$.verification.shape", f"shape {shape!r} needs {problem}")] if problem else []


# ---------------------------------------------------------------------------------------------------------------
# persona cards

TEMPLATE_FIELDS = (
    "name", "creator", "year", "description", "personality", "quirks", "capabilities",
    "limitations", "facts", "languages", "toolset", "tools",
)  # fmt: skip


def validate_persona_data(data: Any) -> list[ValidationError]:
    """Problems with a parsed persona card (the TOML as a dict): schema, mixture sums to 1, template fields known."""
    errors = _schema_errors(_PERSONA_VALIDATOR, data, "$")
    if errors:
        return errors
    weights = data["recipe"]["families"]
    total = sum(weights.values())
    if abs(total - 1.0) > 1e-6:
        errors.append(ValidationError("$.recipe.families", f"weights must sum to 1, got {total:g}"))
    template = string.Template(data["system_prompt"])
    if not template.is_valid():
        errors.append(ValidationError("$.system_prompt", "malformed ${...} placeholder (write $$ for a literal $)"))
    else:
        unknown = sorted(set(template.get_identifiers()) - set(TEMPLATE_FIELDS))
        if unknown:
            errors.append(
                ValidationError(
                    "$.system_prompt",
                    f"unknown placeholder(s) {', '.join(unknown)}; known: {', '.join(TEMPLATE_FIELDS)}",
                )
            )
    return errors

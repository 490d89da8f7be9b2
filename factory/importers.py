"""`python -m factory import --format glaive|hermes|nanochat FILE persona=lanbot`: open data -> validated records.

Open tool-use sets are a cheap way to add breadth, but each speaks its own dialect, so every row is converted into
the record contract and validated like generated data; what does not convert or validate is rejected with the
reason (to raw/<family>/rejected.jsonl), never silently dropped. Imports go through the same crash-safe runlog as
`generate`, keyed by file hash and line, so importing a file twice adds nothing.

Formats (JSONL, or a JSON array of rows):
- glaive: Glaive function-calling v2 — {"system": "SYSTEM: ... -\n{function json}\n...", "chat": "USER: ...
  ASSISTANT: <functioncall> {"name": ..., "arguments": '{...}'} <|endoftext|> FUNCTION RESPONSE: {...} ..."},
  or its ShareGPT conversion {"conversations": [{"from": human|gpt|function_call|observation|system, "value"}],
  "tools": "[...]"}.
- hermes: OpenAI-style {"messages": [...], "tools": [...]} with assistant `tool_calls`; Hermes ShareGPT with
  <tools>/<tool_call>/<tool_response> tags; xLAM {"query", "tools", "answers"} (no tool outputs, so those rows are
  rejected by validation: a record may not end on an unanswered call, and outputs are never invented).
- llamafactory (also accepted under hermes): OpenAI-style rows whose `content` is a list of typed parts
  ({"type": "text"|"reasoning"|"tool_call", "value": ...}; a tool_call's value is the JSON of {"name", "arguments"})
  and whose `tools` is a JSON string, as in LLaMA-Factory's demo sets; tool messages answer the open calls in order.
- nanochat: CustomJSON — each line a bare array of {role, content} (identity-style conversations).

Imported tool outputs were not produced by our sandbox: verification says `"grounded": false` and names the source,
so the filter's replay stage can tell them apart.
"""

import hashlib
import json
import re
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from factory.runlog import FamilyLog
from schemas.settings import UsageError, parse_kv, reject_unknown

FORMATS = ("glaive", "hermes", "llamafactory", "nanochat")
VERSION = "1"
BATCH = 500


class ConvertError(ValueError):
    """A row that cannot be expressed as a record; the message is the rejection reason."""


# ---------------------------------------------------------------------------------------------------------------
# Shared pieces

def as_tool(fn: Any) -> dict:
    """A function definition in any of the common shapes -> an OpenAI function tool."""
    if not isinstance(fn, dict):
        raise ConvertError(f"tool definition is {type(fn).__name__}, not an object")
    if fn.get("type") == "function" and isinstance(fn.get("function"), dict):
        fn = fn["function"]
    params = fn.get("parameters")
    if params is None:
        params = {"type": "object", "properties": {}}
    if isinstance(params, dict) and "type" not in params and "properties" not in params:
        # xLAM style: {"param": {"type", "description", "default"}} -> a JSON schema object
        params = {"type": "object", "properties": {k: {kk: vv for kk, vv in v.items() if kk != "default"}
                                                   if isinstance(v, dict) else v for k, v in params.items()}}
    if isinstance(params, dict):
        params = {"properties": {}, **params}
    return {"type": "function", "function": {"name": fn.get("name"), "description": fn.get("description"),
                                             "parameters": params}}


def loads_lenient(text: str) -> Any:
    """json.loads, also accepting Glaive's `"arguments": '{...}'` (a JSON object wrapped in single quotes)."""
    text = text.strip()
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        pass
    fixed = re.sub(r"'(\{.*\}|\[.*\])'", r"\1", text, flags=re.DOTALL)
    try:
        return json.loads(fixed)
    except json.JSONDecodeError as exc:
        raise ConvertError(f"not JSON: {text[:120]!r} ({exc.msg})") from None


def as_arguments(value: Any) -> dict:
    if isinstance(value, str):
        value = loads_lenient(value) if value.strip() else {}
    if not isinstance(value, dict):
        raise ConvertError(f"tool call arguments are {type(value).__name__}, not an object")
    return value


def call(name: Any, arguments: Any, n: int) -> dict:
    if not isinstance(name, str) or not name:
        raise ConvertError("tool call without a function name")
    return {"id": f"call_{n}", "type": "function", "function": {"name": name, "arguments": as_arguments(arguments)}}


def clean(text: str) -> str:
    return text.replace("<|endoftext|>", "").strip()


def answer_calls(messages: list[dict], outputs: list[str]) -> None:
    """Append tool messages answering the last assistant turn's calls, in order."""
    last = next((m for m in reversed(messages) if m["role"] == "assistant" and m.get("tool_calls")), None)
    if last is None:
        raise ConvertError("a tool response with no tool call before it")
    open_calls = [c for c in last["tool_calls"] if not any(m.get("tool_call_id") == c["id"] for m in messages)]
    if len(outputs) > len(open_calls):
        raise ConvertError(f"{len(outputs)} tool responses for {len(open_calls)} open calls")
    for c, out in zip(open_calls, outputs, strict=False):
        messages.append({"role": "tool", "tool_call_id": c["id"], "name": c["function"]["name"], "content": out})


# ---------------------------------------------------------------------------------------------------------------
# Glaive

GLAIVE_TURN = re.compile(r"(?:^|\n)\s*(USER|ASSISTANT|FUNCTION RESPONSE):", re.MULTILINE)


def glaive_functions(system: str) -> list[dict]:
    """The JSON objects listed after the system prompt's preamble (one or more, separated by blank lines)."""
    start = system.find("{")
    if start < 0:
        return []
    decoder, tools, i = json.JSONDecoder(), [], start
    while i < len(system):
        while i < len(system) and system[i] not in "{":
            i += 1
        if i >= len(system):
            break
        try:
            obj, end = decoder.raw_decode(system, i)
        except json.JSONDecodeError as exc:
            raise ConvertError(f"function definition in the system prompt is not JSON ({exc.msg})") from None
        tools.append(as_tool(obj))
        i = end
    return tools


def convert_glaive(row: dict) -> tuple[list[dict], list[dict]]:
    if "conversations" in row:
        return convert_sharegpt(row)
    system, chat = row.get("system") or "", row.get("chat")
    if not isinstance(chat, str) or not chat.strip():
        raise ConvertError("glaive row without a 'chat' string")
    tools = glaive_functions(system)
    parts = GLAIVE_TURN.split(chat)
    messages: list[dict] = []
    n = 0
    for speaker, text in zip(parts[1::2], parts[2::2], strict=True):
        text = clean(text)
        if speaker == "USER":
            messages.append({"role": "user", "content": text})
        elif speaker == "ASSISTANT" and text.startswith("<functioncall>"):
            payload = loads_lenient(text[len("<functioncall>"):])
            if not isinstance(payload, dict):
                raise ConvertError("functioncall payload is not an object")
            messages.append({"role": "assistant", "content": None,
                             "tool_calls": [call(payload.get("name"), payload.get("arguments", {}), n)]})
            n += 1
        elif speaker == "ASSISTANT":
            messages.append({"role": "assistant", "content": text})
        else:
            answer_calls(messages, [text])
    if not messages:
        raise ConvertError("no USER/ASSISTANT turns in chat")
    return messages, tools


def convert_sharegpt(row: dict) -> tuple[list[dict], list[dict]]:
    """Glaive/Hermes ShareGPT: from = system|human|gpt|function_call|observation|tool."""
    tools_raw = row.get("tools") or []
    tools_list = loads_lenient(tools_raw) if isinstance(tools_raw, str) else tools_raw
    tools = [as_tool(t) for t in tools_list or []]
    messages: list[dict] = []
    n = 0
    for turn in row["conversations"]:
        who, value = turn.get("from"), turn.get("value") or ""
        if who == "system":
            found = re.search(r"<tools>(.*?)</tools>", value, re.DOTALL)
            if found and not tools:
                parsed = loads_lenient(found.group(1))
                tools = [as_tool(t) for t in (parsed if isinstance(parsed, list) else [parsed])]
            elif not found and value.strip():
                messages.append({"role": "system", "content": value.strip()})
        elif who in ("human", "user"):
            messages.append({"role": "user", "content": value.strip()})
        elif who == "function_call":
            payload = loads_lenient(value)
            messages.append({"role": "assistant", "content": None,
                             "tool_calls": [call(payload.get("name"), payload.get("arguments", {}), n)]})
            n += 1
        elif who in ("gpt", "assistant"):
            calls = re.findall(r"<tool_call>(.*?)</tool_call>", value, re.DOTALL)
            text = re.sub(r"<tool_call>.*?</tool_call>", "", value, flags=re.DOTALL).strip()
            if calls:
                tool_calls = []
                for c in calls:
                    payload = loads_lenient(c)
                    tool_calls.append(call(payload.get("name"), payload.get("arguments", {}), n))
                    n += 1
                messages.append({"role": "assistant", "content": text or None, "tool_calls": tool_calls})
            else:
                messages.append({"role": "assistant", "content": text})
        elif who in ("observation", "tool"):
            outs = re.findall(r"<tool_response>(.*?)</tool_response>", value, re.DOTALL) or [value]
            answer_calls(messages, [o.strip() for o in outs])
        else:
            raise ConvertError(f"unknown ShareGPT speaker {who!r}")
    return messages, tools


# ---------------------------------------------------------------------------------------------------------------
# Hermes / OpenAI / xLAM

def convert_hermes(row: dict) -> tuple[list[dict], list[dict]]:
    if "conversations" in row:
        return convert_sharegpt(row)
    if "query" in row and "answers" in row:
        tools_list = loads_lenient(row["tools"]) if isinstance(row.get("tools"), str) else row.get("tools") or []
        answers = loads_lenient(row["answers"]) if isinstance(row["answers"], str) else row["answers"]
        calls = [call(a.get("name"), a.get("arguments", {}), i) for i, a in enumerate(answers or [])]
        messages: list[dict] = [{"role": "user", "content": str(row["query"])}]
        messages.append({"role": "assistant", "content": None, "tool_calls": calls} if calls
                        else {"role": "assistant", "content": ""})
        return messages, [as_tool(t) for t in tools_list]
    if "messages" not in row:
        raise ConvertError("hermes row needs 'messages', 'conversations' or xLAM 'query'/'answers'")
    raw_tools = loads_lenient(row["tools"]) if isinstance(row.get("tools"), str) and row["tools"].strip() else row.get("tools")
    tools = [as_tool(t) for t in raw_tools or []]
    if any(isinstance(m, dict) and isinstance(m.get("content"), list) for m in row["messages"]):
        return convert_typed_parts(row["messages"]), tools
    messages = []
    for m in row["messages"]:
        role = m.get("role")
        if role == "assistant" and m.get("tool_calls"):
            calls = [{"id": c.get("id") or f"call_{i}", "type": "function",
                      "function": {"name": c["function"]["name"], "arguments": as_arguments(c["function"].get(
                          "arguments", {}))}} for i, c in enumerate(m["tool_calls"])]
            messages.append({"role": "assistant", "content": m.get("content") or None, "tool_calls": calls})
        elif role == "tool":
            messages.append({"role": "tool", "tool_call_id": m.get("tool_call_id"), "name": m.get("name"),
                             "content": m.get("content") if isinstance(m.get("content"), str)
                             else json.dumps(m.get("content"), ensure_ascii=False)})
        else:
            messages.append({"role": role, "content": m.get("content")})
    # A tool message without a name takes its call's name (OpenAI's wire format omits it).
    names = {c["id"]: c["function"]["name"] for m in messages for c in m.get("tool_calls") or []}
    for m in messages:
        if m["role"] == "tool" and not m.get("name"):
            m["name"] = names.get(m["tool_call_id"], "")
    return messages, tools


PART_TYPES = ("text", "reasoning", "tool_call")


def parts_of(m: dict, where: str) -> dict[str, list]:
    """A message's typed parts grouped by type; text-only content may also be a plain string."""
    content = m.get("content")
    if content is None or isinstance(content, str):
        return {"text": [content] if content else [], "reasoning": [], "tool_call": []}
    if not isinstance(content, list):
        raise ConvertError(f"{where}: content is {type(content).__name__}, not a string or a list of parts")
    out: dict[str, list] = {t: [] for t in PART_TYPES}
    for part in content:
        kind = part.get("type") if isinstance(part, dict) else None
        if kind not in PART_TYPES:
            raise ConvertError(f"{where}: unknown content part {str(part)[:80]!r} (types: {', '.join(PART_TYPES)})")
        out[kind].append(part.get("value", part.get(kind)))
    return out


def convert_typed_parts(rows: list) -> list[dict]:
    """LLaMA-Factory-style messages: typed parts become content, `reasoning` and `tool_calls`; tool messages with
    no tool_call_id answer the previous assistant turn's open calls in order."""
    messages: list[dict] = []
    n = 0
    for i, m in enumerate(rows):
        if not isinstance(m, dict):
            raise ConvertError(f"message {i} is not an object")
        role, where = m.get("role"), f"message {i} ({m.get('role')})"
        parts = parts_of(m, where)
        text = "".join(str(t) for t in parts["text"]).strip()
        if role != "assistant" and (parts["reasoning"] or parts["tool_call"]):
            raise ConvertError(f"{where}: only assistant messages may carry reasoning or tool_call parts")
        if role in ("system", "user"):
            messages.append({"role": role, "content": text})
        elif role == "assistant":
            msg: dict[str, Any] = {"role": "assistant", "content": text or None}
            if parts["reasoning"]:
                msg["reasoning"] = "\n".join(str(r).strip() for r in parts["reasoning"])
            calls = []
            for value in parts["tool_call"]:
                payload = loads_lenient(value) if isinstance(value, str) else value
                if not isinstance(payload, dict):
                    raise ConvertError(f"{where}: tool_call part is not an object")
                calls.append(call(payload.get("name"), payload.get("arguments", {}), n))
                n += 1
            calls += [call(c["function"]["name"], c["function"].get("arguments", {}), n + k)
                      for k, c in enumerate(m.get("tool_calls") or [])]
            n += len(m.get("tool_calls") or [])
            if calls:
                msg["tool_calls"] = calls
            messages.append(msg)
        elif role in ("tool", "observation", "function"):
            if m.get("tool_call_id"):
                messages.append({"role": "tool", "tool_call_id": m["tool_call_id"], "name": m.get("name") or "",
                                 "content": text})
            else:
                answer_calls(messages, [text])
        else:
            raise ConvertError(f"{where}: unknown role {role!r}")
    names = {c["id"]: c["function"]["name"] for m in messages for c in m.get("tool_calls") or []}
    for m in messages:
        if m["role"] == "tool" and not m.get("name"):
            m["name"] = names.get(m["tool_call_id"], "")
    return messages


def convert_nanochat(row: Any) -> tuple[list[dict], list[dict]]:
    if not isinstance(row, list):
        raise ConvertError(f"nanochat CustomJSON rows are bare arrays of messages, got {type(row).__name__}")
    messages = []
    for m in row:
        if not isinstance(m, dict) or m.get("role") not in ("system", "user", "assistant"):
            raise ConvertError(f"bad message {str(m)[:80]!r}: need role system/user/assistant and content")
        messages.append({"role": m["role"], "content": m.get("content")})
    return messages, []


CONVERTERS = {"glaive": convert_glaive, "hermes": convert_hermes, "llamafactory": convert_hermes,
              "nanochat": convert_nanochat}


# ---------------------------------------------------------------------------------------------------------------

def read_rows(path: Path, fmt: str) -> list[tuple[int, Any, str | None]]:
    """(line number, row, parse error) per row: JSONL, or (except nanochat, whose lines are arrays) a JSON array."""
    text = path.read_text(encoding="utf-8")
    if fmt != "nanochat" and text.lstrip().startswith("["):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            return [(exc.lineno, None, f"file is not a JSON array: {exc.msg}")]
        return [(i + 1, row, None) for i, row in enumerate(data)]
    rows = []
    for i, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            rows.append((i, json.loads(line), None))
        except json.JSONDecodeError as exc:
            rows.append((i, None, f"line is not JSON: {exc.msg}"))
    return rows


def to_record(fmt: str, row: Any, persona: Any, source: str, line: int, run_id: str) -> dict:
    from schemas import make_lineage, make_record

    messages, tools = CONVERTERS[fmt](row)
    family = "tool_use" if fmt != "nanochat" else "identity"
    if family == "identity":
        verification: dict = {"checks": {"name": persona.name, "creator": persona.creator}}
    else:
        task = next((m["content"] for m in messages if m["role"] == "user" and m.get("content")), "imported")
        verification = {"environment": {}, "nondeterministic": [], "task": task, "grounded": False,
                        "source": {"format": fmt, "file": source, "line": line}}
    lineage = make_lineage(f"importers.{fmt}", VERSION, 0, {"format": fmt, "file": source, "line": line}, run_id)
    return make_record(family, persona.slug, messages, tools, verification, lineage)


def import_file(fmt: str, path: Path, persona: Any, raw_dir: Path) -> dict[str, int]:
    """Convert, validate and commit every row; returns counts (kept, rejected, skipped as already imported)."""
    from schemas import validate_record

    family = "tool_use" if fmt != "nanochat" else "identity"
    log = FamilyLog(raw_dir / family, family)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
    run_id = datetime.now(UTC).strftime("%Y%m%dT%H%M%S") + f"-import-{digest[:6]}"
    counts = {"kept": 0, "rejected": 0, "skipped": 0}
    kept: list[tuple[str, dict]] = []
    rejected: list[tuple[str, dict]] = []
    ids = set(log.record_ids)
    seq = 0

    def flush() -> None:
        nonlocal seq, kept, rejected
        if kept or rejected:
            seq += 1
            log.commit(f"{run_id}-{seq:05d}", kept, rejected, extra={"lane": "import", "format": fmt,
                                                                      "source": path.name})
        kept, rejected = [], []

    for line, row, error in read_rows(path, fmt):
        key = f"import:{fmt}:{digest}:{line}"
        if key in log.done_keys:
            counts["skipped"] += 1
            continue
        reason = error
        rec = None
        if reason is None:
            try:
                rec = to_record(fmt, row, persona, path.name, line, run_id)
                errors = validate_record(rec)
                if errors:
                    reason = "schema: " + "; ".join(str(e) for e in errors[:3])
                elif rec["id"] in ids:
                    reason = f"duplicate: record {rec['id']} already present (identical content)"
            except ConvertError as exc:
                reason = f"convert: {exc}"
            except (KeyError, TypeError, AttributeError) as exc:
                reason = f"convert: malformed {fmt} row ({type(exc).__name__}: {exc})"
        if reason is None and rec is not None:
            ids.add(rec["id"])
            kept.append((key, rec))
            counts["kept"] += 1
        else:
            rejected.append((key, {"task_id": key, "reason": reason, "raw": json.dumps(row, ensure_ascii=False)[:4000]
                                   if row is not None else None, "run_id": run_id}))
            counts["rejected"] += 1
        if len(kept) + len(rejected) >= BATCH:
            flush()
    flush()
    return counts


def main(argv: list[str]) -> int:
    settings, rest = parse_kv(argv)
    fmt = settings.pop("format", None)
    files: list[str] = []
    i = 0
    while i < len(rest):
        if rest[i] == "--format" and i + 1 < len(rest):
            fmt = rest[i + 1]
            i += 2
            continue
        if rest[i].startswith("--format="):
            fmt = rest[i].split("=", 1)[1]
        elif rest[i].startswith("-"):
            raise UsageError(f"unknown option {rest[i]!r}")
        else:
            files.append(rest[i])
        i += 1
    if fmt not in FORMATS:
        raise UsageError(f"--format must be one of {', '.join(FORMATS)}, got {fmt!r}")
    if not files:
        raise UsageError("give the file(s) to import: python -m factory import --format glaive FILE persona=lanbot")
    reject_unknown(settings, ("persona", "out"))
    from schemas import PersonaError, load_persona

    try:
        persona = load_persona(settings.get("persona", "lanbot"))
    except PersonaError as exc:
        raise UsageError(str(exc)) from None
    out = Path(settings["out"]) if "out" in settings else (persona.path.parent if persona.path else Path("corpora") /
                                                            persona.slug)
    total = {"kept": 0, "rejected": 0, "skipped": 0}
    for name in files:
        path = Path(name)
        if not path.is_file():
            raise UsageError(f"no such file: {name}")
        counts = import_file(fmt, path, persona, out / "raw")
        print(f"{path}: {counts['kept']} imported, {counts['rejected']} rejected, {counts['skipped']} already imported")
        for k in total:
            total[k] += counts[k]
    family = "tool_use" if fmt != "nanochat" else "identity"
    print(f"records in {out / 'raw' / family}; rejects with reasons in rejected.jsonl there")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

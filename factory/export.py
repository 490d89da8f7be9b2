"""`python -m factory export format=nanochat|openai|hf persona=lanbot [out=PATH]`: clean records for other trainers.

A record is a superset of the OpenAI / Hugging Face chat shape, so each export is a projection with its target's rules
enforced by a checker here (and by the tests): a file that a trainer rejects after hours of queueing is worse than
a record skipped and counted now. docs/exports.md says what each target keeps, drops and why.

* hf - parquet for `tokenizer.apply_chat_template(row["messages"], tools=row["tools"] or None)`, in the shape real
  templates render (schemas.chat: arguments as objects, no null keys, 9-character call ids, one call per assistant
  turn unless `calls=parallel`). Messages, tools and the record's nested fields are Arrow JSON columns (the
  `datasets` Json type, datasets >= 4.7), because tool-call arguments differ per call and a struct column would add
  null keys that templates trip over. The published dataset (factory/publish.py) is this export, one config per family.
* openai - chat fine-tuning JSONL: {"messages", "tools"}; assistant `tool_calls` carry arguments as JSON strings,
  each call answered by a tool message with its `tool_call_id` before the conversation goes on.
* nanochat - JSONL, one conversation per line as a JSON array of messages in the shape nanochat's
  `tokenizer.render_conversation` takes (checked against nanochat 92d63d4), plus `crucible_task.py`, the Task class
  that nanochat's scripts/chat_sft.py lists its SFT data with (nanochat dropped its own JSONL task, CustomJSON, in
  commit 950a1dc). System messages are dropped (nanochat's chat CLI sends none; `system=keep` leaves them for
  nanochat to merge into the first user turn), reasoning is dropped (no such channel), `execute_python` traces become
  assistant parts (`text` / `python` / `python_output`); traces with other tools cannot be expressed and are skipped
  and counted (`tools=skip` skips every trace).

`validate_for_training` renders every record with the trainer's renderer and tokenizer (or, before a tokenizer
exists, through Crucible's ChatML tools template with a ~4 characters/token estimate) and reports what breaks, and,
only when asked for a context, what does not fit.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from schemas.chat import CALL_ID_LENGTH, CALLS, arguments_object, template_messages, template_record
from schemas.settings import UsageError, parse_settings
from schemas.storage import read_clean, write_atomic

FORMATS = ("nanochat", "openai", "hf")
PYTHON_TOOL = "execute_python"
NANOCHAT_COMMIT_FULL = "92d63d4e8bb4df75c3b71618f31ddde2378b2bcd"  # nanochat (2026-07-03) the rules were checked on
NANOCHAT_COMMIT = NANOCHAT_COMMIT_FULL[:7]
NANOCHAT_MAX_TOKENS = 2048  # render_conversation's default: chat_sft.py cuts longer conversations there
NANOCHAT_TASK = "crucible_task.py"
_FN_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
_CALL_ID = re.compile(rf"^[0-9a-f]{{{CALL_ID_LENGTH}}}$")


def template_file(name: str) -> str:
    """A file of factory/templates/ (package data)."""
    return resources.files("factory").joinpath("templates", name).read_text(encoding="utf-8")


def _arguments(call: dict) -> dict:
    return arguments_object(call.get("function") or {})


# ---------------------------------------------------------------------------------------------------------------------
# nanochat


def to_nanochat(record: dict, system: str = "drop", tools: str = "python") -> tuple[list[dict] | None, str | None]:
    """(conversation, None) or (None, why it cannot be expressed). Tool calls are paired with their outputs the way
    schemas.chat splits them, so a python part is always followed by the output it printed."""
    msgs = template_messages(record.get("messages") or [], key=str(record.get("id") or ""))
    prefix = []
    while msgs and msgs[0].get("role") == "system":
        prefix.append(msgs.pop(0).get("content") or "")
    out: list[dict[str, Any]] = []
    i = 0
    while i < len(msgs):
        m = msgs[i]
        role = m.get("role")
        if role == "system":
            return None, "system message inside the conversation"
        if role == "tool":
            return None, "tool message without a preceding tool call"
        if role == "user":
            out.append({"role": "user", "content": m.get("content") or ""})
            i += 1
            continue
        calls = m.get("tool_calls") or []
        if calls and tools != "python":
            return None, "tool trace (tools=skip)"
        if not calls:
            text = m.get("content")
            if not isinstance(text, str) or not text.strip():
                return None, "assistant message without text"
            out.append({"role": "assistant", "content": text})
            i += 1
            continue
        # one assistant message of parts: the words, each python call and its output, ..., the reply
        parts: list[dict[str, str]] = []
        while i < len(msgs) and msgs[i].get("role") in ("assistant", "tool"):
            cur = msgs[i]
            if cur.get("role") == "assistant":
                if cur.get("content"):
                    parts.append({"type": "text", "text": cur["content"]})
                for c in cur.get("tool_calls") or []:
                    name = c["function"]["name"]
                    code = c["function"]["arguments"].get("code")
                    if name != PYTHON_TOOL or not isinstance(code, str):
                        return None, f"tool {name!r} has no nanochat form (only {PYTHON_TOOL} fits <|python_start|>)"
                    parts.append({"type": "python", "text": code})
            else:
                parts.append({"type": "python_output", "text": cur.get("content") or ""})
            i += 1
        if parts[-1]["type"] != "text":
            return None, "tool trace does not end in an assistant reply"
        out.append({"role": "assistant", "content": parts})
    if prefix and system == "keep":
        if len(prefix) > 1:
            return None, "more than one system message"
        out.insert(0, {"role": "system", "content": prefix[0]})
    if out and out[-1]["role"] == "user":
        return None, "conversation ends with a user message"
    problems = check_nanochat(out)
    if problems:
        return None, problems[0]
    return out, None


def check_nanochat(conversation: Any) -> list[str]:
    """Violations of what nanochat's `tokenizer.render_conversation` (92d63d4) asserts: an optional leading system
    message followed by a user message, then user/assistant alternating from user; user content a string; assistant
    content a string or a list of text/python/python_output parts. Fewer than two turns teach nothing."""
    if not isinstance(conversation, list):
        return [f"expected a list of messages, got {type(conversation).__name__}"]
    problems = []
    turns = conversation[1:] if conversation and isinstance(conversation[0], dict) \
        and conversation[0].get("role") == "system" else conversation
    if len(turns) != len(conversation):
        if not isinstance(conversation[0].get("content"), str):
            problems.append("message 0 (system) content must be a string")
        if not turns or not isinstance(turns[0], dict) or turns[0].get("role") != "user":
            problems.append("a system message must be followed by a user message")
    if len(turns) < 2:
        problems.append(f"conversation must have at least 2 user/assistant messages, got {len(turns)}")
    offset = len(conversation) - len(turns)
    for k, m in enumerate(turns):
        i = k + offset
        if not isinstance(m, dict):
            problems.append(f"message {i} is not an object")
            continue
        for key in ("role", "content"):
            if key not in m:
                problems.append(f"message {i} missing {key!r}")
        expected = "user" if k % 2 == 0 else "assistant"
        if m.get("role") != expected:
            problems.append(f"message {i} has role {m.get('role')!r} but should be {expected!r}")
        content = m.get("content")
        if isinstance(content, str):
            continue
        if m.get("role") == "assistant" and isinstance(content, list) and content:
            for j, p in enumerate(content):
                if not isinstance(p, dict) or p.get("type") not in ("text", "python", "python_output") \
                        or not isinstance(p.get("text"), str):
                    problems.append(f"message {i} part {j} must be {{type: text|python|python_output, text: str}}")
            continue
        problems.append(f"message {i} content must be a string" + (" or a list of parts" if m.get("role") ==
                                                                    "assistant" else ""))
    return problems


def nanochat_chars(conversation: list[dict]) -> int:
    return sum(len(m["content"]) if isinstance(m["content"], str) else sum(len(p["text"]) for p in m["content"])
               for m in conversation)


# ---------------------------------------------------------------------------------------------------------------------
# OpenAI chat fine-tuning


def to_openai(record: dict) -> dict:
    messages = []
    for m in record.get("messages") or []:
        role = m.get("role")
        if role in ("system", "user"):
            messages.append({"role": role, "content": m.get("content") or ""})
        elif role == "tool":
            messages.append({"role": "tool", "tool_call_id": m.get("tool_call_id"), "content": m.get("content") or ""})
        else:
            out: dict[str, Any] = {"role": "assistant", "content": m.get("content")}
            if m.get("tool_calls"):
                out["tool_calls"] = [{"id": c.get("id"), "type": "function",
                                      "function": {"name": (c.get("function") or {}).get("name"),
                                                   "arguments": json.dumps(_arguments(c), ensure_ascii=False)}}
                                     for c in m["tool_calls"]]
            elif out["content"] is None:
                out["content"] = ""
            messages.append(out)
    example: dict[str, Any] = {"messages": messages}
    if record.get("tools"):
        example["tools"] = [{"type": "function", "function": {k: v for k, v in (t.get("function") or {}).items()
                                                               if k in ("name", "description", "parameters")}}
                            for t in record["tools"]]
    return example


OPENAI_KEYS = {"system": {"role", "content", "name"}, "developer": {"role", "content", "name"},
               "user": {"role", "content", "name"}, "assistant": {"role", "content", "name", "tool_calls", "weight"},
               "tool": {"role", "content", "tool_call_id"}}


def check_openai(example: Any) -> list[str]:
    """Violations of the chat fine-tuning format (one JSONL line) that make an upload or a training job fail."""
    if not isinstance(example, dict):
        return ["example must be a JSON object"]
    problems = [f"unknown top-level key {k!r}" for k in example
                if k not in ("messages", "tools", "parallel_tool_calls", "functions")]
    tool_names: set[str] = set()
    tools = example.get("tools")
    if tools is not None:
        if not isinstance(tools, list):
            problems.append("tools must be a list")
            tools = []
        for j, t in enumerate(tools):
            fn = t.get("function") if isinstance(t, dict) else None
            if not isinstance(t, dict) or t.get("type") != "function" or not isinstance(fn, dict):
                problems.append(f"tools[{j}] must be {{type: function, function: {{...}}}}")
                continue
            name = fn.get("name")
            if not isinstance(name, str) or not _FN_NAME.match(name):
                problems.append(f"tools[{j}].function.name {name!r} must match ^[a-zA-Z0-9_-]{{1,64}}$")
            elif name in tool_names:
                problems.append(f"tools[{j}]: duplicate function name {name!r}")
            else:
                tool_names.add(name)
            params = fn.get("parameters")
            if params is not None and (not isinstance(params, dict) or params.get("type") != "object"):
                problems.append(f"tools[{j}].function.parameters must be a JSON schema of type object")
    messages = example.get("messages")
    if not isinstance(messages, list) or not messages:
        return [*problems, "messages must be a non-empty list"]
    pending: list[str] = []  # call ids of the last assistant turn not answered yet
    seen_ids: set[str] = set()
    assistants = 0
    for i, m in enumerate(messages):
        where = f"messages[{i}]"
        if not isinstance(m, dict):
            problems.append(f"{where} must be an object")
            continue
        role = m.get("role")
        if role not in OPENAI_KEYS:
            problems.append(f"{where}.role {role!r} must be one of {', '.join(OPENAI_KEYS)}")
            continue
        problems += [f"{where}: unknown key {k!r} for role {role}" for k in m if k not in OPENAI_KEYS[role]]
        if role != "tool" and pending:
            problems.append(f"{where}: tool calls {', '.join(pending)} were not answered before this {role} message")
            pending = []
        content = m.get("content")
        if role == "assistant":
            assistants += 1
            calls = m.get("tool_calls")
            if content is None and not calls:
                problems.append(f"{where}: assistant content may be null only with tool_calls")
            elif content is not None and not isinstance(content, str):
                problems.append(f"{where}.content must be a string")
            if "weight" in m and m["weight"] not in (0, 1):
                problems.append(f"{where}.weight must be 0 or 1")
            if calls is not None:
                if not isinstance(calls, list) or not calls:
                    problems.append(f"{where}.tool_calls must be a non-empty list")
                    continue
                for j, c in enumerate(calls):
                    cw = f"{where}.tool_calls[{j}]"
                    fn = c.get("function") if isinstance(c, dict) else None
                    if not isinstance(c, dict) or c.get("type") != "function" or not isinstance(fn, dict):
                        problems.append(f"{cw} must be {{id, type: function, function: {{name, arguments}}}}")
                        continue
                    cid = c.get("id")
                    if not isinstance(cid, str) or not cid:
                        problems.append(f"{cw}.id must be a non-empty string")
                    elif cid in seen_ids:
                        problems.append(f"{cw}.id {cid!r} is used twice")
                    else:
                        seen_ids.add(cid)
                        pending.append(cid)
                    name = fn.get("name")
                    if not isinstance(name, str) or not _FN_NAME.match(name):
                        problems.append(f"{cw}.function.name {name!r} is not a valid function name")
                    elif tools is not None and name not in tool_names:
                        problems.append(f"{cw}: function {name!r} is not in tools")
                    args = fn.get("arguments")
                    if not isinstance(args, str):
                        problems.append(f"{cw}.function.arguments must be a JSON string, got {type(args).__name__}")
                    else:
                        try:
                            if not isinstance(json.loads(args), dict):
                                problems.append(f"{cw}.function.arguments must encode a JSON object")
                        except json.JSONDecodeError as exc:
                            problems.append(f"{cw}.function.arguments is not valid JSON ({exc.msg})")
        else:
            if not isinstance(content, str):
                problems.append(f"{where}.content must be a string")
            if role == "tool":
                cid = m.get("tool_call_id")
                if cid not in pending:
                    problems.append(f"{where}.tool_call_id {cid!r} does not answer a pending tool call")
                else:
                    pending.remove(cid)
    if pending:
        problems.append(f"tool calls {', '.join(pending)} are never answered")
    if not assistants:
        problems.append("no assistant message to train on")
    return problems


# ---------------------------------------------------------------------------------------------------------------------
# Hugging Face (apply_chat_template)

HF_JSON_COLUMNS = ("verification", "lineage", "verdicts")


def to_hf(record: dict, calls: str = "split") -> dict:
    """A row of the hf parquet / the published dataset: the conversation and tools as templates take them
    (schemas.chat.template_record), plus the record's other fields."""
    messages, tools = template_record(record, calls)
    return {"id": record.get("id"), "family": record.get("family"), "persona": record.get("persona"),
            "messages": messages, "tools": tools, **{k: record.get(k) or {} for k in HF_JSON_COLUMNS}}


def hf_schema() -> Any:
    import pyarrow as pa

    return pa.schema([("id", pa.string()), ("family", pa.string()), ("persona", pa.string()),
                      ("messages", pa.list_(pa.json_())), ("tools", pa.list_(pa.json_())),
                      *((k, pa.json_()) for k in HF_JSON_COLUMNS)])


def _json_array(values: list[Any]) -> Any:
    import pyarrow as pa

    return pa.ExtensionArray.from_storage(pa.json_(), pa.array([json.dumps(v, ensure_ascii=False) for v in values],
                                                                 pa.string()))


def _json_lists(rows: list[list[Any]]) -> Any:
    import pyarrow as pa

    offsets = [0]
    for r in rows:
        offsets.append(offsets[-1] + len(r))
    return pa.ListArray.from_arrays(pa.array(offsets, pa.int32()), _json_array([v for r in rows for v in r]))


def hf_table(rows: list[dict]) -> Any:
    import pyarrow as pa

    columns = [pa.array([r[k] for r in rows], pa.string()) for k in ("id", "family", "persona")]
    columns += [_json_lists([r[k] for r in rows]) for k in ("messages", "tools")]
    columns += [_json_array([r[k] for r in rows]) for k in HF_JSON_COLUMNS]
    return pa.Table.from_arrays(columns, schema=hf_schema())


def write_hf_parquet(rows: list[dict], path: Path) -> None:
    """Atomic: written next to the target, then renamed."""
    import pyarrow.parquet as pq

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    pq.write_table(hf_table(rows), tmp)
    tmp.replace(path)


def check_hf(row: Any) -> list[str]:
    """What the common templates need from a row (see schemas.chat): chat roles, no null values, string content
    (never null for an assistant), arguments as objects, 9-character [0-9a-f] call ids, answers to earlier calls."""
    if not isinstance(row, dict) or not isinstance(row.get("messages"), list) or not row["messages"]:
        return ["row needs a non-empty messages list"]
    problems = []
    tools = row.get("tools")
    if not isinstance(tools, list) or any(not isinstance(t, dict) or t.get("type") != "function" for t in tools):
        problems.append("tools must be a list of function tools")
    calls: set[str] = set()
    for i, m in enumerate(row["messages"]):
        role = m.get("role")
        if role not in ("system", "user", "assistant", "tool"):
            problems.append(f"messages[{i}].role {role!r} is not a chat role")
        nulls = [k for k, v in m.items() if v is None]
        if nulls:
            problems.append(f"messages[{i}]: null {', '.join(nulls)} (templates test `is defined`)")
        if not isinstance(m.get("content"), str):
            problems.append(f"messages[{i}].content must be a string")
        for c in m.get("tool_calls") or []:
            cid = c.get("id")
            if not isinstance(cid, str) or not _CALL_ID.match(cid):
                problems.append(f"messages[{i}]: tool call id {cid!r} is not {CALL_ID_LENGTH} characters [0-9a-f]")
            calls.add(cid)
            if not isinstance((c.get("function") or {}).get("arguments"), dict):
                problems.append(f"messages[{i}]: tool call arguments must be an object")
        if role == "tool" and m.get("tool_call_id") not in calls:
            problems.append(f"messages[{i}].tool_call_id does not match an earlier call")
    return problems


@cache
def chat_template(source: str) -> Any:
    """Compile a chat template the way transformers does: a sandboxed Jinja environment, trimmed blocks, tojson."""
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)
    env.filters["tojson"] = lambda x, indent=None: json.dumps(x, ensure_ascii=False, indent=indent)
    return env.from_string(source)


def validate_for_training(records: list[dict], context: int | None = None, tokenizer_dir: Path | None = None,
                          calls: str = "split") -> dict[str, Any]:
    """Render + tokenise every record. Failures: render errors, nothing supervised, and - only when a context is
    given - longer than it. Length limits belong to whoever trains (trainer/pack.py cuts and counts what does not fit
    a row), so without a context nothing is left out for its length. The report names no local path."""
    failures: list[dict[str, Any]] = []
    lengths: list[int] = []

    def fail(rec: dict, reason: str) -> None:
        failures.append({"id": rec.get("id"), "family": rec.get("family"), "reason": reason})

    if tokenizer_dir is not None:
        from trainer.render import render
        from trainer.tokenizer import Tokenizer

        tok = Tokenizer.load(tokenizer_dir)
        method = f"trainer.render with the corpus tokenizer {tok.id}"
        for rec in records:
            try:
                ids, mask = render(rec, tok)
            except Exception as exc:
                fail(rec, f"render failed: {exc}")
                continue
            lengths.append(len(ids))
            if not any(mask):
                fail(rec, "no supervised tokens")
            elif context is not None and len(ids) > context:
                fail(rec, f"{len(ids)} tokens > context {context}")
    else:
        template = chat_template(template_file("chatml_tools.jinja"))
        method = "Crucible's ChatML tools template (jinja2), tokens ≈ characters / 4 (no trained tokenizer yet)"
        for rec in records:
            try:
                row = to_hf(rec, calls)
                text = template.render(messages=row["messages"], tools=row["tools"] or None,
                                       add_generation_prompt=False)
            except Exception as exc:
                fail(rec, f"template failed: {exc}")
                continue
            n = (len(text) + 3) // 4
            lengths.append(n)
            supervised = any(m["role"] == "assistant" and (m["content"].strip() or m.get("tool_calls"))
                             for m in row["messages"])
            if not supervised:
                fail(rec, "no supervised tokens")
            elif context is not None and n > context:
                fail(rec, f"~{n} tokens > context {context}")
    by_reason = Counter("longer than context" if "> context" in f["reason"] else f["reason"].split(":")[0]
                        for f in failures)
    return {"method": method, "context": context, "checked": len(records), "failed": len(failures),
            "failures": failures, "max_tokens": max(lengths, default=0),
            "mean_tokens": round(sum(lengths) / len(lengths), 1) if lengths else 0.0,
            "reasons": dict(by_reason.most_common()),
            "by_family": dict(Counter(str(f["family"]) for f in failures).most_common())}


# ---------------------------------------------------------------------------------------------------------------------
# entry point


def export(records_by_family: dict[str, list[dict]], fmt: str, out: Path, system: str = "drop",
           tools: str = "python", calls: str = "split") -> dict[str, Any]:
    """Write one export; returns counts (written, skipped by reason, dropped fields; checker problems must be zero)."""
    written = 0
    skipped: Counter[str] = Counter()
    dropped: Counter[str] = Counter()
    records = [r for fam in records_by_family for r in records_by_family[fam]]
    if fmt == "hf":
        rows = [to_hf(r, calls) for r in records]
        bad = [(r["id"], p) for r in rows for p in check_hf(r)]
        if bad:
            raise RuntimeError(f"hf export breaks its own rules: record {bad[0][0]}: {bad[0][1]}")
        target = out if out.suffix == ".parquet" else out / "data.parquet"
        write_hf_parquet(rows, target)
        return {"format": fmt, "path": str(target), "written": len(rows), "skipped": {}}
    lines = []
    long = 0
    for rec in records:
        if fmt == "nanochat":
            conv, why = to_nanochat(rec, system=system, tools=tools)
            if conv is None:
                skipped[why or "?"] += 1
                continue
            if any(m.get("role") == "system" for m in rec.get("messages") or []) and system == "drop":
                dropped["system message"] += 1
            long += nanochat_chars(conv) > 4 * NANOCHAT_MAX_TOKENS
            lines.append(json.dumps(conv, ensure_ascii=False))
        else:
            example = to_openai(rec)
            problems = check_openai(example)
            if problems:
                skipped[problems[0]] += 1
                continue
            lines.append(json.dumps(example, ensure_ascii=False))
        if any(m.get("reasoning") for m in rec.get("messages") or []):
            dropped["reasoning"] += 1
        written += 1
    target = out if out.suffix == ".jsonl" else out / f"{fmt}.jsonl"
    write_atomic(target, "".join(line + "\n" for line in lines))
    result: dict[str, Any] = {"format": fmt, "path": str(target), "written": written, "skipped": dict(skipped),
                              "dropped_fields": dict(dropped)}
    if fmt == "nanochat":
        task = target.with_name(NANOCHAT_TASK)
        write_atomic(task, template_file("nanochat_task.py"))
        result |= {"task": str(task), "nanochat_commit": NANOCHAT_COMMIT, "longer_than_nanochat_limit": long}
    return result


USAGE = "export format=nanochat|openai|hf persona=<name> [out=] [calls=split|parallel] [system=drop|keep] " \
        "[tools=python|skip]"


def main(argv: list[str]) -> int:
    settings, _ = parse_settings(argv, ("format", "persona", "out", "root", "system", "tools", "calls"), usage=USAGE)
    fmt = settings.get("format")
    if fmt not in FORMATS:
        raise UsageError(f"need format= one of {', '.join(FORMATS)} (got {fmt!r})")
    persona = settings.get("persona")
    if not persona:
        raise UsageError("need persona=<name>")
    system, tools, calls = settings.get("system", "drop"), settings.get("tools", "python"), settings.get("calls", "split")
    if system not in ("drop", "keep"):
        raise UsageError(f"system= must be drop or keep, got {system!r}")
    if tools not in ("python", "skip"):
        raise UsageError(f"tools= must be python or skip, got {tools!r}")
    if calls not in CALLS:
        raise UsageError(f"calls= must be one of {', '.join(CALLS)}, got {calls!r}")
    if fmt != "nanochat" and ("system" in settings or "tools" in settings):
        raise UsageError("system= and tools= apply to format=nanochat only")
    if fmt != "hf" and "calls" in settings:
        raise UsageError("calls= applies to format=hf only")
    from schemas import corpora_root

    root = Path(settings["root"]) if "root" in settings else corpora_root()
    corpus = root / persona
    if not corpus.is_dir():
        raise UsageError(f"unknown persona {persona!r}: no folder {corpus}")
    out = Path(settings["out"]) if "out" in settings else corpus / "exports" / fmt
    result = export(read_clean(corpus), fmt, out, system, tools, calls)
    skipped = sum(result["skipped"].values())
    print(f"{fmt}: {result['written']} conversations -> {result['path']}" + (f"; {skipped} skipped" if skipped else ""))
    for why, n in sorted(result["skipped"].items(), key=lambda kv: -kv[1]):
        print(f"  skipped {n:>6}  {why}")
    for what, n in result.get("dropped_fields", {}).items():
        print(f"  dropped {what} from {n} conversations (no such field in {fmt})")
    if fmt == "nanochat":
        print(f"  nanochat task: {result['task']} (checked against nanochat {NANOCHAT_COMMIT}); copy it to "
              "<nanochat>/tasks/crucible.py and list CrucibleConversations(filepath=...) in scripts/chat_sft.py's "
              "train_tasks")
        if result["longer_than_nanochat_limit"]:
            print(f"  ~{result['longer_than_nanochat_limit']} conversations look longer than {NANOCHAT_MAX_TOKENS} "
                  "tokens (characters / 4): nanochat's render_conversation cuts them there")
        print("  note: nanochat's engine runs a python block as a calculator (one expression), so exported "
              "programs train the format, not code nanochat can run")
    return 0

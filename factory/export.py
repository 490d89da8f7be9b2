"""`python -m factory export format=nanochat|openai|hf persona=lanbot [out=PATH]`: clean records for other trainers.

A record is a superset of the OpenAI / Hugging Face chat shape, so each export is a projection with its target's rules
enforced by a checker here (and by the tests): a file that a trainer rejects after hours of queueing is worse than
a record skipped and counted now.

* nanochat — JSONL, one bare array of messages per line, the rules of nanochat's CustomJSON task: at least two
  messages, each with `role` and `content`, roles alternating user/assistant starting with user, content a string.
  System messages are dropped (nanochat bakes the persona into the weights; its own identity data has none) or, with
  `system=merge`, prepended to the first user message the way nanochat's renderer does it. Reasoning is dropped (no
  such channel). Tool turns cannot be expressed as strings: they are skipped and counted, or with `tools=python`
  `execute_python` calls become nanochat's assistant parts (`text` / `python` / `python_output`), which nanochat's
  tokenizer renders for SFT but CustomJSON does not accept, so that file is checked with the parts rules.
* openai — chat fine-tuning JSONL: {"messages", "tools"}; assistant `tool_calls` carry arguments as JSON strings,
  each call answered by a tool message with its `tool_call_id` before the conversation goes on.
* hf — parquet with a `messages` column for `tokenizer.apply_chat_template(messages, tools=json.loads(row["tools"]))`:
  Arrow needs one struct shape per column, so every message has role, content, reasoning_content, tool_calls,
  tool_call_id and name (null where absent), tool-call arguments are JSON strings (tools-aware templates such as
  Qwen's and Hermes' print a string argument as is), and `tools` is a JSON string column because tool schemas differ.

`validate_for_training` renders every record with the trainer's renderer and tokenizer (or, before a tokenizer
exists, through a ChatML tools template with a ~4 characters/token estimate) and reports what breaks or does not fit.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

from schemas.settings import UsageError, parse_settings
from schemas.storage import read_clean, write_atomic

FORMATS = ("nanochat", "openai", "hf")
PYTHON_TOOL = "execute_python"
_FN_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")


# ---------------------------------------------------------------------------------------------------------------------
# reading the clean corpus


def _arguments(call: dict) -> dict:
    args = (call.get("function") or {}).get("arguments", {})
    if isinstance(args, str):
        args = json.loads(args) if args.strip() else {}
    return args if isinstance(args, dict) else {}


# ---------------------------------------------------------------------------------------------------------------------
# nanochat


def to_nanochat(record: dict, system: str = "drop", tools: str = "skip") -> tuple[list[dict] | None, str | None]:
    """(conversation, None) or (None, why it cannot be expressed)."""
    msgs = list(record.get("messages") or [])
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
        # assistant: gather it and, in python mode, the tool round-trips and replies that follow into one message
        calls = m.get("tool_calls") or []
        if calls and tools != "python":
            names = sorted({(c.get("function") or {}).get("name", "?") for c in calls})
            return None, f"tool calls ({', '.join(names)}) have no CustomJSON form"
        if not calls:
            text = m.get("content")
            if not isinstance(text, str) or not text.strip():
                return None, "assistant message without text"
            out.append({"role": "assistant", "content": text})
            i += 1
            continue
        parts: list[dict[str, str]] = []
        while i < len(msgs) and msgs[i].get("role") in ("assistant", "tool"):
            cur = msgs[i]
            if cur.get("role") == "assistant":
                if cur.get("content"):
                    parts.append({"type": "text", "text": cur["content"]})
                for c in cur.get("tool_calls") or []:
                    name = (c.get("function") or {}).get("name")
                    if name != PYTHON_TOOL or not isinstance(_arguments(c).get("code"), str):
                        return None, f"tool {name!r} has no nanochat equivalent (only {PYTHON_TOOL} fits <|python|>)"
                    parts.append({"type": "python", "text": _arguments(c)["code"]})
            else:
                parts.append({"type": "python_output", "text": cur.get("content") or ""})
            i += 1
        if parts[-1]["type"] != "text":
            return None, "tool trace does not end in an assistant reply"
        out.append({"role": "assistant", "content": parts})
    if prefix and system == "merge":
        if not out or out[0]["role"] != "user":
            return None, "system message not followed by a user message"
        out[0] = {"role": "user", "content": "\n\n".join([*prefix, out[0]["content"]])}
    if out and out[-1]["role"] == "user":
        return None, "conversation ends with a user message"
    problems = check_nanochat(out, parts=tools == "python")
    if problems:
        return None, problems[0]
    return out, None


def check_nanochat(conversation: Any, parts: bool = False) -> list[str]:
    """Violations of nanochat's CustomJSON rules (parts=False) or of its renderer's parts rules (parts=True)."""
    if not isinstance(conversation, list):
        return [f"expected a list of messages, got {type(conversation).__name__}"]
    problems = []
    if len(conversation) < 2:
        problems.append(f"conversation must have at least 2 messages, got {len(conversation)}")
    for i, m in enumerate(conversation):
        if not isinstance(m, dict):
            problems.append(f"message {i} is not an object")
            continue
        for key in ("role", "content"):
            if key not in m:
                problems.append(f"message {i} missing {key!r}")
        expected = "user" if i % 2 == 0 else "assistant"
        if m.get("role") != expected:
            problems.append(f"message {i} has role {m.get('role')!r} but should be {expected!r}")
        content = m.get("content")
        if isinstance(content, str):
            continue
        if parts and m.get("role") == "assistant" and isinstance(content, list) and content:
            for j, p in enumerate(content):
                if not isinstance(p, dict) or p.get("type") not in ("text", "python", "python_output") \
                        or not isinstance(p.get("text"), str):
                    problems.append(f"message {i} part {j} must be {{type: text|python|python_output, text: str}}")
            continue
        problems.append(f"message {i} content must be a string")
    return problems


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


def to_hf(record: dict) -> dict:
    """A row for the hf parquet / the published dataset: uniform message structs plus the record's other fields."""
    messages = []
    for m in record.get("messages") or []:
        calls = m.get("tool_calls") or None
        if calls:
            calls = [{"id": c.get("id"), "type": "function",
                      "function": {"name": (c.get("function") or {}).get("name"),
                                   "arguments": json.dumps(_arguments(c), ensure_ascii=False)}} for c in calls]
        messages.append({"role": m.get("role"), "content": m.get("content"),
                         "reasoning_content": m.get("reasoning"), "tool_calls": calls,
                         "tool_call_id": m.get("tool_call_id"), "name": m.get("name")})
    return {"id": record.get("id"), "family": record.get("family"), "persona": record.get("persona"),
            "messages": messages, "tools": json.dumps(record.get("tools") or [], ensure_ascii=False),
            **{k: json.dumps(record.get(k) or {}, ensure_ascii=False, sort_keys=True)
               for k in ("verification", "lineage", "verdicts")}}


def hf_schema() -> Any:
    import pyarrow as pa

    call = pa.struct([("id", pa.string()), ("type", pa.string()),
                      ("function", pa.struct([("name", pa.string()), ("arguments", pa.string())]))])
    message = pa.struct([("role", pa.string()), ("content", pa.string()), ("reasoning_content", pa.string()),
                         ("tool_calls", pa.list_(call)), ("tool_call_id", pa.string()), ("name", pa.string())])
    return pa.schema([("id", pa.string()), ("family", pa.string()), ("persona", pa.string()),
                      ("messages", pa.list_(message)), ("tools", pa.string()), ("verification", pa.string()),
                      ("lineage", pa.string()), ("verdicts", pa.string())])


def write_hf_parquet(rows: list[dict], path: Path) -> None:
    """Atomic: written next to the target, then renamed."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    pq.write_table(pa.Table.from_pylist(rows, schema=hf_schema()), tmp)
    tmp.replace(path)


def check_hf(row: Any) -> list[str]:
    """What apply_chat_template(messages, tools=json.loads(tools)) needs from a row."""
    if not isinstance(row, dict) or not isinstance(row.get("messages"), list) or not row["messages"]:
        return ["row needs a non-empty messages list"]
    problems = []
    try:
        tools = json.loads(row.get("tools") or "[]")
        if not isinstance(tools, list) or any(not isinstance(t, dict) or t.get("type") != "function" for t in tools):
            problems.append("tools must be a JSON list of function tools")
    except json.JSONDecodeError:
        problems.append("tools is not valid JSON")
    calls: set[str] = set()
    for i, m in enumerate(row["messages"]):
        role = m.get("role")
        if role not in ("system", "user", "assistant", "tool"):
            problems.append(f"messages[{i}].role {role!r} is not a chat role")
        if m.get("content") is not None and not isinstance(m["content"], str):
            problems.append(f"messages[{i}].content must be a string or null")
        if role != "assistant" and m.get("content") is None:
            problems.append(f"messages[{i}]: a {role} message needs content")
        for c in m.get("tool_calls") or []:
            calls.add(c.get("id"))
            try:
                if not isinstance(json.loads(c["function"]["arguments"]), dict):
                    problems.append(f"messages[{i}]: tool call arguments must encode an object")
            except (KeyError, TypeError, json.JSONDecodeError):
                problems.append(f"messages[{i}]: tool call arguments must be a JSON string")
        if role == "tool" and m.get("tool_call_id") not in calls:
            problems.append(f"messages[{i}].tool_call_id does not match an earlier call")
    return problems


# A ChatML template with tools in the Hermes style: what `validate_for_training` renders with when no trained
# tokenizer exists yet, and the template a published card points to. Written for Crucible.
CHATML_TOOLS_TEMPLATE = """\
{%- if tools %}<|im_start|>system
{% if messages[0].role == 'system' %}{{ messages[0].content }}

{% endif %}You may call functions. Their signatures:
<tools>
{% for t in tools %}{{ t | tojson }}
{% endfor %}</tools>
Reply with <tool_call>{"name": ..., "arguments": {...}}</tool_call> to call one.<|im_end|>
{% elif messages[0].role == 'system' %}<|im_start|>system
{{ messages[0].content }}<|im_end|>
{% endif %}
{%- for m in messages %}
{%- if m.role == 'system' and loop.first %}
{%- elif m.role == 'tool' %}<|im_start|>user
<tool_response>
{{ m.content }}
</tool_response><|im_end|>
{% elif m.role == 'assistant' %}<|im_start|>assistant
{% if m.reasoning_content %}<think>
{{ m.reasoning_content }}
</think>
{% endif %}{% if m.content %}{{ m.content }}{% endif %}
{%- for c in m.tool_calls or [] %}
<tool_call>
{"name": "{{ c.function.name }}", "arguments": {{ c.function.arguments if c.function.arguments is string else c.function.arguments | tojson }}}
</tool_call>
{%- endfor %}<|im_end|>
{% else %}<|im_start|>{{ m.role }}
{{ m.content }}<|im_end|>
{% endif %}
{%- endfor %}
{%- if add_generation_prompt %}<|im_start|>assistant
{% endif %}"""


def chat_template(source: str) -> Any:
    """Compile a chat template the way transformers does: a sandboxed Jinja environment, trimmed blocks, tojson."""
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)
    env.filters["tojson"] = lambda x, indent=None: json.dumps(x, ensure_ascii=False, indent=indent)
    return env.from_string(source)


def default_context(corpus: Path) -> int:
    manifest = corpus / "shards" / "manifest.json"
    try:
        return int(json.loads(manifest.read_text())["seq_len"])
    except (OSError, KeyError, ValueError, TypeError):
        return 2048


def validate_for_training(records: list[dict], context: int, tokenizer_dir: Path | None = None) -> dict[str, Any]:
    """Render + tokenise every record; failures: render errors, longer than `context`, nothing supervised."""
    failures: list[dict[str, Any]] = []
    lengths: list[int] = []
    if tokenizer_dir is not None:
        from trainer.render import render
        from trainer.tokenizer import Tokenizer

        tok = Tokenizer.load(tokenizer_dir)
        method = f"trainer.render with tokenizer {tok.id} ({tokenizer_dir})"
        for rec in records:
            try:
                ids, mask = render(rec, tok)
            except Exception as exc:
                failures.append({"id": rec.get("id"), "family": rec.get("family"), "reason": f"render failed: {exc}"})
                continue
            lengths.append(len(ids))
            if len(ids) > context:
                failures.append({"id": rec.get("id"), "family": rec.get("family"),
                                 "reason": f"{len(ids)} tokens > context {context}"})
            elif not any(mask):
                failures.append({"id": rec.get("id"), "family": rec.get("family"), "reason": "no supervised tokens"})
    else:
        template = chat_template(CHATML_TOOLS_TEMPLATE)
        method = "ChatML tools template (jinja2), tokens ≈ characters / 4 (no trained tokenizer yet)"
        for rec in records:
            row = to_hf(rec)
            try:
                text = template.render(messages=row["messages"], tools=json.loads(row["tools"]),
                                       add_generation_prompt=False)
            except Exception as exc:
                failures.append({"id": rec.get("id"), "family": rec.get("family"), "reason": f"template failed: {exc}"})
                continue
            n = (len(text) + 3) // 4
            lengths.append(n)
            supervised = any(m["role"] == "assistant" and ((m["content"] or "").strip() or m["tool_calls"])
                             for m in row["messages"])
            if n > context:
                failures.append({"id": rec.get("id"), "family": rec.get("family"),
                                 "reason": f"~{n} tokens > context {context}"})
            elif not supervised:
                failures.append({"id": rec.get("id"), "family": rec.get("family"), "reason": "no supervised tokens"})
    return {"method": method, "context": context, "checked": len(records), "failed": len(failures),
            "failures": failures, "max_tokens": max(lengths, default=0),
            "mean_tokens": round(sum(lengths) / len(lengths), 1) if lengths else 0.0,
            "reasons": dict(Counter(f["reason"].split(":")[0] if ">" not in f["reason"] else "longer than context"
                                    for f in failures))}


# ---------------------------------------------------------------------------------------------------------------------
# entry point


def export(records_by_family: dict[str, list[dict]], fmt: str, out: Path, system: str = "drop",
           tools: str = "skip") -> dict[str, Any]:
    """Write one export; returns counts (written, skipped by reason, checker problems must be zero)."""
    written = 0
    skipped: Counter[str] = Counter()
    dropped: Counter[str] = Counter()
    records = [r for fam in records_by_family for r in records_by_family[fam]]
    if fmt == "hf":
        rows = [to_hf(r) for r in records]
        bad = [(r["id"], p) for r in rows for p in check_hf(r)]
        if bad:
            raise RuntimeError(f"hf export breaks its own rules: record {bad[0][0]}: {bad[0][1]}")
        target = out if out.suffix == ".parquet" else out / "data.parquet"
        write_hf_parquet(rows, target)
        return {"format": fmt, "path": str(target), "written": len(rows), "skipped": {}}
    lines = []
    for rec in records:
        if fmt == "nanochat":
            conv, why = to_nanochat(rec, system=system, tools=tools)
            if conv is None:
                skipped[why or "?"] += 1
                continue
            if any(m.get("role") == "system" for m in rec.get("messages") or []) and system == "drop":
                dropped["system message"] += 1
            if any(m.get("reasoning") for m in rec.get("messages") or []):
                dropped["reasoning"] += 1
            lines.append(json.dumps(conv, ensure_ascii=False))
        else:
            example = to_openai(rec)
            problems = check_openai(example)
            if problems:
                skipped[problems[0]] += 1
                continue
            if any(m.get("reasoning") for m in rec.get("messages") or []):
                dropped["reasoning"] += 1
            lines.append(json.dumps(example, ensure_ascii=False))
        written += 1
    target = out if out.suffix == ".jsonl" else out / f"{fmt}.jsonl"
    write_atomic(target, "".join(line + "\n" for line in lines))
    return {"format": fmt, "path": str(target), "written": written, "skipped": dict(skipped),
            "dropped_fields": dict(dropped)}


def main(argv: list[str]) -> int:
    settings, _ = parse_settings(argv, ("format", "persona", "out", "root", "system", "tools"),
                                 usage="export format=nanochat|openai|hf persona=<name> [out=]")
    fmt = settings.get("format")
    if fmt not in FORMATS:
        raise UsageError(f"need format= one of {', '.join(FORMATS)} (got {fmt!r})")
    persona = settings.get("persona")
    if not persona:
        raise UsageError("need persona=<name>")
    system, tools = settings.get("system", "drop"), settings.get("tools", "skip")
    if system not in ("drop", "merge"):
        raise UsageError(f"system= must be drop or merge, got {system!r}")
    if tools not in ("skip", "python"):
        raise UsageError(f"tools= must be skip or python, got {tools!r}")
    if fmt != "nanochat" and ("system" in settings or "tools" in settings):
        raise UsageError("system= and tools= apply to format=nanochat only")
    from schemas import corpora_root

    root = Path(settings["root"]) if "root" in settings else corpora_root()
    corpus = root / persona
    if not corpus.is_dir():
        raise UsageError(f"unknown persona {persona!r}: no folder {corpus}")
    out = Path(settings["out"]) if "out" in settings else corpus / "exports" / fmt
    result = export(read_clean(corpus), fmt, out, system, tools)
    skipped = sum(result["skipped"].values())
    print(f"{fmt}: {result['written']} conversations -> {result['path']}" + (f"; {skipped} skipped" if skipped else ""))
    for why, n in sorted(result["skipped"].items(), key=lambda kv: -kv[1]):
        print(f"  skipped {n:>6}  {why}")
    for what, n in result.get("dropped_fields", {}).items():
        print(f"  dropped {what} from {n} conversations (no such field in {fmt})")
    return 0

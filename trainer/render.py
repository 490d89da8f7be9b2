"""
Chat rendering: a record becomes token ids plus a loss mask; generated ids become an assistant message again.

The model learns only what it will have to produce at inference time, so mask[i] = 1 exactly for the tokens the
assistant emits: its reasoning, its words, its tool calls and its <|assistant_end|>. Everything it is given -- bos,
system, the offered tools, user turns, tool outputs and the <|assistant_start|> the engine writes -- has mask 0.

    <|bos|>
    <|system_start|>...<|system_end|>                        every system message, in place, never merged
    <|tools_start|>name(arg: type, opt?: type) description\\n  arg: ...<|tools_end|>   after the leading system block(s)
    <|user_start|>...<|user_end|>
    <|assistant_start|> [<|reasoning_start|>...<|reasoning_end|>] content
        [<|tool_call_start|>{"name":"bash","arguments":{"command":"ls"}}<|tool_call_end|>]*  <|assistant_end|>
    <|tool_output_start|>{"name":"bash","id":"call_1"}\\n<output><|tool_output_end|>    one block per tool message

Parallel calls are several tool_call blocks in one turn; each output block names its tool and call id, so results
map back to their calls unambiguously. mask[i] says whether ids[i] is a target; the loader shifts it with the ids.

    python -m trainer show corpora/lanbot/raw/tool_use/part-000.jsonl n=2 [plain=true] [tokenizer=DIR]
"""

import json
import re

from trainer.tokenizer import SPECIAL_TOKENS, Tokenizer

ROLES = ("system", "user", "assistant", "tool")
OPEN, CLOSE = "\u27e6", "\u27e7"  # ⟦ ⟧ mark supervised spans in plain mode: rarer in data than [ ]


def _compact(obj) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def _arguments(call: dict, where: str) -> dict:
    fn = call.get("function") if isinstance(call, dict) else None
    if not isinstance(fn, dict) or not isinstance(fn.get("name"), str) or not fn["name"]:
        raise ValueError(f"{where}: tool call needs function.name")
    args = fn.get("arguments", {})
    if isinstance(args, str):  # the OpenAI wire format carries arguments as a JSON string
        try:
            args = json.loads(args) if args.strip() else {}
        except json.JSONDecodeError as exc:
            raise ValueError(f"{where}: function.arguments is not valid JSON ({exc.msg})") from None
    if not isinstance(args, dict):
        raise ValueError(f"{where}: function.arguments must be an object, got {type(args).__name__}")
    return args


def tool_call_json(call: dict, where: str = "tool call") -> str:
    """The exact text between tool_call markers: {"name":...,"arguments":{...}}, compact, argument order kept."""
    args = _arguments(call, where)  # validates function.name too
    return _compact({"name": call["function"]["name"], "arguments": args})


def _schema_type(schema: dict) -> str:
    if "enum" in schema:
        return "|".join(_compact(v) for v in schema["enum"])
    t = schema.get("type", "any")
    if t == "array":
        return _schema_type(schema.get("items", {})) + "[]"
    return t if isinstance(t, str) else "|".join(t)


def tools_text(tools: list[dict]) -> str:
    """
    The offered tools as signatures, one per tool, each parameter's description on its own indented line:
        remote_bash(host: string, command: string) Run a shell command on one remote agent host ...
          host: The agent host name, e.g. webprod01.
    Why not the JSON schemas: they cost ~60% more tokens (the 6 `aj` tools: ~510 tokens as JSON, ~320 like this), and
    at seq_len 512 the JSON alone would fill a row. Validation constraints (patterns, bounds) are the engine's job.
    """
    out = []
    for tool in tools:
        fn = tool.get("function", tool)
        params = fn.get("parameters") or {}
        props = params.get("properties") or {}
        required = set(params.get("required") or [])
        args = ", ".join(f"{k}{'' if k in required else '?'}: {_schema_type(v)}" for k, v in props.items())
        line = f"{fn.get('name', '')}({args})"
        if fn.get("description"):
            line += " " + fn["description"]
        line += "".join(f"\n  {k}: {v['description']}" for k, v in props.items() if v.get("description"))
        out.append(line)
    return "\n".join(out)


def tool_output_header(msg: dict) -> str:
    return _compact({"name": msg.get("name", ""), "id": msg.get("tool_call_id", "")}) + "\n"


def _render(messages: list[dict], tools: list[dict], tok: Tokenizer) -> tuple[list[int], list[int]]:
    ids: list[int] = []
    mask: list[int] = []

    def add(token_ids: list[int], supervised: int) -> None:
        ids.extend(token_ids)
        mask.extend([supervised] * len(token_ids))

    def special(name: str, supervised: int) -> None:
        add([tok.special(name)], supervised)

    def text(s: str, supervised: int) -> None:
        add(tok.encode(s), supervised)

    if not isinstance(messages, list):
        raise ValueError(f"messages must be a list, got {type(messages).__name__}")
    special("<|bos|>", 0)
    n_lead = 0
    while n_lead < len(messages) and isinstance(messages[n_lead], dict) and messages[n_lead].get("role") == "system":
        n_lead += 1
    call_names: dict[str, str] = {}
    for i, msg in enumerate(messages):
        where = f"messages[{i}]"
        if i == n_lead and tools:
            special("<|tools_start|>", 0)
            text(tools_text(tools), 0)
            special("<|tools_end|>", 0)
        if not isinstance(msg, dict) or msg.get("role") not in ROLES:
            role = msg.get("role") if isinstance(msg, dict) else msg
            raise ValueError(f"{where}: role must be one of {', '.join(ROLES)}, got {role!r}")
        role, content = msg["role"], msg.get("content")
        if content is not None and not isinstance(content, str):
            raise ValueError(f"{where}: content must be a string or null, got {type(content).__name__}")
        content = content or ""
        if role in ("system", "user"):
            special(f"<|{role}_start|>", 0)
            text(content, 0)
            special(f"<|{role}_end|>", 0)
        elif role == "assistant":
            special("<|assistant_start|>", 0)
            if not isinstance(msg.get("reasoning") or "", str):
                raise ValueError(f"{where}: reasoning must be a string")
            if not isinstance(msg.get("tool_calls") or [], list):
                raise ValueError(f"{where}: tool_calls must be a list")
            if msg.get("reasoning"):
                special("<|reasoning_start|>", 1)
                text(msg["reasoning"], 1)
                special("<|reasoning_end|>", 1)
            text(content, 1)
            for j, call in enumerate(msg.get("tool_calls") or []):
                special("<|tool_call_start|>", 1)
                text(tool_call_json(call, f"{where}.tool_calls[{j}]"), 1)
                special("<|tool_call_end|>", 1)
                if call.get("id"):
                    call_names[call["id"]] = call["function"]["name"]
            special("<|assistant_end|>", 1)
        else:
            # a tool message may omit its name; the call it answers knows it
            header = dict(msg)
            if not header.get("name"):
                header["name"] = call_names.get(msg.get("tool_call_id", ""), "")
            special("<|tool_output_start|>", 0)
            text(tool_output_header(header) + content, 0)
            special("<|tool_output_end|>", 0)
    if n_lead == len(messages) and tools:  # only system messages: the tools still belong in the prompt
        special("<|tools_start|>", 0)
        text(tools_text(tools), 0)
        special("<|tools_end|>", 0)
    return ids, mask


def render(record: dict, tok: Tokenizer) -> tuple[list[int], list[int]]:
    """A record (or plain doc {"text"}) -> (ids, mask) of equal length; mask[i] = 1 iff ids[i] is trained on."""
    if "messages" not in record and isinstance(record.get("text"), str):
        # plain pretraining text: every token is a target, the bos delimiter is not (nothing predicts a doc start)
        body = tok.encode(record["text"])
        return [tok.bos, *body], [0] + [1] * len(body)
    where = f"record {record.get('id', '?')}"
    try:
        return _render(record.get("messages"), record.get("tools") or [], tok)  # type: ignore[arg-type]
    except ValueError as exc:
        raise ValueError(f"{where}: {exc}") from None


def render_prompt(messages: list[dict], tools: list[dict] | None, tok: Tokenizer) -> list[int]:
    """The conversation so far as the model sees it at inference, ending with <|assistant_start|> for it to continue."""
    ids, _ = _render(messages, tools or [], tok)
    return [*ids, tok.special("<|assistant_start|>")]


def parse_assistant(output: list[int] | str, tok: Tokenizer | None = None) -> dict:
    """
    Generated ids (or their decoded text) after <|assistant_start|> -> an assistant message in record shape:
    {"role", "content", "reasoning", "tool_calls", "invalid_calls", "complete"}.

    Text after <|assistant_end|> is ignored. Calls whose JSON does not parse, lacks a string "name" or an object
    "arguments", or is cut off, go to invalid_calls as {"raw", "error"} (the tool-call validity eval counts them).
    complete is True when <|assistant_end|> was seen.
    """
    segments = _segments(output, tok)
    content, reasoning, calls, invalid = [], [], [], []
    state, buf, complete, saw_reasoning = "content", [], False, False
    for kind, value in segments:
        if kind == "text":
            {"content": content, "reasoning": reasoning, "call": buf}.get(state, content).append(value)
            continue
        if value == "<|assistant_end|>":
            complete = True
            break
        if value == "<|reasoning_start|>" and state == "content":
            state, saw_reasoning = "reasoning", True
        elif value == "<|reasoning_end|>" and state == "reasoning":
            state = "content"
        elif value == "<|tool_call_start|>" and state == "content":
            state, buf = "call", []
        elif value == "<|tool_call_end|>" and state == "call":
            _parse_call("".join(buf), len(calls), calls, invalid)
            state = "content"
        # any other special token here (assistant_start echoed, stray markers) carries no text: skip it
    if state == "call":
        invalid.append({"raw": "".join(buf), "error": "tool call not closed by <|tool_call_end|>"})
    return {
        "role": "assistant",
        "content": "".join(content),
        "reasoning": "".join(reasoning) if saw_reasoning else None,
        "tool_calls": calls,
        "invalid_calls": invalid,
        "complete": complete,
    }


def _parse_call(raw: str, index: int, calls: list, invalid: list) -> None:
    try:
        obj = json.loads(raw)
    except json.JSONDecodeError as exc:
        invalid.append({"raw": raw, "error": f"not JSON: {exc.msg}"})
        return
    if not isinstance(obj, dict) or not isinstance(obj.get("name"), str) or not obj["name"]:
        invalid.append({"raw": raw, "error": 'needs a string "name"'})
        return
    args = obj.get("arguments", {})
    if not isinstance(args, dict):
        invalid.append({"raw": raw, "error": '"arguments" must be an object'})
        return
    calls.append({"id": f"call_{index}", "type": "function", "function": {"name": obj["name"], "arguments": args}})


def _segments(output: list[int] | str, tok: Tokenizer | None) -> list[tuple[str, str]]:
    """Split generated output into ("text", str) and ("special", name) pieces."""
    if isinstance(output, str):
        pattern = "(" + "|".join(re.escape(s) for s in SPECIAL_TOKENS) + ")"
        return [("special", p) if p in SPECIAL_TOKENS else ("text", p) for p in re.split(pattern, output) if p]
    assert tok is not None, "parse_assistant needs the tokenizer to read ids"
    out: list[tuple[str, str]] = []
    run: list[int] = []
    for t in output:
        name = tok.special_name(int(t))
        if name is None:
            run.append(int(t))
            continue
        if run:
            out.append(("text", tok.decode(run)))
            run = []
        out.append(("special", name))
    if run:
        out.append(("text", tok.decode(run)))
    return out


def spans(ids: list[int], mask: list[int], tok: Tokenizer) -> list[tuple[str, int, bool]]:
    """Runs of (text, supervised, is_special): each special token alone, text runs cut where the mask changes."""
    out: list[tuple[str, int, bool]] = []
    run: list[int] = []
    run_mask = -1
    for t, m in zip(ids, mask, strict=True):
        name = tok.special_name(t)
        if run and (name is not None or m != run_mask):
            out.append((tok.decode(run), run_mask, False))
            run = []
        if name is not None:
            out.append((name, m, True))
        else:
            run.append(t)
            run_mask = m
    if run:
        out.append((tok.decode(run), run_mask, False))
    return out


def show_plain(ids: list[int], mask: list[int], tok: Tokenizer) -> str:
    """The decoded conversation with each supervised stretch wrapped in ⟦ ⟧ (for tests and non-terminals)."""
    parts, inside = [], False
    for text, m, _ in spans(ids, mask, tok):
        if m and not inside:
            parts.append(OPEN)
        elif not m and inside:
            parts.append(CLOSE)
        inside = bool(m)
        parts.append(text)
    if inside:
        parts.append(CLOSE)
    return "".join(parts)


def show_rich(ids: list[int], mask: list[int], tok: Tokenizer) -> None:
    from rich.console import Console
    from rich.text import Text

    out = Text()
    for text, m, is_special in spans(ids, mask, tok):
        style = ("bold magenta" if is_special else "") + (" on dark_green" if m else "")
        out.append(text, style=style.strip() or None)
    Console().print(out, soft_wrap=True)

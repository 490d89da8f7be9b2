"""A record's conversation in the shape real chat templates render: the one projection behind the `hf` export, the
published dataset and the fine-tune path (trainer/), so a model tuned here and a model tuned on the Hub copy see the
same text.

The shape is decided by what the official templates of the common tool-capable families do with a message (checked
in tests/test_chat_templates.py against the templates llama.cpp vendors: Qwen2.5, Qwen3, Llama-3.1, Mistral-Nemo,
Hermes-3, rendered by transformers' `apply_chat_template`):

* tool-call `arguments` are JSON objects: Qwen2.5, Llama-3.1 and Mistral apply `| tojson` to them, so a string would
  come out double-encoded (`"arguments": "{\\"code\\": ...}"`) and a model tuned on it would learn to emit strings.
* no null keys: Llama-3.1 tests `'tool_calls' in message` and Hermes-3 `tool_calls is not defined`, then iterate the
  value, so `tool_calls: null` on a plain message breaks them.
* assistant `content` is a string, "" next to tool calls: Qwen3 tests `'</think>' in message.content`.
* tool-call ids are 9 characters [0-9a-f] (Mistral's templates refuse anything else), derived from the record id and
  the original id, so they are stable across exports and a tool message's `tool_call_id` still names its call.
* reasoning travels as `reasoning_content` (Qwen3's key; transformers aliases `reasoning` to it anyway).
* `calls="split"` (the default) gives every tool call its own assistant turn followed by its output, because
  Llama-3.1's template raises on more than one call per turn ("This model only supports single tool-calls at once!").
  The calls ran in this order in the sandbox and each output is the one that call printed, so the split trace is
  still true; what it no longer teaches is emitting several calls at once. `calls="parallel"` keeps them together
  (Qwen, Hermes and Mistral render that) for people who train a family that does.

What a template does not show is its own business and is documented in docs/exports.md: Llama-3.1 and Mistral drop an
assistant's words next to a tool call, Hermes-3's tool template prints no reasoning, Qwen3 prints reasoning only after
the last user turn.
"""

import hashlib
import json
from typing import Any

CALL_ID_LENGTH = 9
CALLS = ("split", "parallel")
MESSAGE_KEYS = ("role", "content", "reasoning_content", "tool_calls", "tool_call_id", "name")


def call_id(key: str, original: str, salt: int = 0) -> str:
    """A 9-character [0-9a-f] id for one call of one conversation (`key` is the record id)."""
    digest = hashlib.sha256(f"{key}\x00{original}\x00{salt}".encode()).hexdigest()
    return digest[:CALL_ID_LENGTH]


def arguments_object(function: dict) -> dict:
    """A call's arguments as a dict (records hold objects; a JSON string from elsewhere is decoded)."""
    args = function.get("arguments")
    if isinstance(args, str):
        args = json.loads(args) if args.strip() else {}
    if not isinstance(args, dict):
        raise ValueError(f"tool call {function.get('name')!r}: arguments must be a JSON object, got "
                         f"{type(args).__name__}")
    return args


class _Ids:
    """original call id -> template id, unique within one conversation."""

    def __init__(self, key: str):
        self.key = key
        self.ids: dict[str, str] = {}

    def __call__(self, original: Any) -> str:
        original = str(original)
        if original not in self.ids:
            taken = set(self.ids.values())
            salt = 0
            new = call_id(self.key, original)
            while new in taken:
                salt += 1
                new = call_id(self.key, original, salt)
            self.ids[original] = new
        return self.ids[original]


def _message(m: dict, ids: _Ids) -> dict[str, Any]:
    role = m.get("role")
    out: dict[str, Any] = {"role": role}
    content = m.get("content")
    if content is not None:
        out["content"] = content
    elif role == "assistant":
        out["content"] = ""
    reasoning = m.get("reasoning") or m.get("reasoning_content")
    if reasoning:
        out["reasoning_content"] = reasoning
    calls = m.get("tool_calls") or []
    if calls:
        out["tool_calls"] = [{"id": ids(c.get("id")), "type": "function",
                              "function": {"name": (c.get("function") or {}).get("name"),
                                           "arguments": arguments_object(c.get("function") or {})}} for c in calls]
    if role == "tool":
        out["tool_call_id"] = ids(m.get("tool_call_id"))
        if m.get("name"):
            out["name"] = m["name"]
    return out


def template_messages(messages: list[dict], *, key: str = "", calls: str = "split") -> list[dict]:
    """Record messages -> messages for `tokenizer.apply_chat_template` (see the module docstring for each rule).
    `key` (the record id) seeds the tool-call ids; `calls` is "split" or "parallel"."""
    if calls not in CALLS:
        raise ValueError(f"calls must be one of {', '.join(CALLS)}, got {calls!r}")
    ids = _Ids(key)
    shaped = [_message(m, ids) for m in messages]
    if calls == "parallel":
        return shaped
    out: list[dict] = []
    i = 0
    while i < len(shaped):
        m = shaped[i]
        i += 1
        if m["role"] != "assistant" or len(m.get("tool_calls") or []) < 2:
            out.append(m)
            continue
        answers: list[dict] = []  # the run of tool messages that answers this turn
        while i < len(shaped) and shaped[i]["role"] == "tool":
            answers.append(shaped[i])
            i += 1
        for n, call in enumerate(m["tool_calls"]):
            turn = {k: v for k, v in m.items() if k != "tool_calls"} if n == 0 else {"role": "assistant", "content": ""}
            out.append({**turn, "tool_calls": [call]})
            out += [a for a in answers if a.get("tool_call_id") == call["id"]]
        answered = {c["id"] for c in m["tool_calls"]}
        out += [a for a in answers if a.get("tool_call_id") not in answered]
    return out


def template_tools(tools: list[dict] | None) -> list[dict]:
    """The offered tools as templates read them: {type: function, function: {name, description, parameters}}."""
    out = []
    for t in tools or []:
        fn = t.get("function") or {}
        out.append({"type": "function",
                    "function": {k: fn[k] for k in ("name", "description", "parameters") if fn.get(k) is not None}})
    return out


def template_record(record: dict, calls: str = "split") -> tuple[list[dict], list[dict]]:
    """(messages, tools) of a record for `apply_chat_template(messages, tools=tools or None)`: the call the `hf`
    export, publishing and fine-tuning share."""
    return (template_messages(record.get("messages") or [], key=str(record.get("id") or ""), calls=calls),
            template_tools(record.get("tools")))

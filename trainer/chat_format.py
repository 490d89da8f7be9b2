"""
Records through a Hugging Face model's own chat template: token ids plus the same loss mask trainer/render.py uses.

Why the base's own template: a tuned model is served by llama.cpp, vLLM or transformers, and each of them renders
requests with the chat template stored in the model's tokenizer. Training on exactly that rendering keeps the base's
native format and makes every client prompt the model the way it was trained. Where the base's template cannot express
tools (SmolLM2-135M-Instruct's cannot: it silently drops them), Crucible installs its own documented ChatML + Hermes
`<tool_call>` template (templates/chatml_tools.jinja) into the tuned model's tokenizer.

The mask rule is the renderer's: supervised = what the assistant emits (reasoning, words, tool calls, the end-of-turn
token); never system, user, the offered tools, tool outputs or the header the server writes (`<|im_start|>assistant\\n`).
A template is a black box, so the assistant's spans are found by rendering prefixes: for assistant message i,
    P = render(messages[:i], add_generation_prompt=True)      what the server sends before the model writes
    F = render(messages[:i + 1])                               the same plus the turn the model wrote
the text F[len(P):] up to its end-of-turn token is supervised. Both must be prefixes of the whole rendering (a
template that rewrites earlier turns - e.g. one that strips old reasoning - is refused with a clear error, since no
single token sequence would then be what inference sees). Each span is tokenized on its own, exactly as the server
tokenizes the prompt and the model then generates from a fresh boundary.
"""

import json
import re
from functools import lru_cache
from importlib import resources
from typing import Any

TEMPLATE_NAME = "chatml_tools.jinja"
_PROBE_TOOL = {"type": "function", "function": {
    "name": "crucible_probe_tool", "description": "probe", "parameters": {"type": "object", "properties": {}}}}


class TemplateError(ValueError):
    """A chat template that cannot render a record the way the loss mask needs (message says why)."""


@lru_cache(maxsize=1)
def tool_template() -> str:
    """Crucible's tool-capable ChatML template (package data)."""
    return resources.files("trainer").joinpath("templates", TEMPLATE_NAME).read_text(encoding="utf-8")


def template_messages(messages: list[dict]) -> list[dict]:
    """Record messages in the shape chat templates expect: no null keys (templates test `is defined`), reasoning under
    `reasoning_content` (the key Qwen3-style templates and llama.cpp use), arguments as JSON objects (a string would be
    double-encoded by `| tojson`), assistant content never null."""
    out = []
    for msg in messages:
        clean = {k: v for k, v in msg.items() if v is not None and k != "reasoning"}
        if msg.get("reasoning"):
            clean["reasoning_content"] = msg["reasoning"]
        if clean.get("role") == "assistant":
            clean.setdefault("content", "")
            if clean.get("tool_calls"):
                calls = []
                for call in clean["tool_calls"]:
                    fn = dict(call.get("function") or {})
                    if isinstance(fn.get("arguments"), str):
                        fn["arguments"] = json.loads(fn["arguments"] or "{}")
                    calls.append({**call, "function": fn})
                clean["tool_calls"] = calls
        out.append(clean)
    return out


def render_text(tok: Any, messages: list[dict], tools: list[dict] | None, generation_prompt: bool = False) -> str:
    return tok.apply_chat_template(messages, tools=tools or None, add_generation_prompt=generation_prompt,
                                   tokenize=False)


def template_supports_tools(tok: Any) -> bool:
    """Does this tokenizer's chat template put offered tools into the prompt? (SmolLM2's does not.)"""
    if not getattr(tok, "chat_template", None):
        return False
    try:
        text = render_text(tok, [{"role": "user", "content": "hi"}], [_PROBE_TOOL], True)
    except Exception:  # noqa: BLE001 - any template failure means "cannot express tools"
        return False
    return "crucible_probe_tool" in text


def install_template(tok: Any, choice: str = "auto") -> str:
    """Set the chat template the tuned model will carry; returns which one ("base" or "crucible").
    choice: auto (the base's own if it renders tools, else Crucible's), base, crucible, or a path to a .jinja file."""
    if choice == "base" or (choice == "auto" and template_supports_tools(tok)):
        if not getattr(tok, "chat_template", None):
            raise TemplateError("the base tokenizer has no chat template; use template=crucible")
        return "base"
    if choice in ("auto", "crucible"):
        tok.chat_template = tool_template()
        return "crucible"
    from pathlib import Path

    path = Path(choice)
    if not path.is_file():
        raise TemplateError(f"template={choice}: not auto, base, crucible or a .jinja file")
    tok.chat_template = path.read_text(encoding="utf-8")
    return str(path)


def end_of_turn(tok: Any) -> str:
    """The token text that closes an assistant turn (the generation stop token)."""
    return str(tok.eos_token)


def supervised_spans(tok: Any, messages: list[dict], tools: list[dict] | None) -> tuple[str, list[tuple[int, int]]]:
    """(the whole rendered conversation, [start, end) character spans of every assistant turn the model writes)."""
    msgs = template_messages(messages)
    full = render_text(tok, msgs, tools)
    eot = end_of_turn(tok)
    spans: list[tuple[int, int]] = []
    for i, msg in enumerate(msgs):
        if msg.get("role") != "assistant":
            continue
        prompt = render_text(tok, msgs[:i], tools, generation_prompt=True)
        upto = render_text(tok, msgs[: i + 1], tools)
        if not full.startswith(prompt) or not full.startswith(upto) or not upto.startswith(prompt):
            raise TemplateError(f"messages[{i}]: the chat template renders earlier turns differently once later turns "
                                "follow (it is not prefix-stable), so no single token sequence is what inference sees")
        end = upto.rfind(eot)
        if end < len(prompt):
            raise TemplateError(f"messages[{i}]: the assistant turn does not end with {eot!r}")
        spans.append((len(prompt), end + len(eot)))
    return full, spans


def render_record(tok: Any, record: dict) -> tuple[list[int], list[int]]:
    """A record -> (ids, mask) through the tokenizer's chat template; mask[i] = 1 iff ids[i] is a training target."""
    messages = record.get("messages")
    if not isinstance(messages, list) or not messages:
        raise ValueError(f"record {record.get('id', '?')}: needs a non-empty messages list")
    try:
        full, spans = supervised_spans(tok, messages, record.get("tools") or None)
    except TemplateError as exc:
        raise TemplateError(f"record {record.get('id', '?')}: {exc}") from None
    ids: list[int] = []
    mask: list[int] = []
    at = 0
    for start, end in [*spans, (len(full), len(full))]:
        for text, supervised in ((full[at:start], 0), (full[start:end], 1)):
            if text:
                piece = tok(text, add_special_tokens=False)["input_ids"]
                ids += piece
                mask += [supervised] * len(piece)
        at = end
    return ids, mask


_THINK = re.compile(r"<think>\n?(.*?)\n?</think>\s*", re.S)
_CALL = re.compile(r"<tool_call>\s*(.*?)\s*</tool_call>", re.S)


def parse_turn(text: str) -> dict:
    """A Hermes-style assistant turn (as generated, up to its end token) -> {content, reasoning, tool_calls,
    invalid_calls}: the inverse of the template, for tests and for chatting with an in-process model."""
    reasoning = None
    m = _THINK.match(text)
    if m:
        reasoning, text = m.group(1), text[m.end():]
    calls, invalid = [], []
    for raw in _CALL.findall(text):
        try:
            obj = json.loads(raw)
        except json.JSONDecodeError as exc:
            invalid.append({"raw": raw, "error": f"not JSON: {exc.msg}"})
            continue
        if not isinstance(obj, dict) or not isinstance(obj.get("name"), str) or not isinstance(
                obj.get("arguments", {}), dict):
            invalid.append({"raw": raw, "error": 'needs a string "name" and object "arguments"'})
            continue
        calls.append({"type": "function", "function": {"name": obj["name"], "arguments": obj.get("arguments", {})}})
    cut = text.find("<tool_call>")
    content = text if cut < 0 else text[:cut]
    if cut >= 0 and content.endswith("\n"):  # the template's separator between words and the first call
        content = content[:-1]
    rest = "" if cut < 0 else _CALL.sub("", text[cut:])
    if "<tool_call>" in rest:
        invalid.append({"raw": rest[rest.index("<tool_call>"):], "error": "tool call not closed"})
    return {"content": content, "reasoning": reasoning, "tool_calls": calls, "invalid_calls": invalid}

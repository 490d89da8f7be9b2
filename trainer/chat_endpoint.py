"""
The agent loop against an OpenAI-compatible endpoint: how `just chat model=...` talks to a tuned model.

A tuned model runs where people will run it - llama-server with its GGUF (`--jinja`: the GGUF's chat template renders
the request, llama.cpp parses `<tool_call>` blocks into `tool_calls`) - so chatting with it exercises exactly the
deployed path. Each tool call is executed for real through the caller's ToolRuntime (the sandboxed workspace, or the
simulated fleet), its output goes back as a `tool` message, and the model continues until it answers without calls
or max_steps turns have called tools.
"""

import json
from collections.abc import Iterator
from typing import Any

import httpx


def to_wire(messages: list[dict]) -> list[dict]:
    """Record messages as the OpenAI wire wants them (arguments as JSON strings; no null keys; reasoning kept as
    `reasoning_content`, which llama-server passes to the template)."""
    out = []
    for m in messages:
        w = {k: v for k, v in m.items() if v is not None and k not in ("reasoning",)}
        if m.get("reasoning"):
            w["reasoning_content"] = m["reasoning"]
        if w.get("tool_calls"):
            w["tool_calls"] = [{**c, "function": {**c["function"], "arguments": c["function"]["arguments"]
                                if isinstance(c["function"]["arguments"], str)
                                else json.dumps(c["function"]["arguments"], ensure_ascii=False)}}
                               for c in w["tool_calls"]]
        out.append(w)
    return out


def agent_loop(base_url: str, model: str, messages: list[dict], tools: list[dict], runtime: Any, max_steps: int = 8,
               max_tokens: int = 512, temperature: float = 0.6, seed: int = 0,
               timeout_s: float = 300.0) -> Iterator[dict]:
    """Events: {"type": "text"|"reasoning", "text"}, {"type": "tool_call", "call"}, {"type": "tool_output",
    "message"}, {"type": "done", "messages": [new record-shaped messages], "reason"}."""
    from sandbox.tools import ToolError

    history = list(messages)
    new: list[dict] = []
    reason = "max_steps"
    with httpx.Client(timeout=timeout_s) as client:
        for step in range(max_steps):
            body: dict[str, Any] = {"model": model, "messages": to_wire(history), "max_tokens": max_tokens,
                                    "temperature": temperature, "seed": seed + step}
            if tools:
                body["tools"] = tools
            r = client.post(f"{base_url.rstrip('/')}/chat/completions", json=body)
            if r.status_code != 200:
                raise RuntimeError(f"{base_url}: HTTP {r.status_code}: {r.text[:300]}")
            choice = r.json()["choices"][0]
            msg = choice["message"]
            if msg.get("reasoning_content"):
                yield {"type": "reasoning", "text": msg["reasoning_content"]}
            if msg.get("content"):
                yield {"type": "text", "text": msg["content"]}
            calls = []
            for i, c in enumerate(msg.get("tool_calls") or []):
                fn = c.get("function") or {}
                try:
                    args = json.loads(fn.get("arguments") or "{}")
                except json.JSONDecodeError:
                    args = None
                call = {"id": c.get("id") or f"call_{step}_{i}", "type": "function",
                        "function": {"name": fn.get("name", ""), "arguments": args if isinstance(args, dict) else {}}}
                calls.append(call)
                yield {"type": "tool_call", "call": call}
            assistant = {"role": "assistant", "content": msg.get("content") or None}
            if msg.get("reasoning_content"):
                assistant["reasoning"] = msg["reasoning_content"]
            if calls:
                assistant["tool_calls"] = calls
            new.append(assistant)
            history.append(assistant)
            if not calls:
                reason = "stop" if choice.get("finish_reason") != "length" else "max_tokens"
                break
            for call in calls:
                fn = call["function"]
                try:
                    content = runtime.call(fn["name"], fn["arguments"]) if runtime else "error: no tool runtime"
                except ToolError as exc:
                    content = f"error: {exc}"
                out = {"role": "tool", "tool_call_id": call["id"], "name": fn["name"], "content": content}
                new.append(out)
                history.append(out)
                yield {"type": "tool_output", "message": out}
    yield {"type": "done", "messages": new, "reason": reason}

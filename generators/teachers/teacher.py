"""Teachers: which LLM writes the synthetic data, picked by one spec string.

    local                         SmolLM2-135M-Instruct served by llama.cpp on loopback (no key, no internet)
    openai:<model>                OpenAI, OPENAI_API_KEY
    anthropic:<model>             Anthropic, ANTHROPIC_API_KEY
    openrouter:<model>            OpenRouter, OPENROUTER_API_KEY
    http://host:port/v1@<model>   any OpenAI-compatible server (vLLM, SGLang, llama.cpp, Ollama);
                                  key from OPENAI_COMPATIBLE_API_KEY if the server wants one

With no spec, a key in the environment picks its provider, else `local`. Every path goes through one request
builder and one response parser per wire format, so request building, structured output, tool calls and usage
accounting are tested offline; the OpenAI-compatible path is exercised for real against the local server.
Keys are read from the environment at request time and never stored in lineage, logs or records.
"""

import contextlib
import json
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from schemas.secrets import scrub_text, scrub_url
from schemas.settings import UsageError

DEFAULT_MODELS = {
    "openai": "gpt-4o-mini",
    "anthropic": "claude-haiku-4-5",
    "openrouter": "meta-llama/llama-3.3-70b-instruct",
}
KEY_VARS = {"openai": "OPENAI_API_KEY", "anthropic": "ANTHROPIC_API_KEY", "openrouter": "OPENROUTER_API_KEY"}
BASE_URLS = {"openai": "https://api.openai.com/v1", "openrouter": "https://openrouter.ai/api/v1"}


class TeacherError(RuntimeError):
    """A request failed after its retries: the caller rejects that task with this reason."""


@dataclass
class Usage:
    """Tokens and dollars spent, shared by every thread of a run."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    requests: int = 0
    failures: int = 0
    cost_usd: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def add(self, prompt_tokens: int, completion_tokens: int, cost_usd: float = 0.0, failed: bool = False) -> None:
        with self._lock:
            self.prompt_tokens += prompt_tokens
            self.completion_tokens += completion_tokens
            self.requests += 1
            self.failures += int(failed)
            self.cost_usd += cost_usd

    def as_dict(self) -> dict[str, Any]:
        return {"prompt_tokens": self.prompt_tokens, "completion_tokens": self.completion_tokens,
                "requests": self.requests, "failures": self.failures, "cost_usd": round(self.cost_usd, 6)}


@dataclass
class Reply:
    """One parsed completion: text, tool calls (arguments decoded to objects), token usage, finish reason."""

    text: str
    tool_calls: list[dict[str, Any]]
    prompt_tokens: int
    completion_tokens: int
    finish_reason: str | None


# ---------------------------------------------------------------------------------------------------------------
# wire formats: pure functions, tested offline


def build_openai_request(model: str, messages: list[dict[str, Any]], max_tokens: int, temperature: float,
                         response_format: dict[str, Any] | None = None,
                         tools: list[dict[str, Any]] | None = None, seed: int | None = None) -> dict[str, Any]:
    """Chat-completions body. Tool-call arguments in our records are objects; the wire wants JSON strings."""
    wire_messages = []
    for message in messages:
        wire = {k: v for k, v in message.items() if k in ("role", "content", "tool_call_id", "name")}
        if message.get("tool_calls"):
            wire["tool_calls"] = [
                {"id": call["id"], "type": "function",
                 "function": {"name": call["function"]["name"],
                              "arguments": json.dumps(call["function"]["arguments"], ensure_ascii=False)}}
                for call in message["tool_calls"]
            ]
        wire_messages.append(wire)
    body: dict[str, Any] = {"model": model, "messages": wire_messages, "max_tokens": max_tokens,
                            "temperature": temperature}
    if response_format is not None:
        body["response_format"] = response_format
    if tools:
        body["tools"] = tools
    if seed is not None:
        body["seed"] = seed
    return body


def parse_openai_response(data: dict[str, Any]) -> Reply:
    choices = data.get("choices") or []
    if not choices:
        raise TeacherError(f"response has no choices: {json.dumps(data)[:200]}")
    message = choices[0].get("message") or {}
    calls = []
    for call in message.get("tool_calls") or []:
        raw = call.get("function", {}).get("arguments") or "{}"
        try:
            arguments = json.loads(raw) if isinstance(raw, str) else raw
        except json.JSONDecodeError as exc:
            raise TeacherError(f"tool call arguments are not JSON: {raw[:120]!r} ({exc.msg})") from None
        calls.append({"id": call.get("id", ""), "name": call.get("function", {}).get("name", ""),
                      "arguments": arguments})
    usage = data.get("usage") or {}
    return Reply(text=message.get("content") or "", tool_calls=calls,
                 prompt_tokens=int(usage.get("prompt_tokens") or 0),
                 completion_tokens=int(usage.get("completion_tokens") or 0),
                 finish_reason=choices[0].get("finish_reason"))


def build_anthropic_request(model: str, messages: list[dict[str, Any]], max_tokens: int, temperature: float,
                            response_format: dict[str, Any] | None = None,
                            tools: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """Messages API body: system goes top-level, tool calls become tool_use blocks, tool results tool_result blocks,
    a JSON schema response format becomes a forced tool whose input is the structured answer."""
    system = "\n\n".join(m["content"] for m in messages if m["role"] == "system" and m.get("content"))
    wire: list[dict[str, Any]] = []
    for message in messages:
        role = message["role"]
        if role == "system":
            continue
        if role == "tool":
            block = {"type": "tool_result", "tool_use_id": message["tool_call_id"], "content": message["content"]}
            if wire and wire[-1]["role"] == "user" and isinstance(wire[-1]["content"], list):
                wire[-1]["content"].append(block)
            else:
                wire.append({"role": "user", "content": [block]})
            continue
        if role == "assistant" and message.get("tool_calls"):
            blocks: list[dict[str, Any]] = []
            if message.get("content"):
                blocks.append({"type": "text", "text": message["content"]})
            for call in message["tool_calls"]:
                blocks.append({"type": "tool_use", "id": call["id"], "name": call["function"]["name"],
                               "input": call["function"]["arguments"]})
            wire.append({"role": "assistant", "content": blocks})
            continue
        wire.append({"role": role, "content": message.get("content") or ""})
    body: dict[str, Any] = {"model": model, "messages": wire, "max_tokens": max_tokens, "temperature": temperature}
    if system:
        body["system"] = system
    anthropic_tools = [{"name": t["function"]["name"], "description": t["function"].get("description", ""),
                        "input_schema": t["function"].get("parameters", {"type": "object"})} for t in tools or []]
    if response_format and response_format.get("type") == "json_schema":
        schema = response_format["json_schema"]
        anthropic_tools.append({"name": schema.get("name", "answer"), "description": "Return the answer.",
                                "input_schema": schema["schema"]})
        body["tool_choice"] = {"type": "tool", "name": schema.get("name", "answer")}
    if anthropic_tools:
        body["tools"] = anthropic_tools
    return body


def parse_anthropic_response(data: dict[str, Any], structured_tool: str | None = None) -> Reply:
    texts, calls = [], []
    for block in data.get("content") or []:
        if block.get("type") == "text":
            texts.append(block.get("text", ""))
        elif block.get("type") == "tool_use":
            if structured_tool and block.get("name") == structured_tool:
                texts.append(json.dumps(block.get("input", {}), ensure_ascii=False))
            else:
                calls.append({"id": block.get("id", ""), "name": block.get("name", ""),
                              "arguments": block.get("input", {})})
    usage = data.get("usage") or {}
    return Reply(text="".join(texts), tool_calls=calls, prompt_tokens=int(usage.get("input_tokens") or 0),
                 completion_tokens=int(usage.get("output_tokens") or 0), finish_reason=data.get("stop_reason"))


# ---------------------------------------------------------------------------------------------------------------


def price_per_mtok(provider: str, model: str) -> tuple[float, float] | None:
    """(input, output) USD per million tokens from generators.teachers.cost's table; None when the model is unknown."""
    try:
        from generators.teachers import cost
    except ImportError:
        return None
    lookup = getattr(cost, "price_per_mtok", None)
    return lookup(provider, model) if lookup else None


class Teacher:
    """One LLM endpoint plus its usage counters. Thread-safe: generators call `complete` from many threads."""

    def __init__(self, provider: str, model: str, base_url: str | None = None, key_var: str | None = None,
                 timeout_s: float = 120.0, max_retries: int = 4):
        self.provider = provider  # local | openai | anthropic | openrouter | compatible
        self.model = model
        self.base_url = base_url
        self.key_var = key_var
        self.timeout_s = timeout_s
        self.max_retries = max_retries
        self.usage = Usage()
        self.prices = price_per_mtok(provider, model) if provider != "local" else (0.0, 0.0)
        self._server: Any = None
        self._sessions = 0
        self._lock = threading.Lock()
        self._client: Any = None

    def __repr__(self) -> str:
        return f"Teacher({self.spec})"

    @property
    def spec(self) -> str:
        if self.provider == "compatible":
            return f"{scrub_url(self.base_url or '')}@{self.model}"
        return "local" if self.provider == "local" else f"{self.provider}:{self.model}"

    def lineage(self) -> dict[str, Any]:
        """What a record says about its teacher: never the key, never a URL with credentials."""
        base = scrub_url(self.base_url) if self.provider == "compatible" and self.base_url else None
        return {"provider": self.provider, "model": self.model, "params": {"base_url": base} if base else {}}

    def _api_key(self) -> str:
        if self.provider == "local":
            return "none"
        value = os.environ.get(self.key_var or "", "")
        if not value and self.provider != "compatible":
            raise UsageError(f"teacher {self.spec} needs {self.key_var} in the environment")
        return value or "none"

    @contextlib.contextmanager
    def session(self, parallel: int = 8) -> Iterator["Teacher"]:
        """Start (and finally stop) the local server; a no-op for remote providers. Re-entrant."""
        with self._lock:
            self._sessions += 1
            if self.provider == "local" and self._server is None:
                from generators.teachers.localserver import LocalServer

                self._server = LocalServer(parallel=parallel).start()
                self.base_url = self._server.base_url
        try:
            yield self
        finally:
            with self._lock:
                self._sessions -= 1
                if self._sessions == 0 and self._server is not None:
                    self._server.stop()
                    self._server = None
                    self._client = None

    def local_threads(self) -> int | None:
        """Threads of the running local server, or None (remote teacher, no session, CRUCIBLE_LLAMA_THREADS set)."""
        import os

        if self._server is None or "CRUCIBLE_LLAMA_THREADS" in os.environ:
            return None
        return self._server.threads

    def use_threads(self, threads: int) -> bool:
        """Restart the local server on `threads` threads; True when it did. Call it between batches only: requests in
        flight would be cut.

        One thread while anything else keeps the second core busy (two collapse then: a 4-minute batch ran past
        6.5 minutes when another process took a core); every core while the teacher runs alone: ~1.8x faster on two
        (8 slots, quiet 2-core box: 92 vs 160-180 completion tok/s). A no-op for remote teachers and when
        CRUCIBLE_LLAMA_THREADS fixes the count.
        """
        from generators.teachers.localserver import LocalServer

        with self._lock:
            server = self._server
            if self.local_threads() in (None, threads):
                return False
            server.stop()
            self._server = LocalServer(parallel=server.parallel, threads=threads).start()
            self.base_url = self._server.base_url
            self._client = None
            return True

    def _openai_client(self) -> Any:
        if self._client is None:
            import openai

            assert self.base_url, "no base_url: use `with teacher.session():` for the local teacher"
            self._client = openai.OpenAI(base_url=self.base_url, api_key=self._api_key(), timeout=self.timeout_s,
                                         max_retries=self.max_retries)
        return self._client

    def _anthropic_client(self) -> Any:
        if self._client is None:
            import anthropic

            self._client = anthropic.Anthropic(api_key=self._api_key(), timeout=self.timeout_s,
                                               max_retries=self.max_retries)
        return self._client

    def complete(self, messages: list[dict[str, Any]], max_tokens: int = 512, temperature: float = 0.7,
                 response_format: dict[str, Any] | None = None, tools: list[dict[str, Any]] | None = None,
                 seed: int | None = None) -> Reply:
        """One request. The SDKs retry 429/5xx/timeouts with exponential backoff (max_retries); what still fails
        raises TeacherError with the reason, which the caller records as a rejection."""
        try:
            if self.provider == "anthropic":
                body = build_anthropic_request(self.model, messages, max_tokens, temperature, response_format, tools)
                raw = self._anthropic_client().messages.create(**body)
                structured = response_format["json_schema"].get("name", "answer") if response_format else None
                reply = parse_anthropic_response(raw.model_dump(), structured)
            else:
                body = build_openai_request(self.model, messages, max_tokens, temperature, response_format, tools,
                                            seed)
                raw = self._openai_client().chat.completions.create(**body)
                reply = parse_openai_response(raw.model_dump())
        except TeacherError:
            self.usage.add(0, 0, failed=True)
            raise
        except Exception as exc:  # SDK errors after retries: status errors, timeouts, connection errors
            self.usage.add(0, 0, failed=True)
            status = getattr(exc, "status_code", None)
            what = f"HTTP {status}" if status else type(exc).__name__
            raise TeacherError(f"{self.spec} request failed after {self.max_retries} retries: {what}: "
                               f"{scrub_text(str(exc))[:200]}") from None
        self.usage.add(reply.prompt_tokens, reply.completion_tokens, self.cost(reply.prompt_tokens,
                                                                                 reply.completion_tokens))
        return reply

    def chat(self, messages: list[dict[str, Any]], max_tokens: int = 512, temperature: float = 0.7,
             response_format: dict[str, Any] | None = None) -> tuple[str, Reply]:
        """Convenience for text-in/text-out callers: (text, reply-with-usage)."""
        reply = self.complete(messages, max_tokens=max_tokens, temperature=temperature,
                              response_format=response_format)
        return reply.text, reply

    def cost(self, prompt_tokens: int, completion_tokens: int) -> float:
        if not self.prices:
            return 0.0
        return (prompt_tokens * self.prices[0] + completion_tokens * self.prices[1]) / 1e6

    def distilabel_llm(self, generation_kwargs: dict[str, Any] | None = None) -> Any:
        """A distilabel LLM bound to this teacher, for distilabel Tasks. Must be called inside `session()` for local."""
        from pydantic import SecretStr

        kwargs = dict(generation_kwargs or {})
        if self.provider == "anthropic":
            from distilabel.models.llms import AnthropicLLM

            return AnthropicLLM(model=self.model, api_key=SecretStr(self._api_key()), generation_kwargs=kwargs,
                                timeout=int(self.timeout_s), max_retries=self.max_retries)
        from distilabel.models.llms import OpenAILLM

        assert self.base_url, "no base_url: use `with teacher.session():` for the local teacher"
        return OpenAILLM(model=self.model, base_url=self.base_url, api_key=SecretStr(self._api_key()),
                         generation_kwargs=kwargs, timeout=int(self.timeout_s), max_retries=self.max_retries)


def resolve_teacher(spec: str | None = None) -> Teacher:
    """Parse a teacher spec (see the module docstring). Bad specs and missing keys raise UsageError (one line)."""
    if spec is None or spec == "":
        for provider in ("openai", "anthropic", "openrouter"):
            if os.environ.get(KEY_VARS[provider]):
                return resolve_teacher(f"{provider}:{DEFAULT_MODELS[provider]}")
        spec = "local"
    if spec == "local":
        from generators.teachers.localserver import MODEL_ALIAS

        return Teacher("local", MODEL_ALIAS)
    if spec.startswith(("http://", "https://")):
        if "@" not in spec.split("//", 1)[1]:
            raise UsageError(f"teacher {spec!r}: give the model after the URL, e.g. http://localhost:8000/v1@my-model")
        url, model = spec.rsplit("@", 1)
        assert model, "empty model name"
        return Teacher("compatible", model, base_url=url.rstrip("/"), key_var="OPENAI_COMPATIBLE_API_KEY")
    provider, _, model = spec.partition(":")
    if provider not in KEY_VARS:
        raise UsageError(f"unknown teacher {spec!r}: use local, openai:<model>, anthropic:<model>, "
                         "openrouter:<model> or http://host:port/v1@<model>")
    model = model or DEFAULT_MODELS[provider]
    teacher = Teacher(provider, model, base_url=BASE_URLS.get(provider), key_var=KEY_VARS[provider])
    teacher._api_key()  # fail now, with one clear line, rather than mid-run
    return teacher

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
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from generators.teachers.cost import Price, price_for
from generators.teachers.wire import (
    UNSETTLED,
    ModelClass,
    Reply,
    TeacherConfigError,
    TeacherError,
    TeacherUnsettled,
    build_anthropic_request,
    build_openai_request,
    error_kind,
    error_line,
    load_rules,
    model_class,
    parse_anthropic_response,
    parse_openai_response,
)
from schemas.secrets import scrub_text, scrub_url
from schemas.settings import UsageError

__all__ = ["UNSETTLED", "ModelClass", "Reply", "Teacher", "TeacherConfigError", "TeacherError", "TeacherUnsettled",
           "build_anthropic_request", "build_openai_request", "parse_anthropic_response", "parse_openai_response",
           "resolve_teacher"]

DEFAULT_MODELS = {
    "openai": "gpt-4o-mini",
    "anthropic": "claude-haiku-4-5",
    "openrouter": "meta-llama/llama-3.3-70b-instruct",
}
KEY_VARS = {"openai": "OPENAI_API_KEY", "anthropic": "ANTHROPIC_API_KEY", "openrouter": "OPENROUTER_API_KEY"}
BASE_URLS = {"openai": "https://api.openai.com/v1", "openrouter": "https://openrouter.ai/api/v1"}


@dataclass
class Usage:
    """Tokens and dollars spent, shared by every thread of a run."""

    prompt_tokens: int = 0  # every input token, cached ones included
    completion_tokens: int = 0  # every output token, reasoning included
    requests: int = 0
    failures: int = 0
    cost_usd: float = 0.0
    cached_tokens: int = 0
    cache_write_tokens: int = 0
    reasoning_tokens: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def add(self, prompt_tokens: int, completion_tokens: int, cost_usd: float = 0.0, failed: bool = False,
            cached_tokens: int = 0, cache_write_tokens: int = 0, reasoning_tokens: int = 0) -> None:
        with self._lock:
            self.prompt_tokens += prompt_tokens
            self.completion_tokens += completion_tokens
            self.requests += 1
            self.failures += int(failed)
            self.cost_usd += cost_usd
            self.cached_tokens += cached_tokens
            self.cache_write_tokens += cache_write_tokens
            self.reasoning_tokens += reasoning_tokens

    def as_dict(self) -> dict[str, Any]:
        return {"prompt_tokens": self.prompt_tokens, "completion_tokens": self.completion_tokens,
                "cached_tokens": self.cached_tokens, "cache_write_tokens": self.cache_write_tokens,
                "reasoning_tokens": self.reasoning_tokens, "requests": self.requests, "failures": self.failures,
                "cost_usd": round(self.cost_usd, 6)}


class Teacher:
    """One LLM endpoint plus its usage counters. Thread-safe: generators call `complete` from many threads."""

    def __init__(self, provider: str, model: str, base_url: str | None = None, key_var: str | None = None,
                 timeout_s: float = 120.0, max_retries: int = 4, rules: list[ModelClass] | None = None):
        self.provider = provider  # local | openai | anthropic | openrouter | compatible
        self.model = model
        self.base_url = base_url
        self.key_var = key_var
        self.timeout_s = timeout_s
        self.max_retries = max_retries
        self.usage = Usage()
        self.model_class: ModelClass = model_class(provider, model, rules)
        self.reasoning_effort: str | None = None  # None: the class's default
        self.rules_file: str | None = None
        self.worker_usage: list[str] = []  # usage files of distilabel workers not yet accounted (record_usage)
        self._prices: Price | None = price_for(provider, model)
        self.stopped: TeacherUnsettled | None = None  # set by the first config / availability failure
        self._server: Any = None
        self._sessions = 0
        self._lock = threading.Lock()
        self._first_claimed = False  # the run's first request goes alone: a refused setting costs one request
        self._first_answered = threading.Event()
        self._client: Any = None

    def __repr__(self) -> str:
        return f"Teacher({self.spec})"

    @property
    def prices(self) -> Price | None:
        """This teacher's Price (None: unknown). Settable from a Price or an (input, output) pair."""
        return self._prices

    @prices.setter
    def prices(self, value: "Price | tuple[float, float] | None") -> None:
        self._prices = Price(float(value[0]), float(value[1])) if isinstance(value, tuple) else value

    def use_rules(self, path: Path | None) -> None:
        """Re-pick this teacher's model class with a user's rules file (models=FILE) tried first. Bad file: ValueError."""
        self.model_class = model_class(self.provider, self.model, load_rules(path))
        self.rules_file = str(path) if path else None

    @property
    def spec(self) -> str:
        if self.provider == "compatible":
            return f"{scrub_url(self.base_url or '')}@{self.model}"
        return "local" if self.provider == "local" else f"{self.provider}:{self.model}"

    def lineage(self) -> dict[str, Any]:
        """What a record says about its teacher: never the key, never a URL with credentials."""
        base = scrub_url(self.base_url) if self.provider == "compatible" and self.base_url else None
        params: dict[str, Any] = {"base_url": base} if base else {}
        effort = self.model_class.reasoning_effort if self.reasoning_effort is None else self.reasoning_effort
        if effort:  # a reasoning model's effort shapes its answers like a temperature does
            params["reasoning_effort"] = effort
        return {"provider": self.provider, "model": self.model, "params": params}

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
            # a query string (`?api-version=...`, `?key=...`) goes with every request, not into the path the SDK
            # appends `/chat/completions` to
            url, _, query = self.base_url.partition("?")
            self._client = openai.OpenAI(base_url=url, api_key=self._api_key(), timeout=self.timeout_s,
                                         max_retries=self.max_retries, default_query=dict(parse_qsl(query)) or None)
        return self._client

    def _anthropic_client(self) -> Any:
        if self._client is None:
            import anthropic

            self._client = anthropic.Anthropic(api_key=self._api_key(), timeout=self.timeout_s,
                                               max_retries=self.max_retries)
        return self._client

    def request(self, messages: list[dict[str, Any]], max_tokens: int = 512, temperature: float = 0.7,
                response_format: dict[str, Any] | None = None, tools: list[dict[str, Any]] | None = None,
                seed: int | None = None, top_p: float | None = None) -> tuple[dict[str, Any], list[str]]:
        """(the body `complete` would send, notes on what the model class changed): sends nothing."""
        notes: list[str] = []
        if self.provider == "anthropic":
            body = build_anthropic_request(self.model, messages, max_tokens, temperature, response_format, tools,
                                           cls=self.model_class, notes=notes)
        else:
            body = build_openai_request(self.model, messages, max_tokens, temperature, response_format, tools, seed,
                                        cls=self.model_class, reasoning_effort=self.reasoning_effort, notes=notes,
                                        top_p=top_p)
        return body, notes

    def complete(self, messages: list[dict[str, Any]], max_tokens: int = 512, temperature: float = 0.7,
                 response_format: dict[str, Any] | None = None, tools: list[dict[str, Any]] | None = None,
                 seed: int | None = None, top_p: float | None = None) -> Reply:
        """One request. The SDKs retry 408/409/429/5xx and timeouts with exponential backoff, honouring Retry-After
        (max_retries). What still fails raises:
        - TeacherConfigError (400/401/403/404: a parameter, the key, the model): the teacher stops, every later call
          fails at once, and the runner ends the run with that one line, leaving the tasks undone;
        - TeacherUnsettled (still unavailable after the retries): the same, but only the teacher lane stops;
        - TeacherError (the task's own content: too long a prompt, a refusal, unparseable output): a rejection."""
        first = self._claim_first()
        try:
            if self.stopped is not None:
                raise type(self.stopped)(self.stopped.line)
            return self._complete(messages, max_tokens, temperature, response_format, tools, seed, top_p)
        finally:
            if first:
                self._first_answered.set()

    def _claim_first(self) -> bool:
        """True for the caller that sends this teacher's first request; every other caller waits for its answer,
        so a setting the provider refuses stops the run after one request, not after a round of parallel ones."""
        if self._first_answered.is_set():
            return False
        with self._lock:
            if not self._first_claimed:
                self._first_claimed = True
                return True
        self._first_answered.wait()
        return False

    def _complete(self, messages: list[dict[str, Any]], max_tokens: int, temperature: float,
                  response_format: dict[str, Any] | None, tools: list[dict[str, Any]] | None, seed: int | None,
                  top_p: float | None) -> Reply:
        try:
            body, _ = self.request(messages, max_tokens, temperature, response_format, tools, seed, top_p)
            if self.provider == "anthropic":
                raw = sdk_call(self._anthropic_client().messages.create, body)
                structured = response_format["json_schema"].get("name", "answer") if response_format else None
                reply = parse_anthropic_response(raw.model_dump(), structured if "tool_choice" in body else None)
            else:
                raw = sdk_call(self._openai_client().chat.completions.create, body)
                reply = parse_openai_response(raw.model_dump())
        except TeacherUnsettled as exc:
            self.usage.add(0, 0, failed=True)
            self._stop(exc)
            raise
        except TeacherError:
            self.usage.add(0, 0, failed=True)
            raise
        except UsageError:
            raise
        except Exception as exc:  # SDK errors after retries: status errors, timeouts, connection errors
            self.usage.add(0, 0, failed=True)
            raise self._sdk_error(exc) from None
        reply.cost_usd = self.reply_cost(reply)
        self.usage.add(reply.prompt_tokens, reply.completion_tokens, reply.cost_usd, cached_tokens=reply.cached_tokens,
                       cache_write_tokens=reply.cache_write_tokens, reasoning_tokens=reply.reasoning_tokens)
        if reply.refusal:
            raise TeacherError(f"{self.spec} refused: {str(reply.refusal)[:160]}")
        if not reply.text and not reply.tool_calls and reply.finish_reason in ("length", "max_tokens"):
            raise TeacherError(f"{self.spec} spent its whole token cap ({reply.completion_tokens} tokens, "
                               f"{reply.reasoning_tokens} of them reasoning) before answering")
        return reply

    def _sdk_error(self, exc: Exception) -> TeacherError:
        """Sort an SDK exception by kind (config / unavailable / content); stop the teacher on the first two."""
        status = getattr(exc, "status_code", None)
        body = getattr(exc, "body", None)
        message = scrub_text(str(getattr(exc, "message", "") or exc))
        kind = error_kind(status, body, message)
        if kind == "content":
            return TeacherError(f"{self.spec}: HTTP {status}: {message[:200]}")
        if kind == "config":
            error: TeacherUnsettled = TeacherConfigError(scrub_text(error_line(self.provider, self.model, status, body,
                                                                               message)))
        else:
            what = f"HTTP {status}" if status else type(exc).__name__
            error = TeacherUnsettled(f"{self.spec} unavailable after {self.max_retries} retries: {what}: "
                                     f"{message[:200]}")
        self._stop(error)
        return error

    def _stop(self, error: TeacherUnsettled) -> None:
        with self._lock:
            if self.stopped is None or (error.kind == "config" and self.stopped.kind != "config"):
                self.stopped = error

    def reply_cost(self, reply: Reply) -> float:
        """The provider's own figure when it gives one (OpenRouter), else our price table's."""
        if reply.provider_cost_usd is not None and self.model_class.usage_cost:
            return reply.provider_cost_usd
        return self.cost(reply.prompt_tokens, reply.completion_tokens, reply.cached_tokens, reply.cache_write_tokens,
                         reply.reasoning_tokens)

    def chat(self, messages: list[dict[str, Any]], max_tokens: int = 512, temperature: float = 0.7,
             response_format: dict[str, Any] | None = None) -> tuple[str, Reply]:
        """Convenience for text-in/text-out callers: (text, reply-with-usage)."""
        reply = self.complete(messages, max_tokens=max_tokens, temperature=temperature,
                              response_format=response_format)
        return reply.text, reply

    def cost(self, prompt_tokens: int, completion_tokens: int, cached_tokens: int = 0, cache_write_tokens: int = 0,
             reasoning_tokens: int = 0) -> float:
        """USD at this teacher's price; 0 when the price is unknown (generate refuses budget= then, and says so)."""
        if self._prices is None:
            return 0.0
        return self._prices.cost(prompt_tokens, completion_tokens, cached_tokens, cache_write_tokens,
                                 reasoning_tokens)

    def worst_case_completion(self, max_tokens: int) -> int:
        """The most output tokens one request of max_tokens may bill (hidden reasoning headroom included)."""
        return self.model_class.cap(max_tokens, self.reasoning_effort)


def sdk_call(create: Any, body: dict[str, Any]) -> Any:
    """Call an SDK's create() with our body: parameters its signature does not name (a newer API field, or one an
    SDK release dropped, like anthropic 2.x's temperature) travel in extra_body, exactly as built."""
    import inspect

    try:
        known = set(inspect.signature(create).parameters)
    except (TypeError, ValueError):
        return create(**body)
    extra = {k: v for k, v in body.items() if k not in known}
    return create(**{k: v for k, v in body.items() if k in known}, **({"extra_body": extra} if extra else {}))


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

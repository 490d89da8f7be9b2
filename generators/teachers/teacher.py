"""Teachers: which LLM writes the synthetic data, picked by one spec string.

    local                         SmolLM2-135M-Instruct served by llama.cpp on loopback (no key, no internet)
    openai:<model>                OpenAI, OPENAI_API_KEY
    anthropic:<model>             Anthropic, ANTHROPIC_API_KEY
    openrouter:<model>            OpenRouter, OPENROUTER_API_KEY
    http://host:port/v1@<model>   any OpenAI-compatible server (vLLM, SGLang, llama.cpp, Ollama);
                                  key from OPENAI_COMPATIBLE_API_KEY if the server wants one
    http://h1/v1@<m>,http://h2/v1@<m>   several such servers of one model as one teacher (TeacherPool: spread by
                                  free capacity, failover, per-endpoint usage)

With no spec, a key in the environment picks its provider, else `local`. Every path goes through one request
builder and one response parser per wire format, so request building, structured output, tool calls and usage
accounting are tested offline; the OpenAI-compatible path is exercised for real against the local server.
Keys are read from the environment at request time and never stored in lineage, logs or records.
"""

import contextlib
import os
import sys
import threading
import time
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
from schemas.secrets import scrub_text, scrub_url, split_endpoints
from schemas.settings import UsageError

__all__ = ["UNSETTLED", "ModelClass", "Reply", "Teacher", "TeacherConfigError", "TeacherError", "TeacherPool",
           "TeacherUnsettled",
           "build_anthropic_request", "build_openai_request", "parse_anthropic_response", "parse_openai_response",
           "resolve_teacher"]

DEFAULT_MODELS = {
    "openai": "gpt-4o-mini",
    "anthropic": "claude-haiku-4-5",
    "openrouter": "meta-llama/llama-3.3-70b-instruct",
}
KEY_VARS = {"openai": "OPENAI_API_KEY", "anthropic": "ANTHROPIC_API_KEY", "openrouter": "OPENROUTER_API_KEY"}
BASE_URLS = {"openai": "https://api.openai.com/v1", "openrouter": "https://openrouter.ai/api/v1"}
PROBE_TIMEOUT_S = 10.0  # connect timeout, and how long a pool's endpoint may take to answer GET /models


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
                 timeout_s: float = 120.0, max_retries: int = 4, rules: list[ModelClass] | None = None,
                 probe_timeout_s: float = PROBE_TIMEOUT_S):
        self.provider = provider  # local | openai | anthropic | openrouter | compatible
        self.model = model
        self.base_url = base_url
        self.key_var = key_var
        self.timeout_s = timeout_s  # a whole request (a non-streamed answer's first byte is its last)
        self.probe_timeout_s = probe_timeout_s  # connecting, and a pool's GET /models liveness probe
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
            self._client = openai.OpenAI(base_url=url, api_key=self._api_key(), timeout=self._timeout(openai),
                                         max_retries=self.max_retries, default_query=dict(parse_qsl(query)) or None)
        return self._client

    def _timeout(self, sdk: Any) -> Any:
        """The whole request may take timeout_s; connecting may take probe_timeout_s (a host that drops packets).
        `sdk.Timeout`: each SDK's own httpx flavour."""
        return sdk.Timeout(self.timeout_s, connect=min(self.probe_timeout_s, self.timeout_s))

    def _anthropic_client(self) -> Any:
        if self._client is None:
            import anthropic

            self._client = anthropic.Anthropic(api_key=self._api_key(), timeout=self._timeout(anthropic),
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
            reply = self._send(body, response_format)
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
        self.count_reply(reply)
        return reply.usable(self.spec)

    def _send(self, body: dict[str, Any], response_format: dict[str, Any] | None) -> Reply:
        """Send one built body and parse the answer; SDK exceptions pass through (the caller sorts them)."""
        if self.provider == "anthropic":
            raw = sdk_call(self._anthropic_client().messages.create, body)
            structured = response_format["json_schema"].get("name", "answer") if response_format else None
            return parse_anthropic_response(raw.model_dump(), structured if "tool_choice" in body else None)
        raw = sdk_call(self._openai_client().chat.completions.create, body)
        return parse_openai_response(raw.model_dump())

    def count_reply(self, reply: Reply) -> None:
        """Add one answered request (its cost_usd already counted) to this teacher's Usage."""
        self.usage.add(reply.prompt_tokens, reply.completion_tokens, reply.cost_usd, cached_tokens=reply.cached_tokens,
                       cache_write_tokens=reply.cache_write_tokens, reasoning_tokens=reply.reasoning_tokens)

    def worker_spec(self) -> str:
        """The full spec (credentials included: never write it) another process resolves to this same teacher."""
        if self.provider in ("local", "compatible"):
            assert self.base_url, "no base_url: use `with teacher.session():` for the local teacher"
            return f"{self.base_url}@{self.model}"
        return self.spec

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
            retries = getattr(exc, "crucible_retries", self.max_retries)
            error = TeacherUnsettled(f"{self.spec} unavailable after {retries} retries: {what}: "
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


class TeacherPool(Teacher):
    """Several OpenAI-compatible endpoints serving one model, used as one teacher (one vLLM/SGLang/llama.cpp
    server per GPU or machine): `teacher=http://h1:8000/v1@m,http://h2:8000/v1@m`.

    - **Spread by free capacity.** Each request goes to the endpoint with the fewest requests in flight (ties: the one
      sent the fewest so far), so a slow or busy server gets less work and equal servers share it evenly.
    - **An endpoint that fails is taken out.** A request that still fails on one endpoint for a reason that is not the
      request's (connection refused or reset, 5xx, 429, a timeout: after that endpoint's own SDK retries) is sent again
      to another endpoint at once, and the failing one is out for the rest of the run, with one stderr line saying so.
      When every endpoint is out the teacher is unavailable, exactly as one unavailable teacher: its lane stops, the
      tasks stay undone, a rerun continues them.
    - **A hung endpoint costs seconds, not minutes.** An endpoint that accepts connections and never answers used to
      cost timeout_s (120 s) x 5 tries before it went out. Now each endpoint is probed (GET /models, which llama.cpp,
      vLLM and SGLang answer at once even while every slot is generating) within probe_timeout_s (10 s) before its
      first request (all at once when the session starts): no answer, and it is out. While other endpoints are in, a
      request is sent without the SDK's retries: a timeout or a broken connection takes that endpoint out after its
      first one and the request goes elsewhere (429/5xx still get the SDK's retries there first). A slow endpoint
      that answers within timeout_s is never taken out; the last endpoint in keeps every retry.
    - **Configuration errors are not failovers.** A 400/401/403/404 means the request or the model name is wrong; every
      endpoint serves the same model, so the run stops with that one line, as for one teacher.
    - **Accounting.** The pool's Usage is the total; each endpoint keeps its own (requests, failures, tokens, cost),
      written to the manifest as `teacher.endpoints` with why an endpoint went out.

    Every endpoint must name the same model (records' lineage names one model). The spec written anywhere is the
    scrubbed one (schemas/secrets.py scrub_spec scrubs each endpoint); the full spec, credentials included, goes only to
    another process that resolves the same teacher (distilabel's worker: `worker_spec`, the endpoints still in). In such
    a worker `quiet` is set and what it takes out travels back in the usage file (distilabel_llm.py), so the parent's
    pool takes it out too and the next batch does not try it again.
    """

    def __init__(self, members: list[Teacher]):
        first = members[0]
        models = {m.model for m in members}
        if any(m.provider != "compatible" for m in members) or len(models) > 1:
            raise UsageError("teacher: several endpoints must all be http(s)://host/v1@<model> with the same model "
                             f"(got {', '.join(m.spec for m in members)})")
        names = [m.spec for m in members]
        if len(set(names)) < len(names):
            raise UsageError(f"teacher: an endpoint is listed twice ({', '.join(names)})")
        super().__init__("compatible", first.model, base_url=",".join(m.base_url or "" for m in members),
                         key_var=first.key_var, timeout_s=first.timeout_s, max_retries=first.max_retries,
                         probe_timeout_s=first.probe_timeout_s)
        self.members = members
        self.out: dict[str, str] = {}  # endpoint (scrubbed spec) -> why it was taken out
        self.quiet = False  # in a worker process: the parent says what was taken out
        self._inflight = [0] * len(members)
        self._sent = [0] * len(members)
        self._by_name = {m.spec: m for m in members}
        self._probed = [threading.Event() for _ in members]
        self._probing = [threading.Lock() for _ in members]
        self.lost_s = [0.0] * len(members)  # wall time spent on failed attempts and failed probes, per endpoint

    def set_timeouts(self, timeout_s: float | None = None, probe_timeout_s: float | None = None) -> None:
        """timeout= / probe_timeout= for the pool and every endpoint (before the first request)."""
        for t in (self, *self.members):
            t.timeout_s = t.timeout_s if timeout_s is None else timeout_s
            t.probe_timeout_s = t.probe_timeout_s if probe_timeout_s is None else probe_timeout_s
            t._client = None

    @contextlib.contextmanager
    def session(self, parallel: int = 8) -> Iterator["Teacher"]:
        """Probe every endpoint at once before the first request, so a distilabel worker's spec leaves out those
        that do not answer."""
        with super().session(parallel) as teacher:
            threads = [threading.Thread(target=self._probe, args=(i,), daemon=True) for i in range(len(self.members))]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            yield teacher

    def _probe(self, i: int) -> None:
        """GET /models on endpoint i, once: no answer (connection refused, reset, or nothing within probe_timeout_s)
        takes it out while another is in. Any HTTP answer, even an error status, means the server is there."""
        if self._probed[i].is_set():
            return
        with self._probing[i]:
            if self._probed[i].is_set():
                return
            member = self.members[i]
            url, _, query = (member.base_url or "").partition("?")
            started = time.monotonic()
            try:
                import httpx

                key = member._api_key()
                httpx.get(url.rstrip("/") + "/models", params=dict(parse_qsl(query)) or None,
                          headers={"Authorization": f"Bearer {key}"}, timeout=member.probe_timeout_s)
            except Exception as exc:  # httpx.TimeoutException, ConnectError, RemoteProtocolError ...
                lost = time.monotonic() - started
                with self._lock:
                    self.lost_s[i] += lost
                    others = any(m.spec not in self.out for j, m in enumerate(self.members) if j != i)
                if others:
                    self.take_out(member.spec, f"{member.spec} unavailable: no answer to GET /models within "
                                  f"{member.probe_timeout_s:g}s ({type(exc).__name__}; probe_timeout=)")
            finally:
                self._probed[i].set()

    @property
    def spec(self) -> str:
        return ",".join(m.spec for m in self.members)

    def lineage(self) -> dict[str, Any]:
        line = super().lineage()
        line["params"] = {"base_url": ",".join(scrub_url(m.base_url or "") for m in self.members),
                          **{k: v for k, v in line["params"].items() if k != "base_url"}}
        return line

    def worker_spec(self) -> str:
        live = [m for m in self.members if m.spec not in self.out] or self.members
        return ",".join(f"{m.base_url}@{m.model}" for m in live)

    def _pick(self, tried: set[int]) -> int | None:
        """The live endpoint with the most free capacity (fewest in flight, then fewest sent), now marked busy."""
        with self._lock:
            live = [i for i, m in enumerate(self.members) if m.spec not in self.out and i not in tried]
            if not live:
                return None
            i = min(live, key=lambda j: (self._inflight[j], self._sent[j]))
            self._inflight[i] += 1
            self._sent[i] += 1
            return i

    def take_out(self, name: str, why: str) -> bool:
        """Take endpoint `name` out for the rest of the run; True when it was still in."""
        with self._lock:
            if name in self.out or name not in self._by_name:
                return False
            self.out[name] = why
            left = len(self.members) - len(self.out)
        if not self.quiet:
            print(f"teacher endpoint {name} taken out: {why} ({left} of {len(self.members)} left)", file=sys.stderr,
                  flush=True)
        return True

    def _send(self, body: dict[str, Any], response_format: dict[str, Any] | None) -> Reply:
        tried: set[int] = set()
        while True:
            i = self._pick(tried)
            if i is None:
                why = "; ".join(f"{k}: {v}" for k, v in self.out.items())
                raise TeacherUnsettled(f"{self.spec}: every endpoint is out ({why})")
            member = self.members[i]
            started = time.monotonic()
            try:
                self._probe(i)
                if member.spec in self.out:  # its probe found nobody there
                    tried.add(i)
                    continue
                reply = parse_openai_response(self._call(member, body).model_dump())
            except (TeacherError, UsageError) as exc:
                if isinstance(exc, TeacherError):  # unparseable answer: the task's own failure
                    member.usage.add(0, 0, failed=True)
                raise
            except Exception as exc:  # after this endpoint's SDK retries (none while others are in, for timeouts)
                member.usage.add(0, 0, failed=True)
                with self._lock:
                    self.lost_s[i] += time.monotonic() - started
                error = member._sdk_error(exc)
                if isinstance(error, TeacherUnsettled) and error.kind != "config":
                    self.take_out(member.spec, error.line)
                    tried.add(i)
                    continue  # the same request, on another endpoint
                raise error from None
            finally:
                with self._lock:
                    self._inflight[i] -= 1
            reply.endpoint = member.spec
            return reply

    def _call(self, member: Teacher, body: dict[str, Any]) -> Any:
        """One request to `member`. While another endpoint is in, the first try has no SDK retries: a timeout or a
        broken connection raises at once (the endpoint goes out, the request goes elsewhere); a retryable status
        (408/409/429/5xx) gets the SDK's retries there, as before."""
        client = member._openai_client()
        with self._lock:
            others = sum(1 for m in self.members if m.spec not in self.out) > 1
        if not others or member.max_retries == 0:
            return sdk_call(client.chat.completions.create, body)
        import openai

        try:
            return sdk_call(client.with_options(max_retries=0).chat.completions.create, body)
        except openai.APIConnectionError as exc:  # timeouts included
            exc.crucible_retries = 0  # type: ignore[attr-defined]  (said in the line that takes the endpoint out)
            raise
        except openai.APIStatusError as exc:
            if exc.status_code not in (408, 409, 429) and exc.status_code < 500:
                raise
        return sdk_call(client.chat.completions.create, body)

    def count_reply(self, reply: Reply) -> None:
        super().count_reply(reply)
        member = self._by_name.get(reply.endpoint or "")
        if member is not None:
            member.count_reply(reply)

    def endpoints(self) -> list[dict[str, Any]]:
        """Per endpoint: its usage this run and why it was taken out (None: still in). For the manifest."""
        return [{"endpoint": m.spec, **m.usage.as_dict(), "out": self.out.get(m.spec), "lost_s": round(self.lost_s[i], 2)}
                for i, m in enumerate(self.members)]


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


def resolve_teacher(spec: str | None = None, check_key: bool = True) -> Teacher:
    """Parse a teacher spec (see the module docstring). Bad specs and missing keys raise UsageError (one line);
    check_key=False skips the key (a driver whose workers read it from their own nodes, generators/teachers/connect.py)."""
    if spec is None or spec == "":
        for provider in ("openai", "anthropic", "openrouter"):
            if os.environ.get(KEY_VARS[provider]):
                return resolve_teacher(f"{provider}:{DEFAULT_MODELS[provider]}")
        spec = "local"
    if spec == "local":
        from generators.teachers.localserver import MODEL_ALIAS

        return Teacher("local", MODEL_ALIAS)
    if spec.startswith(("http://", "https://")) and len(parts := split_endpoints(spec)) > 1:
        return TeacherPool([resolve_teacher(part, check_key) for part in parts])
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
    base = os.environ.get("OPENAI_BASE_URL") if provider == "openai" else None  # the SDK's own variable
    teacher = Teacher(provider, model, base_url=base or BASE_URLS.get(provider), key_var=KEY_VARS[provider])
    if check_key:
        teacher._api_key()  # fail now, with one clear line, rather than mid-run
    return teacher

"""Wire formats: request bodies per model class, responses parsed into a Reply, provider errors sorted by kind.

Pure functions, tested offline. What a model accepts is data (models.toml, extended by `models=FILE`): a class per
model-name pattern says which token-cap parameter it takes, whether it takes temperature, which reasoning effort it
gets, how a JSON-schema answer is asked for and whether strict mode is asked. The builders follow the class; the
notes they return say what was adapted and why (shown by `dry_run=true`).

Errors: a provider's 400/401/403/404 is a configuration error (a parameter, the key, the model name): the run stops
after the first one with one line naming provider, model and what the provider said. 408/409/429/5xx and transport
failures are "unavailable" (retried by the SDK, honouring Retry-After, then the lane stops). A 400 that is about one
task's content (the prompt is too long for the context, a refused prompt) is a content failure, as are unparseable
answers: only those become record rejections.
"""

import copy
import fnmatch
import json
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

RULES_FILE = Path(__file__).resolve().parent / "models.toml"
CLASS_KEYS = ("max_tokens_param", "sampling", "reasoning_effort", "headroom", "structured", "strict", "unsupported",
              "cache_control", "prefill", "usage_cost", "seed", "source")
CONFIG_STATUS = (400, 401, 403, 404)
# 400s that are about one request's content, not the configuration (the provider's error code or message says so)
CONTENT_400 = ("context_length_exceeded", "string_above_max_length", "prompt is too long", "invalid_prompt",
               "maximum context length", "too many tokens", "exceed_context_size_error")  # the last: llama-server's


class TeacherError(RuntimeError):
    """A request failed: the caller rejects that task with this reason (a content failure)."""


class TeacherUnsettled(TeacherError):
    """The teacher could not answer for reasons that are not the task's (configuration, availability).

    A TeacherError subclass so every generator's existing `except TeacherError` keeps the thread alive; the message
    starts with UNSETTLED so the runner leaves the task undone instead of rejecting it, whatever the generator
    wrapped around it."""

    kind = "unavailable"

    def __init__(self, line: str):
        super().__init__(f"{UNSETTLED} {line}")
        self.line = line


class TeacherConfigError(TeacherUnsettled):
    kind = "config"


class BatchPending(TeacherUnsettled):
    """batch=true: the request is queued for the provider's next batch (generators/teachers/batchteacher.py); its
    task stays undone and is run again once the batch's answers are in. Nothing was sent, nothing is counted."""

    kind = "batch"


UNSETTLED = "[teacher-unsettled]"  # marks a failure that is not the task's: never a rejection


@dataclass(frozen=True)
class ModelClass:
    name: str
    provider: str
    patterns: tuple[str, ...]
    exclude: tuple[str, ...] = ()
    max_tokens_param: str = "max_tokens"
    sampling: bool = True
    reasoning_effort: str = ""
    headroom: dict[str, int] = field(default_factory=dict)
    structured: str = "response_format"
    strict: bool = False
    unsupported: tuple[str, ...] = ()
    cache_control: bool = False
    prefill: bool = True
    usage_cost: bool = False
    seed: bool = False
    source: str = ""

    def matches(self, provider: str, model: str) -> bool:
        return (provider == self.provider and any(fnmatch.fnmatchcase(model, p) for p in self.patterns)
                and not any(fnmatch.fnmatchcase(model, p) for p in self.exclude))

    def cap(self, max_tokens: int, effort: str | None = None) -> int:
        """The token cap sent: the visible answer's max_tokens plus the headroom for hidden reasoning."""
        effort = self.reasoning_effort if effort is None else effort
        return max_tokens + int(self.headroom.get(effort, 0)) if not self.sampling or effort else max_tokens


def load_rules(extra: Path | None = None) -> list[ModelClass]:
    """The classes of models.toml, preceded by those of `extra` (a user's file of the same shape)."""
    base = _read_toml(RULES_FILE)
    defaults = base.get("defaults", {})
    classes = []
    for path in ([extra] if extra else []) + [RULES_FILE]:
        data = base if path == RULES_FILE else _read_toml(path)
        for i, raw in enumerate(data.get("class") or []):
            where = f"{path}: class #{i + 1}"
            if not isinstance(raw, dict) or not raw.get("name") or not raw.get("provider") or not raw.get("patterns"):
                raise ValueError(f"{where}: needs name, provider and patterns")
            unknown = set(raw) - set(CLASS_KEYS) - {"name", "provider", "patterns", "exclude"}
            if unknown:
                raise ValueError(f"{where}: unknown keys {sorted(unknown)} (known: {', '.join(CLASS_KEYS)})")
            merged = {**defaults, **raw, "headroom": {**defaults.get("headroom", {}), **raw.get("headroom", {})}}
            if merged["structured"] not in ("response_format", "output_config", "tool"):
                raise ValueError(f"{where}: structured must be response_format, output_config or tool")
            if merged["max_tokens_param"] not in ("max_tokens", "max_completion_tokens"):
                raise ValueError(f"{where}: max_tokens_param must be max_tokens or max_completion_tokens")
            classes.append(ModelClass(
                name=str(merged["name"]), provider=str(merged["provider"]), patterns=tuple(merged["patterns"]),
                exclude=tuple(merged.get("exclude", ())), max_tokens_param=merged["max_tokens_param"],
                sampling=bool(merged["sampling"]), reasoning_effort=str(merged["reasoning_effort"]),
                headroom={str(k): int(v) for k, v in merged["headroom"].items()}, structured=merged["structured"],
                strict=bool(merged["strict"]), unsupported=tuple(merged["unsupported"]),
                cache_control=bool(merged["cache_control"]), prefill=bool(merged["prefill"]),
                usage_cost=bool(merged["usage_cost"]), seed=bool(merged["seed"]), source=str(merged["source"])))
    return classes


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ValueError(f"{path}: no such file") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"{path}: not valid TOML: {exc}") from None


def model_class(provider: str, model: str, rules: list[ModelClass] | None = None) -> ModelClass:
    for cls in rules if rules is not None else load_rules():
        if cls.matches(provider, model):
            return cls
    return ModelClass(name="generic", provider=provider, patterns=("*",), source="no class matched")


# ---------------------------------------------------------------------------------------------------------------
# structured outputs


def strict_schema(schema: dict[str, Any],
                  unsupported: tuple[str, ...] = ()) -> tuple[dict[str, Any], list[str], list[str]]:
    """(the schema to send in strict mode, problems, keywords dropped). No problems: strict mode may be asked.
    Keywords the provider's strict mode refuses are removed from the copy sent (the caller still validates the
    answer against the full schema)."""
    problems: list[str] = []
    dropped: set[str] = set()
    if schema.get("type") != "object" or "properties" not in schema:
        problems.append("the root is not an object with properties (e.g. a root anyOf)")

    def walk(node: Any, path: str, names: bool = False) -> Any:
        if isinstance(node, list):
            return [walk(x, path) for x in node]
        if not isinstance(node, dict):
            return node
        if names:  # the keys are property names, not keywords
            return {k: walk(v, f"{path}/{k}") for k, v in node.items()}
        out = {}
        for key, value in node.items():
            if key in unsupported:
                dropped.add(key)
                continue
            out[key] = walk(value, f"{path}/{key}", names=key in ("properties", "$defs", "definitions"))
        if out.get("type") == "object" or "properties" in out:
            props = out.get("properties") or {}
            if out.get("additionalProperties") is not False:
                problems.append(f"{path or '/'}: additionalProperties is not false")
            missing = sorted(set(props) - set(out.get("required") or []))
            if missing:
                problems.append(f"{path or '/'}: properties not required: {', '.join(missing)}")
        return out

    sent = walk(copy.deepcopy(schema), "")
    return sent, problems, sorted(dropped)


def _structured(response_format: dict[str, Any], cls: ModelClass, notes: list[str]) -> tuple[dict[str, Any], bool]:
    """(schema to send, strict?) for a json_schema response format under this class's rules."""
    spec = response_format.get("json_schema") or {}
    schema = spec.get("schema") or {"type": "object"}
    if not cls.strict:
        return schema, False
    sent, problems, dropped = strict_schema(schema, cls.unsupported)
    name = spec.get("name", "answer")
    if problems:
        notes.append(f"{cls.name}: schema {name!r} sent non-strict: {problems[0]}")
        return schema, False
    if dropped:
        notes.append(f"{cls.name}: schema {name!r} strict without {', '.join(dropped)} (outside the provider's "
                     "strict subset; the answer is still checked against them)")
    return sent, True


# ---------------------------------------------------------------------------------------------------------------
# OpenAI chat completions (OpenAI, OpenRouter, compatible servers, the local server)


def build_openai_request(model: str, messages: list[dict[str, Any]], max_tokens: int, temperature: float,
                         response_format: dict[str, Any] | None = None, tools: list[dict[str, Any]] | None = None,
                         seed: int | None = None, cls: ModelClass | None = None, reasoning_effort: str | None = None,
                         notes: list[str] | None = None, top_p: float | None = None) -> dict[str, Any]:
    """Chat-completions body under `cls` (default: a generic OpenAI-compatible server). Tool-call arguments in our
    records are objects; the wire wants JSON strings."""
    cls = cls or model_class("compatible", model)
    notes = notes if notes is not None else []
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
    _check_prefill(wire_messages, cls)
    effort = cls.reasoning_effort if reasoning_effort is None else reasoning_effort
    body: dict[str, Any] = {"model": model, "messages": wire_messages,
                            cls.max_tokens_param: cls.cap(max_tokens, effort)}
    if cls.sampling:
        body["temperature"] = temperature
        if top_p is not None:
            body["top_p"] = top_p
    elif temperature not in (None, 1, 1.0):
        notes.append(f"{cls.name}: temperature {temperature} not sent (the model accepts only its default)")
    if effort:
        body["reasoning_effort"] = effort
    if body[cls.max_tokens_param] != max_tokens:
        notes.append(f"{cls.name}: {cls.max_tokens_param}={body[cls.max_tokens_param]} = {max_tokens} for the "
                     f"answer + {body[cls.max_tokens_param] - max_tokens} headroom for hidden reasoning")
    if response_format is not None:
        if response_format.get("type") == "json_schema":
            schema, strict = _structured(response_format, cls, notes)
            spec = {k: v for k, v in (response_format.get("json_schema") or {}).items() if k not in ("schema", "strict")}
            spec.setdefault("name", "answer")
            body["response_format"] = {"type": "json_schema", "json_schema": {**spec, "schema": schema,
                                                                              **({"strict": True} if strict else {})}}
        else:
            body["response_format"] = response_format
    if tools:
        body["tools"] = tools
    if seed is not None and cls.seed:
        body["seed"] = seed
    return body


def parse_openai_response(data: dict[str, Any]) -> "Reply":
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
    prompt_details = usage.get("prompt_tokens_details") or {}
    completion_details = usage.get("completion_tokens_details") or {}
    cost = usage.get("cost")
    return Reply(text=message.get("content") or "", tool_calls=calls,
                 prompt_tokens=int(usage.get("prompt_tokens") or 0),
                 completion_tokens=int(usage.get("completion_tokens") or 0),
                 finish_reason=choices[0].get("finish_reason"),
                 cached_tokens=int(prompt_details.get("cached_tokens") or 0),
                 cache_write_tokens=int(prompt_details.get("cache_write_tokens") or 0),
                 reasoning_tokens=int(completion_details.get("reasoning_tokens") or 0),
                 provider_cost_usd=float(cost) if isinstance(cost, int | float) else None,
                 refusal=message.get("refusal") or None)


# ---------------------------------------------------------------------------------------------------------------
# Anthropic Messages


def build_anthropic_request(model: str, messages: list[dict[str, Any]], max_tokens: int, temperature: float,
                            response_format: dict[str, Any] | None = None, tools: list[dict[str, Any]] | None = None,
                            cls: ModelClass | None = None, notes: list[str] | None = None) -> dict[str, Any]:
    """Messages API body: system goes top-level (with a cache breakpoint), tool calls become tool_use blocks, tool
    results tool_result blocks; a JSON-schema answer is asked natively (output_config.format) or as a forced tool."""
    cls = cls or model_class("anthropic", model)
    notes = notes if notes is not None else []
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
    _check_prefill(wire, cls)
    body: dict[str, Any] = {"model": model, "messages": wire, "max_tokens": max_tokens}
    if cls.sampling:
        body["temperature"] = temperature
    if system:
        body["system"] = ([{"type": "text", "text": system, "cache_control": {"type": "ephemeral"}}]
                          if cls.cache_control else system)
    anthropic_tools = [{"name": t["function"]["name"], "description": t["function"].get("description", ""),
                        "input_schema": t["function"].get("parameters", {"type": "object"})} for t in tools or []]
    if response_format and response_format.get("type") == "json_schema":
        spec = response_format["json_schema"]
        name = spec.get("name", "answer")
        schema, strict = _structured(response_format, cls, notes)
        if cls.structured == "output_config" and strict:
            body["output_config"] = {"format": {"type": "json_schema", "schema": schema}}
        else:
            if cls.structured == "output_config":
                notes.append(f"{cls.name}: schema {name!r} asked through a forced tool (native structured outputs "
                             "need a strict-compatible schema)")
            anthropic_tools.append({"name": name, "description": "Return the answer.", "input_schema": schema,
                                    **({"strict": True} if strict else {})})
            body["tool_choice"] = {"type": "tool", "name": name}
    if anthropic_tools:
        if cls.cache_control:
            anthropic_tools[-1] = {**anthropic_tools[-1], "cache_control": {"type": "ephemeral"}}
        body["tools"] = anthropic_tools
    return body


def parse_anthropic_response(data: dict[str, Any], structured_tool: str | None = None) -> "Reply":
    """Anthropic's input_tokens excludes cache reads and writes: prompt_tokens here is their sum, like OpenAI's."""
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
    read = int(usage.get("cache_read_input_tokens") or 0)
    written = int(usage.get("cache_creation_input_tokens") or 0)
    return Reply(text="".join(texts), tool_calls=calls,
                 prompt_tokens=int(usage.get("input_tokens") or 0) + read + written,
                 completion_tokens=int(usage.get("output_tokens") or 0), finish_reason=data.get("stop_reason"),
                 cached_tokens=read, cache_write_tokens=written,
                 refusal="refused" if data.get("stop_reason") == "refusal" else None)


def _check_prefill(wire: list[dict[str, Any]], cls: ModelClass) -> None:
    if not cls.prefill and wire and wire[-1]["role"] == "assistant" and not wire[-1].get("tool_calls"):
        raise TeacherConfigError(f"{cls.name}: the request ends with an assistant turn (prefill), which this model "
                                 "refuses; ask for the shape with a JSON schema instead")


# ---------------------------------------------------------------------------------------------------------------


@dataclass
class Reply:
    """One parsed completion. prompt_tokens counts every input token (cached ones included), completion_tokens every
    output token (reasoning included); the details say how many of them were cached, cache writes, reasoning."""

    text: str
    tool_calls: list[dict[str, Any]]
    prompt_tokens: int
    completion_tokens: int
    finish_reason: str | None
    cached_tokens: int = 0
    cache_write_tokens: int = 0
    reasoning_tokens: int = 0
    provider_cost_usd: float | None = None  # what the provider says it charged (OpenRouter usage accounting)
    cost_usd: float = 0.0  # what this request cost, as counted (provider's figure, else our price table)
    refusal: str | None = None
    endpoint: str | None = None  # which endpoint of a several-endpoint teacher answered (its scrubbed spec)

    def usable(self, spec: str) -> "Reply":
        """This reply, unless it is no answer: a refusal, or a token cap spent before any text or call (TeacherError
        naming the teacher `spec`)."""
        if self.refusal:
            raise TeacherError(f"{spec} refused: {str(self.refusal)[:160]}")
        if not self.text and not self.tool_calls and self.finish_reason in ("length", "max_tokens"):
            raise TeacherError(f"{spec} spent its whole token cap ({self.completion_tokens} tokens, "
                               f"{self.reasoning_tokens} of them reasoning) before answering")
        return self


def error_kind(status: int | None, body: Any, message: str = "") -> str:
    """"config", "content" or "unavailable" for a failed request (status None: no HTTP answer at all)."""
    if status in CONFIG_STATUS:
        text = (json.dumps(body) if body is not None else "") + " " + message
        if status == 400 and any(marker in text.lower() for marker in CONTENT_400):
            return "content"
        return "config"
    if status == 422:
        return "content"
    return "unavailable"


def error_line(provider: str, model: str, status: int | None, body: Any, message: str) -> str:
    """One line: provider, model, HTTP status and what the provider named (parameter, code, message)."""
    error = body.get("error", body) if isinstance(body, dict) else {}
    if not isinstance(error, dict):
        error = {"message": str(error)}
    said = str(error.get("message") or message or "").replace("\n", " ").strip()
    parts = [f"{provider} rejected model {model!r}" + (f" (HTTP {status})" if status else "")]
    if error.get("param"):
        parts.append(f"parameter {error['param']!r}")
    code = error.get("code") or error.get("type")
    if code:
        parts.append(str(code))
    return ": ".join(parts) + (f": {said[:300]}" if said else "")


def check_request(body: dict[str, Any], cls: ModelClass, provider: str) -> list[str]:
    """What in a built body breaks the class's rules (empty: the shape is right). dry_run=true's self-check."""
    problems = []
    anthropic = provider == "anthropic"
    cap = "max_tokens" if anthropic else cls.max_tokens_param
    other = "max_completion_tokens" if cap == "max_tokens" else "max_tokens"
    if cap not in body or other in body:
        problems.append(f"the token cap must be sent as {cap} only")
    if not cls.sampling and ({"temperature", "top_p"} & set(body)):
        problems.append("temperature/top_p sent to a model that refuses them")
    if "reasoning_effort" in body and (anthropic or cls.sampling):
        problems.append("reasoning_effort sent to a model class without reasoning")
    messages = body.get("messages") or []
    if not cls.prefill and messages and messages[-1].get("role") == "assistant":
        problems.append("ends with an assistant turn (prefill)")
    if anthropic and cls.cache_control and body.get("system") and not isinstance(body["system"], list):
        problems.append("the system prompt carries no cache_control breakpoint")
    fmt = (body.get("response_format") or {}).get("json_schema") or {}
    if fmt.get("strict"):
        _, bad, dropped = strict_schema(fmt.get("schema") or {}, cls.unsupported)
        if bad or dropped:
            problems.append(f"strict schema outside the strict subset: {(bad + dropped)[0]}")
    native = ((body.get("output_config") or {}).get("format") or {}).get("schema")
    if native is not None:
        _, bad, dropped = strict_schema(native, cls.unsupported)
        if cls.structured != "output_config" or bad or dropped:
            problems.append("output_config.format sent where native structured outputs do not apply")
    return problems

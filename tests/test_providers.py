"""Providers as they are today (issue 19), offline: request bodies per model class, the providers' documented
response and error shapes parsed, sorted and costed, price and rule files, our response schemas against the strict
subsets. The live checks are the `network` tests at the end (skipped without keys)."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from generators.teachers import cost
from generators.teachers.teacher import Teacher, TeacherConfigError, TeacherError, TeacherUnsettled, resolve_teacher
from generators.teachers.wire import (
    UNSETTLED,
    build_anthropic_request,
    build_openai_request,
    check_request,
    error_kind,
    error_line,
    load_rules,
    model_class,
    parse_anthropic_response,
    parse_openai_response,
    strict_schema,
)

SYSTEM = {"role": "system", "content": "You are LanBot."}
USER = {"role": "user", "content": "Is 7 prime? Answer in JSON."}
VERDICT = {"type": "json_schema", "json_schema": {"name": "verdict", "schema": {
    "type": "object", "additionalProperties": False, "required": ["score", "reason"],
    "properties": {"score": {"type": "integer", "minimum": 1, "maximum": 5},
                   "reason": {"type": "string", "maxLength": 90}}}}}


def body_for(provider: str, model: str, **kw):
    cls = model_class(provider, model)
    notes: list[str] = []
    if provider == "anthropic":
        body = build_anthropic_request(model, [SYSTEM, USER], 300, 0.4, VERDICT, cls=cls, notes=notes)
    else:
        body = build_openai_request(model, [SYSTEM, USER], 300, 0.4, VERDICT, seed=7, cls=cls, notes=notes, **kw)
    assert check_request(body, cls, provider) == [], (provider, model)
    return cls, body, notes


# ---------------------------------------------------------------------------------------------------------------
# request bodies per class


def test_openai_non_reasoning_body():
    cls, body, _ = body_for("openai", "gpt-4o-mini-2024-07-18")
    assert cls.name == "openai-chat"
    assert body["max_completion_tokens"] == 300 and "max_tokens" not in body  # max_tokens is deprecated
    assert body["temperature"] == 0.4 and "reasoning_effort" not in body and body["seed"] == 7
    fmt = body["response_format"]["json_schema"]
    assert fmt["strict"] is True and "maxLength" not in json.dumps(fmt["schema"])  # outside OpenAI's strict subset
    assert fmt["schema"]["properties"]["score"]["minimum"] == 1  # inside it: kept


@pytest.mark.parametrize("model", ["gpt-5-nano", "gpt-5-mini", "gpt-5", "o4-mini", "o3", "gpt-5.1"])
def test_openai_reasoning_body(model):
    cls, body, notes = body_for("openai", model)
    assert cls.name == "openai-reasoning"
    assert "temperature" not in body and "top_p" not in body and "max_tokens" not in body
    assert body["reasoning_effort"] == "low"
    assert body["max_completion_tokens"] == 300 + cls.headroom["low"]  # headroom for hidden reasoning
    assert any("temperature 0.4 not sent" in n for n in notes)
    _, high, _ = body_for("openai", model, reasoning_effort="high")
    assert high["reasoning_effort"] == "high" and high["max_completion_tokens"] == 300 + cls.headroom["high"]


def test_openai_unknown_model_gets_only_what_every_model_accepts():
    cls, body, _ = body_for("openai", "gpt-9-turbo")
    assert cls.name == "openai-unknown"
    assert "temperature" not in body and "reasoning_effort" not in body and "max_completion_tokens" in body
    assert "strict" not in body["response_format"]["json_schema"]


def test_anthropic_current_body():
    cls, body, _ = body_for("anthropic", "claude-haiku-4-5-20251001")
    assert cls.name == "anthropic-structured"
    assert body["system"] == [{"type": "text", "text": "You are LanBot.", "cache_control": {"type": "ephemeral"}}]
    schema = body["output_config"]["format"]["schema"]
    assert body["output_config"]["format"]["type"] == "json_schema" and "tool_choice" not in body
    assert not {"minimum", "maximum", "maxLength"} & set(json.dumps(schema).replace('"', " ").split())
    assert body["messages"][-1]["role"] == "user"  # no prefill
    # an answer schema outside the strict subset: a forced tool, with the reason in the notes
    notes: list[str] = []
    loose = {"type": "json_schema", "json_schema": {"name": "action", "schema": {"type": "object", "anyOf": [
        {"type": "object", "properties": {"tool": {"const": "ls"}}}]}}}
    tools = [{"type": "function", "function": {"name": "bash", "parameters": {"type": "object"}}}]
    body = build_anthropic_request("claude-sonnet-4-5", [USER], 100, 0.2, loose, tools, cls=cls, notes=notes)
    assert body["tool_choice"] == {"type": "tool", "name": "action"} and "output_config" not in body
    assert body["tools"][-1]["cache_control"] == {"type": "ephemeral"}  # breakpoint after the tools
    assert "root is not an object" in notes[0]
    with pytest.raises(TeacherConfigError, match="prefill"):
        build_anthropic_request("claude-haiku-4-5", [USER, {"role": "assistant", "content": "{"}], 10, 0.0, cls=cls)


def test_anthropic_legacy_body():
    cls, body, _ = body_for("anthropic", "claude-3-5-haiku-latest")
    assert cls.name == "anthropic-legacy"
    assert body["tool_choice"] == {"type": "tool", "name": "verdict"} and "output_config" not in body


def test_openrouter_and_compatible_bodies():
    cls, body, _ = body_for("openrouter", "openai/gpt-5-nano")
    assert cls.name == "openrouter" and cls.usage_cost
    assert body["max_tokens"] == 300 and body["temperature"] == 0.4 and "seed" not in body
    cls, body, _ = body_for("compatible", "qwen2.5-7b")
    assert cls.name == "openai-compatible"
    assert body["max_tokens"] == 300 and body["temperature"] == 0.4 and body["seed"] == 7
    assert "strict" not in body["response_format"]["json_schema"]  # llama.cpp & co. enforce the grammar anyway


def test_user_rules_file_goes_first(tmp_path):
    rules = tmp_path / "models.toml"
    rules.write_text('[[class]]\nname = "my-reasoner"\nprovider = "compatible"\npatterns = ["deepseek-r1*"]\n'
                     'sampling = false\n', encoding="utf-8")
    cls = model_class("compatible", "deepseek-r1-distill", load_rules(rules))
    assert cls.name == "my-reasoner" and not cls.sampling
    assert model_class("compatible", "qwen", load_rules(rules)).name == "openai-compatible"
    rules.write_text('[[class]]\nname = "x"\nprovider = "openai"\npatterns = ["*"]\ntemprature = 1\n', encoding="utf-8")
    with pytest.raises(ValueError, match="unknown keys"):
        load_rules(rules)


def test_our_response_schemas_against_the_strict_subsets():
    """The judge's verdict is strict everywhere (constraints outside the subset dropped and checked locally); the
    tool_use action (a root anyOf) is sent non-strict, with that reason."""
    from filters.judge import SCHEMA
    from generators.tool_use import action_format

    for provider in ("openai", "anthropic"):
        cls = model_class(provider, "gpt-5-nano" if provider == "openai" else "claude-haiku-4-5")
        _, problems, _ = strict_schema(SCHEMA, cls.unsupported)
        assert problems == []
    tools = [{"function": {"name": "ls", "parameters": {"type": "object", "properties": {}}}}]
    _, problems, _ = strict_schema(action_format(tools, True)["json_schema"]["schema"])
    assert problems and "root is not an object" in problems[0]


# ---------------------------------------------------------------------------------------------------------------
# documented responses: usage with cached and reasoning tokens, parsed and costed

OPENAI_REASONING_RESPONSE = {  # the chat-completions response shape of the API reference, usage as documented for
    # a reasoning model whose prompt prefix was cached (prompt caching and reasoning guides)
    "id": "chatcmpl-123", "object": "chat.completion", "created": 1741570283, "model": "gpt-5-nano-2025-08-07",
    "choices": [{"index": 0, "message": {"role": "assistant", "content": '{"score": 4, "reason": "ok"}',
                                         "refusal": None, "annotations": []},
                 "logprobs": None, "finish_reason": "stop"}],
    "usage": {"prompt_tokens": 2006, "completion_tokens": 1186, "total_tokens": 3192,
              "prompt_tokens_details": {"cached_tokens": 1920, "audio_tokens": 0},
              "completion_tokens_details": {"reasoning_tokens": 1024, "audio_tokens": 0,
                                            "accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0}},
    "service_tier": "default"}
ANTHROPIC_CACHED_RESPONSE = {  # Messages API response, usage as in the prompt-caching guide
    "id": "msg_01", "type": "message", "role": "assistant", "model": "claude-haiku-4-5-20251001",
    "content": [{"type": "text", "text": '{"score": 5, "reason": "fine"}'}], "stop_reason": "end_turn",
    "stop_sequence": None,
    "usage": {"input_tokens": 21, "cache_creation_input_tokens": 188086, "cache_read_input_tokens": 0,
              "output_tokens": 393}}
OPENROUTER_RESPONSE = {  # usage accounting: every response carries usage.cost (credits = USD)
    "id": "gen-1", "object": "chat.completion", "model": "openai/gpt-5-nano",
    "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": "OK"}}],
    "usage": {"prompt_tokens": 194, "completion_tokens": 2, "total_tokens": 196, "cost": 0.95,
              "cost_details": {"upstream_inference_cost": 19},
              "prompt_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 100, "audio_tokens": 0},
              "completion_tokens_details": {"reasoning_tokens": 0}}}


def test_openai_reasoning_response_parsed_and_costed():
    reply = parse_openai_response(OPENAI_REASONING_RESPONSE)
    assert (reply.prompt_tokens, reply.cached_tokens, reply.completion_tokens, reply.reasoning_tokens) == (
        2006, 1920, 1186, 1024)
    teacher = Teacher("openai", "gpt-5-nano")
    price = teacher.prices
    assert price is not None and price.as_of and price.source
    expected = (86 * 0.05 + 1920 * 0.005 + 162 * 0.40 + 1024 * 0.40) / 1e6
    assert teacher.reply_cost(reply) == pytest.approx(expected)
    assert expected < teacher.cost(2006, 1186)  # the cache discount counts


def test_anthropic_cached_response_parsed_and_costed():
    reply = parse_anthropic_response(ANTHROPIC_CACHED_RESPONSE)
    assert reply.text == '{"score": 5, "reason": "fine"}'
    assert (reply.prompt_tokens, reply.cache_write_tokens, reply.cached_tokens) == (21 + 188086, 188086, 0)
    teacher = Teacher("anthropic", "claude-haiku-4-5-20251001")
    assert teacher.reply_cost(reply) == pytest.approx((21 * 1.00 + 188086 * 1.25 + 393 * 5.00) / 1e6)
    read = parse_anthropic_response({**ANTHROPIC_CACHED_RESPONSE, "usage": {
        "input_tokens": 21, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 188086, "output_tokens": 393}})
    assert teacher.reply_cost(read) == pytest.approx((21 * 1.00 + 188086 * 0.10 + 393 * 5.00) / 1e6)


def test_openrouter_cost_comes_from_its_usage():
    reply = parse_openai_response(OPENROUTER_RESPONSE)
    assert reply.provider_cost_usd == 0.95 and reply.cache_write_tokens == 100
    assert Teacher("openrouter", "openai/gpt-5-nano").reply_cost(reply) == 0.95
    no_cost = parse_openai_response({**OPENROUTER_RESPONSE, "usage": {"prompt_tokens": 10, "completion_tokens": 10}})
    assert Teacher("openrouter", "openai/gpt-5-nano").reply_cost(no_cost) == pytest.approx(10 * 0.45 / 1e6)


def test_price_table_and_override(tmp_path):
    table = cost.load_prices()
    assert all(p.as_of and p.source for p in table.values())
    assert cost.price_for("openai", "gpt-5.1", table=table) is None  # not silently gpt-5's price
    assert cost.price_for("openai", "gpt-4o-mini-2024-07-18", table=table) == table["openai:gpt-4o-mini"]
    assert cost.price_for("anthropic", "claude-haiku-4-5-20251001", table=table) == table["anthropic:claude-haiku-4-5"]
    assert cost.price_for("openrouter", "anthropic/claude-haiku-4.5", table=table) == table["anthropic:claude-haiku-4-5"]
    assert cost.price_for("compatible", "m", table=table) == cost.FREE
    mine = tmp_path / "prices.toml"
    mine.write_text('[prices."openai:gpt-5.1"]\ninput = 1.25\noutput = 10\ncached_input = 0.125\n'
                    '[prices."compatible:big"]\ninput = 0.2\noutput = 0.2\n', encoding="utf-8")
    merged = cost.load_prices(mine)
    assert merged["openai:gpt-5.1"].source.startswith("user file") and "openai:gpt-5" in merged
    assert cost.price_for("compatible", "big", table=merged) == merged["compatible:big"]  # a rented GPU is not free
    mine.write_text('[prices."gpt-5.1"]\ninput = 1\n', encoding="utf-8")
    with pytest.raises(ValueError, match="provider:model"):
        cost.load_prices(mine)


# ---------------------------------------------------------------------------------------------------------------
# errors by kind

UNSUPPORTED_MAX_TOKENS = {"error": {
    "message": "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' "
               "instead.", "type": "invalid_request_error", "param": "max_tokens", "code": "unsupported_parameter"}}
UNSUPPORTED_TEMPERATURE = {"error": {
    "message": "Unsupported value: 'temperature' does not support 0.4 with this model. Only the default (1) value is "
               "supported.", "type": "invalid_request_error", "param": "temperature", "code": "unsupported_value"}}
MODEL_NOT_FOUND = {"error": {"message": "The model `gpt-9` does not exist or you do not have access to it.",
                             "type": "invalid_request_error", "param": None, "code": "model_not_found"}}
CONTEXT_TOO_LONG = {"error": {"message": "This model's maximum context length is 128000 tokens.",
                              "type": "invalid_request_error", "param": "messages", "code": "context_length_exceeded"}}
ANTHROPIC_400 = {"type": "error", "error": {"type": "invalid_request_error",
                                            "message": "output_config.format: Extra inputs are not permitted"}}


def test_errors_sorted_by_kind_and_said_in_one_line():
    assert error_kind(400, UNSUPPORTED_MAX_TOKENS) == "config"
    assert error_kind(401, {"error": {"code": "invalid_api_key"}}) == "config"
    assert error_kind(404, MODEL_NOT_FOUND) == "config"
    assert error_kind(400, CONTEXT_TOO_LONG) == "content"  # one task's prompt, not the setting
    assert error_kind(429, None) == error_kind(503, None) == error_kind(None, None) == "unavailable"
    line = error_line("openai", "gpt-5-nano", 400, UNSUPPORTED_MAX_TOKENS, "")
    assert line.startswith("openai rejected model 'gpt-5-nano' (HTTP 400): parameter 'max_tokens': "
                           "unsupported_parameter: Unsupported parameter")
    assert "\n" not in line
    line = error_line("anthropic", "claude-haiku-4-5", 400, ANTHROPIC_400, "")
    assert "invalid_request_error" in line and "output_config.format" in line


class Provider(BaseHTTPRequestHandler):
    """A small OpenAI-compatible endpoint answering every request with one documented status and body."""

    status = 400
    body: dict = UNSUPPORTED_TEMPERATURE
    headers_out: dict = {}
    seen: list = []

    def do_POST(self):  # noqa: N802 - http.server's naming
        length = int(self.headers.get("Content-Length") or 0)
        type(self).seen.append(json.loads(self.rfile.read(length) or b"{}"))
        payload = json.dumps(self.body).encode()
        self.send_response(self.status)
        self.send_header("Content-Type", "application/json")
        for k, v in self.headers_out.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):
        pass


@pytest.fixture
def provider(monkeypatch):
    monkeypatch.delenv("OPENAI_COMPATIBLE_API_KEY", raising=False)
    Provider.seen = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Provider)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


def test_config_error_stops_the_teacher_after_the_first_request(provider, monkeypatch):
    monkeypatch.setattr(Provider, "status", 400)
    teacher = resolve_teacher(f"http://127.0.0.1:{provider.server_port}/v1@reasoner")
    with pytest.raises(TeacherConfigError) as info:
        teacher.complete([USER], max_tokens=8, temperature=0.4)
    assert "parameter 'temperature'" in info.value.line and "reasoner" in info.value.line
    assert str(info.value).startswith(UNSETTLED)
    with pytest.raises(TeacherConfigError):  # later calls fail at once, without asking again
        teacher.complete([USER], max_tokens=8)
    assert len(Provider.seen) == 1 and teacher.usage.requests == 1  # the second was never sent


def test_unavailable_is_retried_honouring_retry_after_then_unsettled(provider, monkeypatch):
    monkeypatch.setattr(Provider, "status", 503)
    monkeypatch.setattr(Provider, "body", {"error": {"message": "overloaded"}})
    monkeypatch.setattr(Provider, "headers_out", {"Retry-After": "0"})
    teacher = resolve_teacher(f"http://127.0.0.1:{provider.server_port}/v1@m")
    teacher.max_retries = 2
    with pytest.raises(TeacherUnsettled, match="unavailable after 2 retries: HTTP 503") as info:
        teacher.complete([USER], max_tokens=8)
    assert not isinstance(info.value, TeacherConfigError) and len(Provider.seen) == 3


def test_content_failures_stay_rejections(provider, monkeypatch):
    monkeypatch.setattr(Provider, "status", 400)
    monkeypatch.setattr(Provider, "body", CONTEXT_TOO_LONG)
    teacher = resolve_teacher(f"http://127.0.0.1:{provider.server_port}/v1@m")
    with pytest.raises(TeacherError) as info:
        teacher.complete([USER], max_tokens=8)
    assert not isinstance(info.value, TeacherUnsettled) and teacher.stopped is None


# ---------------------------------------------------------------------------------------------------------------
# live: one tiny structured call per provider, cost accounted

TINY = {"type": "json_schema", "json_schema": {"name": "answer", "schema": {
    "type": "object", "additionalProperties": False, "required": ["prime"], "properties": {"prime": {"type": "boolean"}}}}}


@pytest.mark.network(env="OPENAI_API_KEY")
def test_openai_gpt5_nano_live():
    teacher = resolve_teacher("openai:gpt-5-nano")
    reply = teacher.complete([USER], max_tokens=64, response_format=TINY)
    assert isinstance(json.loads(reply.text)["prime"], bool)
    assert reply.prompt_tokens > 0 and teacher.usage.cost_usd > 0 and reply.cost_usd == teacher.usage.cost_usd


@pytest.mark.network(env="ANTHROPIC_API_KEY")
def test_anthropic_haiku_45_live():
    teacher = resolve_teacher("anthropic:claude-haiku-4-5")
    reply = teacher.complete([SYSTEM, USER], max_tokens=64, response_format=TINY)
    assert isinstance(json.loads(reply.text)["prime"], bool)
    assert reply.prompt_tokens > 0 and teacher.usage.cost_usd > 0


# ---------------------------------------------------------------------------------------------------------------
# a whole generate run against an endpoint that refuses a parameter


class Reasoner(Provider):
    """Refuses temperature like OpenAI's reasoning models (their documented 400); otherwise answers in prose."""

    def do_POST(self):  # noqa: N802
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length) or b"{}")
        type(self).seen.append(body)
        if "temperature" in body:
            status, out = 400, UNSUPPORTED_TEMPERATURE
        else:
            status, out = 200, {"id": "c1", "object": "chat.completion", "model": body.get("model"), "choices": [
                {"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": "I'd rather chat."}}],
                "usage": {"prompt_tokens": 50, "completion_tokens": 5, "prompt_tokens_details": {"cached_tokens": 40},
                          "completion_tokens_details": {"reasoning_tokens": 2}}}
        payload = json.dumps(out).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


def test_generate_stops_on_a_config_error_and_a_fixed_rerun_continues_the_same_tasks(tmp_path, monkeypatch):
    from factory.runlog import FamilyLog
    from generators import tool_use
    from schemas import load_persona
    from tests.test_generate import cli, lanbot_card_with

    monkeypatch.delenv("OPENAI_COMPATIBLE_API_KEY", raising=False)
    Reasoner.seen = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Reasoner)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        card = lanbot_card_with(tmp_path, "teacher_share = 0.05", "teacher_share = 1.0")
        out = tmp_path / "out"
        args = [f"persona={card}", "count=2", "families=tool_use", "seed=7", "chunks=1", f"out={out}",
                f"teacher=http://127.0.0.1:{server.server_port}/v1@reasoner"]
        first = cli(*args)
        lines = [line for line in first.stderr.splitlines() if line.strip()]
        assert first.returncode == 2, first.stdout + first.stderr
        assert len(lines) == 1, first.stderr
        assert "compatible rejected model 'reasoner' (HTTP 400): parameter 'temperature'" in lines[0]
        assert "nothing was rejected" in lines[0] and not first.stdout.strip()
        log = FamilyLog(out / "raw" / "tool_use", "tool_use")
        assert log.done_keys == set() and log.rejected == 0  # nothing settled, nothing rejected
        asked = len(Reasoner.seen)
        assert asked == 1  # the first request goes alone: one refused request, not one per task or retry

        rules = tmp_path / "models.toml"
        rules.write_text('[[class]]\nname = "my-reasoner"\nprovider = "compatible"\npatterns = ["reasoner"]\n'
                         'sampling = false\n', encoding="utf-8")
        second = cli(*args, f"models={rules}")
        assert second.returncode == 0, second.stdout + second.stderr
        assert all("temperature" not in b for b in Reasoner.seen[asked:]) and len(Reasoner.seen) > asked
        systems = {b["messages"][0]["content"] for b in Reasoner.seen if b["messages"][0]["role"] == "system"}
        assert len(systems) == 1 and '"name"' in systems.pop()  # the static part first, the same each time: cacheable
        log = FamilyLog(out / "raw" / "tool_use", "tool_use")
        planned = {f"c0:{t['task_id']}" for t in tool_use.plan(load_persona(str(card)), 2, 7)}
        assert log.done_keys == planned  # the very tasks the first run left undone
        rejected = (out / "raw" / "tool_use" / "rejected.jsonl").read_text(encoding="utf-8").splitlines()
        assert log.rejected == len(rejected) == 2 and all("no JSON object" in r for r in rejected)  # content
    finally:
        server.shutdown()
        server.server_close()


def test_distilabel_families_follow_the_rules_and_stop_the_same_way(tmp_path, monkeypatch):
    """identity's turns go through distilabel's worker process: the same rules reach it (models=FILE included),
    and a configuration error there comes back as TeacherConfigError (tasks undone), not as rejections."""
    from generators import identity
    from schemas import load_persona

    monkeypatch.delenv("OPENAI_COMPATIBLE_API_KEY", raising=False)
    Reasoner.seen = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Reasoner)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        tasks = [t for t in identity.plan(load_persona("lanbot"), 8, 3) if not t.get("procedural")][:2]
        teacher = resolve_teacher(f"http://127.0.0.1:{server.server_port}/v1@reasoner")
        with pytest.raises(TeacherConfigError, match="parameter 'temperature'"):
            identity.run(tasks, teacher, None, "r1")
        rules = tmp_path / "models.toml"
        rules.write_text('[[class]]\nname = "r"\nprovider = "compatible"\npatterns = ["reasoner"]\nsampling = false\n',
                         encoding="utf-8")
        teacher = resolve_teacher(f"http://127.0.0.1:{server.server_port}/v1@reasoner")
        teacher.use_rules(rules)
        teacher.prices = cost.Price(1.0, 2.0, cached_input_per_mtok=0.1, reasoning_per_mtok=3.0)  # a rented GPU
        asked = len(Reasoner.seen)
        results = identity.run(tasks, teacher, None, "r1")
        assert len(results) == 2 and all(r.get("rejected") for r in results)  # prose without the card's facts
        assert all("temperature" not in b and "top_p" not in b for b in Reasoner.seen[asked:])
        n = len(Reasoner.seen) - asked
        assert teacher.usage.requests == n and teacher.usage.prompt_tokens == 50 * n
        # the worker's usage details reach the account: cached input and reasoning at their own prices
        assert teacher.usage.cached_tokens == 40 * n and teacher.usage.reasoning_tokens == 2 * n
        assert teacher.usage.cost_usd == pytest.approx(n * (10 * 1.0 + 40 * 0.1 + 3 * 2.0 + 2 * 3.0) / 1e6)
        assert teacher.worker_usage == []
    finally:
        server.shutdown()
        server.server_close()


class Documented(Provider):
    """Answers every request with one of the providers' documented response bodies (set per test)."""

    status = 200


@pytest.mark.parametrize("spec, answer", [("openai:gpt-5-nano", OPENAI_REASONING_RESPONSE),
                                          ("anthropic:claude-haiku-4-5", ANTHROPIC_CACHED_RESPONSE),
                                          ("openrouter:openai/gpt-5-nano", OPENROUTER_RESPONSE)])
def test_the_sdks_send_our_bodies_and_usage_is_costed(spec, answer, monkeypatch):
    """Through the real OpenAI / Anthropic SDKs, against a local endpoint: the body the SDK sends is the one the
    model class built (the SDKs accept every parameter), and the documented usage is parsed and costed."""
    monkeypatch.setattr(Documented, "body", answer)
    Documented.seen = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Documented)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}"
    for var in ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "OPENROUTER_API_KEY"):
        monkeypatch.setenv(var, "sk-test-not-a-real-key")
    monkeypatch.setenv("ANTHROPIC_BASE_URL", url)
    try:
        teacher = resolve_teacher(spec)
        teacher.base_url = f"{url}/v1"
        reply = teacher.complete([SYSTEM, USER], max_tokens=300, temperature=0.4, response_format=VERDICT)
        expected, _ = teacher.request([SYSTEM, USER], 300, 0.4, VERDICT)
        assert Documented.seen == [json.loads(json.dumps(expected))]
        assert reply.text == "OK" or json.loads(reply.text)["score"] in (4, 5)
        assert reply.cost_usd == pytest.approx(teacher.usage.cost_usd) and reply.cost_usd > 0
        assert teacher.usage.cached_tokens == reply.cached_tokens
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("spec, status, error, said", [
    ("openai:gpt-5-nano", 400, UNSUPPORTED_MAX_TOKENS, "parameter 'max_tokens': unsupported_parameter"),
    ("openai:gpt-9", 404, MODEL_NOT_FOUND, "model_not_found: The model `gpt-9` does not exist"),
    ("anthropic:claude-haiku-4-5", 400, ANTHROPIC_400, "invalid_request_error: output_config.format: Extra inputs"),
    ("anthropic:claude-haiku-4-5", 401, {"type": "error", "error": {"type": "authentication_error",
                                                                    "message": "invalid x-api-key"}},
     "(HTTP 401): authentication_error: invalid x-api-key")])
def test_documented_errors_through_the_sdks_are_one_config_line(spec, status, error, said, monkeypatch):
    monkeypatch.setattr(Provider, "status", status)
    monkeypatch.setattr(Provider, "body", error)
    Provider.seen = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Provider)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}"
    for var in ("OPENAI_API_KEY", "ANTHROPIC_API_KEY"):
        monkeypatch.setenv(var, "sk-test-not-a-real-key")
    monkeypatch.setenv("ANTHROPIC_BASE_URL", url)
    try:
        teacher = resolve_teacher(spec)
        teacher.base_url = f"{url}/v1"
        with pytest.raises(TeacherConfigError) as info:
            teacher.complete([USER], max_tokens=8)
        assert said in info.value.line and "\n" not in info.value.line and "sk-test" not in info.value.line
        assert len(Provider.seen) == 1  # a configuration error is not retried
    finally:
        server.shutdown()
        server.server_close()


def test_budget_prices_and_dry_run_from_the_command_line(tmp_path):
    from factory.teacher_load import worst_case_cost
    from tests.test_generate import cli

    teacher = Teacher("openai", "gpt-5-nano")
    est = cost.Estimate(requests=10, prompt_tokens=10_000, completion_tokens=3_000)
    assert worst_case_cost(teacher, est) == pytest.approx((10_000 * 0.05 + (3_000 + 10 * 4096) * 0.40) / 1e6)

    env = {"OPENAI_API_KEY": "sk-test-0123456789abcdef"}
    base = ["persona=lanbot", "count=2", "families=identity", "dry_run=true"]
    refused = cli(*base, "teacher=openai:gpt-5.1", "budget=1", env=env)
    assert refused.returncode == 2 and "no price known for openai:gpt-5.1" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1
    prices = tmp_path / "prices.toml"
    prices.write_text('[prices."openai:gpt-5.1"]\ninput = 1.25\ncached_input = 0.125\noutput = 10.0\n'
                      'as_of = "2025-11-13"\nsource = "my invoice"\n', encoding="utf-8")
    shown = cli(*base, "teacher=openai:gpt-5.1", "budget=1", f"prices={prices}", "reasoning_effort=minimal", env=env)
    assert shown.returncode == 0, shown.stderr
    out = shown.stdout
    assert "model class: openai-reasoning" in out and "(2025-11-13, my invoice)" in out
    body = json.loads(out[out.index("{", out.index("first request")):out.index("\n}", out.index("first request")) + 2])
    assert body["reasoning_effort"] == "minimal" and body["max_completion_tokens"] == 512 + 1024
    assert "temperature" not in body and "request shape: ok for openai-reasoning" in out
    assert "sk-test-0123456789abcdef" not in out + shown.stderr


def test_generate_stops_the_teacher_lane_when_the_provider_stays_unavailable(tmp_path, provider, monkeypatch):
    """503 on every request: the SDK retries (honouring Retry-After), then the lane stops with one line; the teacher
    tasks stay undone (no rejection), the exit is not 0 and the manifest says why."""
    from factory.runlog import FamilyLog
    from tests.test_generate import cli, lanbot_card_with

    monkeypatch.setattr(Provider, "status", 503)
    monkeypatch.setattr(Provider, "body", {"error": {"message": "The server is overloaded", "type": "server_error"}})
    monkeypatch.setattr(Provider, "headers_out", {"retry-after-ms": "5", "Retry-After": "0"})
    card = lanbot_card_with(tmp_path, "teacher_share = 0.05", "teacher_share = 1.0")
    out = tmp_path / "out"
    run = cli(f"persona={card}", "count=2", "families=tool_use", "seed=7", "chunks=1", f"out={out}",
              f"teacher=http://127.0.0.1:{provider.server_port}/v1@m")
    assert run.returncode == 1, run.stdout + run.stderr
    lines = [x for x in run.stderr.splitlines() if "stopped the teacher lane" in x]
    assert len(lines) == 1 and "unavailable after 4 retries: HTTP 503" in lines[0]
    assert FamilyLog(out / "raw" / "tool_use", "tool_use").done_keys == set()
    manifest = json.loads((out / "raw" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["status"] == "unavailable" and "HTTP 503" in manifest["teacher_unavailable"]
    assert len(Provider.seen) % 5 == 0  # each request: the first try and 4 retries, nothing after the stop


def test_judge_config_error_is_said_once_and_asks_nothing_more(tmp_path, provider, monkeypatch):

    from filters.judge import JudgeFilter, merge_usage
    from generators.teachers.connect import JUDGE_SPEC_ENV, JudgeConnection
    from tests.filter_corpus import identity
    from tests.test_filter_judge import card, run_judge

    monkeypatch.setattr(Provider, "status", 404)
    monkeypatch.setattr(Provider, "body", MODEL_NOT_FOUND)
    spec = f"http://127.0.0.1:{provider.server_port}/v1@gpt-9"
    monkeypatch.setenv(JUDGE_SPEC_ENV, spec)  # this node's own environment (the filter sets it for executor=local)
    connect = JudgeConnection(spec)
    step = JudgeFilter(connect, "judge", card(), str(tmp_path / "j"), threshold=3)
    kept = run_judge(step, [identity(11), identity(12), identity(13)])
    assert len(kept) == 3 and len(Provider.seen) == 1  # passed unjudged; one request, not one per record
    usage = merge_usage(tmp_path / "j")
    assert usage is not None and "model_not_found" in usage["config_error"] and "gpt-9" in usage["config_error"]

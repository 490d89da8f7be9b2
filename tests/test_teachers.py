"""Teachers: spec resolution, wire formats (offline), retries against a failing server, and the real local server."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from generators.teachers.teacher import (
    Teacher,
    TeacherError,
    build_anthropic_request,
    build_openai_request,
    parse_anthropic_response,
    parse_openai_response,
    resolve_teacher,
)
from schemas.settings import UsageError

CALL = {"id": "call_1", "type": "function", "function": {"name": "bash", "arguments": {"command": "ls -la"}}}
TOOLS = [{"type": "function", "function": {"name": "bash", "description": "run a command",
                                           "parameters": {"type": "object", "properties": {"command": {"type": "string"}},
                                                          "required": ["command"]}}}]
CONVERSATION = [
    {"role": "system", "content": "You are LanBot."},
    {"role": "user", "content": "list files"},
    {"role": "assistant", "content": None, "tool_calls": [CALL]},
    {"role": "tool", "tool_call_id": "call_1", "name": "bash", "content": "a.py\nb.py"},
]


@pytest.fixture
def no_keys(monkeypatch):
    for var in ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "OPENROUTER_API_KEY", "OPENAI_COMPATIBLE_API_KEY"):
        monkeypatch.delenv(var, raising=False)


def test_spec_resolution(no_keys, monkeypatch):
    assert resolve_teacher(None).provider == "local"
    assert resolve_teacher("local").spec == "local"
    compat = resolve_teacher("http://127.0.0.1:8000/v1@qwen2.5-7b")
    assert (compat.provider, compat.model, compat.base_url) == ("compatible", "qwen2.5-7b", "http://127.0.0.1:8000/v1")
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-secret")
    picked = resolve_teacher(None)
    assert picked.provider == "anthropic"
    assert "sk-ant-secret" not in json.dumps(picked.lineage())
    monkeypatch.setenv("OPENAI_API_KEY", "sk-secret")
    assert resolve_teacher(None).provider == "openai"  # OpenAI first when several keys are present


@pytest.mark.parametrize("spec, message", [
    ("gpt4", "unknown teacher 'gpt4'"),
    ("mistral:large", "unknown teacher"),
    ("openai:gpt-4o", "needs OPENAI_API_KEY"),
    ("anthropic:claude-sonnet-4-5", "needs ANTHROPIC_API_KEY"),
    ("openrouter:x/y", "needs OPENROUTER_API_KEY"),
    ("http://localhost:8000/v1", "give the model after the URL"),
])
def test_bad_specs_are_one_clear_line(no_keys, spec, message):
    with pytest.raises(UsageError, match=message) as info:
        resolve_teacher(spec)
    assert "\n" not in str(info.value)


def test_openai_request_and_response():
    body = build_openai_request("gpt-4o-mini", CONVERSATION, 128, 0.2, tools=TOOLS, seed=7,
                                response_format={"type": "json_schema", "json_schema": {"name": "x", "schema": {}}})
    wire_call = body["messages"][2]["tool_calls"][0]
    assert wire_call["function"]["arguments"] == '{"command": "ls -la"}'  # objects in records, strings on the wire
    assert body["messages"][3] == {"role": "tool", "tool_call_id": "call_1", "name": "bash", "content": "a.py\nb.py"}
    assert body["tools"] == TOOLS and body["seed"] == 7 and body["response_format"]["type"] == "json_schema"
    reply = parse_openai_response({
        "choices": [{"finish_reason": "tool_calls", "message": {"content": None, "tool_calls": [
            {"id": "c9", "type": "function", "function": {"name": "bash", "arguments": '{"command": "df -h"}'}}]}}],
        "usage": {"prompt_tokens": 31, "completion_tokens": 9}})
    assert reply.tool_calls == [{"id": "c9", "name": "bash", "arguments": {"command": "df -h"}}]
    assert (reply.prompt_tokens, reply.completion_tokens, reply.finish_reason) == (31, 9, "tool_calls")
    with pytest.raises(TeacherError, match="not JSON"):
        parse_openai_response({"choices": [{"message": {"tool_calls": [
            {"id": "c", "function": {"name": "bash", "arguments": "{command: ls"}}]}}]})
    with pytest.raises(TeacherError, match="no choices"):
        parse_openai_response({"error": "overloaded"})


def test_anthropic_request_and_response():
    schema = {"type": "json_schema", "json_schema": {"name": "verdict", "schema": {"type": "object"}}}
    body = build_anthropic_request("claude-haiku-4-5", CONVERSATION, 256, 0.5, response_format=schema, tools=TOOLS)
    assert body["system"] == [{"type": "text", "text": "You are LanBot.", "cache_control": {"type": "ephemeral"}}]
    assert [m["role"] for m in body["messages"]] == ["user", "assistant", "user"]
    assert body["messages"][1]["content"][0] == {"type": "tool_use", "id": "call_1", "name": "bash",
                                                 "input": {"command": "ls -la"}}
    assert body["messages"][2]["content"][0]["type"] == "tool_result"
    assert body["tool_choice"] == {"type": "tool", "name": "verdict"}
    assert {t["name"] for t in body["tools"]} == {"bash", "verdict"}
    reply = parse_anthropic_response({"content": [
        {"type": "text", "text": "Checking. "},
        {"type": "tool_use", "id": "tu_1", "name": "bash", "input": {"command": "uptime"}},
        {"type": "tool_use", "id": "tu_2", "name": "verdict", "input": {"ok": True}}],
        "usage": {"input_tokens": 50, "output_tokens": 20}, "stop_reason": "tool_use"}, structured_tool="verdict")
    assert reply.text == 'Checking. {"ok": true}'
    assert reply.tool_calls == [{"id": "tu_1", "name": "bash", "arguments": {"command": "uptime"}}]
    assert (reply.prompt_tokens, reply.completion_tokens) == (50, 20)


def test_cost_accounting():
    teacher = Teacher("openai", "gpt-4o-mini")
    teacher.prices = (0.15, 0.60)
    assert teacher.cost(1_000_000, 1_000_000) == pytest.approx(0.75)
    teacher.usage.add(100, 50, teacher.cost(100, 50))
    assert teacher.usage.as_dict()["requests"] == 1 and teacher.usage.cost_usd > 0


class _Failing(BaseHTTPRequestHandler):
    hits = 0

    def do_POST(self):  # noqa: N802 - http.server's naming
        type(self).hits += 1
        self.send_response(429)
        self.send_header("Content-Type", "application/json")
        self.send_header("Retry-After", "0")
        self.end_headers()
        self.wfile.write(b'{"error": {"message": "rate limited"}}')

    def log_message(self, *args):
        pass


def test_rate_limits_are_retried_then_rejected_with_reason(no_keys):
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Failing)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        teacher = resolve_teacher(f"http://127.0.0.1:{server.server_port}/v1@m")
        teacher.max_retries = 2
        with pytest.raises(TeacherError, match="HTTP 429") as info:
            teacher.chat([{"role": "user", "content": "hi"}], max_tokens=8)
        assert _Failing.hits == 3  # the first try and two retries
        assert "\n" not in str(info.value)
        assert teacher.usage.failures == 1
    finally:
        server.shutdown()


@pytest.mark.slow
def test_local_server_openai_compatible_path(no_keys):
    """The OpenAI-compatible path for real, offline: the local llama.cpp server, structured output, distilabel."""
    teacher = resolve_teacher("local")
    with teacher.session(parallel=2):
        text, reply = teacher.chat([{"role": "user", "content": "Say hello."}], max_tokens=16, temperature=0.0)
        assert text and reply.completion_tokens > 0 and reply.prompt_tokens > 0
        schema = {"type": "object", "properties": {"answer": {"type": "integer"}}, "required": ["answer"]}
        structured = teacher.complete([{"role": "user", "content": "What is 2+3? Reply in JSON."}], max_tokens=24,
                                      temperature=0.0,
                                      response_format={"type": "json_schema",
                                                       "json_schema": {"name": "sum", "schema": schema}})
        assert isinstance(json.loads(structured.text)["answer"], int)  # the grammar forces the shape, not the truth
        # the same endpoint through the very class an OpenAI key would use
        compat = resolve_teacher(f"{teacher.base_url}@smollm2-135m-instruct")
        assert compat.chat([{"role": "user", "content": "Hi"}], max_tokens=8)[0]

        from generators.teachers.distilabel_llm import distilabel_llm

        llm = distilabel_llm(teacher, {"max_new_tokens": 16, "temperature": 0.0})
        llm.load()
        outputs = llm.generate_outputs(inputs=[[{"role": "user", "content": "Name a color."}]], num_generations=1)
        assert outputs[0]["generations"][0]
        assert outputs[0]["statistics"]["output_tokens"][0] > 0
    assert teacher.usage.requests >= 2 and teacher.usage.cost_usd == 0.0


@pytest.mark.slow
def test_local_server_thread_count_changes_between_batches(no_keys, monkeypatch):
    """generate gives the local server every core while the procedural lane idles: a restart on a new port that
    keeps serving; remote teachers and a fixed CRUCIBLE_LLAMA_THREADS are left alone."""
    monkeypatch.delenv("CRUCIBLE_LLAMA_THREADS", raising=False)
    assert resolve_teacher("http://127.0.0.1:9/v1@m").use_threads(2) is False
    teacher = resolve_teacher("local")
    with teacher.session(parallel=2):
        assert teacher._server.threads == 1 and teacher.use_threads(1) is False
        old_url = teacher.base_url
        assert teacher.use_threads(2) is True
        assert teacher._server.threads == 2 and teacher.base_url != old_url
        assert teacher.chat([{"role": "user", "content": "Say hello."}], max_tokens=8, temperature=0.0)[0]
        assert teacher.use_threads(1) is True and teacher._server.threads == 1
        assert teacher.chat([{"role": "user", "content": "Say hi."}], max_tokens=8, temperature=0.0)[0]
    assert teacher._server is None
    monkeypatch.setenv("CRUCIBLE_LLAMA_THREADS", "1")
    fixed = resolve_teacher("local")
    with fixed.session(parallel=2):
        assert fixed.use_threads(2) is False and fixed._server.threads == 1


@pytest.mark.network(env="OPENAI_API_KEY")
def test_openai_live():
    text, reply = resolve_teacher("openai:gpt-4o-mini").chat([{"role": "user", "content": "Say OK."}], max_tokens=5)
    assert text and reply.prompt_tokens > 0


@pytest.mark.network(env="ANTHROPIC_API_KEY")
def test_anthropic_live():
    text, reply = resolve_teacher("anthropic:claude-haiku-4-5").chat([{"role": "user", "content": "Say OK."}],
                                                                     max_tokens=5)
    assert text and reply.prompt_tokens > 0


@pytest.mark.network(env="OPENROUTER_API_KEY")
def test_openrouter_live():
    text, _ = resolve_teacher("openrouter:meta-llama/llama-3.3-70b-instruct").chat(
        [{"role": "user", "content": "Say OK."}], max_tokens=5)
    assert text


@pytest.mark.slow
def test_local_server_dies_with_a_killed_parent(tmp_path):
    """A SIGKILLed generate must not leave llama-server running (PR_SET_PDEATHSIG on the child)."""
    import os
    import signal
    import subprocess
    import sys
    import time

    script = ("from generators.teachers.localserver import LocalServer\nimport time\n"
              "s = LocalServer(parallel=1).start()\nprint(s.process.pid, flush=True)\ntime.sleep(600)\n")
    parent = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert parent.stdout is not None
    server_pid = int(parent.stdout.readline())
    os.kill(parent.pid, signal.SIGKILL)
    parent.wait()
    for _ in range(100):
        try:
            os.kill(server_pid, 0)
        except ProcessLookupError:
            return
        try:
            with open(f"/proc/{server_pid}/stat") as stat:  # a zombie waiting for init counts as gone
                if stat.read().split()[2] == "Z":
                    return
        except FileNotFoundError:
            return
        time.sleep(0.1)
    os.kill(server_pid, signal.SIGKILL)
    raise AssertionError("llama-server outlived its killed parent")

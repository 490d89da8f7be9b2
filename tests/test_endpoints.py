"""A teacher over several OpenAI-compatible endpoints (generators/teachers/pool.py): spread, failover, accounting,
secrets. Offline: small in-test servers speak the OpenAI chat format; a closed port is a dead endpoint. The slow
test runs two real llama-servers and kills one mid-run."""

import json
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from generators.teachers.teacher import TeacherPool, resolve_teacher
from generators.teachers.wire import TeacherConfigError, TeacherError, TeacherUnsettled
from schemas.secrets import scrub_spec, scrub_text
from schemas.settings import UsageError

USER = {"role": "user", "content": "Say hi."}


class Answering(BaseHTTPRequestHandler):
    """An OpenAI-compatible endpoint: `status` 200 answers in prose after `delay_s`, anything else is that error."""

    status = 200
    delay_s = 0.05

    def do_POST(self):  # noqa: N802 - http.server's naming
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length) or b"{}")
        self.server.seen.append(body)  # type: ignore[attr-defined]
        time.sleep(self.delay_s)
        if self.status == 200:
            out = {"id": "c1", "object": "chat.completion", "model": body.get("model"), "choices": [
                {"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": "Hi."}}],
                "usage": {"prompt_tokens": 10, "completion_tokens": 2}}
        else:
            out = {"error": {"message": "boom", "type": "server_error", "param": None, "code": None}}
        payload = json.dumps(out).encode()
        self.send_response(self.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):
        pass


def serve(handler: type = Answering) -> ThreadingHTTPServer:
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.seen = []  # type: ignore[attr-defined]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def dead_port() -> int:
    """A loopback port nothing listens on (connection refused)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def servers(monkeypatch):
    monkeypatch.delenv("OPENAI_COMPATIBLE_API_KEY", raising=False)
    made = [serve(), serve()]
    yield made
    for s in made:
        s.shutdown()
        s.server_close()


def pool_of(*ports: int, retries: int = 0) -> TeacherPool:
    teacher = resolve_teacher(",".join(f"http://127.0.0.1:{p}/v1@m" for p in ports))
    assert isinstance(teacher, TeacherPool)
    for member in teacher.members:
        member.max_retries = retries  # a dead endpoint is found at once (the SDK's default backs off ~8 s)
    return teacher


def test_spec_parsing_and_secrets():
    spec = "http://u:pw@h1:8000/v1?api_key=sekrit@m, http://h2:8000/v1@m"
    teacher = resolve_teacher(spec)
    assert isinstance(teacher, TeacherPool) and len(teacher.members) == 2 and teacher.model == "m"
    safe = "http://h1:8000/v1?api_key=REDACTED@m,http://h2:8000/v1@m"
    assert teacher.spec == safe and scrub_spec(spec.replace(" ", "")) == safe
    # the secret in the second endpoint is caught too (a comma-joined URL list used to be scrubbed as one URL)
    assert "pw" not in scrub_spec("http://h1/v1@m,http://u:pw@h2/v1@m")
    assert "pw" not in scrub_text("teacher http://h1/v1,http://u:pw@h2/v1 failed")
    assert teacher.lineage() == {"provider": "compatible", "model": "m",
                                 "params": {"base_url": "http://h1:8000/v1?api_key=REDACTED,http://h2:8000/v1"}}
    assert "sekrit" in teacher.worker_spec()  # the full spec, only for a worker process that resolves it again
    with pytest.raises(UsageError, match="same model"):
        resolve_teacher("http://h1/v1@a,http://h2/v1@b")
    with pytest.raises(UsageError, match="listed twice"):
        resolve_teacher("http://h1/v1@a,http://h1/v1@a")
    assert not isinstance(resolve_teacher("http://h1/v1@a"), TeacherPool)


def test_requests_are_spread_by_free_capacity(servers):
    teacher = pool_of(*(s.server_port for s in servers))
    with ThreadPoolExecutor(8) as pool:
        replies = list(pool.map(lambda _: teacher.complete([USER], max_tokens=8), range(16)))
    assert all(r.text == "Hi." for r in replies)
    seen = [len(s.seen) for s in servers]
    assert sum(seen) == 16 and min(seen) >= 4, seen  # both used (equal servers; the first goes alone)
    rows = teacher.endpoints()
    assert [r["requests"] for r in rows] == seen and all(r["out"] is None for r in rows)
    assert sum(r["prompt_tokens"] for r in rows) == teacher.usage.prompt_tokens == 160
    # a slow endpoint (more in flight) gets less work
    Slow = type("Slow", (Answering,), {"delay_s": 0.4})
    slow = serve(Slow)
    try:
        teacher = pool_of(servers[0].server_port, slow.server_port)
        with ThreadPoolExecutor(4) as pool:
            list(pool.map(lambda _: teacher.complete([USER], max_tokens=8), range(24)))
        fast_n, slow_n = (r["requests"] for r in teacher.endpoints())
        assert fast_n > 2 * slow_n, (fast_n, slow_n)
    finally:
        slow.shutdown()
        slow.server_close()


def test_a_dead_or_failing_endpoint_is_taken_out_and_its_requests_go_elsewhere(servers, capsys):
    live = servers[0]
    teacher = pool_of(dead_port(), live.server_port)
    with ThreadPoolExecutor(4) as pool:
        replies = list(pool.map(lambda _: teacher.complete([USER], max_tokens=8), range(8)))
    assert len(replies) == 8 and all(r.text == "Hi." for r in replies)  # nothing lost
    dead_row, live_row = teacher.endpoints()
    assert dead_row["out"] and "unavailable" in dead_row["out"] and dead_row["requests"] == 0  # found by its probe
    assert live_row["requests"] == 8 == len(live.seen) and live_row["out"] is None
    err = capsys.readouterr().err
    assert err.count("taken out") == 1 and "(1 of 2 left)" in err
    # a 5xx after the retries is an infrastructure failure too
    Failing = type("Failing", (Answering,), {"status": 503})
    failing = serve(Failing)
    try:
        teacher = pool_of(failing.server_port, servers[1].server_port)
        assert teacher.complete([USER], max_tokens=8).endpoint == teacher.members[1].spec
        assert "HTTP 503" in (teacher.endpoints()[0]["out"] or "")
    finally:
        failing.shutdown()
        failing.server_close()


def test_all_out_is_unavailable_and_a_config_error_is_no_failover(servers):
    teacher = pool_of(dead_port(), dead_port())
    with pytest.raises(TeacherUnsettled, match="every endpoint is out") as info:
        teacher.complete([USER], max_tokens=8)
    assert info.value.kind == "unavailable" and teacher.stopped is not None
    Refusing = type("Refusing", (Answering,), {"status": 401})
    refusing = serve(Refusing)
    try:
        teacher = pool_of(refusing.server_port, servers[0].server_port)
        with pytest.raises(TeacherConfigError):
            teacher.complete([USER], max_tokens=8)
        assert len(servers[0].seen) == 0 and not teacher.out  # not retried elsewhere: the setting is wrong
    finally:
        refusing.shutdown()
        refusing.server_close()


def test_distilabel_worker_fails_over_and_the_parent_learns_it(servers):
    """identity's turns go through distilabel's worker process, which resolves the pool again: what it takes out
    and each endpoint's usage come back through the usage file."""
    from generators import identity
    from schemas import load_persona

    tasks = [t for t in identity.plan(load_persona("lanbot"), 8, 3) if not t.get("procedural")][:2]
    teacher = pool_of(dead_port(), servers[0].server_port, retries=4)
    results = identity.run(tasks, teacher, None, "r1")
    assert len(results) == 2  # answered (rejected as content: "Hi." is no LanBot reply), none left undone
    dead_row, live_row = teacher.endpoints()
    assert dead_row["out"] and live_row["out"] is None
    assert live_row["requests"] == len(servers[0].seen) == teacher.usage.requests > 0
    assert "127.0.0.1" in teacher.worker_spec() and str(servers[0].server_port) in teacher.worker_spec()
    assert teacher.worker_spec().count("http://") == 1  # the next batch's worker does not try the dead one
    identity.run(tasks, teacher, None, "r1")  # that worker holds a plain Teacher: its usage is still credited
    rows = teacher.endpoints()
    assert sum(r["prompt_tokens"] for r in rows) == teacher.usage.prompt_tokens
    assert rows[1]["requests"] == len(servers[0].seen) == teacher.usage.requests


def test_generate_run_over_two_endpoints_one_dead(tmp_path, servers):
    from factory.runlog import FamilyLog
    from tests.test_generate import cli, lanbot_card_with

    card = lanbot_card_with(tmp_path, "teacher_share = 0.05", "teacher_share = 1.0")
    out = tmp_path / "out"
    spec = f"http://u:pw@127.0.0.1:{dead_port()}/v1@m,http://127.0.0.1:{servers[0].server_port}/v1@m"
    res = cli(f"persona={card}", "count=4", "families=tool_use", "seed=7", "chunks=1", f"out={out}", f"teacher={spec}")
    assert res.returncode == 0, res.stdout + res.stderr
    assert res.stderr.count("taken out") == 1 and "pw" not in res.stderr + res.stdout
    manifest = json.loads((out / "raw" / "manifest.json").read_text())
    dead_row, live_row = manifest["teacher"]["endpoints"]
    assert dead_row["out"] and dead_row["requests"] == 0 and live_row["requests"] == len(servers[0].seen)  # probe
    total = manifest["teacher_usage_this_run"]
    assert total["prompt_tokens"] == dead_row["prompt_tokens"] + live_row["prompt_tokens"]
    log = FamilyLog(out / "raw" / "tool_use", "tool_use")
    assert log.kept + log.rejected == 4  # every task settled once
    assert "pw" not in (out / "raw" / "manifest.json").read_text()


@pytest.mark.slow
def test_two_local_servers_one_killed_mid_run(tmp_path):
    """Two real llama-servers (the local SmolLM2, 2 slots each) as one teacher: a generate run uses both, survives one
    being SIGKILLed mid-run, and ends with exactly `count` records, none lost, none twice."""
    import os
    import signal
    import subprocess

    from factory.runlog import FamilyLog
    from generators.teachers.localserver import LocalServer
    from tests.test_generate import PY, REPO, all_records, lanbot_card_with

    count = 6
    card = lanbot_card_with(tmp_path, "teacher_share = 0.25", "teacher_share = 1.0")  # every identity reply taught
    out = tmp_path / "out"
    ledger = out / "raw" / "identity" / "_ledger.jsonl"
    with LocalServer(parallel=2, alias="smol") as first, LocalServer(parallel=2, alias="smol") as second:
        args = [PY, "-W", "ignore", "-m", "factory", "generate", f"persona={card}", f"count={count}",
                "families=identity", "parallel=4", "batch=4", "chunks=8", f"teacher={first.spec},{second.spec}",
                f"out={out}"]  # chunks=8: room for the 135M model's low identity yield (~25%) to reach count
        proc = subprocess.Popen(args, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.time() + 900
        while time.time() < deadline and proc.poll() is None and not (ledger.exists() and ledger.read_text()):
            time.sleep(0.2)
        time.sleep(1.0)  # the next batch's requests are in flight on both
        assert proc.poll() is None, "the run ended before a server could be killed; raise count"
        assert second.process is not None
        os.killpg(second.process.pid, signal.SIGKILL)  # a crash, not a clean stop
        stdout, stderr = proc.communicate(timeout=1200)
    assert proc.returncode == 0, stderr[-3000:] + stdout
    manifest = json.loads((out / "raw" / "manifest.json").read_text())
    print(json.dumps(manifest["teacher"]["endpoints"]), manifest["families"], manifest["wall_s"], stderr[-600:])
    records = all_records(out / "raw")
    assert len(records) == count and len({r["id"] for r in records}) == count
    keys = [k for line in ledger.read_text().splitlines() for k in (json.loads(line)["kept"] +
                                                                    json.loads(line)["rejected"])]
    assert len(keys) == len(set(keys))  # no task settled twice
    kept = [k for line in ledger.read_text().splitlines() for k in json.loads(line)["kept"]]
    assert FamilyLog(out / "raw" / "identity", "identity").kept == count == len(kept)  # every kept task has its record
    rows = {r["endpoint"]: r for r in manifest["teacher"]["endpoints"]}
    assert rows[first.spec]["requests"] > 0 and rows[second.spec]["requests"] > 0  # both were used
    assert sum(r["prompt_tokens"] for r in rows.values()) == manifest["teacher_usage_this_run"]["prompt_tokens"]
    assert rows[first.spec]["out"] is None and rows[second.spec]["out"]  # the killed one was taken out ...
    assert f"teacher endpoint {second.spec} taken out" in stderr  # ... with a line saying so


# ---------------------------------------------------------------------------------------------------------------
# provider batch APIs (generators/teachers/batchapi.py): the documented file formats, offline

OPENAI_OUT = [  # the Batch API's documented output / error file lines
    {"id": "batch_req_123", "custom_id": "r000000", "response": {"status_code": 200, "request_id": "req_123", "body": {
        "id": "chatcmpl-123", "object": "chat.completion", "created": 1711652795, "model": "gpt-4o-mini",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hello."}, "logprobs": None,
                     "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 22, "completion_tokens": 2, "total_tokens": 24}}}, "error": None},
    {"id": "batch_req_456", "custom_id": "r000001", "response": None,
     "error": {"code": "batch_expired", "message": "This request could not be executed before the completion window "
                                                  "expired."}},
    {"id": "batch_req_789", "custom_id": "r000002", "response": {"status_code": 400, "request_id": "req_789", "body": {
        "error": {"message": "This model's maximum context length is 128000 tokens.", "type": "invalid_request_error",
                  "param": "messages", "code": "context_length_exceeded"}}}, "error": None},
]
ANTHROPIC_OUT = [  # Message Batches' documented results lines
    {"custom_id": "r000000", "result": {"type": "succeeded", "message": {
        "id": "msg_014VwiXbi91y3JMjcpyGBHX5", "type": "message", "role": "assistant", "model": "claude-haiku-4-5",
        "content": [{"type": "text", "text": "Hello again!"}], "stop_reason": "end_turn", "stop_sequence": None,
        "usage": {"input_tokens": 11, "output_tokens": 36}}}},
    {"custom_id": "r000001", "result": {"type": "errored", "error": {"type": "error", "error": {
        "type": "invalid_request_error", "message": "max_tokens: Field required"}}}},
    {"custom_id": "r000002", "result": {"type": "expired"}},
    {"custom_id": "r000003", "result": {"type": "errored", "error": {"type": "error", "error": {
        "type": "api_error", "message": "Internal server error"}}}},
]


def test_batch_request_files_follow_the_documented_shapes():
    from generators.teachers import batchapi

    body = {"model": "gpt-4o-mini", "messages": [USER], "max_completion_tokens": 8}
    line = json.loads(batchapi.request_lines("openai", {batchapi.custom_id(0): body}))
    assert line == {"custom_id": "r000000", "method": "POST", "url": "/v1/chat/completions", "body": body}
    line = json.loads(batchapi.request_lines("anthropic", {"r000001": {"model": "m", "max_tokens": 8}}))
    assert line == {"custom_id": "r000001", "params": {"model": "m", "max_tokens": 8}}


def test_batch_results_go_through_the_live_parsers_and_errors_sort_by_kind():
    from generators.teachers import batchapi

    got = batchapi.parse_results("openai", "".join(json.dumps(x) + "\n" for x in OPENAI_OUT), "gpt-4o-mini")
    ok, expired, too_long = got["r000000"], got["r000001"], got["r000002"]
    assert not isinstance(ok, Exception) and ok.text == "Hello." and (ok.prompt_tokens, ok.completion_tokens) == (22, 2)
    assert isinstance(expired, TeacherUnsettled) and "batch_expired" in str(expired)  # undone: resent next run
    assert type(too_long).__name__ == "TeacherError"  # the prompt's own failure: a rejection
    got = batchapi.parse_results("anthropic", "".join(json.dumps(x) + "\n" for x in ANTHROPIC_OUT), "claude-haiku-4-5")
    ok = got["r000000"]
    assert not isinstance(ok, Exception) and ok.text == "Hello again!" and ok.completion_tokens == 36
    assert isinstance(got["r000001"], TeacherConfigError) and "max_tokens" in got["r000001"].line
    assert isinstance(got["r000002"], TeacherUnsettled) and isinstance(got["r000003"], TeacherUnsettled)
    assert not isinstance(got["r000003"], TeacherConfigError)
    teacher = resolve_teacher("http://h/v1@m")
    teacher.prices = (1.0, 2.0)
    assert batchapi.batch_cost(teacher, ok) == pytest.approx((11 * 1.0 + 36 * 2.0) / 1e6 / 2)


class BatchServer(BaseHTTPRequestHandler):
    """The OpenAI Files + Batches endpoints, enough for submit / poll / fetch through the real SDK: the batch ends at
    once, answering every request line with the documented output line."""

    def _send(self, out: object, raw: bytes | None = None) -> None:
        payload = raw if raw is not None else json.dumps(out).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def do_POST(self):  # noqa: N802
        data = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        state = self.server.state  # type: ignore[attr-defined]
        if self.path.endswith("/files"):
            state["input"] = data.split(b"\r\n\r\n", 2)[-1].rsplit(b"\r\n--", 2)[0]  # the multipart file part
            self._send({"id": "file-in", "object": "file", "bytes": len(data), "created_at": 0,
                        "filename": "requests.jsonl", "purpose": "batch"})
        else:
            state["created"] += 1
            self._send(self.batch())

    def batch(self) -> dict:
        return {"id": "batch_1", "object": "batch", "endpoint": "/v1/chat/completions", "input_file_id": "file-in",
                "completion_window": "24h", "status": "completed", "output_file_id": "file-out",
                "error_file_id": None, "created_at": 0}

    def do_GET(self):  # noqa: N802
        if self.path.endswith("/content"):
            lines = [json.loads(x) for x in self.server.state["input"].decode().splitlines()]  # type: ignore
            out = [{**OPENAI_OUT[0], "custom_id": x["custom_id"]} for x in lines]
            self._send(None, "".join(json.dumps(x) + "\n" for x in out).encode())
        else:
            self._send(self.batch())

    def log_message(self, *args):
        pass


def test_batch_submit_is_resumed_from_its_stored_id_and_ingested(tmp_path, monkeypatch):
    import openai

    from generators.teachers import batchapi

    server = ThreadingHTTPServer(("127.0.0.1", 0), BatchServer)
    server.state = {"created": 0}  # type: ignore[attr-defined]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        client = openai.OpenAI(base_url=f"http://127.0.0.1:{server.server_port}/v1", api_key="none", max_retries=0)
        teacher = resolve_teacher("http://h/v1@gpt-4o-mini")
        bodies = {batchapi.custom_id(i): teacher.request([USER], max_tokens=8)[0] for i in range(3)}
        tasks = {cid: f"c0:task{i}" for i, cid in enumerate(bodies)}
        state_path = tmp_path / "batch.json"
        state = batchapi.submit(client, "openai", bodies, tasks, state_path)
        assert state.batch_id == "batch_1" and server.state["created"] == 1  # type: ignore[attr-defined]
        # a crash after submission: the rerun finds the stored id and submits nothing again
        again = batchapi.submit(client, "openai", bodies, tasks, state_path)
        assert again == state and server.state["created"] == 1  # type: ignore[attr-defined]
        sent = [json.loads(x) for x in state_path.with_suffix(".requests.jsonl").read_text().splitlines()]
        assert [x["body"] for x in sent] == list(bodies.values())
        ended, batch = batchapi.poll(client, again)
        assert ended
        results = batchapi.parse_results("openai", batchapi.fetch(client, again, batch), "gpt-4o-mini")
        assert set(results) == set(tasks) and all(getattr(r, "text", "") == "Hello." for r in results.values())
    finally:
        server.shutdown()
        server.server_close()


def live_batch(spec: str, tmp_path) -> None:
    """One tiny request through a provider's batch API: submit, poll (up to 15 minutes of a 24 h window), ingest."""
    from generators.teachers import batchapi

    teacher = resolve_teacher(spec)
    client = teacher._anthropic_client() if teacher.provider == "anthropic" else teacher._openai_client()
    body, _ = teacher.request([USER], max_tokens=64)
    state = batchapi.submit(client, teacher.provider, {"r000000": body}, {"r000000": "live"}, tmp_path / "b.json")
    deadline = time.time() + 900
    while True:
        ended, batch = batchapi.poll(client, state)
        if ended:
            break
        if time.time() > deadline:
            pytest.skip(f"batch {state.batch_id} not ended after 15 minutes (the window is 24 h)")
        time.sleep(15)
    results = batchapi.parse_results(teacher.provider, batchapi.fetch(client, state, batch), teacher.model)
    reply = results["r000000"]
    assert not isinstance(reply, Exception), reply
    assert reply.text and reply.prompt_tokens > 0 and batchapi.batch_cost(teacher, reply) > 0


@pytest.mark.network(env="OPENAI_API_KEY")
def test_openai_batch_live(tmp_path):
    live_batch("openai:gpt-4o-mini", tmp_path)


@pytest.mark.network(env="ANTHROPIC_API_KEY")
def test_anthropic_message_batch_live(tmp_path):
    live_batch("anthropic:claude-haiku-4-5", tmp_path)


def test_a_prompt_longer_than_the_local_servers_context_is_that_tasks_failure():
    """llama-server answers a prompt over its per-slot context with HTTP 400 (exceed_context_size_error): one task's
    content, so the task is rejected with that reason and the run goes on (it stopped `just demo`'s generate once)."""
    from generators.teachers.localserver import LocalServer, binary_path

    if not binary_path().exists():
        pytest.skip("llama-server not built (./install.sh)")
    with LocalServer(parallel=1, ctx_per_slot=256, alias="smol") as server:
        teacher = resolve_teacher(server.spec)
        long = {"role": "user", "content": "Repeat after me: " + "the quick brown fox jumps over the lazy dog. " * 60}
        with pytest.raises(TeacherError, match="context size") as info:
            teacher.complete([long], max_tokens=8)
        assert not isinstance(info.value, TeacherUnsettled), info.value
        assert teacher.complete([USER], max_tokens=8).text is not None  # the teacher is not stopped by it

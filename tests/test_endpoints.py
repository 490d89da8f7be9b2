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
from generators.teachers.wire import TeacherConfigError, TeacherUnsettled
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
    assert dead_row["out"] and "unavailable" in dead_row["out"] and dead_row["failures"] >= 1
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
    assert dead_row["out"] and dead_row["requests"] >= 1 and live_row["requests"] == len(servers[0].seen)
    total = manifest["teacher_usage_this_run"]
    assert total["prompt_tokens"] == dead_row["prompt_tokens"] + live_row["prompt_tokens"]
    log = FamilyLog(out / "raw" / "tool_use", "tool_use")
    assert log.kept + log.rejected == 4  # every task settled once
    assert "pw" not in (out / "raw" / "manifest.json").read_text()

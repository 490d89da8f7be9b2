"""A hung endpoint (accepts the connection, never answers) among several: found by the GET /models probe within
probe_timeout, or taken out after its first timeout while others are in, instead of timeout x 5 tries (issue 16).
The times lost are printed (run with -s to see them)."""

import json
import socket
import threading
import time

import pytest

from generators.teachers.teacher import Teacher, TeacherPool, resolve_teacher
from generators.teachers.wire import TeacherUnsettled
from tests.test_endpoints import USER, Answering, serve


class Hung:
    """A loopback server that accepts every connection and never sends a byte."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.held: list[socket.socket] = []
        self.accepted = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.accepted += 1
            self.held.append(conn)  # kept open, never read, never answered

    def close(self) -> None:
        self.sock.close()
        for conn in self.held:
            conn.close()


@pytest.fixture
def hung(monkeypatch):
    monkeypatch.delenv("OPENAI_COMPATIBLE_API_KEY", raising=False)
    server = Hung()
    yield server
    server.close()


def pool(spec: str, timeout_s: float, probe_s: float, retries: int = 4) -> TeacherPool:
    teacher = resolve_teacher(spec)
    assert isinstance(teacher, TeacherPool)
    teacher.set_timeouts(timeout_s, probe_s)
    for member in teacher.members:
        member.max_retries = retries
    return teacher


@pytest.mark.slow
def test_a_hung_endpoint_costs_one_probe_not_five_timeouts(hung):
    live = serve()
    try:
        # before: what a hung endpoint cost an endpoint of a pool (the SDK's 1 + 4 tries, each a full timeout, plus
        # its backoff), measured with a 2 s timeout instead of the default 120 s
        alone = Teacher("compatible", "m", base_url=f"http://127.0.0.1:{hung.port}/v1", timeout_s=2.0, max_retries=4)
        started = time.monotonic()
        with pytest.raises(TeacherUnsettled):
            alone.complete([USER], max_tokens=8)
        before = time.monotonic() - started
        # after: the same hung endpoint first in a pool with a live one; probe_timeout 1 s
        teacher = pool(f"http://127.0.0.1:{hung.port}/v1@m,http://127.0.0.1:{live.server_port}/v1@m", 2.0, 1.0)
        started = time.monotonic()
        replies = [teacher.complete([USER], max_tokens=8) for _ in range(4)]
        after = time.monotonic() - started
        hung_row, live_row = teacher.endpoints()
        print(f"\nhung endpoint, timeout 2 s, 4 retries: before {before:.1f}s lost (one request); after "
              f"{hung_row['lost_s']:.1f}s lost (probe_timeout 1 s), 4 requests in {after:.1f}s; "
              f"at the defaults (timeout 120 s, probe 10 s): before >= {5 * 120} s, after ~10 s")
        assert all(r.text == "Hi." for r in replies) and live_row["requests"] == 4
        assert hung_row["out"] and "GET /models" in hung_row["out"] and hung_row["requests"] == 0
        assert before >= 5 * 2.0 and hung_row["lost_s"] < 2.0 < before
        # a request that hangs mid-run (the probe answered) costs one timeout while another endpoint is in
        teacher = pool(f"http://127.0.0.1:{hung.port}/v1@m,http://127.0.0.1:{live.server_port}/v1@m", 1.5, 1.0)
        teacher._probed[0].set()  # as if it had answered its probe and hung afterwards
        started = time.monotonic()
        for _ in range(2):
            assert teacher.complete([USER], max_tokens=8).endpoint == teacher.members[1].spec
        hung_row, _ = teacher.endpoints()
        print(f"hung mid-run: {hung_row['lost_s']:.1f}s lost (one 1.5 s timeout, no retries while another is in)")
        assert hung_row["out"] and hung_row["requests"] == 1 and 1.4 < hung_row["lost_s"] < 3.0
    finally:
        live.shutdown()
        live.server_close()


def test_a_slow_but_working_endpoint_stays_in(monkeypatch):
    """A server that takes longer than probe_timeout to answer a request is not a hung one: it answers GET /models."""
    monkeypatch.delenv("OPENAI_COMPATIBLE_API_KEY", raising=False)
    slow = serve(type("Slow", (Answering,), {"delay_s": 1.5}))
    fast = serve()
    try:
        teacher = pool(f"http://127.0.0.1:{slow.server_port}/v1@m,http://127.0.0.1:{fast.server_port}/v1@m", 10.0,
                       0.5)
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(4) as ex:
            replies = list(ex.map(lambda _: teacher.complete([USER], max_tokens=8), range(8)))
        assert all(r.text == "Hi." for r in replies)
        slow_row, fast_row = teacher.endpoints()
        assert slow_row["out"] is None and slow_row["requests"] >= 1 and slow_row["lost_s"] == 0
    finally:
        for s in (slow, fast):
            s.shutdown()
            s.server_close()


@pytest.mark.slow
def test_generate_with_a_hung_endpoint_next_to_a_real_llama_server(tmp_path, hung):
    """generate over a hung socket and the real local llama-server: exactly count records; the hung endpoint is out
    after its probe, also in distilabel's worker (identity's replies go through it)."""
    from generators.teachers.localserver import LocalServer
    from tests.test_generate import all_records, cli, lanbot_card_with

    count = 4
    card = lanbot_card_with(tmp_path, "teacher_share = 0.25", "teacher_share = 0.5")
    out = tmp_path / "out"
    with LocalServer(parallel=2, alias="smol") as server:
        spec = f"http://127.0.0.1:{hung.port}/v1@smol,{server.spec}"
        res = cli(f"persona={card}", f"count={count}", "families=identity", "seed=5", "parallel=2", "batch=2",
                  f"out={out}", f"teacher={spec}", "probe_timeout=2", timeout=900)
    assert res.returncode == 0, res.stderr[-3000:] + res.stdout
    manifest = json.loads((out / "raw" / "manifest.json").read_text())
    hung_row, live_row = manifest["teacher"]["endpoints"]
    print(f"\ngenerate: hung endpoint lost {hung_row['lost_s']}s (probe_timeout=2), run wall {manifest['wall_s']}s; "
          f"live endpoint {live_row['requests']} requests")
    records = all_records(out / "raw")
    assert len(records) == count and len({r["id"] for r in records}) == count
    assert hung_row["out"] and hung_row["requests"] == 0 and hung_row["lost_s"] < 4
    assert live_row["out"] is None and live_row["requests"] > 0
    assert res.stderr.count("taken out") == 1

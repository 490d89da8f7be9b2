"""An in-test provider for `generate batch=true`: the documented OpenAI Files + Batches endpoints and Anthropic's
Message Batches, on their documented request/result file formats, whose per-request answers come from the real local
llama-server (POST /v1/chat/completions, POST /v1/messages): no canned text.

    server = BatchProvider(llama_base_url)        # llama_base_url: http://127.0.0.1:<port> (no /v1)
    server.openai_url -> http://127.0.0.1:<p>/v1  # OPENAI_BASE_URL
    server.anthropic_url -> http://127.0.0.1:<p>  # ANTHROPIC_BASE_URL
    server.hold.set()                             # batches stay in_progress until hold is cleared
    server.mode = "ok" | "fail" | "expire" | "partial"
    server.created                                # batches created so far (both providers)
"""

import json
import threading
import time
from email.parser import BytesParser
from email.policy import default
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

TOO_LONG = {"message": "This model's maximum context length is 128000 tokens.", "type": "invalid_request_error",
            "param": "messages", "code": "context_length_exceeded"}


class BatchProvider:
    def __init__(self, llama: str, alias: str = "smol"):
        self.llama = llama.rstrip("/")
        self.alias = alias
        self.mode = "ok"
        self.hold = threading.Event()
        self.created = 0
        self.files: dict[str, bytes] = {}
        self.batches: dict[str, dict[str, Any]] = {}
        self.lock = threading.Lock()
        handler = type("Handler", (Handler,), {"provider": self})
        self.http = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.port = self.http.server_port
        threading.Thread(target=self.http.serve_forever, daemon=True).start()

    @property
    def openai_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def anthropic_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def close(self) -> None:
        self.hold.clear()
        self.http.shutdown()
        self.http.server_close()

    # -- processing: one thread per batch, each request answered by llama-server ---------------------------------

    def answer_openai(self, body: dict[str, Any]) -> dict[str, Any]:
        sent = {**body, "model": self.alias}
        if "max_completion_tokens" in sent:  # the provider's business: llama-server reads max_tokens
            sent["max_tokens"] = sent.pop("max_completion_tokens")
        r = httpx.post(f"{self.llama}/v1/chat/completions", json=sent, timeout=600)
        r.raise_for_status()
        return {**r.json(), "model": body.get("model")}

    def answer_anthropic(self, params: dict[str, Any]) -> dict[str, Any]:
        r = httpx.post(f"{self.llama}/v1/messages", json={**params, "model": self.alias}, timeout=600)
        r.raise_for_status()
        return {**r.json(), "model": params.get("model")}

    def run_openai(self, batch: dict[str, Any]) -> None:
        while self.hold.is_set():
            time.sleep(0.05)
        batch["status"] = "in_progress"
        lines = [json.loads(x) for x in self.files[batch["input_file_id"]].decode().splitlines() if x.strip()]
        if self.mode == "fail":
            batch.update(status="failed", failed_at=int(time.time()), errors={"object": "list", "data": [
                {"code": "invalid_json_line", "message": "This line is not parseable as valid JSON.", "line": 1,
                 "param": None}]})
            return
        out, err = [], []
        for i, line in enumerate(lines):
            cid = line["custom_id"]
            if self.mode == "expire" and i >= len(lines) // 2:
                err.append({"id": f"batch_req_{i}", "custom_id": cid, "response": None, "error": {
                    "code": "batch_expired", "message": "This request could not be executed before the completion "
                                                       "window expired."}})
            elif self.mode == "partial" and i == 0:
                err.append({"id": f"batch_req_{i}", "custom_id": cid, "response": {
                    "status_code": 400, "request_id": f"req_{i}", "body": {"error": TOO_LONG}}, "error": None})
            else:
                out.append({"id": f"batch_req_{i}", "custom_id": cid, "response": {
                    "status_code": 200, "request_id": f"req_{i}", "body": self.answer_openai(line["body"])},
                    "error": None})
            batch["request_counts"] = {"total": len(lines), "completed": len(out), "failed": len(err)}
        for kind, rows in (("output_file_id", out), ("error_file_id", err)):
            if rows:
                fid = f"file-{kind[:3]}-{batch['id']}"
                self.files[fid] = "".join(json.dumps(r) + "\n" for r in rows).encode()
                batch[kind] = fid
        batch["status"] = "expired" if self.mode == "expire" else "completed"
        batch["completed_at"] = int(time.time())

    def run_anthropic(self, batch: dict[str, Any], requests: list[dict[str, Any]]) -> None:
        while self.hold.is_set():
            time.sleep(0.05)
        results, counts = [], batch["request_counts"]
        for i, req in enumerate(requests):
            if self.mode == "partial" and i == 0:
                result = {"type": "errored", "error": {"type": "error", "error": {
                    "type": "invalid_request_error", "message": "prompt is too long: 200000 tokens > 199999 maximum"}}}
                counts["errored"] += 1
            elif self.mode == "expire" and i >= len(requests) // 2:
                result = {"type": "expired"}
                counts["expired"] += 1
            else:
                result = {"type": "succeeded", "message": self.answer_anthropic(req["params"])}
                counts["succeeded"] += 1
            counts["processing"] -= 1
            results.append({"custom_id": req["custom_id"], "result": result})
        self.files[f"results-{batch['id']}"] = "".join(json.dumps(r) + "\n" for r in results).encode()
        batch.update(processing_status="ended", ended_at="2026-12-05T12:00:00Z",
                     results_url=f"{self.anthropic_url}/v1/messages/batches/{batch['id']}/results")


class Handler(BaseHTTPRequestHandler):
    provider: BatchProvider

    def _send(self, out: Any, raw: bytes | None = None, status: int = 200) -> None:
        payload = raw if raw is not None else json.dumps(out).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json" if raw is None else "application/binary")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def do_POST(self):  # noqa: N802 - http.server's naming
        p = self.provider
        data = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        path = self.path.split("?")[0]
        if path == "/v1/files":  # multipart: purpose + file
            msg = BytesParser(policy=default).parsebytes(
                b"Content-Type: " + self.headers["Content-Type"].encode() + b"\r\n\r\n" + data)
            content = b""
            for part in msg.iter_parts():  # type: ignore[attr-defined]
                if part.get_param("name", header="content-disposition") == "file":
                    payload = part.get_payload(decode=True)
                    content = payload if isinstance(payload, bytes) else b""
            with p.lock:
                fid = f"file-in-{len(p.files)}"
                p.files[fid] = content
            return self._send({"id": fid, "object": "file", "bytes": len(content), "created_at": int(time.time()),
                               "filename": "requests.jsonl", "purpose": "batch", "status": "processed"})
        if path == "/v1/batches":
            req = json.loads(data)
            with p.lock:
                p.created += 1
                bid = f"batch_{p.created:03d}"
                batch = {"id": bid, "object": "batch", "endpoint": req["endpoint"], "errors": None,
                         "input_file_id": req["input_file_id"], "completion_window": req["completion_window"],
                         "status": "validating", "output_file_id": None, "error_file_id": None,
                         "created_at": int(time.time()), "request_counts": {"total": 0, "completed": 0, "failed": 0},
                         "metadata": None}
                p.batches[bid] = batch
            threading.Thread(target=p.run_openai, args=(batch,), daemon=True).start()
            return self._send(batch)
        if path == "/v1/messages/batches":
            requests = json.loads(data)["requests"]
            with p.lock:
                p.created += 1
                bid = f"msgbatch_{p.created:03d}"
                batch = {"id": bid, "type": "message_batch", "processing_status": "in_progress",
                         "request_counts": {"processing": len(requests), "succeeded": 0, "errored": 0,
                                            "canceled": 0, "expired": 0},
                         "ended_at": None, "created_at": "2026-12-05T11:00:00Z",
                         "expires_at": "2026-12-06T11:00:00Z", "archived_at": None, "cancel_initiated_at": None,
                         "results_url": None}
                p.batches[bid] = batch
            threading.Thread(target=p.run_anthropic, args=(batch, requests), daemon=True).start()
            return self._send(batch)
        self._send({"error": {"message": f"no route {path}", "type": "invalid_request_error"}}, status=404)

    def do_GET(self):  # noqa: N802
        p = self.provider
        path = self.path.split("?")[0]
        parts = path.strip("/").split("/")
        if path.startswith("/v1/files/") and path.endswith("/content"):
            return self._send(None, p.files[parts[2]])
        if path.startswith("/v1/messages/batches/") and path.endswith("/results"):
            return self._send(None, p.files[f"results-{parts[3]}"])
        if path.startswith("/v1/batches/") or path.startswith("/v1/messages/batches/"):
            batch = p.batches.get(parts[-1])
            if batch is not None:
                return self._send(batch)
        self._send({"error": {"message": f"no route {path}", "type": "not_found_error"}}, status=404)

    def log_message(self, *args):
        pass

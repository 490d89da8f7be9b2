"""Provider batch APIs (OpenAI Batch, Anthropic Message Batches: half price, answers within 24 h): the request files,
the result files, and the state that lets a crashed run find its batch again. Issue 16 item 3, first part.

What is here, tested offline against the documented formats (tests/test_endpoints.py):

- `request_lines(provider, bodies)`: one JSONL line per request, the bodies exactly as Teacher.request builds them
  (same model-class rules as a live call):
  OpenAI `{"custom_id", "method": "POST", "url": "/v1/chat/completions", "body"}` (the file uploaded with
  purpose "batch"); Anthropic `{"custom_id", "params"}` (the `requests` of messages.batches.create, kept as JSONL).
- `parse_results(provider, text)`: the output (and error) file of either provider -> {custom_id: Reply | TeacherError}
  through the same parsers as live replies (wire.parse_openai_response / parse_anthropic_response). A request that
  failed for a reason that is not its own (expired, canceled, a server error) is a TeacherUnsettled: the task stays
  undone and a rerun sends it again; a 400 about the request is sorted by wire.error_kind like a live one.
- `BatchState`: the batch id and the custom_id -> task key map, written atomically right after submission, so a rerun
  polls the stored batch instead of paying for a second one.
- `submit` / `poll` / `fetch` through the official SDKs (files.create + batches.create / batches.retrieve /
  files.content; messages.batches.create / retrieve / results).

`generate batch=true` uses it through generators/teachers/batchteacher.py and factory/generate_batch.py.
submit/poll/fetch have met only the in-test servers of tests/test_batch_generate.py (the documented endpoints and
file formats), not a live API (no keys here). The half price is BATCH_DISCOUNT, applied by `batch_cost`.
"""

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from generators.teachers.wire import (
    Reply,
    TeacherConfigError,
    TeacherError,
    TeacherUnsettled,
    error_kind,
    error_line,
    parse_anthropic_response,
    parse_openai_response,
)
from schemas.storage import write_json_atomic

BATCH_DISCOUNT = 0.5  # both providers bill batch requests at half the synchronous price
OPENAI_ENDPOINT = "/v1/chat/completions"
OPENAI_DONE = ("completed", "failed", "expired", "cancelled")  # OpenAI batch statuses that end it


def custom_id(i: int) -> str:
    """Anthropic allows ^[a-zA-Z0-9_-]{1,64}$ and task keys carry ':'; a position is safe for both providers."""
    return f"r{i:06d}"


def request_lines(provider: str, bodies: dict[str, dict[str, Any]]) -> str:
    """The JSONL request file for {custom_id: body}."""
    if provider == "anthropic":
        lines = [{"custom_id": cid, "params": body} for cid, body in bodies.items()]
    else:
        lines = [{"custom_id": cid, "method": "POST", "url": OPENAI_ENDPOINT, "body": body}
                 for cid, body in bodies.items()]
    return "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines)


def _failure(provider: str, model: str, status: int | None, body: Any, message: str) -> TeacherError:
    kind = error_kind(status, body, message)
    if kind == "content":
        return TeacherError(f"{provider}:{model} batch request: HTTP {status}: {message[:200]}")
    if kind == "config":
        return TeacherConfigError(error_line(provider, model, status, body, message))
    return TeacherUnsettled(f"{provider}:{model} batch request not answered: {message[:200]}")


def parse_results(provider: str, text: str, model: str = "", structured: str | None = None
                  ) -> dict[str, Reply | TeacherError]:
    """A batch's output (or error) file -> {custom_id: Reply, or the error that request met}."""
    out: dict[str, Reply | TeacherError] = {}
    for raw in text.splitlines():
        if not raw.strip():
            continue
        line = json.loads(raw)
        cid = line.get("custom_id", "")
        try:
            out[cid] = (_anthropic_result(line.get("result") or {}, model, structured) if provider == "anthropic"
                        else _openai_result(line, model))
        except TeacherError as exc:  # unparseable answer: that request's own failure
            out[cid] = exc
    return out


def _openai_result(line: dict[str, Any], model: str) -> Reply | TeacherError:
    response = line.get("response") or {}
    status = response.get("status_code")
    body = response.get("body")
    if status == 200 and isinstance(body, dict):
        return parse_openai_response(body)
    error = line.get("error") or (body.get("error") if isinstance(body, dict) else None) or {}
    message = str(error.get("message") or error.get("code") or "no answer")
    if status is None and error.get("code") in ("batch_expired", "batch_cancelled"):
        return TeacherUnsettled(f"openai:{model} batch request {error['code']}: {message[:200]}")
    return _failure("openai", model, status, body if isinstance(body, dict) else {"error": error}, message)


def _anthropic_result(result: dict[str, Any], model: str, structured: str | None) -> Reply | TeacherError:
    kind = result.get("type")
    if kind == "succeeded":
        return parse_anthropic_response(result.get("message") or {}, structured)
    if kind in ("expired", "canceled"):
        return TeacherUnsettled(f"anthropic:{model} batch request {kind}")
    error = (result.get("error") or {}).get("error") or {}
    status = {"invalid_request_error": 400, "authentication_error": 401, "permission_error": 403,
              "not_found_error": 404, "rate_limit_error": 429, "overloaded_error": 529}.get(str(error.get("type")), 500)
    return _failure("anthropic", model, status, {"error": error}, str(error.get("message") or error.get("type")))


def batch_cost(teacher: Any, reply: Reply) -> float:
    """What one batch request costs: the teacher's synchronous cost, halved."""
    return teacher.reply_cost(reply) * BATCH_DISCOUNT


@dataclass
class BatchState:
    """A submitted batch, stored next to the run so a rerun after a crash polls it instead of submitting again."""

    provider: str
    batch_id: str
    tasks: dict[str, str] = field(default_factory=dict)  # custom_id -> task key (or request key)
    input_file_id: str | None = None
    meta: dict[str, dict[str, Any]] = field(default_factory=dict)  # custom_id -> what the caller needs back
    submitted_at: str | None = None

    def save(self, path: Path) -> None:
        write_json_atomic(path, asdict(self))

    @classmethod
    def load(cls, path: Path) -> "BatchState | None":
        try:
            return cls(**json.loads(path.read_text(encoding="utf-8")))
        except FileNotFoundError:
            return None


def submit(client: Any, provider: str, bodies: dict[str, dict[str, Any]], tasks: dict[str, str],
           state_path: Path, meta: dict[str, dict[str, Any]] | None = None) -> BatchState:
    """Submit {custom_id: body} once: a state file already there means it was submitted, and is returned as is.
    (A kill between the provider's answer to create and the state write is the one window that can cost a second
    batch: milliseconds.)"""
    from schemas import now_iso
    from schemas.storage import write_atomic

    if (state := BatchState.load(state_path)) is not None:
        return state
    lines = request_lines(provider, bodies)
    write_atomic(state_path.with_suffix(".requests.jsonl"), lines)
    if provider == "anthropic":
        batch = client.messages.batches.create(requests=[json.loads(x) for x in lines.splitlines()])
        state = BatchState(provider, batch.id, tasks, meta=meta or {}, submitted_at=now_iso())
    else:
        upload = client.files.create(file=("requests.jsonl", lines.encode()), purpose="batch")
        batch = client.batches.create(input_file_id=upload.id, endpoint=OPENAI_ENDPOINT, completion_window="24h")
        state = BatchState(provider, batch.id, tasks, input_file_id=upload.id, meta=meta or {},
                           submitted_at=now_iso())
    state.save(state_path)
    return state


def poll(client: Any, state: BatchState) -> tuple[bool, Any]:
    """(ended, the provider's batch object)."""
    if state.provider == "anthropic":
        batch = client.messages.batches.retrieve(state.batch_id)
        return batch.processing_status == "ended", batch
    batch = client.batches.retrieve(state.batch_id)
    return batch.status in OPENAI_DONE, batch


def fetch(client: Any, state: BatchState, batch: Any) -> str:
    """The ended batch's result lines (OpenAI: output file then error file), as one JSONL text."""
    if state.provider == "anthropic":
        return "".join(json.dumps(r.model_dump()) + "\n" for r in client.messages.batches.results(state.batch_id))
    text = ""
    for file_id in (batch.output_file_id, batch.error_file_id):
        if file_id:
            text += client.files.content(file_id).text
    return text

"""batch=true: a Teacher whose requests go through the provider's batch API (OpenAI Batch, Anthropic Message
Batches: half price, answered within 24 h) instead of one HTTP call each. Issue 16 item 3.

Generators call `complete` as for any teacher (in this process, or in distilabel's worker through `worker_spec`),
so every request is built by the same model-class rules and every answer goes through the same parsers and record
builders as a live one. The run goes in rounds (factory/generate_batch.py):

1. the teacher lane runs its tasks; a request whose answer is in the store returns it (`Reply`, or the TeacherError
   that request met: a rejection with its reason, or a configuration error that stops the run); a request without
   one is written to `pending.jsonl` and raises BatchPending (its task stays undone: nothing was sent);
2. the pending requests are submitted as one batch, its id stored atomically (`state.json`), polled, and its result
   lines stored (`answers-<batch>.jsonl`); then round 1 again, until no request is pending.

A conversation of several turns needs one round per turn: a turn's request exists only once the previous answer is
in. A request is keyed by the sha256 of its task's key and its body, plus how many identical bodies the same task asked
before (a re-sampled turn asks the same body again; the n-th copy is queued only once the (n-1)-th was answered).
Answers are counted (usage, cost at BATCH_DISCOUNT of the live price) once, when their batch is ingested, never when
a later round reads them again. The batch lane calls the generator with ONE task at a time (`new_call(family, task)`),
so `lineage()` names exactly the batches and custom_ids that answered that task's own requests, never a batch that
answered only a neighbouring task.

The store is `raw/_batch/` of the corpus: `state.json` (the batch in flight: a rerun after a crash polls it instead
of submitting again), `requests-<batch>.jsonl` (what was sent), `answers-<batch>.jsonl` (the provider's result lines,
keyed), `batches.jsonl` (one line per ingested batch), `pending.jsonl` and `used.jsonl` (this round's scratch).
"""

import hashlib
import json
import threading
from collections import Counter
from pathlib import Path
from typing import Any

from generators.teachers import batchapi
from generators.teachers.teacher import Teacher, resolve_teacher
from generators.teachers.wire import BatchPending, Reply, TeacherConfigError, TeacherError, TeacherUnsettled
from schemas import canonical_json
from schemas.settings import UsageError
from schemas.storage import append_lines

PROVIDERS = ("openai", "anthropic")  # the providers with a batch API
PREFIX = "batch:"


def request_key(body: dict[str, Any], n: int, task: str = "") -> str:
    digest = hashlib.sha256(f"{task}\n{canonical_json(body)}".encode()).hexdigest()[:32]
    return f"{digest}-{n}"


class BatchTeacher(Teacher):
    """`teacher` (openai:<m> or anthropic:<m>, configured: prices, rules, effort) answered through batches stored in
    `store`. `family` and `task` name the family and the task whose generator call is running (the usage and the
    lineage of its requests)."""

    batch_api = True

    def __init__(self, inner: Teacher, store: Path, family: str = "", worker: bool = False, task: str = ""):
        if inner.provider not in PROVIDERS:
            raise UsageError(f"batch=true needs a teacher with a batch API (openai:<model> or anthropic:<model>); "
                             f"{inner.spec} has none: leave batch= out to send its requests one by one")
        super().__init__(inner.provider, inner.model, base_url=inner.base_url, key_var=inner.key_var,
                         timeout_s=inner.timeout_s, max_retries=inner.max_retries,
                         probe_timeout_s=inner.probe_timeout_s)
        self.model_class = inner.model_class
        self.rules_file = inner.rules_file
        self.reasoning_effort = inner.reasoning_effort
        self.prices = inner.prices
        self.store = store
        self.family = family
        self.task = task
        self.worker = worker
        self._seen: Counter[str] = Counter()
        self._used: set[tuple[str, str]] = set()  # (batch id, custom_id) of every answer this call read
        self._answers: dict[str, dict[str, Any]] | None = None
        self._mutex = threading.Lock()
        store.mkdir(parents=True, exist_ok=True)

    # -- what generators see ------------------------------------------------------------------------------------

    def complete(self, messages: list[dict[str, Any]], max_tokens: int = 512, temperature: float = 0.7,
                 response_format: dict[str, Any] | None = None, tools: list[dict[str, Any]] | None = None,
                 seed: int | None = None, top_p: float | None = None) -> Reply:
        if self.stopped is not None:
            raise type(self.stopped)(self.stopped.line)
        body, _ = self.request(messages, max_tokens, temperature, response_format, tools, seed, top_p)
        structured = (response_format or {}).get("json_schema", {}).get("name", "answer") if response_format else None
        digest = request_key(body, 0, self.task)[:-2]
        with self._mutex:
            answers = self.answers()
            n = self._seen[digest]
            self._seen[digest] += 1
            key = f"{digest}-{n}"
            answer = answers.get(key)
            if answer is None:
                if n == 0 or f"{digest}-{n - 1}" in answers:  # else: a re-ask of a request still waiting
                    append_lines(self.store / "pending.jsonl", [canonical_json({
                        "key": key, "family": self.family, "task": self.task, "body": body,
                        "structured": structured if "tool_choice" in body else None})])
                raise BatchPending(f"{self.spec}: request {key[:12]} waits for the next batch")
            used = (answer["batch_id"], answer["line"].get("custom_id", ""))
            if used not in self._used:
                self._used.add(used)
                if self.worker:
                    append_lines(self.store / "used.jsonl", [json.dumps(used)])
        result = self.parse(answer)
        if isinstance(result, TeacherConfigError):
            self._stop(result)
            raise result
        if isinstance(result, TeacherError):
            raise result
        result.cost_usd = batchapi.batch_cost(self, result)
        return result.usable(self.spec)

    def parse(self, answer: dict[str, Any]) -> Reply | TeacherError:
        got = batchapi.parse_results(self.provider, json.dumps(answer["line"]), self.model, answer.get("structured"))
        return next(iter(got.values()))

    def count_reply(self, reply: Reply) -> None:
        """Replies read from the store were counted when their batch was ingested (`ingest`)."""

    def lineage(self) -> dict[str, Any]:
        line = super().lineage()
        with self._mutex:
            used = set(self._used)
        if not self.worker:  # what distilabel's worker processes read for this call
            try:  # the procedural lane's manifest asks too, while the teacher lane's new_call may unlink the file
                text = (self.store / "used.jsonl").read_text(encoding="utf-8")
            except FileNotFoundError:
                text = ""
            for raw in text.splitlines():
                try:
                    used.add(tuple(json.loads(raw)))
                except json.JSONDecodeError:  # a line a worker is still writing (only the other lane reads then)
                    continue
        line["params"] = {**line["params"], "batch_api": {
            "provider": self.provider, "batches": sorted({b for b, _ in used}),
            "requests": [{"batch_id": b, "custom_id": c} for b, c in sorted(used)]}}
        return line

    def worker_spec(self) -> str:
        assert "|" not in f"{self.store}{self.task}", f"batch store path or task key with '|': {self.store} {self.task}"
        return f"{PREFIX}{self.store}|{self.family}|{self.task}|{super().worker_spec()}"

    # -- what the batch lane does -------------------------------------------------------------------------------

    def answers(self) -> dict[str, dict[str, Any]]:
        """Every stored answer, by request key (read once per generator call)."""
        if self._answers is None:
            self._answers = {}
            for path in sorted(self.store.glob("answers-*.jsonl")):
                for raw in path.read_text(encoding="utf-8").splitlines():
                    if raw.strip():
                        a = json.loads(raw)
                        self._answers[a["key"]] = a
        return self._answers

    def new_call(self, family: str, task: str = "") -> None:
        """Before each generator call (of one task): fresh occurrence counts and used batches, answers read again."""
        with self._mutex:
            self.family = family
            self.task = task
            self._seen.clear()
            self._used.clear()
            self._answers = None
            (self.store / "used.jsonl").unlink(missing_ok=True)

    def take_pending(self) -> dict[str, dict[str, Any]]:
        """This round's queued requests, by key (each once), and the queue emptied."""
        path = self.store / "pending.jsonl"
        out: dict[str, dict[str, Any]] = {}
        if path.exists():
            for raw in path.read_text(encoding="utf-8").splitlines():
                try:
                    line = json.loads(raw)
                except json.JSONDecodeError:  # a torn last line of a killed worker: asked again next round
                    continue
                if line["key"] not in self.answers():
                    out.setdefault(line["key"], line)
            path.unlink()
        return out

    def client(self) -> Any:
        return self._anthropic_client() if self.provider == "anthropic" else self._openai_client()


def resolve_worker(spec: str) -> Teacher:
    """`batch:<store>|<family>|<task>|<teacher spec>` (BatchTeacher.worker_spec) -> the same BatchTeacher in a
    worker."""
    store, family, task, inner = spec.removeprefix(PREFIX).split("|", 3)
    return BatchTeacher(resolve_teacher(inner), Path(store), family, worker=True, task=task)


def split_answers(text: str, state: batchapi.BatchState) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """A batch's result lines -> (answers to store, lines whose request was not answered: expired, canceled, a
    server error). Unanswered requests are not stored: the next round queues them again."""
    keep, unanswered = [], []
    meta = state.meta
    for raw in text.splitlines():
        if not raw.strip():
            continue
        line = json.loads(raw)
        info = meta.get(line.get("custom_id", ""))
        if info is None:
            continue
        answer = {"key": info["key"], "family": info["family"], "task": info.get("task", ""),
                  "batch_id": state.batch_id,
                  "provider": state.provider, "structured": info.get("structured"), "line": line}
        got = next(iter(batchapi.parse_results(state.provider, raw, "", info.get("structured")).values()))
        if isinstance(got, TeacherUnsettled) and not isinstance(got, TeacherConfigError):
            unanswered.append(answer)
        else:
            keep.append(answer)
    return keep, unanswered

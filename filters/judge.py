"""The LLM-judge stage: a teacher grades each record against its family's rubric, and low scores are rejected.

The rule-based stages catch what can be checked mechanically; a judge catches what reads wrong: an identity reply
that recites the card instead of answering, a tool answer that says more than the output showed, a safety question
that is really a refusal. Rubrics are Jinja templates per family (filters/judge_rubrics/<family>.jinja, persona
voice and faithfulness to the card for identity, answers grounded in tool outputs for tool_use and safety,
helpfulness everywhere). The judge answers with structured output, `{"score": 1-5, "reason": "..."}`, requested
through an OpenAI `json_schema` response_format (llama-server enforces it with a grammar); the score and reason go
into `verdicts["judge"]`, and a score below `threshold` rejects the record.

Cost is accounted and capped: every request's tokens and dollars (the teacher's own prices, or `price=`) are summed
per task into `<work>/judge/<rank>.json`, which the filter's last phase adds to the funnel. Once a task has spent
its share of `budget_usd` (or judged `max_records`), the rest of its records pass unjudged with that reason, so
a cap never silently drops data. A judge that fails (timeout, unparsable reply) is not the record's fault: the
record passes, the verdict says why it was not judged, and the failure is counted.

The stage does not import the teachers (filters and generators are siblings): it is handed `connect`, a picklable
zero-argument callable that returns an object with `complete(messages, max_tokens=, temperature=,
response_format=)` -> reply with `.text`, `.prompt_tokens`, `.completion_tokens`, and `cost(prompt, completion)`
(generators.teachers.teacher.Teacher fits); factory/filter.py builds it from `judge=<teacher spec>` as a
generators.teachers.connect.JudgeConnection, which reads the judge's secrets from the worker's own environment.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import jinja2
from datatrove.data import Document

from filters.docs import document_record, reject
from filters.stage import StageFilter
from schemas.storage import write_json_atomic

JUDGE = "judge"  # the stage's name in verdicts and the funnel (optional: only when `judge=` is given)
RUBRICS = Path(__file__).resolve().parent / "judge_rubrics"
SCHEMA = {"type": "object", "additionalProperties": False, "required": ["score", "reason"],
          "properties": {"score": {"type": "integer", "minimum": 1, "maximum": 5},
                         "reason": {"type": "string", "maxLength": 90}}}
RESPONSE_FORMAT = {"type": "json_schema", "json_schema": {"name": "verdict", "strict": True, "schema": SCHEMA}}
MAX_CHARS = 6_000  # of conversation shown to the judge: long lessons are cut (head and tail), the verdict says so
MAX_TOKENS = 80  # the verdict is one JSON object with a short reason


def conversation_for_judge(record: dict, limit: int = MAX_CHARS) -> str:
    """The conversation as the judge reads it: roles in capitals, tool calls and outputs shown, system left out."""
    lines = []
    for m in record.get("messages") or []:
        role = str(m.get("role", "")).upper()
        if role == "SYSTEM":
            continue
        if m.get("reasoning"):
            lines.append(f"REASONING: {m['reasoning']}")
        for call in m.get("tool_calls") or []:
            fn = call.get("function") or {}
            lines.append(f"CALL {fn.get('name')}: {json.dumps(fn.get('arguments'), ensure_ascii=False)}")
        if m.get("content"):
            label = f"TOOL {m.get('name')}" if role == "TOOL" else role
            lines.append(f"{label}: {m['content']}")
    text = "\n".join(lines)
    if len(text) > limit:
        text = f"{text[:limit * 2 // 3]}\n[... {len(text) - limit} characters cut ...]\n{text[-limit // 3:]}"
    return text


class Rubrics:
    """The rubric templates, rendered per record with the persona card."""

    def __init__(self, folder: Path = RUBRICS):
        self.env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(folder)), undefined=jinja2.StrictUndefined,
                                      autoescape=False, keep_trailing_newline=False)
        self.names = {p.stem for p in folder.glob("*.jinja") if not p.stem.startswith("_")}

    def prompt(self, record: dict, persona: dict[str, Any]) -> str:
        family = record.get("family", "")
        template = self.env.get_template(f"{family if family in self.names else 'default'}.jinja")
        return template.render(persona=persona, facts=" ".join(persona.get("facts", [])),
                               conversation=conversation_for_judge(record)).strip()


def parse_verdict(text: str) -> tuple[int, str]:
    """(score, reason) from the judge's JSON; ValueError when it is not the object the schema asks for."""
    try:
        data = json.loads(text.strip())
    except json.JSONDecodeError as exc:
        raise ValueError(f"not JSON: {text.strip()[:80]!r}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("score"), int) or isinstance(data.get("score"), bool):
        raise ValueError(f"no integer score in {text.strip()[:80]!r}")
    score = data["score"]
    if not 1 <= score <= 5:
        raise ValueError(f"score {score} outside 1-5")
    return score, str(data.get("reason", "")).strip()[:200]


class JudgeFilter(StageFilter):
    """Scores each record with a teacher against its family's rubric; rejects scores below `threshold`."""

    name = "⚖ judge"
    stage = JUDGE

    def __init__(self, connect: Callable[[], Any], spec: str, persona: dict[str, Any], usage_folder: str,
                 threshold: int = 3, budget_usd: float | None = None, max_records: int | None = None,
                 max_tokens: int = MAX_TOKENS, rubrics: Path = RUBRICS):
        super().__init__()
        self.connect = connect
        self.spec = spec
        self.persona = persona
        self.usage_folder = usage_folder
        self.threshold = threshold
        self.budget_usd = budget_usd
        self.max_records = max_records
        self.max_tokens = max_tokens
        self.rubrics_folder = rubrics
        self._client: Any = None
        self._rubrics: Rubrics | None = None
        self.usage = self._fresh_usage(1)

    def __getstate__(self) -> dict:  # shipped to worker processes: the client is re-made there
        state = dict(self.__dict__)
        state["_client"] = None
        state["_rubrics"] = None
        return state

    def _fresh_usage(self, world_size: int) -> dict[str, Any]:
        share = None if self.budget_usd is None else self.budget_usd / max(1, world_size)
        return {"spec": self.spec, "judged": 0, "skipped": 0, "failed": 0, "rejected": 0, "requests": 0,
                "prompt_tokens": 0, "completion_tokens": 0, "cost_usd": 0.0, "budget_usd": share, "seconds": 0.0,
                "scores": {}}

    def _exhausted(self) -> str | None:
        u = self.usage
        if self.max_records is not None and u["judged"] + u["failed"] >= self.max_records:
            return f"not judged: this task reached judge_max={self.max_records}"
        if u["budget_usd"] is not None and u["cost_usd"] >= u["budget_usd"]:
            return f"not judged: the judge budget (${u['budget_usd']:.4f} for this task) is spent"
        return None

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        record = document_record(doc)
        cap = self._exhausted()
        if cap:
            self.usage["skipped"] += 1
            return self.passed(doc, cap)
        if self._client is None:
            self._client = self.connect()
            self._rubrics = Rubrics(self.rubrics_folder)
        assert self._rubrics is not None
        prompt = self._rubrics.prompt(record, self.persona)
        t0 = time.perf_counter()
        try:
            reply = self._client.complete([{"role": "user", "content": prompt}], max_tokens=self.max_tokens,
                                          temperature=0.0, response_format=RESPONSE_FORMAT)
        except Exception as exc:  # after the client's own retries: the judge failed, not the record
            self.usage["failed"] += 1
            self.usage["seconds"] += time.perf_counter() - t0
            if getattr(exc, "kind", None) == "config":  # the provider refused the judge's settings: say so once
                self.usage["config_error"] = self.usage.get("config_error") or str(getattr(exc, "line", exc))[:400]
            return self.passed(doc, f"not judged: {self.spec} failed: {type(exc).__name__}: {str(exc)[:120]}")
        self.usage["seconds"] += time.perf_counter() - t0
        self.usage["requests"] += 1
        self.usage["prompt_tokens"] += int(reply.prompt_tokens or 0)
        self.usage["completion_tokens"] += int(reply.completion_tokens or 0)
        counted = getattr(reply, "cost_usd", None)  # the teacher's own figure: cached tokens, provider-reported cost
        self.usage["cost_usd"] += float(counted if counted is not None else self._client.cost(
            int(reply.prompt_tokens or 0), int(reply.completion_tokens or 0)) or 0.0)
        try:
            score, reason = parse_verdict(reply.text)
        except ValueError as exc:
            self.usage["failed"] += 1
            cut = " (cut at max_tokens)" if getattr(reply, "finish_reason", None) == "length" else ""
            return self.passed(doc, f"not judged: unusable verdict from {self.spec}{cut}: {exc}")
        self.usage["judged"] += 1
        self.usage["scores"][str(score)] = self.usage["scores"].get(str(score), 0) + 1
        if score < self.threshold:
            self.usage["rejected"] += 1
            return reject(doc, f"judge score {score} < {self.threshold}: {reason or 'no reason given'}")
        return self.passed(doc, reason or f"judge score {score}", float(score))

    def run(self, data: Iterable[Document], rank: int = 0, world_size: int = 1) -> Iterator[Document]:
        self.usage = self._fresh_usage(world_size)
        try:
            yield from super().run(data, rank, world_size)
        finally:
            self.usage["cost_usd"] = round(self.usage["cost_usd"], 6)
            self.usage["seconds"] = round(self.usage["seconds"], 3)
            write_json_atomic(Path(self.usage_folder) / f"{rank:05d}.json", self.usage)


def merge_usage(folder: Path) -> dict[str, Any] | None:
    """The judge's usage over every task (None when the judge did not run): what the funnel reports."""
    parts = [json.loads(p.read_text()) for p in sorted(folder.glob("*.json"))] if folder.is_dir() else []
    if not parts:
        return None
    total: dict[str, Any] = {"spec": parts[0]["spec"], "tasks": len(parts), "scores": {}}
    for key in ("judged", "skipped", "failed", "rejected", "requests", "prompt_tokens", "completion_tokens",
                "cost_usd", "seconds"):
        total[key] = round(sum(p.get(key, 0) or 0 for p in parts), 6)
    budgets = [p["budget_usd"] for p in parts if p.get("budget_usd") is not None]
    total["budget_usd"] = round(sum(budgets), 6) if budgets else None
    total["config_error"] = next((p["config_error"] for p in parts if p.get("config_error")), None)
    for p in parts:
        for score, n in (p.get("scores") or {}).items():
            total["scores"][score] = total["scores"].get(score, 0) + n
    return total

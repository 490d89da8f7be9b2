"""Stage 7: run the code for real, in the sandbox, a batch of records at a time.

- textbook: the record's tests must pass against its module (pytest inside the sandbox). Starting pytest costs far
  more than the tests, so a batch is split into one chunk per worker and each chunk runs in one sandbox through
  `_pytest_driver.py`: groups of records share a pytest session (isolated modules/cwd/files), and anything that
  does not pass there is re-run alone in a forked child, whose verdict stands. A chunk whose sandbox dies is retried
  one record per sandbox, so a hostile record only fails itself.
- textbook tutoring conversations (the assistant wrote the files and ran the tests with tools) are also replayed
  like tool_use below: the tool messages, pytest's output included, must come out the same again.
- tool_use / safety: every assistant tool call is re-executed in order through `ToolRuntime(environment)`; each
  recorded tool message must equal the re-execution after the record's declared `nondeterministic` regexes (plus
  the runtime's own timing patterns) are masked.
- function_calling: the same replay through `sandbox.functions.FunctionRuntime(environment)` (the function library).
- reasoning: traces that used tools (the python tool) are re-run the same way from an empty workspace; their outputs
  must match too, so a worked answer never rests on output nobody produced.
- identity: nothing to execute.

All replays of a batch share `call_many` waves (one call per conversation per wave, all conversations in parallel).
A sandbox that cannot start is an infrastructure failure: it raises instead of rejecting the whole corpus.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from datatrove.data import Document

from filters.docs import EXECUTION, document_record, reject
from filters.stage import StageFilter
from sandbox.tools import steady

# Plugins a record's tests cannot need (doctest/junit/pastebin/pdb/setup-plan output): skipping their registration
# makes each pytest start ~20% cheaper, and start-up is most of the execution stage's cost.
PYTEST_ARGS = ["-q", "-rfE", *[arg for plugin in ("cacheprovider", "doctest", "junitxml", "pastebin", "stepwise",
                                                  "debugging", "faulthandler", "setuponly", "setupplan")
                                for arg in ("-p", f"no:{plugin}")]]
PYTEST = ["python3", "-m", "pytest", *PYTEST_ARGS]
TEST_WALL_S = 30.0  # per record
CHUNK = 64  # records per sandbox at most; a batch is split so every worker gets a chunk
GROUP = 16  # records per shared pytest session inside a sandbox (see _pytest_driver.py); 1 = a process per record
DRIVER = (Path(__file__).parent / "_pytest_driver.py").read_text()
RESULTS_MARK = "@@RESULTS@@ "


@dataclass
class TestRun:
    """One record's test outcome from the batch driver, shaped like a sandbox Result where reasons need it."""

    exit_code: int | None
    timed_out: bool
    stdout: str
    stderr: str = ""
    memory_exceeded: bool = False
    signal: int | None = None

    @property
    def ok(self) -> bool:
        return self.exit_code == 0 and not self.timed_out


def _test_files(record: dict) -> dict:
    ver = record["verification"]
    return {"files": {ver["module_path"]: ver["module"], ver["tests_path"]: ver["tests"]}, "tests": ver["tests_path"]}


def _driver_results(res: Any, expected: int) -> list[TestRun] | None:
    """The driver's per-record results, or None when its sandbox did not finish cleanly."""
    if not res.ok:
        return None
    line = next((ln for ln in reversed((res.stdout or "").splitlines()) if ln.startswith(RESULTS_MARK)), None)
    if line is None:
        return None
    items = json.loads(line[len(RESULTS_MARK):])
    if len(items) != expected:
        return None
    return [TestRun(it["exit_code"], it["timed_out"], it["output"]) for it in items]
_SUMMARY = re.compile(r"^=*\s*(.*\b(passed|failed|error|errors|no tests ran)\b.*?)\s*=*$", re.MULTILINE)
_FAILED = re.compile(r"^(FAILED|ERROR) (\S+)(?: - (.*))?$", re.MULTILINE)


def _clip(text: str, limit: int = 120) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def describe_test_failure(res: Any) -> str:
    """A one-line reason from a pytest run: what failed, and pytest's own summary line."""
    if res.timed_out:
        return f"tests timed out after {TEST_WALL_S:g}s"
    if res.memory_exceeded:
        return "tests exceeded the memory limit"
    if res.exit_code == 5:
        return "tests: no tests collected"
    out = (res.stdout or "") + "\n" + (res.stderr or "")
    summaries = _SUMMARY.findall(out)
    summary = summaries[-1][0] if summaries else f"exit code {res.exit_code}, signal {res.signal}"
    summary, _ = steady(summary)  # "in <duration>": the same failure gives the same reason on every run
    failed = _FAILED.search(out)
    first = f"; first: {failed.group(2)}" + (f" - {_clip(failed.group(3), 100)}" if failed.group(3) else "") if failed else ""
    return f"tests failed: {_clip(summary, 80)}{first}"


@dataclass
class _Replay:
    """One grounded record being re-executed: its runtime, calls in order and the recorded outputs."""

    index: int
    runtime: Any
    calls: list[dict]
    recorded: dict[str, str]
    patterns: list[str]
    failure: str | None = None
    outputs: list[str] = field(default_factory=list)


def _tool_calls(record: dict) -> list[dict]:
    return [c for m in record.get("messages", []) if m.get("role") == "assistant" for c in (m.get("tool_calls") or [])]


class ExecutionFilter(StageFilter):
    """Keep records whose code runs: passing textbook tests, reproducible tool traces."""

    name = "execution"
    stage = EXECUTION

    def __init__(self, sandbox: str = "local", batch_size: int = 256, workers: int | None = None):
        super().__init__(batch_size=batch_size)
        self.sandbox_kind = sandbox
        self.workers = workers
        self._sandbox: Any = None

    @property
    def sandbox(self) -> Any:
        # Built lazily inside the worker: a sandbox handle is not something to pickle across processes.
        if self._sandbox is None:
            from sandbox import get_sandbox

            self._sandbox = get_sandbox(self.sandbox_kind)
        return self._sandbox

    def __getstate__(self) -> dict:
        return {**self.__dict__, "_sandbox": None}

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        return self.filter_batch([doc])[0]

    def filter_batch(self, batch: list[Document]) -> list[bool | tuple[bool, str]]:
        records = [document_record(doc) for doc in batch]
        verdicts: list[str | None] = [None] * len(batch)  # None = passed; else the reason
        notes = [""] * len(batch)

        textbook = [i for i, r in enumerate(records) if r.get("family") == "textbook"]
        if textbook:
            for i, res in zip(textbook, self._run_tests([records[i] for i in textbook]), strict=True):
                if res.ok:
                    notes[i] = _clip(_SUMMARY.findall(res.stdout or "")[-1][0], 60) if _SUMMARY.search(res.stdout or "") else "tests passed"
                else:
                    verdicts[i] = describe_test_failure(res)

        replays = []
        for i, record in enumerate(records):
            if record.get("family") in ("tool_use", "safety", "reasoning", "function_calling", "textbook") \
                    and _tool_calls(record):
                replays.append(self._prepare_replay(i, record))
        self._replay(replays)
        for rep in replays:
            if rep.failure:
                verdicts[rep.index] = rep.failure
            elif not notes[rep.index]:
                notes[rep.index] = f"{len(rep.calls)} tool calls reproduced"
            else:
                notes[rep.index] += f"; {len(rep.calls)} tool calls reproduced"

        results: list[bool | tuple[bool, str]] = []
        for doc, reason, note in zip(batch, verdicts, notes, strict=True):
            results.append(reject(doc, reason) if reason else self.passed(doc, note or "nothing to execute"))
        return results

    # -- textbook ---------------------------------------------------------------------------------------------

    def _run_tests(self, records: list[dict]) -> list[Any]:
        """Every record's tests, through the batch driver: a few sandboxes each running a chunk of records.

        A chunk whose sandbox itself fails (killed for memory, over its wall clock, driver crash) is re-run one
        record per sandbox, so one hostile record cannot fail its batchmates.
        """
        from sandbox import Job, Limits

        workers = self.workers or os.cpu_count() or 1
        size = max(1, min(CHUNK, -(-len(records) // workers)))
        chunks = [list(range(i, min(i + size, len(records)))) for i in range(0, len(records), size)]
        jobs = [Job(files={"driver.py": DRIVER, "manifest.json": json.dumps(
            {"timeout": TEST_WALL_S, "args": PYTEST_ARGS, "group": GROUP, "records": [_test_files(records[i]) for i in chunk]})},
            command=["python3", "driver.py"], limits=Limits(wall_s=TEST_WALL_S * len(chunk) + 30, tmpfs_mb=256))
            for chunk in chunks]
        results: list[Any] = [None] * len(records)
        retry: list[int] = []
        for chunk, res in zip(chunks, self.sandbox.run_many(jobs, workers=workers), strict=True):
            parsed = _driver_results(res, len(chunk))
            if parsed is None:
                retry += chunk
                continue
            for i, item in zip(chunk, parsed, strict=True):
                results[i] = item
        if retry:
            single = [Job(files=_test_files(records[i])["files"], command=[*PYTEST, _test_files(records[i])["tests"]],
                          limits=Limits(wall_s=TEST_WALL_S)) for i in retry]
            for i, res in zip(retry, self.sandbox.run_many(single, workers=workers), strict=True):
                results[i] = res
        return results

    # -- grounded traces --------------------------------------------------------------------------------------

    def _prepare_replay(self, index: int, record: dict) -> _Replay:
        from sandbox.tools import NONDETERMINISTIC, ToolRuntime

        ver = record.get("verification") or {}
        environment = ver.get("environment") if record.get("family") != "reasoning" else None
        patterns = [*NONDETERMINISTIC, *(ver.get("nondeterministic") or [])]
        recorded = {m["tool_call_id"]: m["content"] for m in record["messages"] if m.get("role") == "tool"}
        rep = _Replay(index, None, _tool_calls(record), recorded, patterns)
        try:
            if record.get("family") == "function_calling" or ver.get("runtime") == "sandbox.functions":
                from sandbox.functions import FunctionRuntime

                rep.runtime = FunctionRuntime(environment or {}, sandbox=self.sandbox)
            else:
                rep.runtime = ToolRuntime(environment or {"workspace": {"files": {}}}, sandbox=self.sandbox)
            for pattern in patterns:
                re.compile(pattern)
        except re.error as exc:
            rep.failure = f"nondeterministic regex {_clip(str(exc), 80)}"
        except (TypeError, ValueError, AttributeError, KeyError) as exc:
            rep.failure = f"environment unusable: {type(exc).__name__}: {_clip(str(exc), 80)}"
        return rep

    def _replay(self, replays: list[_Replay]) -> None:
        from sandbox.tools import ToolError, call_many, normalize

        active = [r for r in replays if r.failure is None]
        step = 0
        while active:
            # Wave k runs call k of every conversation that has one, all conversations at once.
            wave = [r for r in active if step < len(r.calls)]
            if not wave:
                break
            calls = [(r.runtime, r.calls[step]["function"]["name"], r.calls[step]["function"]["arguments"]) for r in wave]
            try:
                outputs = call_many(calls)
            except ToolError:
                outputs = []
                for r, call in zip(wave, calls, strict=True):  # isolate the unusable call(s), keep the rest
                    try:
                        outputs.append(call_many([call])[0])
                    except ToolError as exc:
                        r.failure = f"tool call {r.calls[step].get('id')} cannot run: {_clip(str(exc), 100)}"
                        outputs.append("")
            for r, out in zip(wave, outputs, strict=True):
                if r.failure:
                    continue
                call = r.calls[step]
                want = r.recorded.get(call["id"])
                if want is None:
                    r.failure = f"tool call {call['id']} has no recorded output"
                elif normalize(out, r.patterns) != normalize(want, r.patterns):
                    r.failure = (f"tool output mismatch for call {call['id']} ({call['function']['name']}): "
                                 f"recorded {_clip(want, 60)!r}, re-executed {_clip(out, 60)!r}")
            active = [r for r in wave if r.failure is None]
            step += 1

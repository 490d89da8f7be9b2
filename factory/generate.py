"""`python -m factory generate persona=lanbot count=200 ...`: plan, run and durably store every family's records.

    persona=<name|path>   the card (corpora/<name>/persona.toml)          count=<n>      records to keep in total
    teacher=<spec|none>   local (default without keys), openai:<m>, ...   families=identity:0.3,tool_use:0.7
    seed=<int>            deterministic plans                             budget=<usd>   hard cap on teacher spend
    dry_run=true          estimate tokens and cost, spend nothing         sandbox=local|e2b
    out=<dir>             corpus folder (default corpora/<persona>)       price=<in>,<out> USD/1M tokens override
    prices=FILE           price table merged over generators/teachers/prices.toml (same shape; dated, sourced)
    models=FILE           request rules merged before generators/teachers/models.toml (model patterns -> classes)
    reasoning_effort=<e>  none|minimal|low|medium|high|xhigh for reasoning models (default: the class's)
    batch=<n>             teacher tasks per commit (default: parallel)    parallel=<n>   local server slots (8)
    batch=true            send the teacher's requests as provider batches (openai/anthropic: half price, within
                          24 h); poll=<s> between status checks (60); a rerun resumes the stored batch
    timeout=<s>           one teacher request's limit (120)               probe_timeout=<s> connect limit, and how long
                          an endpoint of several may take to answer GET /models before it is taken out (10)
    min_yield=<fraction>  retire a family's teacher lane when its yield is below this after yield_sample=<n>
                          teacher attempts (defaults 0.05 and 32; min_yield=0 never retires it)

Why it is shaped like this:
- `count` is the number of records *kept*: each family plans its share (by the card's recipe mixture) as chunks of
  deterministic tasks, and rejected tasks are replaced by tasks from the next chunk until the share is met or the
  chunks run out (then the shortfall is reported, never hidden).
- Two lanes: tasks that need no teacher (procedural generators) run in a worker thread and never wait on the teacher;
  teacher tasks run in the main thread (distilabel's Pipeline installs signal handlers, which only the main thread
  may do), one batch at a time so the server's parallel slots and the teacher's usage counters stay attributable.
- Every batch is committed through factory.runlog (rejects, atomic part file, ledger line): a SIGKILL at any point
  loses at most the batch in flight, and rerunning the same command resumes without duplicates (a folder another
  seed or generator VERSION wrote is refused, never mixed in). A teacher batch is
  as big as the server has slots (`parallel`), so one batch is one round of requests: the slots are used fully and a
  crash costs one round, not four (32-task batches made no progress at all when a run was killed every 5-32 s).
  distilabel hands results back only when its pipeline ends, so a batch is the smallest unit that can be committed.
- Every record is validated with schemas.validate_record before it is written; a generator exception leaves its
  tasks undone (retried on the next run) instead of burning them as rejections.
- A teacher failure that is not the task's own is never a rejection: a configuration error (HTTP 400/401/403/404: a
  parameter the model refuses, the key, the model name) stops the run after the first with one line naming provider,
  model and what the provider said, and a teacher still unavailable after its retries (429/5xx/timeouts) stops the
  teacher lane; either way those tasks stay undone, so a rerun with the setting fixed continues the same tasks.
- budget= stops the teacher lane the same way (status "budget", exit 1): the teacher's share of the count is held
  open, not topped up by the procedural lane, so a rerun with a larger budget= runs the teacher tasks that were left
  (settled ones are in the ledger: never redone, never billed twice).
- A teacher that almost never passes a family's checks (the 135M local model writing lessons; a paid model behind a
  broken prompt) costs time or money for nothing: once a family's teacher yield, counted over every run in its
  ledger, is below `min_yield` after `yield_sample` attempts, its teacher lane is retired for this run and the share
  is met from the procedural tasks of the next chunks. The manifest and the report say so, with the figures.
"""

import hashlib
import importlib
import math
import os
import secrets
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

from factory.generate_report import report, versions
from factory.runlog import FamilyLog
from factory.teacher_load import configure_teacher, estimate_family, is_procedural, reasoning_effort, worst_case_cost
from generators.teachers import cost
from generators.teachers.pipelines import PipelineStopped
from generators.teachers.wire import UNSETTLED, TeacherUnsettled
from schemas import now_iso
from schemas.secrets import scrub_spec, scrub_text
from schemas.settings import DISK_FULL, UsageError
from schemas.settings import parse_settings as parse_settings_kv
from schemas.storage import write_json_atomic

SETTINGS = ("persona", "count", "teacher", "families", "seed", "budget", "dry_run", "sandbox", "out", "price",
            "batch", "parallel", "chunks", "min_yield", "yield_sample", "prices", "models", "reasoning_effort",
            "timeout", "probe_timeout", "poll")
MAX_CHUNKS = 4  # a family may attempt up to 4x its share before it reports a shortfall
PROCEDURAL_BATCH = 16  # the most procedural tasks per commit ...
COMMIT_EVERY_S = 2.0  # ... and the time a procedural batch aims to take: a kill costs seconds, never a batch of
# sandboxed records (16 lessons or safety traces took longer than the 10 s between kills of a crash loop, which then
# settled nothing at all)
MAX_BATCH_ERRORS = 3  # consecutive generator exceptions before a family lane gives up for this run
MIN_TEACHER_YIELD = 0.05  # below this share of kept teacher tasks ...
YIELD_SAMPLE = 32  # ... after this many teacher attempts, a family's teacher lane is retired


# ---------------------------------------------------------------------------------------------------------------
# Settings

def parse_mixture(text: str) -> dict[str, float]:
    """`identity:0.3,tool_use:0.7` (weights are normalised; a bare name means weight 1)."""
    mixture: dict[str, float] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, _, weight = part.partition(":")
        try:
            value = float(weight) if weight else 1.0
        except ValueError:
            raise UsageError(f"families: bad weight in {part!r}") from None
        if value < 0:
            raise UsageError(f"families: negative weight in {part!r}")
        mixture[name.strip()] = value
    if not mixture or sum(mixture.values()) <= 0:
        raise UsageError(f"families: nothing to generate in {text!r}")
    return mixture


def split_count(count: int, mixture: dict[str, float]) -> dict[str, int]:
    """Largest-remainder split of `count` over the mixture: shares sum to exactly `count`, deterministically."""
    total = sum(mixture.values())
    raw = {f: count * w / total for f, w in mixture.items() if w > 0}
    shares = {f: math.floor(v) for f, v in raw.items()}
    left = count - sum(shares.values())
    for f in sorted(raw, key=lambda f: (-(raw[f] - shares[f]), f))[:left]:
        shares[f] += 1
    return shares


def load_family(name: str) -> ModuleType:
    if not name.isidentifier():
        raise UsageError(f"bad family name {name!r}")
    try:
        module = importlib.import_module(f"generators.{name}")
    except ModuleNotFoundError as exc:
        if exc.name == f"generators.{name}":
            raise UsageError(f"unknown family {name!r}: no module generators.{name}") from None
        raise
    missing = [a for a in ("FAMILY", "VERSION", "plan", "run") if not hasattr(module, a)]
    assert not missing, f"generators.{name} lacks {missing} (see docs/CONTRACTS.md, Generators)"
    return module


def chunk_seed(seed: int, family: str, chunk: int) -> int:
    if chunk == 0:
        return seed
    return int.from_bytes(hashlib.sha256(f"{seed}:{family}:{chunk}".encode()).digest()[:4], "big")


# ---------------------------------------------------------------------------------------------------------------
# One family's scheduling state, shared by both lanes.

def next_procedural_batch(size: int, seconds: float) -> int:
    """Slow start for a procedural lane's commits: double while a batch takes under half of COMMIT_EVERY_S, halve
    when it took longer (pure-Python families settle 16 tasks in milliseconds, sandboxed ones ~1 s a task on a busy
    box). Records depend on their task alone, so batch sizes never change what a run makes."""
    if seconds < COMMIT_EVERY_S / 2:
        return min(size * 2, PROCEDURAL_BATCH)
    return max(1, size // 2) if seconds > COMMIT_EVERY_S else size


class FamilyRun:
    def __init__(self, module: ModuleType, persona: Any, target: int, seed: int, log: FamilyLog, chunks: int,
                 min_yield: float = 0.0, yield_sample: int = 0):
        self.module = module
        self.name: str = module.FAMILY
        self.persona = persona
        self.target = target
        self.seed = seed
        self.log = log
        self.max_chunks = chunks
        self.lock = threading.Lock()
        self.changed = threading.Condition(self.lock)
        self.inflight = 0
        self.claimed: set[str] = set()
        self._chunks: dict[int, list[tuple[str, dict]]] = {}
        self.errors = {"teacher": 0, "procedural": 0}
        self.gave_up: dict[str, str] = {}
        self.active = {"procedural", "teacher"}  # lanes that will still run tasks of this family
        self.kept_this_run = 0
        self.rejected_this_run = 0
        self.min_yield = min_yield
        self.yield_sample = yield_sample
        self.retired: str | None = None  # why the teacher lane was retired for low yield
        self.procedural_batch = 1  # slow start: grows while batches commit quickly (next_procedural_batch)
        self.held: set[str] = set()  # lanes stopped with their tasks kept for the next run (hold)
        self.retire_teacher_if_unproductive()

    def chunk(self, c: int) -> list[tuple[str, dict]]:
        if c not in self._chunks:
            tasks = self.module.plan(self.persona, self.target, chunk_seed(self.seed, self.name, c))
            keys = [f"c{c}:{t['task_id']}" for t in tasks]
            assert len(set(keys)) == len(keys), f"{self.name}.plan returned duplicate task_ids"
            self._chunks[c] = list(zip(keys, tasks, strict=True))
        return self._chunks[c]

    def lane_of(self, task: dict) -> str:
        return "procedural" if is_procedural(self.module, task) else "teacher"

    def take(self, lane: str, n: int) -> list[tuple[str, dict]]:
        """Claim up to n undone tasks of `lane`, never more than the records still needed (so no overshoot).

        Top-up chunks open only once every earlier task that some lane will still run is settled: otherwise the fast
        procedural lane would fill a mixed family's whole share before the teacher lane reached its planned tasks.
        """
        with self.lock:
            if lane not in self.active:
                return []
            need = self.target - self.log.kept - self.inflight
            taken: list[tuple[str, dict]] = []
            for key, task in self._claimable(lane):
                if len(taken) >= min(n, need):
                    break
                taken.append((key, task))
                self.claimed.add(key)
            self.inflight += len(taken)
            return taken

    def has_work(self, lane: str) -> bool:
        """Would take(lane, ...) return tasks right now?"""
        with self.lock:
            need = self.target - self.log.kept - self.inflight
            return lane in self.active and need > 0 and next(self._claimable(lane), None) is not None

    def _claimable(self, lane: str) -> Iterator[tuple[str, dict]]:
        """Undone, unclaimed tasks of `lane` in plan order, chunk by chunk (caller holds the lock)."""
        for c in range(self.max_chunks):
            if c > 0 and any(self.keeps_top_up_closed(key, task) for key, task in self.chunk(c - 1)):
                return
            for key, task in self.chunk(c):
                if key not in self.log.done_keys and key not in self.claimed and self.lane_of(task) == lane:
                    yield key, task

    def pending(self, key: str, task: dict) -> bool:
        """Will this task still be settled by some lane in this run?"""
        return key not in self.log.done_keys and (key in self.claimed or self.lane_of(task) in self.active)

    def keeps_top_up_closed(self, key: str, task: dict) -> bool:
        """Tasks some lane will still settle keep the next chunk closed, and so do those of a held lane: their share
        waits for the next run instead of going to the procedural lane."""
        return self.pending(key, task) or (key not in self.log.done_keys and self.lane_of(task) in self.held)

    def hold(self, lane: str) -> None:
        """Stop a lane for a reason outside its tasks (an unavailable teacher): unlike a retirement, its tasks stay
        its own, undone, for the next run to continue."""
        with self.lock:
            self.held.add(lane)
            self.active.discard(lane)
            self.changed.notify_all()

    def retire_teacher_if_unproductive(self) -> str | None:
        """Retire the teacher lane when its yield over the ledger is below min_yield after yield_sample attempts."""
        attempted, kept = self.log.lane_attempted["teacher"], self.log.lane_kept["teacher"]
        if "teacher" not in self.active or not self.min_yield or attempted < max(1, self.yield_sample):
            return None
        if kept / attempted >= self.min_yield:
            return None
        self.retired = (f"{self.name}: teacher yield {kept}/{attempted} ({kept / attempted:.0%}) is below min_yield="
                        f"{self.min_yield:g}; its teacher lane is retired and the share is met procedurally")
        self.deactivate("teacher")
        return self.retired

    def deactivate(self, lane: str) -> None:
        with self.lock:
            self.active.discard(lane)
            self.changed.notify_all()

    def release(self, batch: list[tuple[str, dict]]) -> None:
        with self.lock:
            self.claimed.difference_update(k for k, _ in batch)
            self.inflight -= len(batch)
            self.changed.notify_all()

    def may_need(self, lane: str) -> bool:
        """Could this lane still get work later (tasks in flight or not yet run by another lane may be rejected)?"""
        with self.lock:
            if lane not in self.active or self.log.kept >= self.target:
                return False
            tasks = [(k, t) for c in range(self.max_chunks) for k, t in self.chunk(c) if k not in self.log.done_keys]
            own = any(k not in self.claimed and self.lane_of(t) == lane for k, t in tasks)
            others = self.inflight > 0 or any(self.lane_of(t) != lane and self.pending(k, t) for k, t in tasks)
            return own and others

    @property
    def done(self) -> bool:
        return self.log.kept >= self.target


# ---------------------------------------------------------------------------------------------------------------
# Running batches.

@dataclass(eq=False)
class Runner:
    """One generate command: what it makes with what (the constructor's arguments), and the state its lanes share."""

    spec: dict
    persona: Any
    families: list[FamilyRun]
    teacher: Any
    sandbox: Any
    budget: cost.Budget
    batch: int
    run_id: str
    raw_dir: Path
    stop: threading.Event = field(default_factory=threading.Event)
    teacher_stopped: str | None = None  # the budget stopped the teacher lane (its share held: stop_teacher_on_budget)
    teacher_unavailable: str | None = None  # the teacher failed after its retries: its lane stopped
    config_error: str | None = None  # the provider refused the configuration: the run stopped
    seq: int = 0
    seq_lock: threading.Lock = field(default_factory=threading.Lock)
    progress: Any = None
    bars: dict[str, Any] = field(default_factory=dict)
    started: float = field(default_factory=time.time)
    lane_errors: list[str] = field(default_factory=list)
    procedural_working: threading.Event = field(default_factory=threading.Event)
    fatal: OSError | None = None  # what stopped a lane thread and must end the command (a full disk)
    cores: int = field(default_factory=lambda: min(8, len(os.sched_getaffinity(0))))

    def next_batch_id(self) -> str:
        with self.seq_lock:
            self.seq += 1
            return f"{self.run_id}-{self.seq:05d}"

    def worst_case_usd(self, fam: FamilyRun, tasks: list[dict]) -> tuple[float, cost.Estimate]:
        est = estimate_family(fam.module, tasks)
        return worst_case_cost(self.teacher, est), est

    def teacher_failed(self, error: TeacherUnsettled) -> None:
        """A configuration error stops the run; an unavailable teacher stops its lane. Tasks stay undone (also those
        whose requests wait for a provider batch: kind "batch", nothing to stop)."""
        if error.kind == "batch":
            return
        if error.kind == "config":
            if self.config_error is None:
                self.config_error = error.line
            self.stop.set()
            self.end_lane("teacher")
            self.end_lane("procedural")
        elif self.teacher_unavailable is None:
            self.teacher_unavailable = error.line
            for fam in self.families:
                fam.hold("teacher")

    def stop_teacher_on_budget(self, why: str) -> None:
        """The budget stopped the teacher lane: like an unavailable teacher, its share of the count is held for the
        rerun (a larger budget=), not topped up procedurally, which would leave its tasks never tried."""
        self.teacher_stopped = self.teacher_stopped or why
        for fam in self.families:
            fam.hold("teacher")

    def run_batch(self, fam: FamilyRun, lane: str, batch: list[tuple[str, dict]]) -> None:
        from schemas import validate_record

        tasks = [t for _, t in batch]
        teacher = self.teacher if lane == "teacher" else None
        usage0 = usage_snapshot(self.teacher) if teacher is not None else None
        try:
            results = fam.module.run(tasks, teacher, self.sandbox, self.run_id)
        except KeyboardInterrupt:
            fam.release(batch)
            raise
        except PipelineStopped as exc:
            # distilabel swallows Ctrl-C and returns early: stop the whole run (resumable) instead of carrying on.
            fam.release(batch)
            raise KeyboardInterrupt(str(exc)) from None
        except TeacherUnsettled as exc:  # the teacher failed for a reason that is not the tasks': leave them undone
            fam.release(batch)
            self.teacher_failed(exc)
            return
        except Exception as exc:
            fam.release(batch)
            fam.errors[lane] += 1
            msg = f"{fam.name}/{lane}: generator error: {type(exc).__name__}: {scrub_text(str(exc))[:300]}"
            print(f"warning: {msg} (tasks left undone, retried on the next run)", file=sys.stderr)
            if fam.errors[lane] >= MAX_BATCH_ERRORS:
                fam.gave_up[lane] = msg
                fam.deactivate(lane)
                self.lane_errors.append(msg)
            return
        fam.errors[lane] = 0
        delta = {"prompt_tokens": 0, "completion_tokens": 0, "requests": 0, "cached_tokens": 0, "reasoning_tokens": 0}
        spent = 0.0
        if teacher is not None and usage0 is not None:
            usage1 = usage_snapshot(self.teacher)
            delta = {k: usage1[k] - usage0[k] for k in delta}
            spent = usage1["cost_usd"] - usage0["cost_usd"]
            self.budget.add(spent)
        kept: list[tuple[str, dict]] = []
        rejected: list[tuple[str, dict]] = []
        unsettled = 0
        if not isinstance(results, list) or len(results) != len(tasks):
            got = len(results) if isinstance(results, list) else type(results).__name__
            reason = f"generator contract: run() returned {got} results for {len(tasks)} tasks"
            rejected = [(key, {"task_id": t["task_id"], "reason": reason, "raw": None}) for key, t in batch]
        else:
            ids = set(fam.log.record_ids)
            for (key, task), res in zip(batch, results, strict=True):
                reason = check_result(res, task, fam, validate_record, ids)
                if reason is None:
                    ids.add(res["id"])
                    kept.append((key, res))
                elif UNSETTLED in reason:  # the teacher's configuration or availability, not this task: undone
                    unsettled += 1
                else:
                    raw = res.get("raw") if isinstance(res, dict) and res.get("rejected") else res
                    rejected.append((key, {"task_id": task["task_id"], "reason": reason, "raw": raw,
                                           "run_id": self.run_id}))
        if kept or rejected or delta["requests"]:
            fam.log.commit(self.next_batch_id(), kept, rejected, usage=delta, cost_usd=spent,
                           extra={"lane": lane, "seed": fam.seed, "version": fam.module.VERSION,
                                  "run_id": self.run_id})
        fam.kept_this_run += len(kept)
        fam.rejected_this_run += len(rejected)
        fam.release(batch)
        stopped = getattr(teacher, "stopped", None) if teacher is not None else None
        if stopped is not None or (unsettled and not getattr(teacher, "batch_api", False)):
            self.teacher_failed(stopped or TeacherUnsettled(f"{unsettled} teacher task(s) failed unsettled"))
        if lane == "teacher" and (msg := fam.retire_teacher_if_unproductive()):
            print(f"note: {msg} (min_yield=0 keeps it)", file=sys.stderr)
        self.write_family_manifest(fam)
        if self.progress is not None:
            self.progress.update(self.bars[fam.name], completed=fam.log.kept,
                                 description=f"{fam.name:<9} rej {fam.log.rejected}")

    def end_lane(self, lane: str) -> None:
        for fam in self.families:
            fam.deactivate(lane)

    def lane(self, lane: str, opts: dict | None = None) -> None:
        """Round-robin over families, one batch at a time, until nothing is left for this lane; then retire it.
        batch=true: the teacher lane goes in provider-batch rounds (factory/generate_batch.py)."""
        try:
            if lane == "teacher" and getattr(self.teacher, "batch_api", False):
                from factory.generate_batch import batch_lane

                batch_lane(self, (opts or {}).get("poll", 60.0))
            else:
                self._lane(lane)
        finally:
            self.end_lane(lane)

    def _lane(self, lane: str) -> None:
        while not self.stop.is_set():
            progressed, waiting = False, []
            for fam in self.families:
                if self.stop.is_set():
                    return
                if lane == "teacher" and self.teacher_stopped:
                    return
                if lane == "teacher":
                    self.fit_teacher_threads()
                batch = fam.take(lane, self.batch if lane == "teacher" else fam.procedural_batch)
                if not batch:
                    if fam.may_need(lane):
                        waiting.append(fam)
                    continue
                if lane == "teacher" and self.budget.limit_usd is not None:
                    worst, _ = self.worst_case_usd(fam, [t for _, t in batch])
                    if not self.budget.fits(worst):
                        fam.release(batch)
                        self.stop_teacher_on_budget(f"budget: the next {fam.name} batch could cost ${worst:.4f}, "
                                                    f"${self.budget.left_usd:.4f} left of ${self.budget.limit_usd}")
                        return
                if lane == "procedural":
                    self.procedural_working.set()
                started = time.monotonic()
                try:
                    self.run_batch(fam, lane, batch)
                finally:
                    self.procedural_working.clear()
                if lane == "procedural":
                    fam.procedural_batch = next_procedural_batch(len(batch), time.monotonic() - started)
                progressed = True
            if not progressed:
                if not waiting:
                    return
                with waiting[0].lock:
                    waiting[0].changed.wait(timeout=0.5)

    def fit_teacher_threads(self) -> None:
        """Between teacher batches: the local server gets the cores nobody else uses while the procedural lane has
        nothing to do (it waits for teacher tasks to settle, or is done), and one thread while it works. Other load
        on the machine counts too (1-minute load average minus the server's own threads): llama.cpp threads that
        share a core with anything else collapse (PITFALLS)."""
        if self.teacher is None or (threads := self.teacher.local_threads()) is None:
            return
        idle = not self.procedural_working.is_set() and not any(f.has_work("procedural") for f in self.families)
        self.teacher.use_threads(teacher_threads(idle, os.getloadavg()[0], threads, self.cores))

    def write_family_manifest(self, fam: FamilyRun) -> None:
        log = fam.log
        write_json_atomic(log.folder / "manifest.json", {
            "family": fam.name, "generator": f"generators.{fam.name}", "generator_version": fam.module.VERSION,
            "persona": self.persona.slug, "spec": self.spec, "seed": fam.seed, "target": fam.target,
            "kept": log.kept, "rejected": log.rejected, "attempted": log.attempted,
            "yield": round(log.kept / log.attempted, 4) if log.attempted else None,
            "reject_reasons": dict(log.reasons.most_common(20)),
            "tokens": {"prompt": log.prompt_tokens, "completion": log.completion_tokens, "requests": log.requests},
            "cost_usd": round(log.cost_usd, 6), "batches": log.batches,
            "teacher": self.teacher.lineage() if self.teacher is not None else None,
            "last_run": {"run_id": self.run_id, "kept": fam.kept_this_run, "rejected": fam.rejected_this_run,
                         "gave_up": fam.gave_up or None, "teacher_retired": fam.retired},
            "versions": versions(), "updated_at": now_iso(),
        })


def teacher_threads(procedural_idle: bool, load_1min: float, current: int, cores: int) -> int:
    """Threads for the local server: one while the procedural lane works, else the cores other load leaves free."""
    if not procedural_idle:
        return 1
    others = max(0.0, load_1min - current)
    return max(1, min(cores, round(cores - others)))


def check_result(res: Any, task: dict, fam: FamilyRun, validate_record: Any, ids: set[str]) -> str | None:
    """Why a generator's result cannot be kept (its own rejection reason, a schema error, a duplicate), or None."""
    if not isinstance(res, dict):
        return f"generator contract: result is {type(res).__name__}, not a dict"
    if res.get("rejected"):
        return str(res.get("reason") or "rejected without a reason")
    errors = validate_record(res)
    if errors:
        shown = "; ".join(str(e) for e in errors[:3])
        return f"schema: {shown}" + (f" (+{len(errors) - 3} more)" if len(errors) > 3 else "")
    if res["family"] != fam.name:
        return f"generator contract: family {res['family']!r} from generators.{fam.name}"
    if res["persona"] != fam.persona.slug:
        return f"generator contract: persona {res['persona']!r}, expected {fam.persona.slug!r}"
    if res["id"] in ids:
        return f"duplicate: record {res['id']} already written (identical content)"
    return None


def usage_snapshot(teacher: Any) -> dict[str, Any]:
    u = teacher.usage
    return {"prompt_tokens": u.prompt_tokens, "completion_tokens": u.completion_tokens, "requests": u.requests,
            "cached_tokens": u.cached_tokens, "reasoning_tokens": u.reasoning_tokens, "cost_usd": u.cost_usd}




# ---------------------------------------------------------------------------------------------------------------
# The command.

def parse_settings(argv: list[str]) -> dict[str, Any]:
    settings, _ = parse_settings_kv(argv, SETTINGS)
    if "persona" not in settings:
        raise UsageError("persona= is required, e.g. persona=lanbot")
    budget = settings.number("budget", 0.0, low=0) if "budget" in settings else None
    price = None
    if "price" in settings:
        try:
            price = cost.parse_price(settings["price"])
        except (AssertionError, ValueError):
            raise UsageError(f"price must be '<in>,<out>' USD per 1M tokens, got {settings['price']!r}") from None
    integer = settings.integer
    batch_word = settings.get("batch", "").strip().lower()
    if batch_word and not batch_word.isdigit() and batch_word not in ("true", "yes", "on", "false", "no", "off"):
        raise UsageError(f"batch must be true/false (the provider's batch API: half price, answers within 24 h) or a "
                         f"number (teacher tasks per commit), got {settings['batch']!r}")
    batch_api = batch_word in ("true", "yes", "on")
    return {
        "persona": settings["persona"], "count": integer("count", 200, 1), "teacher": settings.get("teacher"),
        "families": parse_mixture(settings["families"]) if "families" in settings else None,
        "seed": integer("seed", 0, 0), "budget": budget, "dry_run": settings.flag("dry_run"),
        "sandbox": settings.get("sandbox", "local"), "out": settings.get("out"), "price": price,
        "batch_api": batch_api, "poll": settings.number("poll", 60.0, 0.01),
        "batch": integer("batch", 8, 1) if batch_word.isdigit() else integer("parallel", 8, 1),
        "parallel": integer("parallel", 8, 1), "chunks": integer("chunks", MAX_CHUNKS, 1),
        "min_yield": settings.number("min_yield", MIN_TEACHER_YIELD, 0, 1),
        "yield_sample": integer("yield_sample", YIELD_SAMPLE, 1),
        "prices": settings.get("prices"), "models": settings.get("models"),
        "reasoning_effort": reasoning_effort(settings.get("reasoning_effort")),
        "timeout": settings.number("timeout", 120.0, 1) if "timeout" in settings else None,
        "probe_timeout": settings.number("probe_timeout", 10.0, 0.1) if "probe_timeout" in settings else None,
    }


def main(argv: list[str]) -> int:
    opts = parse_settings(argv)
    from schemas import PersonaError, load_persona

    try:
        persona = load_persona(opts["persona"])
    except PersonaError as exc:
        raise UsageError(str(exc)) from None
    mixture = opts["families"] or {f: w for f, w in persona.families.items() if w > 0}
    shares = split_count(opts["count"], mixture)
    modules = {f: load_family(f) for f in shares}

    teacher = None
    if opts["teacher"] != "none":
        from generators.teachers.teacher import resolve_teacher

        try:
            teacher = resolve_teacher(opts["teacher"])
        except UsageError:
            raise
        except Exception as exc:
            raise UsageError(f"teacher {opts['teacher']!r}: {exc}") from None
        configure_teacher(teacher, opts)
        if opts["budget"] is not None and teacher.prices is None:
            raise UsageError(f"no price known for {teacher.spec}: budget= cannot be enforced; pass prices=FILE (the "
                             "shape of generators/teachers/prices.toml) or price=<in>,<out> (USD per 1M tokens)")
        if teacher.prices is None and teacher.model_class.usage_cost:
            print(f"note: no list price known for {teacher.spec}: its cost is the one the provider reports in each "
                  "response's usage (prices=FILE gives a price, which budget= needs)", file=sys.stderr)
        elif teacher.prices is None:
            print(f"note: no price known for {teacher.spec}: its cost is not counted (pass prices=FILE or "
                  "price=<in>,<out> to count it)", file=sys.stderr)

    out = Path(opts["out"]) if opts["out"] else (persona.path.parent if persona.path else Path("corpora") / persona.slug)
    raw_dir = out / "raw"
    if opts["batch_api"]:
        from generators.teachers.batchteacher import BatchTeacher

        if teacher is None:
            raise UsageError("batch=true needs a teacher with a batch API (openai:<model> or anthropic:<model>)")
        teacher = BatchTeacher(teacher, raw_dir / "_batch")
    spec = {"persona": persona.slug, "count": opts["count"], "families": shares, "seed": opts["seed"],
            "teacher": scrub_spec(teacher.spec) if teacher is not None else "none", "budget": opts["budget"],
            "sandbox": opts["sandbox"], "batch": opts["batch"]}

    if opts["dry_run"]:
        from factory.generate_dry import dry_run

        return dry_run(persona, modules, shares, opts, teacher)

    fams = []
    for f, target in shares.items():
        log = FamilyLog(raw_dir / f, f)
        if log.seeds and opts["seed"] not in log.seeds:
            raise UsageError(f"{raw_dir / f} was generated with seed={sorted(log.seeds)[0]}; rerun with that seed "
                             "to resume, or use another out=")
        if log.versions and modules[f].VERSION not in log.versions:  # a resumed run must not mix generator versions
            raise UsageError(f"{raw_dir / f} was written by {f} VERSION {', '.join(sorted(log.versions))}; this "
                             f"Crucible writes VERSION {modules[f].VERSION}: move the folder away or use another out=")
        fams.append(FamilyRun(modules[f], persona, target, opts["seed"], log, opts["chunks"],
                              opts["min_yield"], opts["yield_sample"]))

    from sandbox import get_sandbox

    try:
        sandbox = get_sandbox(opts["sandbox"])
    except Exception as exc:
        raise UsageError(f"sandbox {opts['sandbox']!r}: {exc}") from None
    prior_spent = sum(fam.log.cost_usd for fam in fams)
    budget = cost.Budget(opts["budget"], spent_usd=prior_spent)
    run_id = datetime.now(UTC).strftime("%Y%m%dT%H%M%S") + "-" + secrets.token_hex(3)
    runner = Runner(spec, persona, fams, teacher, sandbox, budget, opts["batch"], run_id, raw_dir)
    status = run(runner, opts)
    return report(runner, status)


def run(runner: Runner, opts: dict) -> str:
    """Both lanes to completion (or budget / Ctrl-C); returns the run's status."""
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    console = Console(stderr=True)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TextColumn("{task.fields[rate]}"), TimeElapsedColumn(), TextColumn("eta"), TimeRemainingColumn())
    status = "complete"
    with Progress(*columns, console=console, disable=not console.is_terminal) as progress:
        runner.progress = progress
        for fam in runner.families:
            runner.bars[fam.name] = progress.add_task(f"{fam.name:<9} rej {fam.log.rejected}", total=fam.target,
                                                      completed=fam.log.kept, rate="")
        rate_stop = threading.Event()

        def show_rates() -> None:
            while not rate_stop.wait(1.0):
                for fam in runner.families:
                    elapsed = max(1e-6, time.time() - runner.started)
                    progress.update(runner.bars[fam.name], rate=f"{fam.kept_this_run / elapsed:.2f}/s")

        threading.Thread(target=show_rates, daemon=True).start()
        needs_teacher = runner.teacher is not None and any(
            "teacher" in fam.active and fam.lane_of(t) == "teacher" for fam in runner.families for _, t in fam.chunk(0))
        if not needs_teacher:
            runner.end_lane("teacher")
        procedural = threading.Thread(target=lane_guard, args=(runner, "procedural"), name="procedural-lane")
        procedural.start()
        try:
            if needs_teacher:
                assert runner.teacher is not None
                with runner.teacher.session(parallel=opts["parallel"]):
                    runner.lane("teacher", opts)
            procedural.join()
        except KeyboardInterrupt:
            runner.stop.set()
            runner.end_lane("teacher")
            status = "interrupted"
            procedural.join()
        except BaseException:  # e.g. a full disk in the teacher lane: let the other lane stop at a batch boundary
            runner.stop.set()
            runner.end_lane("teacher")
            procedural.join()
            raise
        finally:
            rate_stop.set()
    if runner.fatal is not None:
        raise runner.fatal
    if runner.config_error:
        return "config"
    if status == "complete" and runner.teacher_unavailable:
        status = "unavailable"
    if status == "complete" and runner.teacher_stopped:
        status = "budget"
    if status == "complete" and runner.lane_errors:
        status = "errors"
    return status


def lane_guard(runner: Runner, lane: str) -> None:
    try:
        runner.lane(lane)
    except OSError as exc:
        if exc.errno not in DISK_FULL:
            runner.lane_errors.append(f"{lane} lane crashed: {type(exc).__name__}: {exc}")
        runner.stop.set()
        runner.fatal = runner.fatal or exc  # raised again in the main thread: one line there, not a thread traceback
    except Exception as exc:  # a bug in a lane must stop the run loudly, not hang the other lane
        runner.lane_errors.append(f"{lane} lane crashed: {type(exc).__name__}: {exc}")
        runner.stop.set()
        raise


if __name__ == "__main__":
    from schemas.settings import fail

    try:
        sys.exit(main(sys.argv[1:]))
    except UsageError as exc:
        sys.exit(fail(str(exc)))


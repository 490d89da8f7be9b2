"""The teacher lane of `generate batch=true`: rounds of (run the teacher tasks, submit what they asked as one
provider batch, poll it, store its answers), until no request is pending. See generators/teachers/batchteacher.py
for how a generator's requests are queued and answered.

- A run killed at any point and run again finds the batch in flight in `raw/_batch/state.json` and polls that one:
  it never pays for a batch twice. Answers are stored (atomic file) before the state is removed, and their usage is
  committed to each family's ledger once (the commit is named after the batch), so a kill between the two steps
  neither loses nor double-counts them.
- Tasks settle only in a round in which every request they make has its answer: the same run_batch as the live lane
  (records validated, rejections with reasons, ledger commits), so procedural lanes and resumption are unchanged.
- A request the provider did not answer (expired, canceled, a server error) is not stored: the next round asks it
  again. A request it refused as the request's own fault (a 400 about the prompt, e.g. too long) is stored as that
  error: its task is rejected with the reason, as live. A configuration error stops the run with one line.
- A batch that ends failed, expired or canceled stops the teacher lane with one line (exit 1); its tasks stay
  undone, what it did answer is kept, and a rerun continues with a new batch.
- The generator is called with one task at a time, so a record's lineage names exactly the batches (and custom_ids)
  that answered its own requests (BatchTeacher.lineage).
- budget=: before each submission, the batch's worst case at the batch price must fit what is left. The worst case
  of a task is the live lane's (Runner.worst_case_usd: every request of the task at its whole cap) times
  BATCH_DISCOUNT, counted whole for each batch the task has a request in (a turn of a conversation is charged as if
  it were the whole conversation: never under). Tasks are added in plan order while they fit; when one does not,
  only those before it are submitted, that batch is polled and ingested, the tasks it answered settle, and the
  teacher lane stops with one line (status "budget", exit 1, as the live lane); the rest stay undone, their share
  held open (not topped up procedurally), for a rerun with a larger budget, which reuses every stored answer. Spent =
  the real usage of ingested batches at the batch price (`account`).
"""

import os
import sys
import time
from typing import Any

from generators.teachers import batchapi
from generators.teachers.batchteacher import BatchTeacher, split_answers
from generators.teachers.wire import TeacherUnsettled
from schemas import canonical_json, now_iso
from schemas.storage import append_lines, write_atomic

MAX_ROUNDS = 32  # batches one run may submit (a conversation needs one per turn; a runaway loop stops here)
PROGRESS_EVERY_S = 60.0


def batch_lane(runner: Any, poll_s: float) -> None:
    teacher: BatchTeacher = runner.teacher
    state_path = teacher.store / "state.json"
    if batchapi.BatchState.load(state_path) is not None and not wait_and_ingest(runner, teacher, poll_s):
        return
    rounds = idle = 0
    while not runner.stop.is_set():
        claimed = False
        settled = sum(f.log.attempted for f in runner.families)
        ran: dict[tuple[str, str], tuple[Any, dict]] = {}  # (family, task key) -> (FamilyRun, task)
        for fam in runner.families:
            tasks = fam.take("teacher", 10**9)
            claimed = claimed or bool(tasks)
            for i, (key, task) in enumerate(tasks):  # one task per call: its lineage is its own
                if runner.stop.is_set() or runner.config_error:
                    fam.release(tasks[i:])
                    return
                teacher.new_call(fam.name, key)
                ran[fam.name, key] = (fam, task)
                runner.run_batch(fam, "teacher", [(key, task)])
        pending = teacher.take_pending()
        if pending and not runner.stop.is_set():
            rounds += 1
            if rounds > MAX_ROUNDS:
                runner.teacher_failed(TeacherUnsettled(f"batch=true: {MAX_ROUNDS} batches submitted in this run and "
                                                       "requests still pending; rerun to continue"))
                return
            pending, over_budget = fit_budget(runner, pending, ran)
            if pending:
                submit(teacher, pending, state_path)
                if not wait_and_ingest(runner, teacher, poll_s):
                    if over_budget:
                        runner.stop_teacher_on_budget(over_budget)
                    return
            if over_budget:
                if pending:  # settle the tasks whose answers were just paid for, submitting nothing more
                    settle_answered(runner, teacher)
                runner.stop_teacher_on_budget(over_budget)
                return
            continue
        if claimed and sum(f.log.attempted for f in runner.families) == settled:
            idle += 1  # tasks ran, none settled, nothing queued (a generator error?): do not spin
            if idle >= 3:
                runner.teacher_failed(TeacherUnsettled("batch=true: teacher tasks neither settle nor queue requests"))
                return
        if not claimed:
            waiting = [f for f in runner.families if f.may_need("teacher")]
            if not waiting:
                return
            with waiting[0].lock:
                waiting[0].changed.wait(timeout=0.5)


def settle_answered(runner: Any, teacher: BatchTeacher) -> None:
    """One more round over the teacher tasks, with every stored answer and no submission: those whose requests were
    all answered settle in this run; the others queue requests again, which are dropped (their tasks stay undone,
    held for a rerun with a larger budget=)."""
    for fam in runner.families:
        tasks = fam.take("teacher", 10**9)
        for i, (key, task) in enumerate(tasks):
            if runner.stop.is_set() or runner.config_error:
                fam.release(tasks[i:])
                return
            teacher.new_call(fam.name, key)
            runner.run_batch(fam, "teacher", [(key, task)])
    teacher.take_pending()


def fit_budget(runner: Any, pending: dict[str, dict[str, Any]], ran: dict[tuple[str, str], tuple[Any, dict]]
               ) -> tuple[dict[str, dict[str, Any]], str | None]:
    """The pending requests whose tasks' worst case at the batch price fits what is left of budget= (tasks in plan
    order, each whole), and the line that stops the lane when some did not fit (None when all did)."""
    budget = runner.budget
    if budget.limit_usd is None:
        return pending, None
    by_task: dict[tuple[str, str], dict[str, dict[str, Any]]] = {}
    for key, line in pending.items():
        by_task.setdefault((line["family"], line.get("task", "")), {})[key] = line
    fits: dict[str, dict[str, Any]] = {}
    worst = 0.0
    for n, (task_key, lines) in enumerate(by_task.items()):
        fam, task = ran[task_key]
        one = runner.worst_case_usd(fam, [task])[0] * batchapi.BATCH_DISCOUNT
        if not budget.fits(worst + one):
            left = sum(len(x) for x in list(by_task.values())[n:])
            return fits, (f"budget: {left} requests of {len(by_task) - n} tasks not submitted (the next {fam.name} "
                          f"task could cost ${one:.4f} at the batch price; ${budget.left_usd:.4f} left of "
                          f"${budget.limit_usd}, ${worst:.4f} of it for the {len(fits)} requests submitted)")
        worst += one
        fits.update(lines)
    return fits, None


def submit(teacher: BatchTeacher, pending: dict[str, dict[str, Any]], state_path: Any) -> batchapi.BatchState:
    bodies, keys, meta = {}, {}, {}
    for i, (key, line) in enumerate(sorted(pending.items())):
        cid = batchapi.custom_id(i)
        bodies[cid] = line["body"]
        keys[cid] = key
        meta[cid] = {"key": key, "family": line["family"], "task": line.get("task", ""),
                     "structured": line.get("structured")}
    state = batchapi.submit(teacher.client(), teacher.provider, bodies, keys, state_path, meta)
    sent = state_path.with_suffix(".requests.jsonl")
    if sent.exists():  # what this batch sent, kept under its id
        os.replace(sent, teacher.store / f"requests-{state.batch_id}.jsonl")
    print(f"batch {state.batch_id} ({teacher.provider}) submitted: {len(bodies)} requests; its id is stored in "
          f"{state_path} (a rerun polls it)", file=sys.stderr, flush=True)
    return state


def progress(state: batchapi.BatchState, batch: Any, started: float) -> str:
    counts = getattr(batch, "request_counts", None)
    if state.provider == "anthropic":
        status = batch.processing_status
        done = (f"{counts.succeeded} succeeded, {counts.errored} errored, {counts.processing} processing"
                if counts else "")
    else:
        status = batch.status
        done = f"{counts.completed}/{counts.total} done, {counts.failed} failed" if counts else ""
    return f"batch {state.batch_id} ({state.provider}): {status}, {done}, polled for {time.monotonic() - started:.0f}s"


def wait_and_ingest(runner: Any, teacher: BatchTeacher, poll_s: float) -> bool:
    """Poll the stored batch to its end, store its answers and count them; False when the lane must stop."""
    state_path = teacher.store / "state.json"
    state = batchapi.BatchState.load(state_path)
    assert state is not None
    client = teacher.client()
    started = time.monotonic()
    shown, shown_at = "", 0.0
    while True:
        try:
            ended, batch = batchapi.poll(client, state)
        except Exception as exc:  # the provider is unreachable: the batch is still stored, a rerun polls it
            runner.teacher_failed(teacher._sdk_error(exc))
            return False
        line = progress(state, batch, started)
        if ended or line.rsplit(", polled", 1)[0] != shown or time.monotonic() - shown_at >= PROGRESS_EVERY_S:
            print(line, file=sys.stderr, flush=True)  # when something changed, else every PROGRESS_EVERY_S
            shown, shown_at = line.rsplit(", polled", 1)[0], time.monotonic()
        if ended:
            break
        if runner.stop.wait(poll_s):
            return False
    text = batchapi.fetch(client, state, batch)
    answers, unanswered = split_answers(text, state)
    write_atomic(teacher.store / f"answers-{state.batch_id}.jsonl", "".join(canonical_json(a) + "\n" for a in answers))
    account(runner, teacher, state, answers, unanswered)
    status = batch.processing_status if state.provider == "anthropic" else batch.status
    failed = status in ("failed", "expired", "cancelled") or (state.provider == "anthropic" and not answers)
    line = {"batch_id": state.batch_id, "provider": state.provider, "status": status, "requests": len(state.meta),
            "answered": len(answers), "unanswered": len(unanswered), "submitted_at": state.submitted_at,
            "ingested_at": now_iso()}
    append_lines(teacher.store / "batches.jsonl", [canonical_json(line)])
    state_path.unlink()
    if failed:
        errors = getattr(getattr(batch, "errors", None), "data", None) or []
        why = "; ".join(str(getattr(e, "message", e)) for e in errors[:2]) or f"{len(unanswered)} requests unanswered"
        runner.teacher_failed(TeacherUnsettled(f"batch {state.batch_id} ({state.provider}) ended {status}: {why}; "
                                               f"{len(answers)} answers kept"))
        return False
    return True


def account(runner: Any, teacher: BatchTeacher, state: batchapi.BatchState, answers: list[dict[str, Any]],
            unanswered: list[dict[str, Any]]) -> None:
    """Each request of the batch counted once, at the batch price, in its family's ledger (an empty commit named
    after the batch: a rerun that ingests the same batch again finds it) and in the run's usage."""
    by_family: dict[str, list[dict[str, Any]]] = {}
    for a in answers + unanswered:
        by_family.setdefault(a["family"], []).append(a)
    for fam in runner.families:
        mine = by_family.get(fam.name)
        commit = f"batchapi-{state.batch_id}"
        if not mine or commit in fam.log.committed:
            continue
        usage = {"prompt_tokens": 0, "completion_tokens": 0, "requests": 0, "cached_tokens": 0,
                 "reasoning_tokens": 0}
        spent = 0.0
        for a in mine:
            reply = teacher.parse(a)
            usage["requests"] += 1
            if isinstance(reply, Exception):
                teacher.usage.add(0, 0, failed=True)
                continue
            reply.cost_usd = batchapi.batch_cost(teacher, reply)
            spent += reply.cost_usd
            for k in ("prompt_tokens", "completion_tokens", "cached_tokens", "reasoning_tokens"):
                usage[k] += getattr(reply, k)
            count_usage(teacher, reply)
        runner.budget.add(spent)
        fam.log.commit(commit, [], [], usage=usage, cost_usd=spent,
                       extra={"lane": "teacher", "seed": fam.seed, "run_id": runner.run_id,
                              "batch_api": {"provider": state.provider, "batch_id": state.batch_id}})


def count_usage(teacher: BatchTeacher, reply: Any) -> None:
    """The run's Usage (BatchTeacher.count_reply ignores replays)."""
    teacher.usage.add(reply.prompt_tokens, reply.completion_tokens, reply.cost_usd, cached_tokens=reply.cached_tokens,
                      cache_write_tokens=reply.cache_write_tokens, reasoning_tokens=reply.reasoning_tokens)


def batch_summary(teacher: Any) -> list[dict] | None:
    """batch=true: every provider batch this corpus ingested (raw/_batch/batches.jsonl), else None."""
    if not getattr(teacher, "batch_api", False):
        return None
    from schemas.storage import read_jsonl_tolerant

    return read_jsonl_tolerant(teacher.store / "batches.jsonl")[0]

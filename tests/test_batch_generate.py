"""`generate batch=true` (issue 16 item 3): the teacher's requests go through a provider's batch API. Offline: an
in-test provider (tests/batch_provider.py) implements OpenAI Files + Batches and Anthropic Message Batches on their
documented formats and answers every request with the real local llama-server. The network tests with real keys
are in tests/test_endpoints.py."""

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.batch_provider import BatchProvider
from tests.test_generate import PY, REPO, all_records, cli, lanbot_card_with

COUNT = 6


def run_args(card: Path, out: Path, teacher: str, count: int = COUNT, seed: int = 11) -> list[str]:
    return [f"persona={card}", f"count={count}", "families=identity", f"seed={seed}", "parallel=2", "batch=true",
            "poll=0.2", f"out={out}", f"teacher={teacher}"]


def env_for(server: BatchProvider) -> dict[str, str]:
    return {"OPENAI_API_KEY": "sk-test", "OPENAI_BASE_URL": server.openai_url, "ANTHROPIC_API_KEY": "sk-ant-test",
            "ANTHROPIC_BASE_URL": server.anthropic_url}


def stored_answers(out: Path) -> list[dict]:
    """Every answer line the run stored from the provider's result files (each with its task, batch, custom_id)."""
    return [json.loads(x) for p in sorted((out / "raw" / "_batch").glob("answers-*.jsonl"))
            for x in p.read_text().splitlines() if x.strip()]


def ledger(out: Path) -> list[dict]:
    path = out / "raw" / "identity" / "_ledger.jsonl"
    return [json.loads(x) for x in path.read_text().splitlines()] if path.exists() else []


def settled_keys(out: Path) -> list[str]:
    return [k for e in ledger(out) for k in e["kept"] + e["rejected"]]


def batches(out: Path) -> list[dict]:
    path = out / "raw" / "_batch" / "batches.jsonl"
    return [json.loads(x) for x in path.read_text().splitlines()] if path.exists() else []


@pytest.fixture(scope="module")
def llama():
    from generators.teachers.localserver import LocalServer

    # seed 7 for every request: llama-server's /v1/messages drops a request's own seed, and an unseeded answer is a
    # different record on every run (CI once kept no taught record at all)
    with LocalServer(parallel=2, alias="smol", seed=7) as server:
        yield server.base_url.removesuffix("/v1")


@pytest.fixture
def provider(llama):
    server = BatchProvider(llama)
    yield server
    server.close()


@pytest.fixture
def card(tmp_path):
    return lanbot_card_with(tmp_path, "teacher_share = 0.25", "teacher_share = 0.5")


def test_bad_batch_settings_are_one_line(tmp_path):
    for args, needle in ((["teacher=local", "batch=true"], "batch API"),
                         (["teacher=none", "batch=true"], "batch API"),
                         (["teacher=openai:gpt-4o-mini", "batch=maybe"], "batch must be true/false"),
                         (["teacher=openai:gpt-4o-mini", "batch=true", "poll=-1"], "poll must be")):
        res = cli("persona=lanbot", "count=2", f"out={tmp_path / 'o'}", *args, env={"OPENAI_API_KEY": "sk-test"},
                  timeout=120)
        assert res.returncode == 2 and needle in res.stderr, (args, res.stderr)
        assert len(res.stderr.strip().splitlines()) == 1, res.stderr


def check_run(out: Path, res: subprocess.CompletedProcess, provider_name: str) -> list[dict]:
    assert res.returncode == 0, res.stderr[-3000:] + res.stdout
    records = all_records(out / "raw")
    assert len(records) == COUNT and len({r["id"] for r in records}) == COUNT
    taught = check_batches(out, records, provider_name)
    done = batches(out)
    manifest = json.loads((out / "raw" / "manifest.json").read_text())
    assert manifest["teacher_usage_this_run"]["requests"] == sum(b["requests"] for b in done)
    print(f"\n{provider_name}: {len(done)} batches, {sum(b['requests'] for b in done)} requests, "
          f"{len(taught)} taught records of {COUNT}, cost ${manifest['teacher_usage_this_run']['cost_usd']}, "
          f"wall {manifest['wall_s']}s")
    return records


def check_batches(out: Path, records: list[dict], provider_name: str) -> list[dict]:
    """No task settled twice, each batch's usage committed once, and every taught record's lineage names exactly
    the (batch, custom_id) pairs whose stored result lines answered its own task's requests. The taught records."""
    keys = settled_keys(out)
    assert len(keys) == len(set(keys))  # no task settled twice
    done = batches(out)
    assert done and all(b["provider"] == provider_name for b in done)
    ids = {b["batch_id"] for b in done}
    taught = [r for r in records if r["lineage"]["teacher"]]
    answers = stored_answers(out)
    for r in taught:
        api = r["lineage"]["teacher"]["params"]["batch_api"]
        task_id = r["lineage"]["facets"]["task_id"]
        own = {(a["batch_id"], a["line"]["custom_id"]) for a in answers if a["task"].split(":", 1)[1] == task_id}
        assert api["provider"] == provider_name and own
        assert {(q["batch_id"], q["custom_id"]) for q in api["requests"]} == own, (task_id, api, own)
        assert set(api["batches"]) == {b for b, _ in own} and set(api["batches"]) <= ids
    usage_lines = [e for e in ledger(out) if e.get("batch_api")]
    assert {e["batch_api"]["batch_id"] for e in usage_lines} == ids  # every batch's usage committed once
    assert len(usage_lines) == len(ids)
    manifest = json.loads((out / "raw" / "manifest.json").read_text())
    assert [b["batch_id"] for b in manifest["batch_api"]] == [b["batch_id"] for b in done]
    return taught


@pytest.mark.slow
def test_openai_batch_run_then_a_kill_while_in_progress_resumes_the_same_batch(tmp_path, provider, card):
    out_a = tmp_path / "a"
    res = cli(*run_args(card, out_a, "openai:gpt-4o-mini"), env=env_for(provider), timeout=1200)
    records_a = check_run(out_a, res, "openai")
    assert provider.created == len(batches(out_a))
    # every batch request priced at half the live price
    from generators.teachers.cost import price_for

    price = price_for("openai", "gpt-4o-mini")
    assert price is not None
    for e in (e for e in ledger(out_a) if e.get("batch_api")):
        u = e["usage"]
        live = price.cost(u["prompt_tokens"], u["completion_tokens"], u["cached_tokens"], 0, u["reasoning_tokens"])
        assert e["cost_usd"] == pytest.approx(live / 2) and live > 0

    # the same run, killed while its first batch is in progress, then run again
    before = provider.created
    provider.hold.set()
    out_b = tmp_path / "b"
    state = out_b / "raw" / "_batch" / "state.json"
    proc = subprocess.Popen([PY, "-W", "ignore", "-m", "factory", "generate",
                             *run_args(card, out_b, "openai:gpt-4o-mini")], cwd=REPO, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env={**os.environ, **env_for(provider)},
                            start_new_session=True)
    deadline = time.time() + 600
    while time.time() < deadline and proc.poll() is None and not state.exists():
        time.sleep(0.1)
    time.sleep(0.5)  # polling an in-progress batch
    assert proc.poll() is None, proc.communicate()[1][-2000:]
    in_flight = json.loads(state.read_text())["batch_id"]
    os.killpg(proc.pid, signal.SIGKILL)
    proc.communicate()
    assert provider.created == before + 1 and provider.batches[in_flight]["status"] in ("validating", "in_progress")
    provider.hold.clear()
    res = cli(*run_args(card, out_b, "openai:gpt-4o-mini"), env=env_for(provider), timeout=1200)
    assert f"batch {in_flight} (openai)" in res.stderr  # polled again, not submitted again
    records_b = check_run(out_b, res, "openai")
    assert provider.created - before == len(batches(out_b))  # one batch per round, none submitted twice
    assert batches(out_b)[0]["batch_id"] == in_flight
    same = {r["id"] for r in records_a} & {r["id"] for r in records_b}
    procedural = {r["id"] for r in records_a if not r["lineage"]["teacher"]}
    print(f"interrupted run: {len(same)}/{COUNT} record ids as the uninterrupted one "
          f"({len(procedural & same)}/{len(procedural)} procedural)")
    assert procedural <= same  # the tasks are the same; taught ones differ only if llama-server's sampling does


@pytest.mark.slow
def test_anthropic_message_batches_run(tmp_path, provider, card):
    out = tmp_path / "o"
    res = cli(*run_args(card, out, "anthropic:claude-haiku-4-5"), env=env_for(provider), timeout=1200)
    check_run(out, res, "anthropic")


@pytest.mark.slow
def test_a_failed_batch_is_one_line_and_leaves_its_tasks_undone(tmp_path, provider, card):
    provider.mode = "fail"
    out = tmp_path / "o"
    res = cli(*run_args(card, out, "openai:gpt-4o-mini"), env=env_for(provider), timeout=600)
    assert res.returncode == 1, res.stderr[-2000:]
    lines = [x for x in res.stderr.splitlines() if "ended failed" in x]
    assert len(lines) == 1 and "not parseable as valid JSON" in lines[0], res.stderr[-2000:]
    taught = [e for e in ledger(out) if e.get("lane") == "teacher" and (e["kept"] or e["rejected"])]
    assert taught == []  # nothing settled by the teacher lane: a rerun runs those tasks
    assert not (out / "raw" / "_batch" / "state.json").exists() and provider.created == 1
    provider.mode = "ok"  # the rerun submits a new batch and finishes
    res = cli(*run_args(card, out, "openai:gpt-4o-mini"), env=env_for(provider), timeout=1200)
    assert res.returncode == 0, res.stderr[-2000:]
    assert len(all_records(out / "raw")) == COUNT


@pytest.mark.slow
def test_per_request_errors_reject_their_task_with_the_reason(tmp_path, provider, card):
    """partial result file: the first request of each batch answered HTTP 400 (context length): that task is rejected
    with the provider's reason, as a live 400 about the prompt would be; the rest are answered."""
    provider.mode = "partial"
    out = tmp_path / "o"
    res = cli(*run_args(card, out, "openai:gpt-4o-mini"), env=env_for(provider), timeout=1200)
    assert res.returncode == 0, res.stderr[-3000:]
    assert len(all_records(out / "raw")) == COUNT
    rejects = [json.loads(x) for x in (out / "raw" / "identity" / "rejected.jsonl").read_text().splitlines()]
    assert any("maximum context length" in r["reason"] for r in rejects), [r["reason"] for r in rejects]


def test_batch_teacher_queues_once_answers_from_the_store_and_names_its_batch(tmp_path, monkeypatch):
    """Offline, no server: a request without an answer is queued (once, even when re-asked) and raises BatchPending;
    with the provider's documented result line stored it returns the parsed reply at half price, and lineage names
    the batch that answered it."""
    from generators.teachers import batchapi
    from generators.teachers.batchteacher import BatchTeacher, request_key
    from generators.teachers.teacher import resolve_teacher
    from generators.teachers.wire import UNSETTLED, BatchPending
    from tests.test_endpoints import OPENAI_OUT, USER

    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    teacher = BatchTeacher(resolve_teacher("openai:gpt-4o-mini"), tmp_path / "_batch")
    teacher.new_call("identity")
    for _ in range(2):  # a re-sample of a turn still waiting is not queued twice
        with pytest.raises(BatchPending) as info:
            teacher.complete([USER], max_tokens=8)
        assert UNSETTLED in str(info.value) and info.value.kind == "batch"
    pending = teacher.take_pending()
    body = teacher.request([USER], max_tokens=8)[0]
    assert list(pending) == [request_key(body, 0)] and pending[request_key(body, 0)]["body"] == body
    state = batchapi.BatchState("openai", "batch_abc", {"r000000": request_key(body, 0)},
                                meta={"r000000": {"key": request_key(body, 0), "family": "identity"}})
    from generators.teachers.batchteacher import split_answers

    answers, unanswered = split_answers(json.dumps({**OPENAI_OUT[0], "custom_id": "r000000"}) + "\n", state)
    assert len(answers) == 1 and not unanswered
    (tmp_path / "_batch" / "answers-batch_abc.jsonl").write_text(json.dumps(answers[0]) + "\n")
    teacher.new_call("identity")
    reply = teacher.complete([USER], max_tokens=8)
    assert reply.text == "Hello." and reply.cost_usd == pytest.approx(teacher.reply_cost(reply) / 2)
    assert teacher.usage.requests == 0  # counted when the batch was ingested, not when read
    assert teacher.lineage()["params"]["batch_api"] == {"provider": "openai", "batches": ["batch_abc"],
                                                         "requests": [{"batch_id": "batch_abc",
                                                                       "custom_id": "r000000"}]}
    with pytest.raises(BatchPending):  # the same body asked again in the same call: a new sample, queued
        teacher.complete([USER], max_tokens=8)
    assert list(teacher.take_pending()) == [request_key(body, 1)]
    teacher.new_call("identity", "c0:other")  # another task: its lineage names none of the first task's batches
    with pytest.raises(BatchPending):  # and the same body is its own request (keyed by its task)
        teacher.complete([USER], max_tokens=8)
    assert teacher.lineage()["params"]["batch_api"]["batches"] == []
    assert list(teacher.take_pending()) == [request_key(body, 0, "c0:other")]
    # a worker process resolves the same teacher from its spec
    from generators.teachers.batchteacher import resolve_worker

    worker = resolve_worker(teacher.worker_spec())
    assert isinstance(worker, BatchTeacher) and worker.worker and worker.store == teacher.store


def test_lineage_read_by_another_lane_while_calls_turn_over(tmp_path, monkeypatch):
    """The procedural lane writes its family manifest, which asks the batch teacher's lineage, while the teacher lane
    starts call after call (`new_call` removes used.jsonl, workers append to it): lineage never fails on the file
    vanishing under it or on a line still being written. CI once failed the budget test on exactly this (the old
    exists-then-read lost the race in ~20 turns here)."""
    import threading

    from generators.teachers.batchteacher import BatchTeacher
    from generators.teachers.teacher import resolve_teacher
    from schemas.storage import append_lines

    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    teacher = BatchTeacher(resolve_teacher("openai:gpt-4o-mini"), tmp_path / "_batch")
    errors: list[str] = []
    done = threading.Event()

    def manifests() -> None:
        while not done.is_set():
            try:
                teacher.lineage()
            except Exception as exc:
                errors.append(repr(exc))
                return

    reader = threading.Thread(target=manifests)
    reader.start()
    for i in range(2000):
        teacher.new_call("identity", f"c0:{i}")
        append_lines(teacher.store / "used.jsonl", [json.dumps(["batch_abc", f"r{i}"])])
        with (teacher.store / "used.jsonl").open("a") as torn:
            torn.write('["batch_ab')  # a worker's line, half written
        if errors:
            break
    done.set()
    reader.join()
    assert not errors, errors[0]
    assert teacher.lineage()["params"]["batch_api"]["requests"] == [{"batch_id": "batch_abc", "custom_id": "r1999"}]


def teacher_worst_cases(card: Path, spec: str, seed: int) -> list[tuple[str, float]]:
    """(task key, worst case at the batch price) of each teacher task of run_args' plan, in plan order: the live
    lane's estimate (factory.teacher_load), as the run computes it."""
    from factory.generate import load_family
    from factory.teacher_load import estimate_family, worst_case_cost
    from generators.teachers.batchapi import BATCH_DISCOUNT
    from generators.teachers.teacher import resolve_teacher
    from schemas import load_persona

    module = load_family("identity")
    teacher = resolve_teacher(spec)
    out = []
    for t in module.plan(load_persona(str(card)), COUNT, seed):
        est = estimate_family(module, [t])
        if est.requests:
            out.append((f"c0:{t['task_id']}", worst_case_cost(teacher, est) * BATCH_DISCOUNT))
    return out


@pytest.mark.slow
def test_budget_submits_only_what_fits_and_a_rerun_finishes(tmp_path, provider, card, monkeypatch):
    """budget= fits the first teacher task's worst case at the batch price, not the second's: the one batch holds
    only that task's requests, the lane stops with one line (status budget, exit 1), the other tasks stay undone and
    their share is held open (chunks=2: the procedural lane does not top it up from chunk 1); a rerun with a larger
    budget settles them, no task settles twice, and every taught record names exactly its own batches: the budget
    run's batch only in the first task's (with parallel=2 the first two teacher tasks ran in one generator call
    before, and both named it)."""
    spec = "anthropic:claude-haiku-4-5"
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test")
    seed = 2  # its plan has 3 teacher tasks, and llama-server's answers (seed 7) make taught records that pass
    worst = teacher_worst_cases(card, spec, seed)
    assert len(worst) >= 2, worst
    budget = worst[0][1] + worst[1][1] / 2
    out = tmp_path / "o"
    res = cli(*run_args(card, out, spec, seed=seed), "chunks=2", f"budget={budget}", env=env_for(provider), timeout=1200)
    assert res.returncode == 1, res.stderr[-3000:] + res.stdout
    stop = [x for x in res.stdout.splitlines() if x.startswith("stopped the teacher lane: budget: ")]
    assert len(stop) == 1 and f"requests of {len(worst) - 1} tasks not submitted" in stop[0], res.stdout
    assert "rerun with a larger budget= to continue" in stop[0], stop
    assert provider.created == 1 and len(batches(out)) == 1
    first = batches(out)[0]["batch_id"]
    assert {a["task"] for a in stored_answers(out)} == {worst[0][0]}  # only what fit was submitted
    # the tasks left wait for the rerun (the first settles now when its one round of answers was all it needed)
    assert {k for k, _ in worst} & set(settled_keys(out)) <= {worst[0][0]}
    assert not [k for k in settled_keys(out) if k.startswith("c1:")]  # their share is not topped up procedurally
    before = set(settled_keys(out))
    manifest = json.loads((out / "raw" / "manifest.json").read_text())
    spent = sum(e["cost_usd"] for e in ledger(out) if e.get("batch_api"))
    assert manifest["status"] == "budget" and 0 < spent <= budget
    assert manifest["spent_usd_total"] == pytest.approx(spent, abs=1e-6)  # real usage at the batch price

    res = cli(*run_args(card, out, spec, seed=seed), "chunks=2", "budget=1", env=env_for(provider), timeout=1200)
    assert res.returncode == 0, res.stderr[-3000:] + res.stdout
    assert {k for k, _ in worst} <= set(settled_keys(out))  # every teacher task settled (kept or rejected)
    assert before <= set(settled_keys(out))  # and check_batches: none twice
    records = all_records(out / "raw")
    taught = check_batches(out, records, "anthropic")
    assert {a["task"] for a in stored_answers(out) if a["batch_id"] == first} == {worst[0][0]}
    assert taught, "no taught record kept: the lineage check above checked nothing"
    for r in taught:
        named = first in r["lineage"]["teacher"]["params"]["batch_api"]["batches"]
        assert named == (f"c0:{r['lineage']['facets']['task_id']}" == worst[0][0])
    print(f"\nbudget ${budget:.6f}: 1 of {len(worst)} teacher tasks in the first batch, spent ${spent:.6f}; "
          f"rerun: {len(batches(out))} batches, {len(taught)} taught records of {len(records)}")

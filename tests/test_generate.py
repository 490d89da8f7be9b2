"""`python -m factory generate`: settings, bad input, dry runs, the crash-safe runlog, SIGKILL + resume, budget cap.

The fast tests use `teacher=none` (procedural tasks only: the textbook lesson templates, verified in the sandbox);
the slow ones run the real local llama.cpp teacher.
"""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from factory import generate
from factory.runlog import FamilyLog
from schemas import canonical_json as canonical
from schemas import validate_record
from schemas.settings import UsageError
from schemas.storage import append_lines

REPO = Path(__file__).resolve().parents[1]
PY = sys.executable


def identity_ledger(raw: Path) -> list[dict]:
    """The identity family's committed ledger lines (what each settled batch kept, rejected and cost), [] before any."""
    path = raw / "identity" / "_ledger.jsonl"
    return [json.loads(x) for x in path.read_text().splitlines()] if path.exists() else []


def cli(*args: str, timeout: float = 300, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([PY, "-W", "ignore", "-m", "factory", "generate", *args], cwd=REPO, capture_output=True,
                          text=True, timeout=timeout, env={**os.environ, **(env or {})})


def lanbot_card_with(tmp_path: Path, old: str, new: str) -> Path:
    """A copy of the LanBot card with its first `old` line replaced by `new` (the edit must apply)."""
    text = (REPO / "corpora" / "lanbot" / "persona.toml").read_text(encoding="utf-8")
    assert old in text, f"the LanBot card no longer has {old!r}"
    card = tmp_path / "lanbot" / "persona.toml"
    card.parent.mkdir()
    card.write_text(text.replace(old, new, 1), encoding="utf-8")
    return card


def all_records(raw: Path) -> list[dict]:
    out = []
    for part in sorted(raw.glob("*/part-*.jsonl")):
        text = part.read_text(encoding="utf-8")
        assert text.endswith("\n"), f"{part} is torn"
        out += [json.loads(line) for line in text.splitlines()]
    return out


# ---------------------------------------------------------------------------------------------------------------
# settings

def test_split_count_is_exact_and_deterministic():
    shares = generate.split_count(200, {"identity": 0.15, "tool_use": 0.3, "reasoning": 0.25, "textbook": 0.25,
                                        "safety": 0.05})
    assert sum(shares.values()) == 200 and shares == {"identity": 30, "tool_use": 60, "reasoning": 50,
                                                      "textbook": 50, "safety": 10}
    odd = generate.split_count(7, {"a": 1, "b": 1, "c": 1})
    assert sum(odd.values()) == 7 and odd == generate.split_count(7, {"a": 1, "b": 1, "c": 1})


def test_parse_mixture_and_settings_errors():
    assert generate.parse_mixture("identity:0.3,textbook") == {"identity": 0.3, "textbook": 1.0}
    for bad in ("identity:x", "identity:-1", ""):
        with pytest.raises(UsageError):
            generate.parse_mixture(bad)
    with pytest.raises(UsageError, match="persona"):
        generate.parse_settings(["count=3"])
    with pytest.raises(UsageError, match="count"):
        generate.parse_settings(["persona=lanbot", "count=zero"])
    with pytest.raises(UsageError, match="unknown setting"):
        generate.parse_settings(["persona=lanbot", "colour=red"])


def test_scrub_spec_drops_url_credentials():
    assert generate.scrub_spec("http://user:pw@10.0.0.2:8000/v1@qwen") == "http://10.0.0.2:8000/v1@qwen"
    assert generate.scrub_spec("openai:gpt-4o-mini") == "openai:gpt-4o-mini"


@pytest.mark.parametrize("args, message", [
    (["persona=nobody"], "unknown persona"),
    (["persona=lanbot", "teacher=sorcery:gpt"], "unknown teacher"),
    (["persona=lanbot", "families=poetry"], "unknown family"),
    (["persona=lanbot", "teacher=anthropic:claude-haiku-4-5"], "ANTHROPIC_API_KEY"),
])
def test_bad_input_is_one_line_exit_2(args, message):
    env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}
    res = subprocess.run([PY, "-W", "ignore", "-m", "factory", "generate", *args], cwd=REPO, capture_output=True,
                         text=True, timeout=120, env=env)
    assert res.returncode == 2, res.stderr
    lines = [x for x in res.stderr.splitlines() if x.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], res.stderr


def test_malformed_persona_card(tmp_path):
    card = tmp_path / "broken" / "persona.toml"
    card.parent.mkdir()
    card.write_text('name = "Broken\n', encoding="utf-8")
    res = cli(f"persona={card}", "teacher=none")
    assert res.returncode == 2 and "invalid TOML" in res.stderr and len(res.stderr.strip().splitlines()) == 1
    card.write_text('name = "NoCreator"\n', encoding="utf-8")
    res = cli(f"persona={card}", "teacher=none")
    assert res.returncode == 2 and res.stderr.startswith("error: ")


def test_dry_run_estimates_and_writes_nothing(tmp_path):
    res = cli("persona=lanbot", "count=400", "dry_run=true", "teacher=openai:gpt-4o-mini", f"out={tmp_path}",
              env={"OPENAI_API_KEY": "sk-test-not-used"})
    assert res.returncode == 0, res.stderr
    assert "identity" in res.stdout and "total:" in res.stdout
    usd = float(res.stdout.split("total:")[1].split("$")[1].split()[0])
    assert usd > 0
    assert not (tmp_path / "raw").exists()
    assert "sk-test" not in res.stdout + res.stderr


# ---------------------------------------------------------------------------------------------------------------
# runlog recovery

def test_runlog_recovers_from_torn_and_uncommitted_writes(tmp_path):
    folder = tmp_path / "fam"
    log = FamilyLog(folder, "textbook")
    rec = {"id": "a" * 32, "family": "textbook"}
    log.commit("b1", [("k1", rec)], [("k2", {"task_id": "t2", "reason": "bad"})])
    # A crash after rejects and part file of batch b2 but before its ledger line, plus a torn ledger append:
    append_lines(folder / "rejected.jsonl", [canonical({"task_id": "t3", "reason": "x", "batch": "b2"})])
    (folder / "part-b2.jsonl").write_text(canonical({"id": "b" * 32}) + "\n")
    (folder / ".part-b3.jsonl.123.tmp").write_text("{")
    with open(folder / "_ledger.jsonl", "a") as f:
        f.write('{"batch": "b2", "part": "part-b2.jso')
    log = FamilyLog(folder, "textbook")
    assert log.kept == 1 and log.rejected == 1 and log.done_keys == {"k1", "k2"}
    assert not (folder / "part-b2.jsonl").exists() and not list(folder.glob(".*.tmp"))
    assert len((folder / "rejected.jsonl").read_text().splitlines()) == 1
    assert (folder / "_ledger.jsonl").read_text().endswith("\n")
    log.commit("b4", [("k3", {"id": "c" * 32})], [])
    assert FamilyLog(folder, "textbook").kept == 2


# ---------------------------------------------------------------------------------------------------------------
# full runs without a teacher

def test_procedural_run_writes_valid_records_and_manifest(tmp_path):
    res = cli("persona=lanbot", "count=20", "families=textbook", "teacher=none", f"out={tmp_path}")
    assert res.returncode == 0, res.stderr + res.stdout
    records = all_records(tmp_path / "raw")
    assert len(records) == 20 and len({r["id"] for r in records}) == 20
    assert all(validate_record(r) == [] for r in records)
    assert all(r["lineage"]["generator"] == "generators.textbook.procedural" for r in records)
    manifest = json.loads((tmp_path / "raw" / "textbook" / "manifest.json").read_text())
    assert manifest["kept"] == 20 and manifest["spec"]["teacher"] == "none"
    again = cli("persona=lanbot", "count=20", "families=textbook", "teacher=none", f"out={tmp_path}")
    assert again.returncode == 0 and "+0 kept" in again.stdout
    assert len(all_records(tmp_path / "raw")) == 20
    wrong_seed = cli("persona=lanbot", "count=20", "families=textbook", "teacher=none", "seed=1", f"out={tmp_path}")
    assert wrong_seed.returncode == 2 and "seed=0" in wrong_seed.stderr
    ledger = tmp_path / "raw" / "textbook" / "_ledger.jsonl"  # as if an older Crucible had written the batches
    ledger.write_text(ledger.read_text().replace('"version":"', '"version":"old-'))
    upgraded = cli("persona=lanbot", "count=20", "families=textbook", "teacher=none", f"out={tmp_path}")
    assert upgraded.returncode == 2 and "VERSION old-" in upgraded.stderr and len(upgraded.stderr.splitlines()) == 1


@pytest.mark.slow
def test_sigkill_mid_run_then_resume_gives_exactly_count(tmp_path):
    count = 64
    args = [PY, "-W", "ignore", "-m", "factory", "generate", "persona=lanbot", f"count={count}",
            "families=textbook,reasoning", "teacher=none", f"out={tmp_path}"]
    kills = 0
    for _ in range(2):  # kill it twice, at different points
        proc = subprocess.Popen(args, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 120
        while time.time() < deadline and proc.poll() is None:
            ledgers = list((tmp_path / "raw").glob("*/_ledger.jsonl"))
            lines = sum(len(p.read_text().splitlines()) for p in ledgers)
            if lines >= 2 + 2 * kills:
                break
            time.sleep(0.05)
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
            kills += 1
        proc.wait()
    assert kills >= 1, "the run finished before it could be killed; raise count"
    partial = len(all_records(tmp_path / "raw"))
    assert partial < count
    res = subprocess.run(args, cwd=REPO, capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr + res.stdout
    records = all_records(tmp_path / "raw")
    assert len(records) == count and len({r["id"] for r in records}) == count
    assert all(validate_record(r) == [] for r in records)
    for fam in ("textbook", "reasoning"):
        log = FamilyLog(tmp_path / "raw" / fam, fam)
        assert log.kept == len([r for r in records if r["family"] == fam])


# ---------------------------------------------------------------------------------------------------------------
# with the real local teacher

@pytest.mark.slow
def test_end_to_end_local_teacher_count_30(tmp_path):
    res = cli("persona=lanbot", "count=30", f"out={tmp_path}", timeout=1500)
    assert res.returncode == 0, res.stderr[-2000:] + res.stdout
    records = all_records(tmp_path / "raw")
    assert 0 < len(records) <= 30 and len({r["id"] for r in records}) == len(records)
    assert all(validate_record(r) == [] for r in records)
    manifest = json.loads((tmp_path / "raw" / "manifest.json").read_text())
    assert manifest["status"] == "complete" and manifest["teacher"]["provider"] == "local"
    for fam in manifest["families"]:
        lines = (tmp_path / "raw" / fam["family"] / "rejected.jsonl")
        if lines.exists():
            assert all(json.loads(x)["reason"] for x in lines.read_text().splitlines())


@pytest.mark.slow
def test_budget_cap_stops_cleanly_and_resumes(tmp_path):
    from generators import identity
    from schemas import load_persona

    # A copy of LanBot whose identity replies are all teacher-written, so a budget stop cannot be papered over by
    # procedural conversations filling the share.
    card = lanbot_card_with(tmp_path, "teacher_share = 0.25", "teacher_share = 1.0")
    tasks = identity.plan(load_persona(card), 4, 0)
    assert not any(t["procedural"] for t in tasks)
    price = 1000.0  # USD per 1M tokens, so a handful of tokens costs real-looking money with the free local model
    est = identity.estimate(tasks[:2])
    first_batch = (est.prompt_tokens + est.completion_tokens) * price / 1e6
    base = [f"persona={card}", "count=4", "families=identity", "batch=2", f"price={price},{price}",
            f"out={tmp_path / 'out'}"]
    raw = tmp_path / "out" / "raw"

    # 1. Not even the first batch fits: nothing is spent, nothing started, a clear message, exit 1.
    res = cli(*base, f"budget={first_batch / 2:.6f}", timeout=900)
    assert res.returncode == 1 and "rerun with a larger budget=" in res.stdout, res.stderr[-2000:] + res.stdout
    assert identity_ledger(raw) == [] and json.loads((raw / "manifest.json").read_text())["status"] == "budget"
    # 2. The first batch fits: it runs and is committed, and the total never exceeds the cap.
    res = cli(*base, f"budget={first_batch * 1.0001:.6f}", timeout=900)
    manifest = json.loads((raw / "manifest.json").read_text())
    assert res.returncode in (0, 1) and manifest["status"] in ("budget", "complete"), res.stderr[-2000:]
    assert len(identity_ledger(raw)) >= 1 and 0 < manifest["spent_usd_total"] <= first_batch * 1.0001
    assert sum(e["cost_usd"] for e in identity_ledger(raw)) == pytest.approx(manifest["spent_usd_total"])
    # 3. A higher budget resumes where it stopped: no task settled twice, no duplicate record.
    before = {k for e in identity_ledger(raw) for k in e["kept"] + e["rejected"]}
    res = cli(*base, "budget=1000", timeout=900)
    assert res.returncode == 0, res.stderr[-2000:] + res.stdout
    keys = [k for e in identity_ledger(raw) for k in e["kept"] + e["rejected"]]
    assert len(keys) == len(set(keys)) and before <= set(keys)
    log = FamilyLog(raw / "identity", "identity")
    assert log.kept <= 4 and len({r["id"] for r in log.records()}) == log.kept
    assert all(validate_record(r) == [] for r in log.records())


@pytest.mark.slow
def test_budget_stop_holds_the_teacher_share_for_the_rerun(tmp_path):
    """A mixed family (half its identity conversations teacher-written): the budget fits the first teacher task's
    worst case, not the second's. The run ends with exit 1 and one line saying so; the procedural lane settles its own
    chunk-0 tasks but does not top up the teacher's share from chunk 1 (before, it filled the count and the teacher
    tasks were never tried again). A rerun with a larger budget runs the teacher task that was left, and neither
    settles nor bills the first one again."""
    from generators import identity
    from schemas import load_persona

    card = lanbot_card_with(tmp_path, "teacher_share = 0.25", "teacher_share = 0.5")
    count, price = 4, 1000.0
    tasks = identity.plan(load_persona(card), count, 0)
    teacher = [f"c0:{t['task_id']}" for t in tasks if not t["procedural"]]
    ests = [identity.estimate([t]) for t in tasks if not t["procedural"]]
    worst = [(e.prompt_tokens + e.completion_tokens) * price / 1e6 for e in ests]
    assert len(teacher) == 2 and worst[1] > worst[0], worst  # batch=1: the second can never fit what the first left
    base = [f"persona={card}", f"count={count}", "families=identity", "batch=1", "chunks=2", f"price={price},{price}",
            f"out={tmp_path / 'out'}"]
    raw = tmp_path / "out" / "raw"

    res = cli(*base, f"budget={worst[0] * 1.0001:.6f}", timeout=900)
    assert res.returncode == 1, res.stderr[-2000:] + res.stdout
    stop = [x for x in res.stdout.splitlines() if "budget" in x and "rerun" in x]
    assert len(stop) == 1 and stop[0].startswith("stopped the teacher lane: budget: the next identity batch"), res.stdout
    assert "rerun with a larger budget= to continue" in stop[0] and "held open" in stop[0], stop
    first = identity_ledger(raw)
    settled = [k for e in first for k in e["kept"] + e["rejected"]]
    assert teacher[0] in settled and teacher[1] not in settled  # the first ran, the second waits for the rerun
    assert not [k for k in settled if k.startswith("c1:")], settled  # no procedural top-up of the held share
    manifest = json.loads((raw / "manifest.json").read_text())
    assert manifest["status"] == "budget" and 0 < manifest["spent_usd_total"] <= worst[0] * 1.0001
    assert FamilyLog(raw / "identity", "identity").kept < count

    res = cli(*base, "budget=1000", timeout=900)
    assert res.returncode == 0, res.stderr[-2000:] + res.stdout
    assert identity_ledger(raw)[: len(first)] == first  # the first run's commits stand as they were
    again = [k for e in identity_ledger(raw)[len(first):] for k in e["kept"] + e["rejected"]]
    assert teacher[1] in again and not set(again) & set(settled), again  # only what was left, nothing twice
    rerun = [e for e in identity_ledger(raw)[len(first):] if e.get("lane") == "teacher"]
    manifest = json.loads((raw / "manifest.json").read_text())
    assert manifest["teacher_usage_this_run"]["requests"] == sum(e["usage"]["requests"] for e in rerun)
    assert manifest["spent_usd_total"] == pytest.approx(sum(e["cost_usd"] for e in identity_ledger(raw)))
    log = FamilyLog(raw / "identity", "identity")
    assert log.kept <= count and len({r["id"] for r in log.records()}) == log.kept
    print(f"\nbudget ${worst[0] * 1.0001:.4f}: run 1 settled {len(settled)} tasks ({len(first)} commits), spent "
          f"${sum(e['cost_usd'] for e in first):.4f}; rerun settled {len(again)}, {len(rerun)} teacher commits")


# ---------------------------------------------------------------------------------------------------------------
# an unproductive teacher lane is retired

def test_teacher_lane_retired_by_its_ledger_yield_and_share_met_procedurally(tmp_path):
    from generators import textbook
    from schemas import load_persona

    persona = load_persona("lanbot")
    folder = tmp_path / "textbook"

    def family(**kw) -> generate.FamilyRun:
        return generate.FamilyRun(textbook, persona, 20, 0, FamilyLog(folder, "textbook"), 4, **kw)

    fam = family(min_yield=0.5, yield_sample=4)
    teacher_keys = [k for k, t in fam.chunk(0) if fam.lane_of(t) == "teacher"]
    procedural_keys = [k for k, t in fam.chunk(0) if fam.lane_of(t) == "procedural"]
    assert len(teacher_keys) >= 3 and procedural_keys
    # An earlier run settled every procedural task of chunk 0 and 3 teacher tasks, none of them kept.
    settled = procedural_keys + teacher_keys[:3]
    fam.log.commit("b1", [], [(k, {"task_id": k, "reason": "tests: failed"}) for k in procedural_keys],
                   extra={"lane": "procedural"})
    fam.log.commit("b2", [], [(k, {"task_id": k, "reason": "tests: failed"}) for k in teacher_keys[:3]],
                   extra={"lane": "teacher"})

    # 3 teacher attempts are fewer than the sample: the lane stays, and chunk 1 waits for chunk 0's teacher tasks.
    fam = family(min_yield=0.5, yield_sample=4)
    assert "teacher" in fam.active and fam.take("procedural", 100) == []
    fam.log.commit("b3", [], [(teacher_keys[3], {"task_id": "x", "reason": "tests: failed"})], extra={"lane": "teacher"})
    assert fam.retire_teacher_if_unproductive() is not None

    # Reopened from the ledger (a resumed run): 0/4 is below min_yield, so the lane is retired at once, and the
    # procedural lane meets the share from the next chunk.
    fam = family(min_yield=0.5, yield_sample=4)
    assert "teacher" not in fam.active and fam.retired is not None and "0/4 (0%)" in fam.retired
    taken = fam.take("procedural", 100)
    assert taken and all(k.startswith("c1:") and k not in settled for k, _ in taken)
    assert fam.take("teacher", 100) == []
    # min_yield=0 never retires; a yield at or above min_yield keeps the lane.
    assert "teacher" in family(min_yield=0.0, yield_sample=4).active
    assert "teacher" in family(min_yield=0.0001, yield_sample=100).active


def test_min_yield_settings_are_checked():
    assert generate.parse_settings(["persona=lanbot"])["min_yield"] == generate.MIN_TEACHER_YIELD
    with pytest.raises(UsageError, match="min_yield must be between 0 and 1"):
        generate.parse_settings(["persona=lanbot", "min_yield=2"])
    with pytest.raises(UsageError, match="yield_sample must be >= 1"):
        generate.parse_settings(["persona=lanbot", "yield_sample=0"])


@pytest.mark.slow
def test_local_teacher_unproductive_lessons_are_retired_and_count_still_met(tmp_path):
    card = lanbot_card_with(tmp_path, "teacher_share = 0.15", "teacher_share = 0.5")
    # The 135M teacher writes a lesson whose module, lint, types and tests all pass ~2% of the time: asking for a
    # 99% yield after 3 attempts retires it after its first batch.
    res = cli(f"persona={card}", "count=6", "families=textbook", "batch=3", "yield_sample=3", "min_yield=0.99",
              f"out={tmp_path / 'out'}", timeout=900)
    assert res.returncode == 0, res.stderr[-2000:] + res.stdout
    assert "retired: textbook: teacher yield" in res.stdout and "min_yield=0.99" in res.stdout
    manifest = json.loads((tmp_path / "out" / "raw" / "manifest.json").read_text())
    assert manifest["status"] == "complete" and len(manifest["teacher_retired"]) == 1
    row = manifest["families"][0]
    assert row["kept"] == 6 and row["teacher_attempted"] == 3
    records = all_records(tmp_path / "out" / "raw")
    assert len(records) == 6 and all(validate_record(r) == [] for r in records)


def test_teacher_threads_follow_the_procedural_lane_and_other_load():
    assert generate.teacher_threads(False, 0.0, 1, 2) == 1  # the procedural lane works: one thread
    assert generate.teacher_threads(True, 1.1, 1, 2) == 2  # only the server itself was busy
    assert generate.teacher_threads(True, 2.1, 2, 2) == 2
    assert generate.teacher_threads(True, 2.0, 1, 2) == 1  # another process holds a core
    assert generate.teacher_threads(True, 3.5, 2, 2) == 1
    assert generate.teacher_threads(True, 4.0, 1, 8) == 5  # 3 cores busy elsewhere

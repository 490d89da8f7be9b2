"""The LLM-judge stage: rubrics per family, structured verdicts through json_schema, scores in verdicts, a threshold
that rejects, and its tokens and dollars in the funnel under a budget cap. The plumbing runs against the real local
llama-server (SmolLM2-135M: slow under grammars, so max_tokens stays small and n tiny)."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from datatrove.data import Document

from factory.filter import settings_from_argv
from filters.docs import record_to_document
from filters.judge import RESPONSE_FORMAT, JudgeFilter, Rubrics, conversation_for_judge, merge_usage, parse_verdict
from generators.teachers.connect import JudgeConnection
from generators.teachers.teacher import resolve_teacher
from schemas import load_persona
from schemas.settings import UsageError
from tests.filter_corpus import identity, reasoning

REPO = Path(__file__).resolve().parents[1]


def card() -> dict:
    p = load_persona("lanbot")
    return {"name": p.name, "creator": p.creator, "personality": p.personality, "facts": p.facts}


def test_rubrics_per_family_name_what_is_judged():
    rubrics = Rubrics()
    assert {"identity", "tool_use", "safety", "reasoning", "textbook", "default"} <= rubrics.names
    ident = rubrics.prompt(identity(1), card())
    assert "LanBot" in ident and "Lance" in ident and "faithful" in ident and "trained from scratch" in ident
    assert '"score"' in ident and "USER: Who are you?" in ident
    reason = rubrics.prompt(reasoning(2, 17, 25), card())
    assert "REASONING" in reason and "Answer:" in reason
    long = {"family": "textbook", "messages": [{"role": "user", "content": "x " * 5000}]}
    assert "characters cut" in conversation_for_judge(long)


@pytest.mark.parametrize("text, result", [
    ('{"score": 4, "reason": "answers the question"}', (4, "answers the question")),
    (' {"score": 1, "reason": ""} ', (1, "")),
    ('{"score": 9, "reason": "x"}', ValueError), ('{"score": "4"}', ValueError), ("I'd say 4", ValueError),
    ('{"score": true, "reason": "x"}', ValueError),
])
def test_parse_verdict(text, result):
    if result is ValueError:
        with pytest.raises(ValueError):
            parse_verdict(text)
    else:
        assert parse_verdict(text) == result


def test_judge_settings_are_checked():
    settings, flags = settings_from_argv(["persona=lanbot", "judge=local", "judge_threshold=4", "judge_budget=0.5",
                                          "judge_max=7", "judge_price=1,2"])
    assert (settings.judge, settings.judge_threshold, settings.judge_budget, settings.judge_max) == ("local", 4, 0.5, 7)
    assert flags["judge_price"].input_per_mtok == 1.0
    assert settings_from_argv(["persona=lanbot"])[0].judge is None  # off by default
    for bad in (["judge_threshold=3"], ["judge=local", "judge_budget=-1"], ["judge=local", "judge_price=abc"],
                ["judge=local", "judge_max=0"]):
        with pytest.raises(UsageError):
            settings_from_argv(["persona=lanbot", *bad])


def test_a_worker_without_the_judge_variables_fails_with_one_line_naming_them(monkeypatch):
    """Secrets come from each node's own environment: a worker (here, this process as a node) without
    CRUCIBLE_JUDGE_SPEC, or without the provider's key, cannot make the judge and says which variable is missing on
    which node, in one line; the connection the driver ships holds the scrubbed spec only."""
    import pickle
    import socket

    from generators.teachers.connect import JUDGE_SPEC_ENV, JudgeEnvError
    from schemas.secrets import scrub_spec

    host = socket.gethostname()
    monkeypatch.delenv(JUDGE_SPEC_ENV, raising=False)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    connect = JudgeConnection("openai:gpt-4o-mini")
    with pytest.raises(JudgeEnvError) as missing:
        connect()
    line = str(missing.value)
    assert "\n" not in line and f"{JUDGE_SPEC_ENV} is not set on node {host}" in line, line
    assert connect.check() == line  # what the Ray preflight reports per node, before any phase

    monkeypatch.setenv(JUDGE_SPEC_ENV, "openai:gpt-4o-mini")
    line = connect.check() or ""
    assert "\n" not in line and "needs OPENAI_API_KEY" in line and f"node {host}" in line, line
    monkeypatch.setenv("OPENAI_API_KEY", "sk-node-own-key-0123")
    assert connect.check() is None and connect().spec == "openai:gpt-4o-mini"
    monkeypatch.setenv(JUDGE_SPEC_ENV, "openai:gpt-4o")  # a node set up for another judge does not judge silently
    assert "names another judge (openai:gpt-4o)" in (connect.check() or "")

    full = "http://judge:pw-node-3b9f@127.0.0.1:9/v1?api_key=sk-url-77aa31@m"
    monkeypatch.setenv(JUDGE_SPEC_ENV, full)
    shipped = JudgeConnection(scrub_spec(full))
    assert shipped.check() is None and shipped().base_url == full.rsplit("@", 1)[0]  # the node's full URL is used
    data = pickle.dumps(shipped)
    assert b"pw-node-3b9f" not in data and b"sk-url-77aa31" not in data and b"judge:" not in data


def run_judge(step: JudgeFilter, records: list[dict]) -> list[Document]:
    kept = list(step.run(iter(record_to_document(r) for r in records), rank=0, world_size=1))
    return kept


@pytest.mark.slow
def test_judge_scores_records_with_the_local_teacher(tmp_path):
    """Real structured verdicts from the local llama-server; a threshold of 6 rejects whatever the 135M judge says,
    a threshold of 1 keeps everything; the judge_max cap and the USD budget (with judge_price) leave records
    unjudged and say so; tokens and dollars are written for the funnel."""
    teacher = resolve_teacher("local")
    with teacher.session(parallel=2):
        connect = JudgeConnection(f"{teacher.base_url}@{teacher.model}", (1000.0, 1000.0), local=True)
        records = [identity(11), reasoning(12, 31, 44)]
        keep_all = JudgeFilter(connect, "local", card(), str(tmp_path / "a"), threshold=1, max_tokens=64)
        kept = run_judge(keep_all, records)
        assert len(kept) == 2
        for doc in kept:
            v = doc.metadata["record"]["verdicts"]["judge"]
            assert v["passed"] and (v["reason"].startswith("not judged") or 1 <= v["score"] <= 5), v
        usage = merge_usage(tmp_path / "a")
        assert usage is not None and usage["requests"] == 2 and usage["prompt_tokens"] > 0
        assert usage["cost_usd"] > 0  # judge_price applies: (prompt + completion) * $1000 / 1M tokens

        reject_all = JudgeFilter(connect, "local", card(), str(tmp_path / "b"), threshold=6, max_tokens=64)
        kept = run_judge(reject_all, [identity(13)])
        usage = merge_usage(tmp_path / "b")
        assert usage is not None
        assert kept == [] or usage["failed"] == 1  # a verdict that parsed is below 6 by the schema

        capped = JudgeFilter(connect, "local", card(), str(tmp_path / "c"), threshold=1, max_records=1, max_tokens=64)
        kept = run_judge(capped, [identity(14), identity(15), identity(16)])
        reasons = [d.metadata["record"]["verdicts"]["judge"]["reason"] for d in kept]
        assert len(kept) == 3 and sum("judge_max=1" in r for r in reasons) == 2
        broke = JudgeFilter(connect, "local", card(), str(tmp_path / "d"), threshold=1, budget_usd=1e-9, max_tokens=64)
        kept = run_judge(broke, [identity(17), identity(18)])
        reasons = [d.metadata["record"]["verdicts"]["judge"]["reason"] for d in kept]
        assert len(kept) == 2 and "budget" in reasons[1], reasons
        assert merge_usage(tmp_path / "d")["skipped"] == 1  # type: ignore[index]
        # the response_format the stage sends is the OpenAI json_schema shape llama-server enforces
        reply = teacher.complete([{"role": "user", "content": "Grade this: 'hi'. JSON only."}], max_tokens=40,
                                 temperature=0.0, response_format=RESPONSE_FORMAT)
        assert set(json.loads(reply.text)) == {"score", "reason"}


@pytest.mark.slow
def test_filter_command_runs_the_judge_stage(tmp_path):
    """`python -m factory filter ... judge=local`: a judge stage in the funnel, with its usage; off by default."""
    import shutil

    root = tmp_path / "corpora"
    (root / "lanbot").mkdir(parents=True)
    shutil.copy(REPO / "corpora" / "lanbot" / "persona.toml", root / "lanbot" / "persona.toml")
    for family, records in (("identity", [identity(21), identity(22)]), ("reasoning", [reasoning(23, 12, 34)])):
        (root / "lanbot" / "raw" / family).mkdir(parents=True)
        (root / "lanbot" / "raw" / family / "part-00000.jsonl").write_text(
            "".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    out = subprocess.run([sys.executable, "-m", "factory", "filter", "persona=lanbot", f"corpora={root}",
                          "judge=local", "judge_threshold=1", "judge_max=2", "workers=1", "--no-progress"],
                         cwd=REPO, capture_output=True, text=True, timeout=900)
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-2000:]
    funnel = json.loads((root / "lanbot" / "reports" / "funnel.json").read_text())
    assert funnel["stages"][-1] == "judge" and funnel["judge"]["spec"] == "local"
    assert funnel["judge"]["judged"] + funnel["judge"]["failed"] == 2 and funnel["judge"]["skipped"] >= 1
    assert "judge local:" in out.stdout

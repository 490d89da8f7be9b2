"""
Fine-tune throughput on CPU: tokens/s of a fine-tune step (forward, backward, AdamW) of SmolLM2-135M's architecture on
the fine-tune's own row shape (attention block by block in a row of 1536 tokens holding 5 records, 40% of the tokens
supervised: the README's 1,800-record run packed 5.4 records a row and supervised 39% of its tokens), with LoRA (r=16,
every linear layer) and with full fine-tuning, each as a share of the fp32 matmul peak; LoRA's row also as one SDPA
call under the row's full mask (the reference trainer/packed_attention.py replaces), and the d4 trainer's step.

Why a share of the peak, measured between the steps themselves: this box is shared and its speed drifts (its 1024^2
matmul has measured 54-93 GFLOP/s on one day); each row's share is its FLOPs over its own step time, against the mean
of peaks measured before and after each of its steps, so a drift moves both sides.
FLOPs counted: LoRA 4 x the frozen params (forward 2N, backward through activations 2N, no weight gradients; none
through the first layer's q/k/v/gate/up, whose input is the frozen embedding's) plus
6 x the adapters' (r=16 on every linear layer: 4.9M, 5% of the step's FLOPs), full 6 x params per token, plus the
attention matmuls (4 x layers x span x width per token forward, twice that backward, span the keys a token sees: half
its record under the causal mask), with the 49K-word head counted only at the supervised positions where the loop
applies it (the share `sup` of the tokens).
Weights are random (throughput does not depend on them) so the bench needs neither the GGUF nor a corpus. Nothing
here asserts a time.

    .venv/bin/python bench/bench_finetune.py [row=1536] [records=5] [steps=3] [threads=0] [sup=0.4] [out=...]
"""

import json
import sys
import time
from pathlib import Path

import torch

from schemas.settings import parse_kv


def matmul_peak(n: int = 1024, reps: int = 10) -> float:
    a, b = torch.randn(n, n), torch.randn(n, n)
    for _ in range(2):
        _ = a @ b
    t = time.perf_counter()
    for _ in range(reps):
        _ = a @ b
    return 2 * n**3 * reps / (time.perf_counter() - t)


def timed(step, steps: int) -> tuple[float, float]:
    """Mean seconds of `steps` calls after a warm-up call, and the mean matmul peak measured around each."""
    step()
    times, peaks = [], [matmul_peak()]
    for _ in range(steps):
        t = time.perf_counter()
        step()
        times.append(time.perf_counter() - t)
        peaks.append(matmul_peak())
    return sum(times) / steps, sum(peaks) / len(peaks)


def smollm2_like():
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(0)
    cfg = LlamaConfig(vocab_size=49152, hidden_size=576, intermediate_size=1536, num_hidden_layers=30,
                      num_attention_heads=9, num_key_value_heads=3, head_dim=64, tie_word_embeddings=True)
    return LlamaForCausalLM(cfg), cfg


def measure(method: str, row: int, records: int, steps: int, sup: float, packed: bool = True) -> dict:
    """One fine-tune step on a row of `records` records, each supervised on its last `sup` of tokens."""
    from trainer.finetune import LossModule, Settings, add_lora

    model, cfg = smollm2_like()
    module = LossModule(add_lora(model, Settings()) if method == "lora" else model, packed=packed).train()
    opt = torch.optim.AdamW([p for p in module.parameters() if p.requires_grad], lr=1e-4, fused=True)
    n = row // records
    ids = torch.randint(0, cfg.vocab_size, (1, n * records))
    seg = torch.arange(records).repeat_interleave(n)[None]
    pos = torch.arange(n).repeat(records)[None]
    labels = torch.where(pos >= round(n * (1 - sup)), ids, -100)

    def step():
        module(ids, pos, seg, -torch.ones_like(seg), labels).backward()
        opt.step()
        opt.zero_grad(set_to_none=True)

    seconds, peak = timed(step, steps)
    tok_s = ids.shape[1] / seconds
    share = tok_s * flops_per_token(module, cfg, n, sup) / peak
    return {"method": method, "attention": "blocks" if packed else "masked", "tok_s": round(tok_s, 1),
            "peak_flops": round(peak), "share_of_peak": round(share, 3)}


def flops_per_token(module, cfg, record: int, sup: float) -> float:
    """A training step's matmul FLOPs per token, for records of `record` tokens (see the docstring above)."""
    head = cfg.vocab_size * cfg.hidden_size  # tied: the embedding lookup is not a matmul, the head is
    trained = sum(p.numel() for p in module.parameters() if p.requires_grad)
    frozen = sum(p.numel() for p in module.parameters() if not p.requires_grad)
    attention = 3 * 4 * cfg.num_hidden_layers * record * cfg.hidden_size / 2
    if frozen:  # LoRA: the base gets no weight gradients, and the first layer's q/k/v/gate/up no input gradient
        fed_by_embedding = tuple(f".layers.0.{block}.{proj}.base_layer.weight" for block, proj in (
            ("self_attn", "q_proj"), ("self_attn", "k_proj"), ("self_attn", "v_proj"), ("mlp", "gate_proj"),
            ("mlp", "up_proj")))
        first = 2 * sum(p.numel() for name, p in module.named_parameters() if name.endswith(fed_by_embedding))
        return 4 * (frozen - head) - first + 6 * trained + 4 * head * sup + attention
    return 6 * (trained - head) + 6 * head * sup + attention


def d4_step(steps: int, seq: int = 512, batch: int = 8) -> float:
    from trainer.gpt import GPT, model_config
    from trainer.optim import build_optimizers

    torch.manual_seed(0)
    model = GPT(model_config("d4", 4096, seq))
    opts = build_optimizers(model)
    x, y = torch.randint(0, 4096, (batch, seq)), torch.randint(0, 4096, (batch, seq))

    def step():
        model(x, y).backward()
        for o in opts:
            o.step()
        model.zero_grad(set_to_none=True)

    return batch * seq / timed(step, steps)[0]


def main(argv: list[str]) -> int:
    from trainer.fast_step import keep_freed_memory

    s, _ = parse_kv(argv)
    keep_freed_memory()  # as the fine-tune does on CPU
    if int(s.get("threads", 0)):
        torch.set_num_threads(int(s["threads"]))
    row, records, steps = int(s.get("row", 1536)), int(s.get("records", 5)), int(s.get("steps", 3))
    sup = float(s.get("sup", 0.4))
    rows = [measure("lora", row, records, steps, sup), measure("full", row, records, steps, sup),
            measure("lora", row, records, steps, sup, packed=False)]
    d4 = d4_step(steps)
    print(f"a row of {row} tokens holding {records} records, head at {sup:.0%} of positions, "
          f"{torch.get_num_threads()} threads; fp32 matmul peak measured around each step")
    for r in rows:
        print(f"  SmolLM2-135M {r['method']:>4}, attention {r['attention']:>6}: {r['tok_s']:6.1f} tok/s = "
              f"{r['share_of_peak']:.0%} of {r['peak_flops'] / 1e9:.1f} GFLOP/s")
    print(f"  LoRA, blocks vs one masked call: {rows[0]['tok_s'] / rows[2]['tok_s']:.2f}x")
    print(f"  d4 from scratch (7M): {d4:7.1f} tok/s")
    out = Path(s.get("out", "bench/results/finetune.json"))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"row": row, "records": records, "sup": sup, "rows": rows, "d4_tok_s": round(d4, 1),
                               "threads": torch.get_num_threads()}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

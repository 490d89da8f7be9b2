"""
Training throughput: tokens/s of a full optimizer step (forward, backward, Muon + AdamW) for the d4 config on CPU,
eager vs torch.compile; on CUDA also d20 tokens/s and MFU (bf16 autocast, against the GPU's dense bf16 peak) and
flash-attn vs SDPA. Both variants are measured in the same run, so their ratio is meaningful even on a busy box;
the absolute numbers are not (the other core may be busy). Nothing here asserts a time.

Token ids are random: throughput does not depend on what the tokens say, and this keeps the bench independent of
whether a corpus has been generated yet.

    .venv/bin/python -m bench.bench_train [model=d4] [steps=5] [warmup=2] [batch=8] [seq=512] [vocab=4096]
        [threads=0] [cuda_model=d20] [cuda_batch=16] [out=bench/results/train.json]
"""

import json
import sys
import time
from contextlib import nullcontext
from pathlib import Path

import torch

import trainer.gpt as gpt
from schemas.settings import parse_kv
from trainer.gpt import GPT, model_config
from trainer.optim import build_optimizers
from trainer.train import gpu_peak_flops


def setup(model_name: str, device: torch.device, batch: int, seq: int, vocab: int, compile_model: bool):
    """A model, its optimizers and a step function on fixed random tokens; returns (step, info)."""
    torch.manual_seed(0)
    model = GPT(model_config(model_name, vocab, seq)).to(device)
    optimizers = build_optimizers(model)
    fwd = torch.compile(model, dynamic=False) if compile_model else model
    autocast = torch.autocast("cuda", dtype=torch.bfloat16) if device.type == "cuda" else nullcontext()
    x = torch.randint(0, vocab, (batch, seq), device=device)
    y = torch.randint(0, vocab, (batch, seq), device=device)

    def step() -> float:
        t = time.perf_counter()
        with autocast:
            loss = fwd(x, y)
        loss.backward()
        for opt in optimizers:
            opt.step()
        model.zero_grad(set_to_none=True)
        loss.item()
        if device.type == "cuda":
            torch.cuda.synchronize()
        return time.perf_counter() - t

    info = {"model": model_name, "device": str(device), "compiled": compile_model, "batch": batch, "seq": seq,
            "params_M": round(model.num_params() / 1e6, 2), "flops_per_token": model.flops_per_token(),
            "flash_attn": gpt._flash_attn_func is not None and device.type == "cuda"}
    return step, info


def measure(variants: list, steps: int, warmup: int, device: torch.device) -> list[dict]:
    """Warm every variant up (compilation happens here), then interleave their timed steps: when the machine's
    load changes during the run, every variant sees the same change, so the ratios hold."""
    runs = []
    for make in variants:
        step, info = make()
        t0 = time.perf_counter()
        for _ in range(warmup):
            step()
        info["warmup_s"] = round(time.perf_counter() - t0, 1)
        runs.append((step, info, []))
    for _ in range(steps):
        for step, _, times in runs:
            times.append(step())
    peak = gpu_peak_flops(device)
    results = []
    for _, info, times in runs:
        median = sorted(times)[len(times) // 2]
        tok_s = info["batch"] * info["seq"] / median
        mfu = info.pop("flops_per_token") * tok_s / peak if peak else None
        info.pop("flops_per_token", None)
        results.append({**info, "step_ms": round(1000 * median, 1), "tok_s": round(tok_s),
                        "mfu": round(mfu, 4) if mfu is not None else None})
    return results


def main(argv: list[str]) -> int:
    kv, _ = parse_kv(argv)
    steps, warmup = int(kv.get("steps", "5")), int(kv.get("warmup", "2"))
    vocab = int(kv.get("vocab", "4096"))
    if int(kv.get("threads", "0")):
        torch.set_num_threads(int(kv["threads"]))
    results = []
    cpu = torch.device("cpu")
    name, batch, seq = kv.get("model", "d4"), int(kv.get("batch", "8")), int(kv.get("seq", "512"))
    cpu_runs = measure([lambda c=c: setup(name, cpu, batch, seq, vocab, c) for c in (False, True)], steps, warmup, cpu)
    for r in cpu_runs:
        print(json.dumps(r), flush=True)
    results += cpu_runs
    eager, comp = cpu_runs[0]["tok_s"], cpu_runs[1]["tok_s"]
    print(f"CPU {name}: eager {eager:,} tok/s, compiled {comp:,} tok/s ({comp / eager:.2f}x), "
          f"{torch.get_num_threads()} threads")
    if torch.cuda.is_available():
        dev = torch.device("cuda")
        cname, cbatch = kv.get("cuda_model", "d20"), int(kv.get("cuda_batch", "16"))
        if gpt._flash_attn_func is None:
            print("flash-attn not installed: measuring SDPA only (pip install flash-attn for the comparison)")
        for use_flash in ((True, False) if gpt._flash_attn_func is not None else (False,)):
            saved = gpt._flash_attn_func
            if not use_flash:
                gpt._flash_attn_func = None  # the SDPA path: same model, same run
            try:
                r = measure([lambda: setup(cname, dev, cbatch, 2048, 32768, True)], steps, warmup + 1, dev)[0]
            finally:
                gpt._flash_attn_func = saved
            r["attention"] = "flash-attn" if use_flash else "sdpa"
            results.append(r)
            print(json.dumps(r), flush=True)
            mfu = f"{100 * r['mfu']:.1f}%" if r["mfu"] is not None else "n/a (unknown GPU peak)"
            print(f"{torch.cuda.get_device_name()} {cname} {r['attention']}: {r['tok_s']:,} tok/s, MFU {mfu}")
    else:
        print("no CUDA device: skipping the d20 tokens/s + MFU and flash-attn vs SDPA measurements")
    out = Path(kv.get("out", "bench/results/train.json"))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

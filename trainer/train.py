"""
Train a GPT on a persona's packed shards: `python -m trainer train d4 persona=lanbot [steps=] [resume=] [init=CKPT]`.

One flat loop, nanochat-style. What it does and why:
- Muon for the blocks' matrices, AdamW for embedding and head (trainer/optim.py), warmup / flat / linear warmdown
- gradient accumulation: micro-batches of device_batch x seq until batch_tokens, the loss normalised by the number of
  supervised tokens in the whole step (not per micro-batch), so accumulation and DDP give the same gradient as one
  big batch would
- DDP under torchrun (WORLD_SIZE > 1): each rank reads its own slice of the shards, gradients averaged by DDP
- checkpoints every ckpt_every steps and at the end, with loader position and RNG states, so `resume=` continues
  with exactly the same loss curve as an uninterrupted run
- `init=CKPT` starts from another run's weights (SFT on a new corpus) with fresh optimizers and step 0
- bf16 autocast on CUDA, plain fp32 on CPU (bf16 matmuls are ~600x slower than fp32 on typical CPUs)
- logs loss, tokens/s and MFU (against the GPU's bf16 peak; n/a on CPU) to stdout and train_log.jsonl
- a step whose batch has no supervised token (a row cut from a long system+tools preamble) skips the update

Settings (key=value): model (or the first positional: d4, d20, edge, dN), persona, shards, out, steps, seq,
device_batch, batch_tokens, matrix_lr, embedding_lr, unembedding_lr, warmup, warmdown, ckpt_every, eval_every,
val_batches, keep, compile, seed, threads, resume (a checkpoint dir, or `latest`), init, stop (stop after that step without
the final checkpoint: simulates a crash), evals (run trainer.eval on the final checkpoint, report in <ckpt>/eval.json).
"""

import json
import math
import os
import time
from contextlib import nullcontext
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel as DDP

from schemas.settings import InputError
from schemas.storage import corpus_paths
from trainer import checkpoint as ckpt
from trainer.dataloader import ShardLoader
from trainer.fast_step import keep_freed_memory
from trainer.gpt import GPT, GPTConfig, model_config
from trainer.optim import build_optimizers, set_schedule
from trainer.train_log import trim_log

# dense bf16 peak per GPU, for MFU; matched against torch.cuda.get_device_name()
GPU_BF16_PEAK = {"H100": 989e12, "H200": 989e12, "B200": 2250e12, "A100": 312e12, "L40S": 362e12, "A10G": 70e12,
                 "4090": 165e12, "3090": 71e12}


@dataclass
class Settings:
    model: str = "d4"
    persona: str = "lanbot"
    shards: str = ""  # default corpora/<persona>/shards
    out: str = ""  # default checkpoints/<persona>/<model>
    steps: int = 0  # 0: the model's default
    seq: int = 0  # 0: the shards' seq_len (packing fixes it)
    device_batch: int = 0
    batch_tokens: int = 0
    matrix_lr: float = 0.02
    embedding_lr: float = 0.2
    unembedding_lr: float = 0.004
    warmup: int = 0  # steps; 0: 2% of steps, at least 1
    warmdown: float = 0.3  # fraction of steps
    ckpt_every: int = 0  # 0: 4 checkpoints per run
    eval_every: int = 0  # 0: at each checkpoint
    val_batches: int = 8
    keep: int = 3
    compile: str = "auto"  # auto: on for CUDA; on CPU only for runs long enough to earn back the compile time
    seed: int = 1337
    threads: int = 0  # CPU threads for torch (0: its default); 1 is fastest for tiny models on a busy machine
    resume: str = ""
    init: str = ""
    stop: int = 0
    evals: bool = False
    log_every: int = 1
    given: tuple = ()  # which settings came from the command line (not a setting itself)


# per-model defaults: d4 fits a laptop CPU; everything bigger assumes GPUs (nanochat's d20: 2048 x 0.5M-token batches)
DEFAULTS = {
    "cpu": dict(device_batch=8, batch_tokens=8192, steps=200),  # pack with seq_len=512
    "gpu": dict(device_batch=32, batch_tokens=524288, steps=2000),  # pack with seq_len=2048
}


def inherit_settings(s: Settings, meta: dict) -> None:
    """On resume, whatever the command line does not say comes from the checkpoint's run: same batch, same schedule."""
    for key, value in meta.get("settings", {}).items():
        if key not in s.given and key not in ("resume", "init", "stop", "evals", "given") and hasattr(s, key):
            setattr(s, key, value)


def fill_defaults(s: Settings, device_type: str) -> Settings:
    if s.steps < 0:
        raise InputError(f"steps must be >= 0 (0: the model's default), got {s.steps}")
    small = s.model == "edge" or int(s.model[1:]) <= 8
    base = DEFAULTS["cpu" if (device_type == "cpu" or small) else "gpu"]
    for key, value in base.items():
        if not getattr(s, key):
            setattr(s, key, value)
    s.shards = s.shards or str(corpus_paths(s.persona).shards)
    s.out = s.out or str(Path("checkpoints") / s.persona / s.model)
    s.warmup = s.warmup or max(1, round(0.02 * s.steps))
    s.ckpt_every = s.ckpt_every or max(1, s.steps // 4)
    s.eval_every = s.eval_every or s.ckpt_every
    return s


def dist_init() -> tuple[int, int, int, torch.device]:
    """(rank, local_rank, world_size, device); starts the process group when torchrun launched several ranks."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world > 1:
        rank, local_rank = int(os.environ["RANK"]), int(os.environ["LOCAL_RANK"])
        if torch.cuda.is_available():
            torch.cuda.set_device(local_rank)
            dist.init_process_group("nccl", device_id=torch.device("cuda", local_rank))
            return rank, local_rank, world, torch.device("cuda", local_rank)
        dist.init_process_group("gloo")
        return rank, local_rank, world, torch.device("cpu")
    return 0, 0, 1, torch.device("cuda" if torch.cuda.is_available() else "cpu")


def gpu_peak_flops(device: torch.device) -> float | None:
    if device.type != "cuda":
        return None
    name = torch.cuda.get_device_name(device)
    return next((peak for key, peak in GPU_BF16_PEAK.items() if key in name), None)


@torch.no_grad()
def val_loss(model: GPT, shards: str, batch: int, batches: int, rank: int, world: int, autocast) -> float | None:
    """Mean loss per supervised token over the first `batches` validation batches (the same ones every time)."""
    device = next(model.parameters()).device
    loader = ShardLoader(shards, split="val", batch_size=batch, rank=rank, world_size=world, loop=False, device=device)
    total = torch.zeros(2, dtype=torch.float64, device=device)
    model.eval()
    for _, (x, y) in zip(range(batches), loader, strict=False):
        with autocast:
            total[0] += model(x, y, loss_reduction="sum").double()
        total[1] += (y >= 0).sum()
    model.train()
    if dist.is_initialized():
        dist.all_reduce(total)
    return (total[0] / total[1]).item() if total[1] > 0 else None


def train(s: Settings) -> dict:
    """The whole run; returns {"losses": {step: loss}, "checkpoint": path, ...} for tests and the bench."""
    rank, _, world, device = dist_init()
    s = fill_defaults(s, device.type)
    master = rank == 0
    log = print if master else (lambda *a, **k: None)
    resume_from, meta, loaded = None, {}, {}
    if s.resume:
        # the newest checkpoint that is whole and loads; a newer broken one is skipped, and the log says so
        resume_from, meta, loaded = ckpt.load_resume(s.out if s.resume in ("latest", "true", "1") else s.resume,
                                                     rank, device, say=log)
        if s.given:  # from the command line: only what it says overrides the checkpoint's run settings
            inherit_settings(s, meta)
    autocast = torch.autocast("cuda", dtype=torch.bfloat16) if device.type == "cuda" else nullcontext()
    if device.type == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
    torch.manual_seed(s.seed + rank)
    threads_before = torch.get_num_threads()
    if s.threads:
        torch.set_num_threads(s.threads)
    if device.type == "cpu":
        keep_freed_memory()

    # the shards fix the row length, and carry the tokenizer their ids mean something in
    from trainer.tokenizer import Tokenizer

    shard_dir = Path(s.shards)
    if not (shard_dir / "manifest.json").is_file():
        raise InputError(f"no shards at {shard_dir} (run `python -m trainer pack persona={s.persona}` first)")
    train_loader = ShardLoader(shard_dir, split="train", batch_size=s.device_batch, rank=rank, world_size=world,
                               loop=True, seed=s.seed, device=device)
    if s.seq and s.seq != train_loader.seq_len:
        raise InputError(f"seq={s.seq} but the shards were packed with seq_len={train_loader.seq_len}")
    s.seq = train_loader.seq_len
    tok = Tokenizer.load(train_loader.tokenizer_dir)
    manifest_tok = train_loader.manifest["tokenizer"]["id"]
    assert manifest_tok == tok.id, f"shards were packed with tokenizer {manifest_tok}, the saved one is {tok.id}"
    tokens_per_micro = s.device_batch * s.seq * world
    accum = max(1, round(s.batch_tokens / tokens_per_micro))
    if accum * tokens_per_micro != s.batch_tokens:
        log(f"note: batch_tokens {s.batch_tokens} -> {accum * tokens_per_micro} (a multiple of device_batch x seq x ranks)")
        s.batch_tokens = accum * tokens_per_micro

    if resume_from is not None:
        config = GPTConfig(**meta["config"])
    elif s.init:
        init_meta = ckpt.read_meta(ckpt.find_checkpoint(s.init))
        assert init_meta.get("tokenizer_id") == tok.id, (
            f"init={s.init} was trained with tokenizer {init_meta.get('tokenizer_id')}, these shards use {tok.id}: "
            "pack the new corpus with the checkpoint's tokenizer (pack tokenizer=<ckpt>/tokenizer)")
        config = GPTConfig(**init_meta["config"])
    else:
        config = model_config(s.model, tok.vocab_size, s.seq)
    assert config.vocab_size >= tok.vocab_size, f"model vocab {config.vocab_size} < tokenizer vocab {tok.vocab_size}"
    config.sequence_len = max(config.sequence_len, s.seq)

    model = GPT(config).to(device)
    if s.init and resume_from is None:
        init_path = ckpt.find_checkpoint(s.init)
        model.load_state_dict(torch.load(init_path / "model.pt", map_location=device, weights_only=True))
        log(f"init: weights from {init_path}")
    optimizers = build_optimizers(model, s.matrix_lr, s.embedding_lr, s.unembedding_lr)

    start_step = 0
    if resume_from is not None:
        model.load_state_dict(loaded.pop("model"))
        ckpt.load_optimizers(resume_from, optimizers, device, loaded.pop("optim"))
        state = loaded.pop("rank")
        train_loader.load_state_dict(state["loader"])
        ckpt.set_rng_state(state["rng"])
        start_step = meta["step"]
        log(f"resume: {resume_from} at step {start_step}")

    # bench/bench_train.py: compiled d4 steps are 1.15-1.5x faster on CPU, but compiling costs 1-2 minutes there
    use_compile = s.compile == "true" or (s.compile == "auto" and (device.type == "cuda" or s.steps - start_step >= 100))
    fwd = torch.compile(model, dynamic=False) if use_compile else model
    if world > 1:
        fwd = DDP(fwd, device_ids=[device.index] if device.type == "cuda" else None)
    peak = gpu_peak_flops(device)
    flops_per_token = model.flops_per_token()
    run_dir = Path(s.out)
    run_dir.mkdir(parents=True, exist_ok=True)
    if master:  # the steps after the checkpoint (or all, for a fresh run) are about to run again: one row each
        trim_log(run_dir / "train_log.jsonl", start_step)
    log_file = (run_dir / "train_log.jsonl").open("a") if master else None
    log(f"model {s.model}: {model.num_params() / 1e6:.2f}M params, {config.n_layer} layers x {config.n_embd}, "
        f"vocab {config.vocab_size}, seq {s.seq} | batch {s.batch_tokens} tokens = {s.device_batch} x {s.seq} x "
        f"{world} ranks x {accum} accum | {s.steps} steps | {device}{' compiled' if use_compile else ''}")

    def save(step: int) -> Path:
        meta_out = {"settings": asdict(s), "model_name": s.model, "persona": s.persona, "world_size": world,
                    "shards_manifest": str(shard_dir / "manifest.json")}
        if master:
            ckpt.begin_save(run_dir, step, model, optimizers, meta_out, tok)
        if world > 1:
            dist.barrier()
        ckpt.write_rank_state(run_dir, step, rank, train_loader.state_dict())
        if world > 1:
            dist.barrier()
        path = ckpt.finish_save(run_dir, step, s.keep) if master else run_dir / f"step_{step:06d}"
        if world > 1:
            dist.barrier()
        return path

    losses: dict[int, float | None] = {}
    last_path = resume_from
    val = None
    model.train()
    for step in range(start_step, s.steps):
        t0 = time.perf_counter()
        lr_mult = set_schedule(optimizers, step, s.steps, s.warmup, s.warmdown)
        micro = [next(train_loader) for _ in range(accum)]
        # normalise by the supervised tokens of the whole step across ranks: exact big-batch gradient
        n_sup = sum((y >= 0).sum() for _, y in micro).to(torch.float32)  # type: ignore[union-attr]
        if world > 1:
            dist.all_reduce(n_sup)
        sup_frac = n_sup.item() / (s.batch_tokens)
        loss_value = None
        # a batch of only prompts/tool outputs (rows cut from long system+tools preambles) carries no signal:
        # skip the update instead of letting momentum alone move the weights; every rank agrees (n_sup is global)
        if sup_frac > 0:
            n_sup = n_sup / world  # DDP averages over ranks, so each rank divides by its share
            step_loss = torch.zeros((), device=device)
            for i, (x, y) in enumerate(micro):
                sync = nullcontext() if (world == 1 or i == accum - 1) else fwd.no_sync()  # type: ignore[operator]
                with sync, autocast:
                    loss = fwd(x, y, loss_reduction="sum") / n_sup
                loss.backward()
                step_loss += loss.detach()
            for opt in optimizers:
                opt.step()
            model.zero_grad(set_to_none=True)
            if world > 1:
                dist.all_reduce(step_loss)
                step_loss /= world
            loss_value = step_loss.item()  # a sync point: the timing below is honest
            assert math.isfinite(loss_value), f"loss is {loss_value} at step {step}"
        if device.type == "cuda":
            torch.cuda.synchronize()
        dt = time.perf_counter() - t0
        tok_s = s.batch_tokens / dt
        mfu = flops_per_token * tok_s / (peak * world) if peak else None
        losses[step + 1] = loss_value
        done = step + 1
        if master and (done % s.log_every == 0 or done == s.steps):
            mfu_text = f"{100 * mfu:.1f}%" if mfu is not None else "n/a"
            loss_text = f"{loss_value:.4f}" if loss_value is not None else "n/a (no supervised tokens: step skipped)"
            print(f"step {done:5d}/{s.steps} | loss {loss_text} | sup {100 * sup_frac:.0f}% | lr x{lr_mult:.3f} | "
                  f"{tok_s:,.0f} tok/s | mfu {mfu_text} | {dt * 1000:.0f} ms", flush=True)
        if log_file:
            log_file.write(json.dumps({"step": done, "loss": loss_value, "supervised": sup_frac, "tok_s": tok_s,
                                       "mfu": mfu, "lr_mult": lr_mult, "time": time.time()}) + "\n")
            log_file.flush()
        if s.stop and done >= s.stop:
            log(f"stop={s.stop}: exiting without a final checkpoint (as if killed)")
            break
        if done % s.eval_every == 0 or done == s.steps:
            val = val_loss(model, s.shards, s.device_batch, s.val_batches, rank, world, autocast)
            log(f"step {done:5d} | val loss {val:.4f}" if val is not None else f"step {done:5d} | no val rows")
            if log_file:
                log_file.write(json.dumps({"step": done, "val_loss": val}) + "\n")
        if done % s.ckpt_every == 0 or done == s.steps:
            last_path = save(done)
            log(f"checkpoint: {last_path}")
    if log_file:
        log_file.close()
    if s.evals and master and last_path is not None and not s.stop:
        from trainer.eval import evaluate

        evaluate([f"ckpt:{last_path}"], persona=s.persona, shards=s.shards, out=Path(last_path) / "eval.json")
    if world > 1:
        dist.destroy_process_group()
    torch.set_num_threads(threads_before)
    return {"losses": losses, "checkpoint": last_path, "val_loss": val, "settings": s}

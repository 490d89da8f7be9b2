"""
Checkpoints: everything needed to resume a run bit-for-bit, or to load a model for chat and evals.

    checkpoints/<persona>/<model>/step_000100/
        model.pt            the raw model's state dict (never the compiled / DDP wrapper's prefixed keys)
        optim.pt            the optimizers' state dicts, in build_optimizers order
        state_rank<r>.pt    per-rank: data-loader position and RNG states (each DDP rank reads its own slice)
        meta.json           config, step, settings, tokenizer id, metrics: readable without torch
        tokenizer/          the tokenizer the ids mean something in
    checkpoints/<persona>/<model>/latest    the name of the newest complete step directory

Writes are atomic: everything goes to a hidden temporary directory that is renamed into place only when complete,
then `latest` is replaced. A run killed mid-save leaves the previous checkpoint as the newest.
"""

import json
import os
import random
import re
import shutil
from pathlib import Path

import numpy as np
import torch

from trainer.gpt import GPT, GPTConfig

STEP_DIR = re.compile(r"^step_(\d+)$")


def rng_state() -> dict:
    state = {"python": random.getstate(), "numpy": np.random.get_state(), "torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict) -> None:
    random.setstate(state["python"])
    np.random.set_state(state["numpy"])
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def tmp_dir(run_dir: Path, step: int) -> Path:
    """Where the checkpoint of `step` is assembled before it is renamed into place (every rank writes here)."""
    return Path(run_dir) / f".step_{step:06d}.tmp"


def write_rank_state(run_dir: Path, step: int, rank: int, loader_state, extra: dict | None = None) -> None:
    path = tmp_dir(run_dir, step) / f"state_rank{rank}.pt"
    torch.save({"loader": loader_state, "rng": rng_state(), **(extra or {})}, path)


def begin_save(run_dir: Path, step: int, model: GPT, optimizers, meta: dict, tokenizer=None) -> Path:
    """Rank 0: write model, optimizers, meta and tokenizer into the temporary directory."""
    tmp = tmp_dir(run_dir, step)
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    torch.save(model.state_dict(), tmp / "model.pt")
    torch.save([opt.state_dict() for opt in optimizers], tmp / "optim.pt")
    meta = {**meta, "step": step, "config": model.config.to_dict()}
    if tokenizer is not None:
        tokenizer.save(tmp / "tokenizer")
        meta["tokenizer_id"] = tokenizer.id
    (tmp / "meta.json").write_text(json.dumps(meta, indent=2, default=str) + "\n")
    return tmp


def finish_save(run_dir: Path, step: int, keep: int = 3) -> Path:
    """Rank 0, after every rank wrote its state: rename into place, point `latest` at it, prune old checkpoints."""
    run_dir = Path(run_dir)
    tmp, final = tmp_dir(run_dir, step), run_dir / f"step_{step:06d}"
    assert (tmp / "model.pt").is_file(), f"incomplete checkpoint in {tmp}"
    if final.exists():  # re-saving a step (a resumed run reaching it again): swap, then drop the old one
        old = run_dir / f".step_{step:06d}.old"
        shutil.rmtree(old, ignore_errors=True)
        os.replace(final, old)
        os.replace(tmp, final)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(tmp, final)
    pointer = run_dir / ".latest.tmp"
    pointer.write_text(final.name + "\n")
    os.replace(pointer, run_dir / "latest")
    steps = sorted(p for p in run_dir.iterdir() if STEP_DIR.match(p.name))
    for stale in steps[:-keep] if keep > 0 else []:
        if stale != final:
            shutil.rmtree(stale, ignore_errors=True)
    return final


def save_checkpoint(run_dir: Path, step: int, model: GPT, optimizers, meta: dict, loader_state=None,
                    tokenizer=None, keep: int = 3) -> Path:
    """Single-process save (tests, evals): the three steps above in one call."""
    begin_save(run_dir, step, model, optimizers, meta, tokenizer)
    write_rank_state(run_dir, step, 0, loader_state)
    return finish_save(run_dir, step, keep)


def latest_checkpoint(run_dir: str | Path) -> Path | None:
    """The newest complete checkpoint under run_dir (or run_dir itself if it is one)."""
    run_dir = Path(run_dir)
    if (run_dir / "model.pt").is_file():
        return run_dir
    pointer = run_dir / "latest"
    if pointer.is_file():
        candidate = run_dir / pointer.read_text().strip()
        if (candidate / "model.pt").is_file():
            return candidate
    steps = sorted(p for p in run_dir.glob("step_*") if STEP_DIR.match(p.name) and (p / "model.pt").is_file())
    return steps[-1] if steps else None


def find_checkpoint(spec: str | None, root: str | Path = "checkpoints") -> Path:
    """`ckpt=` from the command line: a step dir, a run dir, or nothing (the newest checkpoint of any run)."""
    if spec:
        found = latest_checkpoint(spec)
        assert found is not None, f"no checkpoint at {spec}"
        return found
    candidates = [p.parent for p in Path(root).glob("**/model.pt") if STEP_DIR.match(p.parent.name)]
    assert candidates, f"no checkpoints under {root}/: train one first (python -m trainer train d4 persona=...)"
    return max(candidates, key=lambda p: (p / "model.pt").stat().st_mtime)


def read_meta(path: Path) -> dict:
    return json.loads((Path(path) / "meta.json").read_text())


def load_model(path: str | Path, device: str | torch.device = "cpu") -> tuple[GPT, dict]:
    """Model (eval mode) and meta of a checkpoint."""
    path = Path(path)
    meta = read_meta(path)
    model = GPT(GPTConfig(**meta["config"]))
    model.load_state_dict(torch.load(path / "model.pt", map_location=device, weights_only=True))
    return model.to(device).eval(), meta


def load_tokenizer(path: str | Path):
    from trainer.tokenizer import Tokenizer

    return Tokenizer.load(Path(path) / "tokenizer")


def load_optimizers(path: Path, optimizers, device) -> None:
    states = torch.load(Path(path) / "optim.pt", map_location=device, weights_only=True)
    assert len(states) == len(optimizers), f"checkpoint has {len(states)} optimizer states, run has {len(optimizers)}"
    for opt, state in zip(optimizers, states, strict=True):
        opt.load_state_dict(state)


def load_rank_state(path: Path, rank: int) -> dict:
    file = Path(path) / f"state_rank{rank}.pt"
    assert file.is_file(), f"{file} missing: was this checkpoint written with a different number of ranks?"
    # our own file with numpy/python RNG tuples inside, which the weights-only unpickler refuses
    return torch.load(file, weights_only=False)

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

What a disk can still do to a checkpoint afterwards (a file cut short by a full disk or a bad copy, a deleted file, a
garbled meta.json or `latest`, bytes changed at the same size) is caught before anything is loaded: `complete.json`,
written last, lists every file with its size and CRC32; `problem()` (sizes, cheap) and `damage()` (checksums, read
right before a load) say why a folder is not a usable checkpoint. `resume=latest`, chat and eval then take the newest
checkpoint that is whole and say which one they skipped and why; asked for one named checkpoint, they refuse it in
one line instead of a traceback.
"""

import json
import os
import random
import re
import shutil
import sys
import zlib
from pathlib import Path

import numpy as np
import torch

from schemas import faults
from schemas.settings import InputError
from trainer.gpt import GPT, GPTConfig

STEP_DIR = re.compile(r"^step_(\d+)$")
COMPLETE = "complete.json"  # every file of the checkpoint with its size and CRC32; written last


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
    # one save at a time per run: anything half-done beside it is a killed save's (any step), never a live one's
    for stale in [*Path(run_dir).glob(".step_*.tmp"), *Path(run_dir).glob(".step_*.old"), Path(run_dir) / ".latest.tmp"]:
        if stale.is_dir():
            shutil.rmtree(stale, ignore_errors=True)
        else:
            stale.unlink(missing_ok=True)
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
    files = [f for f in sorted(tmp.rglob("*")) if f.is_file()]
    listing = {"files": {str(f.relative_to(tmp)): f.stat().st_size for f in files},
               "crc32": {str(f.relative_to(tmp)): crc32(f) for f in files}}
    (tmp / COMPLETE).write_text(json.dumps(listing, indent=1) + "\n")
    faults.point("train.checkpoint.staged")
    if final.exists():  # re-saving a step (a resumed run reaching it again): swap, then drop the old one
        old = run_dir / f".step_{step:06d}.old"
        shutil.rmtree(old, ignore_errors=True)
        os.replace(final, old)
        os.replace(tmp, final)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(tmp, final)
    faults.point("train.checkpoint.renamed")
    pointer = run_dir / ".latest.tmp"
    pointer.write_text(final.name + "\n")
    os.replace(pointer, run_dir / "latest")
    faults.point("train.checkpoint.latest")
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


def problem(path: str | Path) -> str | None:
    """Why `path` is not a whole checkpoint, or None when it is. Cheap: sizes and presence, no tensor is loaded."""
    path = Path(path)
    if not path.is_dir():
        return "no such folder"
    try:
        meta = read_meta(path)
    except (OSError, ValueError) as exc:
        return f"meta.json unreadable ({type(exc).__name__})"
    if not isinstance(meta, dict) or "step" not in meta or "config" not in meta:
        return "meta.json lacks step/config"
    listing = path / COMPLETE
    if listing.is_file():
        try:
            sizes = json.loads(listing.read_text())["files"]
        except (OSError, ValueError, KeyError, TypeError):
            return f"{COMPLETE} unreadable"
    else:  # written before complete.json existed: the files a resume needs must be there and not empty
        sizes = {name: None for name in ("model.pt", "optim.pt", *(f"state_rank{r}.pt"
                                                                     for r in range(meta.get("world_size", 1))))}
    for name, size in sizes.items():
        file = path / name
        if not file.is_file():
            return f"{name} is missing"
        actual = file.stat().st_size
        if (size is None and actual == 0) or (size is not None and actual != size):
            return f"{name} has {actual} bytes, {'expected ' + str(size) if size is not None else 'empty'} (cut short?)"
    return None


def crc32(file: Path) -> str:
    crc = 0
    with open(file, "rb") as f:
        while chunk := f.read(1 << 22):
            crc = zlib.crc32(chunk, crc)
    return f"{crc:08x}"


def damage(path: Path) -> str | None:
    """Why a checkpoint that `problem()` passed is still not what was written (a file whose bytes changed at the same
    size: torch's unpickler does not check its zip CRCs, and garbled weights load as NaNs), or None. Reads every file,
    so it runs right before a load, not while listing runs."""
    try:
        sums = json.loads((Path(path) / COMPLETE).read_text()).get("crc32", {})
    except (OSError, ValueError, AttributeError):
        return None  # no listing (an older checkpoint) or one problem() already reported
    for name, expected in sums.items():
        if crc32(Path(path) / name) != expected:
            return f"{name} does not match its checksum (changed after it was written)"
    return None


def candidates(run_dir: str | Path) -> list[Path]:
    """Checkpoints of a run, newest first: the one `latest` names, then every step_* by step, descending."""
    run_dir = Path(run_dir)
    found: list[Path] = []
    pointer = run_dir / "latest"
    try:
        named = pointer.read_text().strip() if pointer.is_file() else ""
    except (OSError, UnicodeDecodeError):
        named = ""
    if STEP_DIR.match(named):
        found.append(run_dir / named)
    steps = sorted((p for p in run_dir.glob("step_*") if STEP_DIR.match(p.name)),
                   key=lambda p: int(STEP_DIR.match(p.name).group(1)), reverse=True)  # type: ignore[union-attr]
    found += [p for p in steps if p not in found]
    return found


def newest_whole(run_dir: str | Path, say=print) -> Path | None:
    """The newest whole checkpoint of a run (or run_dir itself if it is one); each one skipped is said, with why."""
    run_dir = Path(run_dir)
    if (run_dir / "meta.json").is_file() or (run_dir / "model.pt").is_file():
        return run_dir if problem(run_dir) is None else None
    for candidate in candidates(run_dir):
        why = problem(candidate)
        if why is None:
            return candidate
        say(f"note: skipping checkpoint {candidate}: {why}")
    return None


def latest_checkpoint(run_dir: str | Path) -> Path | None:
    """The newest complete checkpoint under run_dir (or run_dir itself if it is one)."""
    return newest_whole(run_dir, say=lambda _msg: None)


def find_checkpoint(spec: str | None, root: str | Path = "checkpoints") -> Path:
    """`ckpt=` from the command line: a step dir, a run dir, or nothing (the newest whole checkpoint of any run)."""
    if spec:
        path = Path(spec)
        if (path / "meta.json").is_file() or (path / "model.pt").is_file():  # one named checkpoint: it or nothing
            if (why := problem(path)) is not None:
                raise InputError(f"checkpoint {path} is unusable: {why}")
            return path
        found = newest_whole(path, say=lambda msg: print(msg, file=sys.stderr))
        if found is None:
            raise InputError(f"no complete checkpoint at {spec}")
        return found
    runs = {p.parent.parent for p in Path(root).glob("**/meta.json") if STEP_DIR.match(p.parent.name)}
    whole = [c for run in runs for c in candidates(run) if problem(c) is None]
    if not whole:
        raise InputError(f"no checkpoints under {root}/: train one first (python -m trainer train d4 persona=...)")
    return max(whole, key=lambda p: (p / "meta.json").stat().st_mtime)


def read_meta(path: Path) -> dict:
    return json.loads((Path(path) / "meta.json").read_text())


def load_resume(run_or_step: str | Path, rank: int, device, say=print) -> tuple[Path, dict, dict]:
    """(checkpoint, meta, states) to resume from: states = {"model", "optim", "rank"} already loaded.

    A run dir gives the newest checkpoint that is whole *and* loads, saying which newer ones were skipped and why;
    a step dir gives that checkpoint or a one-line InputError."""
    target = Path(run_or_step)
    named = (target / "meta.json").is_file() or (target / "model.pt").is_file() or STEP_DIR.match(target.name)
    skipped: list[str] = []
    for candidate in [target] if named else candidates(target):
        why = problem(candidate) or damage(candidate)
        if why is None:
            try:
                states = {"model": torch.load(candidate / "model.pt", map_location=device, weights_only=True),
                          "optim": torch.load(candidate / "optim.pt", map_location=device, weights_only=True),
                          "rank": load_rank_state(candidate, rank)}
                meta = read_meta(candidate)
            except Exception as exc:  # torch raises many kinds for a garbled file: all mean "not usable"
                why = f"cannot load ({type(exc).__name__}: {str(exc)[:120]})"
            else:
                if skipped:
                    say(f"resume: {'; '.join(skipped)}; resuming from {candidate.name}, the newest whole checkpoint")
                return candidate, meta, states
        if named:
            raise InputError(f"resume={run_or_step}: checkpoint unusable: {why}")
        skipped.append(f"{candidate.name} is unusable ({why})")
    detail = f" ({'; '.join(skipped)})" if skipped else ""
    raise InputError(f"resume: no complete checkpoint in {target}{detail}")


def load_model(path: str | Path, device: str | torch.device = "cpu") -> tuple[GPT, dict]:
    """Model (eval mode) and meta of a checkpoint."""
    path = Path(path)
    if (why := problem(path) or damage(path)) is not None:
        raise InputError(f"checkpoint {path} is unusable: {why}")
    try:
        meta = read_meta(path)
        model = GPT(GPTConfig(**meta["config"]))
        model.load_state_dict(torch.load(path / "model.pt", map_location=device, weights_only=True))
    except Exception as exc:  # a garbled file passes the size check but not the unpickler or the shapes
        raise InputError(f"checkpoint {path} is unusable: cannot load ({type(exc).__name__}: {str(exc)[:160]})") from None
    return model.to(device).eval(), meta


def load_tokenizer(path: str | Path):
    from trainer.tokenizer import Tokenizer

    return Tokenizer.load(Path(path) / "tokenizer")


def load_optimizers(path: Path, optimizers, device, states: list | None = None) -> None:
    """Optimizer states from a checkpoint (or `states` already loaded from it) into the run's optimizers."""
    found: list = states if states is not None else torch.load(Path(path) / "optim.pt", map_location=device,
                                                                   weights_only=True)
    assert len(found) == len(optimizers), f"checkpoint has {len(found)} optimizer states, run has {len(optimizers)}"
    states = found
    for opt, state in zip(optimizers, states, strict=True):
        opt.load_state_dict(state)


def load_rank_state(path: Path, rank: int) -> dict:
    file = Path(path) / f"state_rank{rank}.pt"
    assert file.is_file(), f"{file} missing: was this checkpoint written with a different number of ranks?"
    # our own file with numpy/python RNG tuples inside, which the weights-only unpickler refuses
    return torch.load(file, weights_only=False)

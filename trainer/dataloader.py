"""
The training data loader: batches of (inputs, targets) from memory-mapped packed shards, resumable to the exact row.

Why this shape: rows are already packed and shuffled on disk, so a batch is just B rows gathered from memory maps
(no tokenizing, no Python per token) -- orders of magnitude faster than a small model consumes them. Under DDP every
rank reads a disjoint slice of each global batch of B * world_size rows. The position is one number, the rows consumed
from an endless stream (epoch 0's order, then epoch 1's reshuffled order, ...), so no row is dropped at an epoch's end
and resuming is exact: state_dict() after step k, load_state_dict() in a fresh process -> batches k+1, k+2, ...

targets[b, t] = row[t + 1], or -1 (the ignore_index of F.cross_entropy) where that token's mask is 0.
"""

import json
from pathlib import Path

import numpy as np
import torch

from schemas.settings import InputError

FORMAT = "crucible.shards/1"


class ShardLoader:
    """Iterate (inputs, targets) LongTensors of shape [batch_size, seq_len] over one split of a shards folder."""

    def __init__(
        self,
        shards_dir: str | Path,
        split: str = "train",
        batch_size: int = 8,
        rank: int = 0,
        world_size: int = 1,
        loop: bool = True,
        shuffle: bool | None = None,
        seed: int = 0,
        device: str | torch.device = "cpu",
    ):
        self.dir = Path(shards_dir)
        manifest_path = self.dir / "manifest.json"
        if not manifest_path.is_file():
            raise InputError(f"no manifest.json in {self.dir}; run `python -m trainer pack` first")
        try:
            self.manifest = json.loads(manifest_path.read_text())
        except (OSError, ValueError) as exc:
            raise InputError(f"{manifest_path} is unreadable ({type(exc).__name__}); run `python -m trainer pack` "
                             "again") from None
        if self.manifest.get("format") != FORMAT:
            raise InputError(f"{manifest_path}: format {self.manifest.get('format')!r}, expected {FORMAT!r}")
        assert split in self.manifest["splits"], f"split {split!r} not in {list(self.manifest['splits'])}"
        assert batch_size >= 1 and world_size >= 1 and 0 <= rank < world_size, "bad batch_size / rank / world_size"
        info = self.manifest["splits"][split]
        self.split, self.batch_size, self.rank, self.world_size = split, batch_size, rank, world_size
        self.loop, self.seed = loop, seed
        self.shuffle = loop if shuffle is None else shuffle  # reshuffle each epoch when training endlessly
        self.device = torch.device(device)
        self.seq_len = self.manifest["seq_len"]
        self.fingerprint = info["fingerprint"]
        self.tokens = [self._open(s["tokens"], s["rows"]) for s in info["shards"]]
        self.masks = [self._open(s["mask"], s["rows"]) for s in info["shards"]]
        self.starts = np.cumsum([0] + [len(t) for t in self.tokens])
        self.n_rows = int(self.starts[-1])
        if self.n_rows != info["rows"]:
            raise InputError(f"{self.dir}: shards hold {self.n_rows} rows, manifest says {info['rows']}; "
                             "run `python -m trainer pack` again")
        # an empty split is fine for one pass (it yields nothing) but would loop forever
        assert self.n_rows > 0 or not loop, f"split {split!r} of {self.dir} is empty (pack more records or val_frac > 0)"
        self.position = 0  # rows consumed so far, across epochs: row stream = epoch 0's order, then epoch 1's, ...
        self._order_epoch, self._order = -1, np.arange(0)

    def _open(self, name: str, rows: int) -> np.ndarray:
        """Memory-map one shard file; a file cut short (a full disk, a bad copy) or garbled is a one-line error
        naming it, not numpy's traceback from deep inside the first batch."""
        path = self.dir / name
        try:
            array = np.load(path, mmap_mode="r")
        except (OSError, ValueError) as exc:
            raise InputError(f"shard {path} is missing, cut short or corrupt ({str(exc)[:100]}); run "
                             "`python -m trainer pack` again") from None
        if array.ndim != 2 or array.shape[0] != rows or array.shape[1] != self.manifest["row_len"]:
            raise InputError(f"shard {path} has shape {array.shape}, the manifest says {rows} rows of "
                             f"{self.manifest['row_len']}; run `python -m trainer pack` again")
        return array

    @property
    def tokenizer_dir(self) -> Path:
        return self.dir / self.manifest["tokenizer"]["dir"]

    @property
    def tokens_per_batch(self) -> int:
        """Input tokens per step across all ranks (what one optimizer micro-step consumes)."""
        return self.batch_size * self.world_size * self.seq_len

    def order(self, epoch: int) -> np.ndarray:
        """Global row order for an epoch: the packed order, or a seeded permutation per epoch."""
        if self._order_epoch != epoch:
            if self.shuffle:
                self._order = np.random.default_rng([self.seed, epoch]).permutation(self.n_rows)
            else:
                self._order = np.arange(self.n_rows)
            self._order_epoch = epoch
        return self._order

    @property
    def epoch(self) -> int:
        return self.position // max(1, self.n_rows)

    def __iter__(self):
        return self

    def __next__(self) -> tuple[torch.Tensor, torch.Tensor]:
        global_batch = self.batch_size * self.world_size
        if not self.loop:
            remaining = self.n_rows - self.position
            # one process keeps the short final batch; under DDP all ranks stop together instead of stepping unevenly
            if remaining <= 0 or (remaining < global_batch and self.world_size > 1):
                raise StopIteration
        start = self.position + self.rank * self.batch_size
        stop = start + self.batch_size if self.loop else min(start + self.batch_size, self.n_rows)
        # a batch may straddle an epoch boundary (or several, for a split smaller than one global batch)
        idx = np.array([self.order(k // self.n_rows)[k % self.n_rows] for k in range(start, stop)], dtype=np.int64)
        self.position += global_batch
        return self._batch(idx)

    def _batch(self, idx: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
        row_len = self.seq_len + 1
        tokens = np.empty((len(idx), row_len), dtype=np.int64)
        mask = np.empty((len(idx), row_len), dtype=np.bool_)
        shard_of = np.searchsorted(self.starts, idx, side="right") - 1
        for b, (i, s) in enumerate(zip(idx, shard_of, strict=True)):
            tokens[b] = self.tokens[s][i - self.starts[s]]
            mask[b] = self.masks[s][i - self.starts[s]]
        inputs = torch.from_numpy(tokens[:, :-1].copy())
        targets = torch.from_numpy(np.where(mask[:, 1:], tokens[:, 1:], -1))
        if self.device.type == "cuda":
            return inputs.pin_memory().to(self.device, non_blocking=True), targets.pin_memory().to(
                self.device, non_blocking=True
            )
        return inputs.to(self.device), targets.to(self.device)

    def state_dict(self) -> dict:
        """Where the next batch starts; global (not per-rank), so any rank's copy resumes every rank."""
        return {"split": self.split, "position": self.position, "epoch": self.epoch, "seed": self.seed,
                "shuffle": self.shuffle, "n_rows": self.n_rows, "fingerprint": self.fingerprint}

    def load_state_dict(self, state: dict) -> None:
        assert state["fingerprint"] == self.fingerprint and state["n_rows"] == self.n_rows, (
            f"loader state is for other shards ({state['fingerprint']}, {state['n_rows']} rows) than "
            f"{self.dir} ({self.fingerprint}, {self.n_rows} rows)"
        )
        assert state["split"] == self.split, f"loader state is for split {state['split']!r}, not {self.split!r}"
        self.position = int(state["position"])
        self.seed, self.shuffle = int(state["seed"]), bool(state["shuffle"])
        self._order_epoch = -1

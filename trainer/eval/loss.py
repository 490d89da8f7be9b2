"""Validation loss and bits per byte of a Crucible checkpoint on the held-out split of its shards.

loss: nats per supervised token; bpb: bits per byte of the decoded supervised target text (tokenizer-independent,
so runs with different vocabularies compare). Special tokens (turn ends, call markers) carry zero bytes: their loss
still counts, as in nanochat's bpb.
"""

import math
from pathlib import Path

import torch


@torch.no_grad()
def loss_and_bpb(model, tok, shards: str | Path, batches: int = 16, batch_size: int = 4) -> dict:
    from trainer.dataloader import ShardLoader

    device = next(model.parameters()).device
    loader = ShardLoader(shards, split="val", batch_size=batch_size, loop=False, device=device)
    if loader.n_rows == 0:
        return {"val_loss": None, "val_bpb": None, "val_tokens": 0}
    token_bytes = torch.tensor([len(tok.token_bytes(i)) for i in range(tok.vocab_size)], device=device)
    nats = torch.zeros((), dtype=torch.float64, device=device)
    n_tokens = torch.zeros((), dtype=torch.long, device=device)
    n_bytes = torch.zeros((), dtype=torch.long, device=device)
    for _, (x, y) in zip(range(batches), loader, strict=False):
        loss = model(x, y, loss_reduction="none").view(y.shape)
        sup = y >= 0
        nats += loss[sup].double().sum()
        n_tokens += sup.sum()
        n_bytes += token_bytes[y[sup]].sum()
    if n_tokens == 0:
        return {"val_loss": None, "val_bpb": None, "val_tokens": 0}
    # special tokens (turn ends, call markers) carry zero bytes: their loss still counts, as in nanochat's bpb
    bpb = (nats / (math.log(2) * n_bytes)).item() if n_bytes > 0 else None
    return {"val_loss": (nats / n_tokens).item(), "val_bpb": bpb, "val_tokens": int(n_tokens)}

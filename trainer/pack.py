"""
Packing: rendered conversations -> fixed-length rows of token ids + loss mask, in memory-mappable shards.

Why best-fit decreasing: SFT conversations vary from 30 to thousands of tokens. Cropping them to a row loses answers;
one conversation per row wastes most of the row on padding. Sorting the conversations longest first and dropping each
into the fullest row that still has room (best fit) keeps every conversation whole and the padding to a few percent.
A conversation longer than a row is the one exception: it is cut into row-sized chunks (counted in the manifest).

Each row holds seq_len + 1 tokens so that inputs = row[:-1] and targets = row[1:] are both seq_len long. Padding is
<|bos|> with mask 0, so it is never a target. Rows are shuffled (seeded) before they are written, so the loader can
read them in order. Train/val is decided by a hash of the record id: the same record lands in the same split on
every run, whatever else the corpus holds.

    shards/manifest.json                         counts, tokenizer id, sha256 of every file
    shards/tokenizer/                            the tokenizer the ids belong to
    shards/train_000000.tokens.npy  (uint16|uint32 [rows, seq_len+1])  train_000000.mask.npy (uint8, same shape)
    shards/train_segments.npy  (int64 [n, 5]: row, offset, length, doc, start-in-doc)  train_ids.json (doc -> id)

    python -m trainer pack persona=lanbot seq_len=512 [tokenizer=DIR] [val_frac=0.05] [input=PATH] [out=DIR]
"""

import bisect
import hashlib
import json
import shutil
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from schemas import faults
from schemas.settings import InputError
from schemas.storage import replace_dir, staging_dir
from trainer.render import render
from trainer.tokenizer import Tokenizer

FORMAT = "crucible.shards/1"
SEG_COLUMNS = ["row", "offset", "length", "doc", "doc_start"]


def split_of(doc_id: str, val_frac: float) -> str:
    """'val' for a fixed val_frac share of ids, decided by the id alone (stable across runs and corpus changes)."""
    h = int.from_bytes(hashlib.sha256(f"crucible-split:{doc_id}".encode()).digest()[:8], "big")
    return "val" if h / 2**64 < val_frac else "train"


def best_fit_decreasing(lengths: list[int], capacity: int) -> list[list[int]]:
    """Bins of item indices, each bin's total <= capacity; longest items first, each into the tightest bin it fits."""
    assert all(0 < n <= capacity for n in lengths), f"every length must be in 1..{capacity}"
    order = sorted(range(len(lengths)), key=lambda i: (-lengths[i], i))
    bins: list[list[int]] = []
    # open bins as a sorted list of (room left, bin index): bisect finds the tightest fit in O(log n)
    rooms: list[tuple[int, int]] = []
    for i in order:
        n = lengths[i]
        k = bisect.bisect_left(rooms, (n, -1))
        if k == len(rooms):
            bins.append([i])
            room, b = capacity - n, len(bins) - 1
        else:
            room, b = rooms.pop(k)
            bins[b].append(i)
            room -= n
        if room > 0:
            bisect.insort(rooms, (room, b))
    return bins


def pack_split(docs: list[tuple[np.ndarray, np.ndarray]], row_len: int, pad_id: int, dtype, seed: int):
    """Rendered (ids, mask) docs -> (tokens [R, row_len], mask [R, row_len], segments [n, 5], stats)."""
    pieces: list[tuple[int, int, int]] = []  # (doc, start, length)
    split_docs = 0
    for d, (ids, _) in enumerate(docs):
        n = len(ids)
        if n > row_len:
            split_docs += 1
        for start in range(0, n, row_len):
            pieces.append((d, start, min(row_len, n - start)))
    bins = best_fit_decreasing([p[2] for p in pieces], row_len)
    perm = np.random.default_rng(seed).permutation(len(bins))
    tokens = np.full((len(bins), row_len), pad_id, dtype=dtype)
    mask = np.zeros((len(bins), row_len), dtype=np.uint8)
    segments = np.zeros((len(pieces), len(SEG_COLUMNS)), dtype=np.int64)
    s = 0
    for row, b in enumerate(perm):
        offset = 0
        for p in bins[b]:
            d, start, n = pieces[p]
            ids, m = docs[d]
            tokens[row, offset : offset + n] = ids[start : start + n]
            mask[row, offset : offset + n] = m[start : start + n]
            segments[s] = (row, offset, n, d, start)
            s += 1
            offset += n
    n_tokens = sum(len(ids) for ids, _ in docs)
    stats = {
        "records": len(docs),
        "tokens": n_tokens,
        "supervised_tokens": int(sum(int(m.sum()) for _, m in docs)),
        "rows": len(bins),
        "padding_tokens": len(bins) * row_len - n_tokens,
        "padding_fraction": round(1 - n_tokens / (len(bins) * row_len), 6) if bins else 0.0,
        "split_records": split_docs,
        "chunks": sum(1 for _, start, _ in pieces if start > 0) + split_docs,
    }
    return tokens, mask, segments, stats


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def pack_documents(
    docs: Iterable[dict],
    tok: Tokenizer,
    out_dir: str | Path,
    seq_len: int = 512,
    val_frac: float = 0.05,
    rows_per_shard: int = 1024,
    seed: int = 0,
    source: list[str] | None = None,
) -> dict:
    """Render, split, pack and write shards + manifest into out_dir (replaced atomically). Returns the manifest."""
    if seq_len < 8:
        raise InputError(f"seq_len={seq_len} too short (need >= 8)")
    if not 0 <= val_frac < 1:
        raise InputError(f"val_frac={val_frac} must be in [0, 1)")
    if rows_per_shard < 1:
        raise InputError(f"rows_per_shard={rows_per_shard} must be >= 1")
    row_len = seq_len + 1
    dtype = np.uint16 if tok.vocab_size <= 2**16 else np.uint32
    rendered: dict[str, list[tuple[np.ndarray, np.ndarray]]] = {"train": [], "val": []}
    ids_of: dict[str, list[str]] = {"train": [], "val": []}
    kinds = set()
    for doc in docs:
        try:
            ids, mask = render(doc, tok)
        except ValueError as exc:
            raise InputError(str(exc)) from None
        split = split_of(doc["id"], val_frac)
        rendered[split].append((np.asarray(ids, dtype=dtype), np.asarray(mask, dtype=np.uint8)))
        ids_of[split].append(doc["id"])
        kinds.add("chat" if "messages" in doc else "text")
    if not rendered["train"] and not rendered["val"]:
        raise InputError("no records to pack")
    out_dir = Path(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = staging_dir(out_dir)
    try:
        splits = {}
        for split, split_docs in rendered.items():
            tokens, mask, segments, stats = pack_split(split_docs, row_len, tok.bos, dtype, seed)
            shards = []
            for k, lo in enumerate(range(0, len(tokens), rows_per_shard)):
                name = f"{split}_{k:06d}"
                np.save(tmp / f"{name}.tokens.npy", tokens[lo : lo + rows_per_shard])
                np.save(tmp / f"{name}.mask.npy", mask[lo : lo + rows_per_shard])
                shards.append({
                    "tokens": f"{name}.tokens.npy",
                    "mask": f"{name}.mask.npy",
                    "rows": int(min(rows_per_shard, len(tokens) - lo)),
                    "sha256": {
                        "tokens": _sha256(tmp / f"{name}.tokens.npy"),
                        "mask": _sha256(tmp / f"{name}.mask.npy"),
                    },
                })
            np.save(tmp / f"{split}_segments.npy", segments)
            (tmp / f"{split}_ids.json").write_text(json.dumps(ids_of[split]) + "\n")
            fingerprint = hashlib.sha256("".join(s["sha256"]["tokens"] + s["sha256"]["mask"] for s in shards).encode())
            splits[split] = {
                **stats,
                "shards": shards,
                "segments": f"{split}_segments.npy",
                "ids": f"{split}_ids.json",
                "fingerprint": fingerprint.hexdigest()[:16],
            }
        tok.save(tmp / "tokenizer")
        manifest = {
            "format": FORMAT,
            "kind": "+".join(sorted(kinds)),
            "tokenizer": {"id": tok.id, "vocab_size": tok.vocab_size, "dir": "tokenizer"},
            "seq_len": seq_len,
            "row_len": row_len,
            "dtype": np.dtype(dtype).name,
            "pad_id": tok.bos,
            "rows_per_shard": rows_per_shard,
            "val_frac": val_frac,
            "seed": seed,
            "segment_columns": SEG_COLUMNS,
            "splits": splits,
            "source": source or [],
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
        faults.point("pack.staged")
        replace_dir(tmp, out_dir)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return manifest

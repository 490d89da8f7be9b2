"""
Attention over packed rows, one block at a time: the fine-tune's rows hold several records (and shared prompt
prefixes, trainer/ft_data.py), and each record may only see itself and its prefix.

Why not one masked SDPA call per row: a boolean [T, T] mask makes every kernel compute the whole score matrix. A row of
1536 tokens holding ten records needs about a tenth of it, and even a single record needs the causal half, which only
`is_causal=True` (no mask) lets the CPU flash kernel skip. So each block runs on its own: a record or a prefix as a
plain causal call, a continuation against [its prefix, itself] with a small mask (all prefix, causal over itself).
The output is exactly the masked call's up to float rounding (tests/test_finetune.py checks loss and gradients).

Plugged into transformers as an attention implementation: LossModule passes `packed=plan(seg, ctx)` through the
model's forward kwargs, which reach every attention layer; a call without it (generation, export) is plain SDPA.
"""

from dataclasses import dataclass

import torch
from transformers import AttentionInterface
from transformers.integrations.sdpa_attention import sdpa_attention_forward

NAME = "crucible_packed"


@dataclass(frozen=True)
class Block:
    start: int  # the block's query positions: [start, end)
    end: int
    prefix: tuple[int, int] | None  # key positions before its own: its shared prefix, if any
    mask: torch.Tensor | None  # [end - start, prefix length + end - start] when prefix, else causal


def runs(values: list[int]) -> list[tuple[int, int, int]]:
    """[(value, start, end)] of the contiguous runs in `values`."""
    out: list[tuple[int, int, int]] = []
    for i, v in enumerate(values):
        if out and out[-1][0] == v:
            out[-1] = (v, out[-1][1], i + 1)
        else:
            out.append((v, i, i + 1))
    return out


def plan(seg: torch.Tensor, ctx: torch.Tensor) -> list[list[Block]]:
    """Each row's blocks, from ft_data's segment ids (contiguous) and each segment's prefix segment (or -1)."""
    masks: dict[tuple[int, int], torch.Tensor] = {}
    rows = []
    for seg_row, ctx_row in zip(seg.tolist(), ctx.tolist(), strict=True):
        segments = runs(seg_row)
        spans = {s: (a, b) for s, a, b in segments}
        blocks = []
        for s, a, b in segments:
            prefix = spans[ctx_row[a]] if ctx_row[a] >= 0 else None
            mask = None
            if prefix is not None:
                p, q = prefix[1] - prefix[0], b - a
                if (p, q) not in masks:
                    causal = torch.ones(q, q, dtype=torch.bool, device=seg.device).tril()
                    masks[p, q] = torch.cat([torch.ones(q, p, dtype=torch.bool, device=seg.device), causal], 1)
                mask = masks[p, q]
            assert len(set(ctx_row[a:b])) == 1, f"segment {s} has several prefixes"
            blocks.append(Block(a, b, prefix, mask))
        rows.append(blocks)
    return rows


def packed_attention(module, query, key, value, attention_mask, scaling=None, dropout=0.0, packed=None, **kwargs):
    """transformers' attention signature ([B, heads, T, dim] in, [B, T, heads, dim] out); SDPA when not packed."""
    if packed is None:
        return sdpa_attention_forward(module, query, key, value, attention_mask, scaling=scaling, dropout=dropout,
                                      **kwargs)
    assert len(packed) == query.shape[0], f"plan has {len(packed)} rows, batch has {query.shape[0]}"
    gqa = query.shape[1] != key.shape[1]
    rows = []
    # split, not sliced block by block: a slice's backward writes its gradient into a zeroed copy of the whole row
    for blocks, q_row, k_row, v_row in zip(packed, query.split(1), key.split(1), value.split(1), strict=True):
        sizes = [blk.end - blk.start for blk in blocks]
        qs, ks, vs = q_row.split(sizes, 2), k_row.split(sizes, 2), v_row.split(sizes, 2)
        index = {blk.start: i for i, blk in enumerate(blocks)}
        pieces = []
        for i, blk in enumerate(blocks):
            k, v = ks[i], vs[i]
            if blk.prefix is not None:  # a prefix is a segment, so a block of its own
                j = index[blk.prefix[0]]
                k, v = torch.cat([ks[j], k], 2), torch.cat([vs[j], v], 2)
            pieces.append(torch.nn.functional.scaled_dot_product_attention(
                qs[i], k, v, attn_mask=blk.mask, is_causal=blk.mask is None, dropout_p=dropout, scale=scaling,
                enable_gqa=gqa))
        rows.append(torch.cat(pieces, 2))
    return torch.cat(rows, 0).transpose(1, 2).contiguous(), None


AttentionInterface.register(NAME, packed_attention)

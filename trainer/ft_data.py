"""
Fine-tuning data: clean records -> chat-template token ids + loss mask -> packed rows with shared prompt prefixes.

Why shared prefixes: with a real chat template the offered tools are JSON schemas in the system turn. For LanBot's
8 tools that is ~950 of a tool trace's ~1,200 tokens, identical in every tool_use and safety record, and never a
target. On a CPU that prefix would be most of the compute. So records whose renderings start with the same long
unsupervised prefix are packed as one prefix followed by several continuations: each continuation attends to the
prefix and to itself only (a block mask), and its positions continue after the prefix, so every record's loss and
gradient are exactly what they would be if it were trained alone; the prefix is just computed once per row.

Packing reuses trainer/pack.py's best-fit decreasing twice: continuations of one prefix into rows of
seq_len - prefix tokens, then those prefixed blocks together with the unshared records into rows of seq_len. A record
longer than a row is left out and counted (cutting it would train on a conversation without its beginning).

Per row (numpy, [rows, seq_len]): ids, labels (next token when it is supervised, else -100), pos (position ids),
seg (segment id within the row), ctx (the segment a token may also attend to: its shared prefix, else -1).
"""

import hashlib
import random
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from trainer.pack import best_fit_decreasing, split_of

IGNORE = -100
MIN_SHARED = 64  # a prefix shorter than this is not worth a separate segment


@dataclass
class Doc:
    id: str
    family: str
    ids: list[int]
    mask: list[int]

    @property
    def lead(self) -> int:
        """Length of the first unsupervised run: a shared prefix must end before the first target."""
        for i, m in enumerate(self.mask):
            if m:
                return i
        return len(self.mask)


@dataclass
class Packed:
    ids: np.ndarray
    labels: np.ndarray
    pos: np.ndarray
    seg: np.ndarray
    ctx: np.ndarray
    stats: dict = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.ids)

    def take(self, index: np.ndarray) -> "Packed":
        return Packed(self.ids[index], self.labels[index], self.pos[index], self.seg[index], self.ctx[index],
                      self.stats)

    def fingerprint(self) -> str:
        h = hashlib.sha256()
        for a in (self.ids, self.labels, self.pos, self.seg, self.ctx):
            h.update(np.ascontiguousarray(a).tobytes())
        return h.hexdigest()[:16]


def parse_mixture(spec: str, families: list[str]) -> dict[str, float]:
    """'identity:0.5,tool_use:0.5' -> normalised weights over the families present (unknown names are an error)."""
    weights: dict[str, float] = {}
    for part in filter(None, (p.strip() for p in spec.split(","))):
        name, _, w = part.partition(":")
        if name not in families:
            raise ValueError(f"families={spec}: no clean {name!r} records (have {', '.join(families) or 'none'})")
        try:
            weights[name] = float(w or 1)
        except ValueError:
            raise ValueError(f"families={spec}: weight of {name!r} is not a number") from None
    total = sum(weights.values())
    if total <= 0:
        raise ValueError(f"families={spec}: weights must add up to more than 0")
    return {k: v / total for k, v in weights.items() if v > 0}


def render_all(records: list[dict], render: Callable[[dict], tuple[list[int], list[int]]]) -> list[Doc]:
    docs = []
    for r in records:
        ids, mask = render(r)
        docs.append(Doc(r.get("id", ""), r.get("family", ""), ids, mask))
    return docs


def split_docs(docs: list[Doc], val_frac: float) -> tuple[list[Doc], list[Doc]]:
    """Train/val by a hash of the record id (the same split pack.py uses: stable across runs and corpora)."""
    train, val = [], []
    for d in docs:
        (val if split_of(d.id, val_frac) == "val" else train).append(d)
    return train, val


def without_system(records: list[dict], share: float, family: str = "identity") -> list[dict]:
    """`share` of the family's records (chosen by a hash of the id: stable across runs) lose their system message.
    The card's system prompt names the persona, so a model tuned only on records that carry it learns to read the
    name from the prompt: asked without one (as the identity eval asks) it does not know it (measured: 4/106 on the
    held-out identity prompts after a LoRA run on the demo corpus, where 72% of identity records carry the prompt)."""
    if share <= 0:
        return records
    out = []
    for r in records:
        msgs = r.get("messages") or []
        h = int(hashlib.sha256(f"nosys:{r.get('id')}".encode()).hexdigest()[:8], 16) / 0xFFFFFFFF
        if r.get("family") == family and msgs and msgs[0].get("role") == "system" and h < share:
            r = {**r, "messages": msgs[1:]}
        out.append(r)
    return out


def sample_mixture(docs: list[Doc], weights: dict[str, float] | None, n: int, seed: int) -> list[Doc]:
    """n records drawn family by family in proportion to `weights` (records of a family cycle in a seeded shuffled
    order, reshuffled each pass), or all of them once when weights is None."""
    if weights is None:
        return list(docs)
    by_family: dict[str, list[Doc]] = {}
    for d in docs:
        by_family.setdefault(d.family, []).append(d)
    rng = random.Random(seed)
    queues: dict[str, list[Doc]] = {}
    out = []
    names = [f for f in weights if by_family.get(f)]
    if not names:
        return []
    w = [weights[f] for f in names]
    for _ in range(n):
        fam = rng.choices(names, w)[0]
        if not queues.get(fam):
            queues[fam] = rng.sample(by_family[fam], len(by_family[fam]))
        out.append(queues[fam].pop())
    return out


def _lcp(a: list[int], b: list[int], limit: int) -> int:
    k = 0
    while k < limit and a[k] == b[k]:
        k += 1
    return k


def shared_groups(docs: list[Doc], seq_len: int) -> tuple[list[tuple[int, list[int]]], list[int]]:
    """([(prefix length, [doc indices])], [unshared doc indices]).

    Docs are sorted by their unsupervised lead, so docs sharing a long prefix sit next to each other; the longest
    common prefix (LCP) of neighbours then describes every shared run. A run's shared prefix is its smallest
    neighbour LCP; splitting a run at that minimum can pay more (the tool traces share ~950 tokens with each other
    but only the ~80-token system prompt with the identity records around them), so each run is split where that
    saves more prefix tokens: savings((k docs, prefix p)) = (k - 1) * p, maximised recursively."""
    cand = sorted((i for i, d in enumerate(docs) if d.lead > MIN_SHARED), key=lambda i: docs[i].ids[:docs[i].lead])
    cap = seq_len // 2  # leave room for continuations
    lcp = [min(_lcp(docs[a].ids, docs[b].ids, min(docs[a].lead, docs[b].lead, cap + 1)), cap)
           for a, b in zip(cand, cand[1:], strict=False)]
    # lcp[j] is the LCP of cand[j] and cand[j + 1]; a run cand[lo..hi] shares min(lcp[lo..hi-1]); iterative
    # divide-and-conquer at each run's minimum (a Cartesian tree), best of keep-whole vs split
    def best(lo: int, hi: int) -> tuple[int, list[tuple[int, int, int]]]:
        if hi <= lo:
            return 0, []
        j = min(range(lo, hi), key=lambda t: lcp[t])
        p = lcp[j]
        whole = ((hi - lo) * p, [(lo, hi, p)]) if p >= MIN_SHARED else (0, [])
        left, right = best(lo, j), best(j + 1, hi)
        split = (left[0] + right[0], left[1] + right[1])
        return whole if whole[0] >= split[0] else split

    import sys

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 4 * len(cand) + 100))
    _, runs = best(0, len(cand) - 1)
    groups, grouped = [], set()
    for lo, hi, p in runs:
        members = cand[lo:hi + 1]
        groups.append((p, members))
        grouped.update(members)
    return groups, [i for i in range(len(docs)) if i not in grouped]


def pack(docs: list[Doc], seq_len: int, pad_id: int, seed: int = 0, share: bool = True) -> Packed:
    """Best-fit pack docs (with shared prefixes when `share`) into rows of seq_len; rows shuffled with `seed`."""
    too_long = [d for d in docs if len(d.ids) > seq_len]
    docs = [d for d in docs if len(d.ids) <= seq_len]
    groups, single = shared_groups(docs, seq_len) if share else ([], list(range(len(docs))))
    # a block = pieces [(doc index, start, end, is_prefix)] laid out contiguously in one row
    blocks: list[list[tuple[int, int, int, bool]]] = []
    lengths: list[int] = []
    leftover: list[int] = []
    for p, members in groups:
        conts = [m for m in members if len(docs[m].ids) > p]
        bins = best_fit_decreasing([len(docs[m].ids) - p for m in conts], seq_len - p)
        for b in bins:
            if len(b) == 1:  # a prefix with one continuation saves nothing: pack the record whole
                leftover.append(conts[b[0]])
                continue
            pieces = [(conts[b[0]], 0, p, True)] + [(conts[j], p, len(docs[conts[j]].ids), False) for j in b]
            blocks.append(pieces)
            lengths.append(sum(e - s for _, s, e, _ in pieces))
    for i in [*single, *leftover]:
        blocks.append([(i, 0, len(docs[i].ids), False)])
        lengths.append(len(docs[i].ids))
    rows = best_fit_decreasing(lengths, seq_len) if lengths else []
    order = np.random.default_rng(seed).permutation(len(rows))
    shape = (len(rows), seq_len)
    ids = np.full(shape, pad_id, dtype=np.int64)
    labels = np.full(shape, IGNORE, dtype=np.int64)
    pos = np.zeros(shape, dtype=np.int64)
    seg = np.zeros(shape, dtype=np.int64)
    ctx = np.full(shape, -1, dtype=np.int64)
    computed = 0
    for r, k in enumerate(order):
        at, s = 0, 0
        for b in rows[k]:
            prefix_seg = -1
            for doc_i, start, end, is_prefix in blocks[b]:
                d = docs[doc_i]
                n = end - start
                ids[r, at:at + n] = d.ids[start:end]
                for j in range(start, end):
                    if j + 1 < len(d.ids) and d.mask[j + 1]:
                        labels[r, at + j - start] = d.ids[j + 1]
                pos[r, at:at + n] = np.arange(start, end)
                seg[r, at:at + n] = s
                if is_prefix:
                    prefix_seg = s
                else:
                    ctx[r, at:at + n] = prefix_seg
                at += n
                s += 1
        computed += at
        if at < seq_len:  # padding: its own segment, never a target
            pos[r, at:] = np.arange(seq_len - at)
            seg[r, at:] = s
    n_tokens = sum(len(d.ids) for d in docs)
    stats = {
        "records": len(docs), "left_out_too_long": len(too_long), "rows": len(rows), "seq_len": seq_len,
        "conversation_tokens": n_tokens, "computed_tokens": computed,
        "supervised_tokens": int((labels != IGNORE).sum()),
        "padding_fraction": round(1 - computed / max(1, len(rows) * seq_len), 4),
        "shared_prefix_groups": len(groups),
        "prefix_sharing_saving": round(1 - computed / max(1, n_tokens), 4),
    }
    return Packed(ids, labels, pos, seg, ctx, stats)


def attention_mask(seg, ctx):
    """Boolean [B, 1, T, T] mask (True = may attend): causal, within a segment, or into the segment's shared prefix."""
    import torch

    t = seg.shape[1]
    causal = torch.ones(t, t, dtype=torch.bool, device=seg.device).tril()
    same = seg[:, :, None] == seg[:, None, :]
    into_prefix = (ctx[:, :, None] == seg[:, None, :]) & (ctx[:, :, None] >= 0)
    return ((same | into_prefix) & causal)[:, None]

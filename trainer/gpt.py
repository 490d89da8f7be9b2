"""
The GPT: one depth knob (`d4` ... `d32`) sets width, heads and everything else, nanochat-style.

Why these pieces:
- rotary embeddings, no learned positions: relative positions generalise and cost no parameters
- QK-norm: keeps attention logits bounded, so Muon's large updates stay stable without a warmup dance
- ReLU^2 MLP: cheap, sparse, and trains faster than GELU at this scale
- untied embedding / head: each gets its own optimizer and learning rate
- logit softcap: tanh-squashes the output logits so early training cannot blow up
- no biases, parameter-free RMSNorm: fewer things to tune, nothing for weight decay to argue about
Attention uses flash-attn when it is installed and the tensors live on CUDA in bf16/fp16, otherwise
PyTorch SDPA with `is_causal` (never a dense T x T mask). Decoding with a KV cache goes through the same function.
"""

import math
from dataclasses import asdict, dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F

try:  # an optional GPU extra (`pip install crucible[gpu]`); no wheels on PyPI, so most machines lack it
    from flash_attn import flash_attn_func as _flash_attn_func  # type: ignore[import-not-found]
except Exception:  # ImportError, or a broken CUDA build: either way, fall back to SDPA
    _flash_attn_func = None

HAS_FLASH_ATTN = _flash_attn_func is not None


@dataclass
class GPTConfig:
    sequence_len: int = 2048
    vocab_size: int = 32768
    n_layer: int = 20
    n_head: int = 10
    n_embd: int = 1280
    softcap: float = 15.0
    rotary_base: float = 10000.0

    def to_dict(self) -> dict:
        return asdict(self)


def model_config(name: str, vocab_size: int, sequence_len: int) -> GPTConfig:
    """`dN` -> depth N, width 64*N; head dim 64 (128 from d24 up, fewer wider heads run faster on GPUs). `edge`: ~25M params."""
    if name == "edge":
        # 10 layers x 384 wide: ~17.7M matmul params + 2 x vocab x 384 embeddings (~24M at vocab 8192)
        return GPTConfig(sequence_len=sequence_len, vocab_size=vocab_size, n_layer=10, n_head=6, n_embd=384)
    assert name.startswith("d") and name[1:].isdigit(), f"model must be dN (e.g. d4, d20) or edge, got {name!r}"
    depth = int(name[1:])
    assert 1 <= depth <= 64, f"depth {depth} out of range"
    n_embd = 64 * depth
    head_dim = 128 if depth >= 24 else 64
    n_head = max(1, n_embd // head_dim)
    return GPTConfig(sequence_len=sequence_len, vocab_size=vocab_size, n_layer=depth, n_head=n_head, n_embd=n_embd)


def norm(x: torch.Tensor) -> torch.Tensor:
    return F.rms_norm(x, (x.size(-1),))


def apply_rotary(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    """Rotate channel pairs (first half, second half) of x (B, H, T, D) by position-dependent angles."""
    d = x.shape[-1] // 2
    x1, x2 = x[..., :d], x[..., d:]
    cos, sin = cos.to(x.dtype), sin.to(x.dtype)  # fp32 tables would silently promote bf16 activations
    return torch.cat([x1 * cos - x2 * sin, x1 * sin + x2 * cos], dim=-1)


def attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, q_offset: int) -> torch.Tensor:
    """
    Causal attention of q (B, H, Tq, D) over k, v (B, H, Tk, D) where query i sits at absolute position q_offset + i
    and keys cover positions 0 .. Tk-1 (so Tk == q_offset + Tq).

    Three cases, none of which builds a mask over the whole context:
    - Tq == Tk (training, or the prefill of an empty cache): is_causal
    - Tq == 1 (decoding one token): the newest query sees every key, no mask at all
    - a chunk of Tq new tokens over a cache: a boolean Tq x Tk mask (only the chunk's rows, not Tk x Tk)
    """
    Tq, Tk = q.size(2), k.size(2)
    assert Tk == q_offset + Tq, f"keys ({Tk}) must cover the cache ({q_offset}) plus the new queries ({Tq})"
    if q.is_cuda and torch.is_autocast_enabled("cuda"):
        # rms_norm may run in fp32 under autocast; attention kernels (flash, SDPA's flash backend) want bf16/fp16
        dtype = torch.get_autocast_dtype("cuda")
        q, k, v = q.to(dtype), k.to(dtype), v.to(dtype)
    if _flash_attn_func is not None and q.is_cuda and q.dtype in (torch.bfloat16, torch.float16):
        # flash-attn wants (B, T, H, D); its causal mask is aligned bottom-right, which is exactly the cache case
        y = _flash_attn_func(q.transpose(1, 2), k.transpose(1, 2).to(q.dtype), v.transpose(1, 2).to(q.dtype), causal=True)
        return y.transpose(1, 2)  # type: ignore[union-attr]
    if Tq == Tk:
        return F.scaled_dot_product_attention(q, k, v, is_causal=True)
    if Tq == 1:
        return F.scaled_dot_product_attention(q, k, v)
    # query i may see keys 0 .. q_offset + i
    key_pos = torch.arange(Tk, device=q.device)
    query_pos = torch.arange(q_offset, q_offset + Tq, device=q.device)
    mask = key_pos[None, :] <= query_pos[:, None]
    return F.scaled_dot_product_attention(q, k, v, attn_mask=mask)


class KVCache:
    """
    Keys and values of every layer for positions 0 .. pos-1; layers write, the model advances pos.
    Preallocated to `max_len` and doubled when a chunk does not fit (amortised O(1) per token), so an agent loop
    whose tool outputs run long never hits a wall; `limit` is the hard cap (None: none).
    """

    def __init__(self, config: GPTConfig, batch_size: int, max_len: int, device, dtype=torch.float32,
                 limit: int | None = None):
        head_dim = config.n_embd // config.n_head
        shape = (config.n_layer, batch_size, config.n_head, max_len, head_dim)
        self.k = torch.zeros(shape, device=device, dtype=dtype)
        self.v = torch.zeros(shape, device=device, dtype=dtype)
        self.max_len = max_len
        self.limit = limit
        self.pos = 0

    def _grow(self, need: int) -> None:
        assert self.limit is None or need <= self.limit, f"KV cache limit: {need} > {self.limit} tokens"
        new_len = max(need, 2 * self.max_len) if self.limit is None else min(max(need, 2 * self.max_len), self.limit)
        pad = new_len - self.max_len
        self.k = F.pad(self.k, (0, 0, 0, pad))
        self.v = F.pad(self.v, (0, 0, 0, pad))
        self.max_len = new_len

    def update(self, layer: int, k: torch.Tensor, v: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        T = k.size(2)
        if self.pos + T > self.max_len:
            self._grow(self.pos + T)
        self.k[layer, :, :, self.pos : self.pos + T] = k
        self.v[layer, :, :, self.pos : self.pos + T] = v
        return self.k[layer, :, :, : self.pos + T], self.v[layer, :, :, : self.pos + T]


class CausalSelfAttention(nn.Module):
    def __init__(self, config: GPTConfig, layer: int):
        super().__init__()
        assert config.n_embd % config.n_head == 0, f"n_embd {config.n_embd} not divisible by n_head {config.n_head}"
        self.layer = layer
        self.n_head = config.n_head
        self.head_dim = config.n_embd // config.n_head
        assert self.head_dim % 2 == 0, "rotary needs an even head dim"
        self.c_q = nn.Linear(config.n_embd, config.n_embd, bias=False)
        self.c_k = nn.Linear(config.n_embd, config.n_embd, bias=False)
        self.c_v = nn.Linear(config.n_embd, config.n_embd, bias=False)
        self.c_proj = nn.Linear(config.n_embd, config.n_embd, bias=False)

    def forward(self, x, cos, sin, kv_cache: KVCache | None):
        B, T, C = x.size()
        q = self.c_q(x).view(B, T, self.n_head, self.head_dim).transpose(1, 2)
        k = self.c_k(x).view(B, T, self.n_head, self.head_dim).transpose(1, 2)
        v = self.c_v(x).view(B, T, self.n_head, self.head_dim).transpose(1, 2)
        q, k = apply_rotary(norm(q), cos, sin), apply_rotary(norm(k), cos, sin)
        offset = 0
        if kv_cache is not None:
            offset = kv_cache.pos
            k, v = kv_cache.update(self.layer, k, v)
        y = attention(q, k, v, offset)
        y = y.transpose(1, 2).contiguous().view(B, T, C)
        return self.c_proj(y)


class MLP(nn.Module):
    def __init__(self, config: GPTConfig):
        super().__init__()
        self.c_fc = nn.Linear(config.n_embd, 4 * config.n_embd, bias=False)
        self.c_proj = nn.Linear(4 * config.n_embd, config.n_embd, bias=False)

    def forward(self, x):
        return self.c_proj(F.relu(self.c_fc(x)).square())


class Block(nn.Module):
    def __init__(self, config: GPTConfig, layer: int):
        super().__init__()
        self.attn = CausalSelfAttention(config, layer)
        self.mlp = MLP(config)

    def forward(self, x, cos, sin, kv_cache):
        x = x + self.attn(norm(x), cos, sin, kv_cache)
        return x + self.mlp(norm(x))


class GPT(nn.Module):
    def __init__(self, config: GPTConfig):
        super().__init__()
        self.config = config
        self.wte = nn.Embedding(config.vocab_size, config.n_embd)
        self.blocks = nn.ModuleList([Block(config, i) for i in range(config.n_layer)])
        self.lm_head = nn.Linear(config.n_embd, config.vocab_size, bias=False)
        # rotary tables for 4x the training length: the engine may chat past it; not saved (recomputed from config)
        self.rotary_len = config.sequence_len * 4
        cos, sin = self._rotary_tables(self.rotary_len)
        self.cos: torch.Tensor
        self.sin: torch.Tensor
        self.register_buffer("cos", cos, persistent=False)
        self.register_buffer("sin", sin, persistent=False)
        self.init_weights()

    def _rotary_tables(self, length: int, device=None):
        head_dim = self.config.n_embd // self.config.n_head
        inv_freq = 1.0 / (self.config.rotary_base ** (torch.arange(0, head_dim, 2, dtype=torch.float32, device=device) / head_dim))
        freqs = torch.outer(torch.arange(length, dtype=torch.float32, device=device), inv_freq)
        return freqs.cos()[None, None], freqs.sin()[None, None]  # (1, 1, T, D/2): broadcast over batch and heads

    @torch.no_grad()
    def init_weights(self):
        """Output projections start at zero so every block begins as the identity; the head starts near-silent."""
        nn.init.normal_(self.wte.weight, std=1.0)
        nn.init.normal_(self.lm_head.weight, std=0.001)
        bound = math.sqrt(3.0 / self.config.n_embd)  # uniform with std 1/sqrt(n_embd): no outliers
        for block in self.blocks:
            assert isinstance(block, Block)
            for lin in (block.attn.c_q, block.attn.c_k, block.attn.c_v, block.mlp.c_fc):
                nn.init.uniform_(lin.weight, -bound, bound)
            nn.init.zeros_(block.attn.c_proj.weight)
            nn.init.zeros_(block.mlp.c_proj.weight)

    def num_params(self) -> int:
        return sum(p.numel() for p in self.parameters())

    def flops_per_token(self) -> float:
        """Training FLOPs per token: 6 per matmul weight (fwd + bwd) plus the attention scores, as in the PaLM paper."""
        matmul = sum(p.numel() for name, p in self.named_parameters() if name != "wte.weight")
        c = self.config
        return 6 * matmul + 12 * c.n_layer * c.n_embd * c.sequence_len

    def forward(self, idx: torch.Tensor, targets: torch.Tensor | None = None, kv_cache: KVCache | None = None,
                loss_reduction: str = "mean"):
        """Logits (B, T, V) in fp32, or the loss over targets (-1 = not supervised) when targets are given."""
        B, T = idx.size()
        start = kv_cache.pos if kv_cache is not None else 0
        if start + T > self.rotary_len:  # only long chats get here (training rows are far shorter): extend the table
            self.rotary_len = 2 * (start + T)
            self.cos, self.sin = self._rotary_tables(self.rotary_len, device=idx.device)
        cos, sin = self.cos[:, :, start : start + T], self.sin[:, :, start : start + T]
        x = norm(self.wte(idx))
        for block in self.blocks:
            x = block(x, cos, sin, kv_cache)
        if kv_cache is not None:
            kv_cache.pos += T
        x = norm(x)
        logits = self.lm_head(x).float()
        cap = self.config.softcap
        logits = cap * torch.tanh(logits / cap)
        if targets is None:
            return logits
        return F.cross_entropy(logits.view(-1, logits.size(-1)), targets.reshape(-1), ignore_index=-1,
                               reduction=loss_reduction)

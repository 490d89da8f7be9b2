"""The model's attention against a naive reference, KV-cache decoding against the full forward, and the optimizers."""

import math

import pytest
import torch

from trainer.gpt import GPT, KVCache, attention, model_config
from trainer.optim import build_optimizers, lr_multiplier, newton_schulz


@pytest.fixture(autouse=True)
def one_thread():
    """Tiny tensors: a second thread only adds sync overhead, which explodes when the other core is busy."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def naive_attention(q, k, v, q_offset):
    """Softmax(QK^T / sqrt(d)) V with an explicit causal mask: slow, obviously right."""
    Tq, Tk = q.size(2), k.size(2)
    scores = (q @ k.transpose(-2, -1)) / math.sqrt(q.size(-1))
    allowed = torch.arange(Tk)[None, :] <= torch.arange(q_offset, q_offset + Tq)[:, None]
    scores = scores.masked_fill(~allowed, float("-inf"))
    return torch.softmax(scores, dim=-1) @ v


def random_model(depth: int = 2, vocab: int = 97, seq: int = 64) -> GPT:
    """A model whose output projections are not zero (the real init zeroes them, which would hide attention bugs)."""
    torch.manual_seed(0)
    model = GPT(model_config(f"d{depth}", vocab, seq))
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.randn_like(p) * 0.3)
    return model.eval()


@pytest.mark.parametrize("Tq,offset", [(16, 0), (1, 15), (5, 11)])
def test_attention_matches_naive(Tq, offset):
    torch.manual_seed(Tq)
    q = torch.randn(2, 3, Tq, 16)
    k = torch.randn(2, 3, offset + Tq, 16)
    v = torch.randn(2, 3, offset + Tq, 16)
    torch.testing.assert_close(attention(q, k, v, offset), naive_attention(q, k, v, offset), atol=1e-5, rtol=1e-5)


def test_model_attention_matches_naive_reference(monkeypatch):
    """Swap the model's attention for the naive one: logits must not change."""
    model = random_model()
    idx = torch.randint(0, 97, (2, 24))
    fast = model(idx)
    import trainer.gpt as gpt
    monkeypatch.setattr(gpt, "attention", naive_attention)
    torch.testing.assert_close(model(idx), fast, atol=1e-4, rtol=1e-4)


def test_kv_cache_prefill_chunks_and_decode_equal_full_forward():
    model = random_model()
    idx = torch.randint(0, 97, (2, 30))
    full = model(idx)
    with torch.inference_mode():
        cache = KVCache(model.config, batch_size=2, max_len=64, device="cpu")
        parts = [model(idx[:, :12], kv_cache=cache), model(idx[:, 12:20], kv_cache=cache)]  # prefill, then a chunk
        parts += [model(idx[:, t : t + 1], kv_cache=cache) for t in range(20, 30)]  # one token at a time
    assert cache.pos == 30
    torch.testing.assert_close(torch.cat(parts, dim=1), full, atol=1e-4, rtol=1e-4)


def test_configs():
    c = model_config("d4", 1000, 512)
    assert (c.n_layer, c.n_embd, c.n_head) == (4, 256, 4)
    c = model_config("d32", 1000, 2048)
    assert (c.n_embd, c.n_embd // c.n_head) == (2048, 128)
    edge = GPT(model_config("edge", 8192, 64))
    assert 20e6 < edge.num_params() < 30e6, edge.num_params()


def test_loss_ignores_unsupervised_targets():
    model = random_model()
    idx = torch.randint(0, 97, (1, 10))
    targets = idx.roll(-1, 1)
    masked = targets.clone()
    masked[0, :5] = -1
    per_token = model(idx, targets, loss_reduction="none")
    torch.testing.assert_close(model(idx, masked), per_token[5:].mean())


def test_newton_schulz_orthogonalises():
    G = torch.randn(32, 64)
    X = newton_schulz(G, steps=10)
    s = torch.linalg.svdvals(X)
    assert s.min() > 0.5 and s.max() < 1.3, s  # the quintic lands singular values near 1, not exactly at it


def test_optimizer_groups_and_schedule():
    model = random_model()
    adamw, muon = build_optimizers(model)
    n_adam = sum(p.numel() for g in adamw.param_groups for p in g["params"])
    n_muon = sum(p.numel() for g in muon.param_groups for p in g["params"])
    assert n_adam + n_muon == model.num_params()
    assert all(p.ndim == 2 for g in muon.param_groups for p in g["params"])
    assert lr_multiplier(0, 100, 10, 0.2) == pytest.approx(0.1)
    assert lr_multiplier(50, 100, 10, 0.2) == 1.0
    assert lr_multiplier(90, 100, 10, 0.2) == pytest.approx(0.5)


def test_cache_and_rotary_grow_past_training_length():
    """A chat longer than 4x the training length: the rotary table and the KV cache extend, results stay exact."""
    torch.manual_seed(1)
    model = GPT(model_config("d1", 50, 8)).eval()  # rotary table for 32 positions
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.randn_like(p) * 0.3)
    idx = torch.randint(0, 50, (1, 40))
    with torch.inference_mode():
        cache = KVCache(model.config, batch_size=1, max_len=4, device="cpu")
        steps = [model(idx[:, :6], kv_cache=cache)] + [model(idx[:, t : t + 1], kv_cache=cache) for t in range(6, 40)]
        full = model(idx)
    assert cache.max_len >= 40 and model.rotary_len >= 40
    torch.testing.assert_close(torch.cat(steps, dim=1), full, atol=1e-4, rtol=1e-4)


needs_cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")


@needs_cuda
@pytest.mark.parametrize("Tq,offset", [(64, 0), (1, 63), (9, 40)])
def test_cuda_attention_bf16_matches_naive(Tq, offset):
    """The GPU path (flash-attn when installed, else SDPA) in bf16 against the fp32 naive reference."""
    import trainer.gpt as gpt

    torch.manual_seed(0)
    q, k, v = (torch.randn(2, 4, n, 64, device="cuda") for n in (Tq, offset + Tq, offset + Tq))
    want = naive_attention(q.cpu(), k.cpu(), v.cpu(), offset)
    with torch.autocast("cuda", dtype=torch.bfloat16):
        got = gpt.attention(q, k, v, offset)
    assert got.dtype == torch.bfloat16
    torch.testing.assert_close(got.float().cpu(), want, atol=3e-2, rtol=3e-2)


@needs_cuda
def test_cuda_bf16_cached_decode_matches_full_forward():
    model = random_model().cuda()
    idx = torch.randint(0, 97, (1, 40), device="cuda")
    with torch.inference_mode(), torch.autocast("cuda", dtype=torch.bfloat16):
        full = model(idx)
        cache = KVCache(model.config, batch_size=1, max_len=64, device="cuda", dtype=torch.bfloat16)
        parts = [model(idx[:, :30], kv_cache=cache)] + [model(idx[:, t : t + 1], kv_cache=cache) for t in range(30, 40)]
    assert torch.cat(parts, 1).argmax(-1).eq(full.argmax(-1)).float().mean() > 0.95

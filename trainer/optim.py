"""
Optimizers and the learning-rate schedule.

Muon (momentum, then Newton-Schulz orthogonalisation of the update) for the 2-D weight matrices of the blocks:
it takes much larger, better-conditioned steps than Adam on hidden matrices. AdamW for everything that is not a
hidden matrix (token embedding, output head, any scalar/vector), where orthogonalising makes no sense.
Under DDP the gradients are already averaged by the wrapper, so every rank runs the same Muon step on full
matrices: redundant compute, but no extra communication and nothing to get out of sync.
"""

import torch
from torch import Tensor


def newton_schulz(G: Tensor, steps: int = 5) -> Tensor:
    """
    Approximately replace each matrix in G (..., m, n) by U V^T (its nearest semi-orthogonal matrix) with a quintic
    Newton-Schulz iteration. The coefficients push singular values towards ~1 quickly rather than exactly; exactness
    does not help training. bf16 on CUDA (fast, good enough); fp32 elsewhere because bf16 matmuls crawl on many CPUs.
    A leading batch dimension orthogonalises a stack of same-shaped matrices in one go (fewer, bigger kernels).
    """
    assert G.ndim >= 2, f"Newton-Schulz needs matrices, got shape {tuple(G.shape)}"
    a, b, c = 3.4445, -4.7750, 2.0315
    X = G.bfloat16() if G.is_cuda else G.float()
    transposed = X.size(-2) > X.size(-1)
    if transposed:  # iterate on the wide orientation: the X X^T product is the smaller one
        X = X.mT
    X = X / (X.norm(dim=(-2, -1), keepdim=True) + 1e-7)  # spectral norm <= Frobenius norm <= 1: inside the basin
    for _ in range(steps):
        A = X @ X.mT
        B = b * A + c * A @ A
        X = a * X + B @ X
    if transposed:
        X = X.mT
    return X.to(G.dtype)


class Muon(torch.optim.Optimizer):
    """SGD-momentum (Nesterov) whose update for each matrix is orthogonalised; scaled so tall and wide matrices move alike."""

    def __init__(self, params, lr: float = 0.02, momentum: float = 0.95, ns_steps: int = 5):
        super().__init__(params, dict(lr=lr, momentum=momentum, ns_steps=ns_steps))

    @torch.no_grad()
    def step(self, closure=None):  # type: ignore[override]
        assert closure is None, "Muon does not take a closure"
        for group in self.param_groups:
            # same-shaped matrices (every block's c_q, c_k, ...) are orthogonalised together as one stack
            by_shape: dict[tuple, list[Tensor]] = {}
            for p in group["params"]:
                if p.grad is not None:
                    by_shape.setdefault(tuple(p.shape), []).append(p)
            for shape, params in by_shape.items():
                updates = []
                for p in params:
                    state = self.state[p]
                    if "momentum_buffer" not in state:
                        state["momentum_buffer"] = torch.zeros_like(p)
                    buf = state["momentum_buffer"]
                    buf.lerp_(p.grad, 1 - group["momentum"])
                    updates.append(p.grad.lerp(buf, group["momentum"]))  # type: ignore[union-attr]  (Nesterov)
                ortho = newton_schulz(torch.stack(updates), group["ns_steps"])
                scale = max(1.0, shape[0] / shape[1]) ** 0.5
                for p, update in zip(params, ortho.unbind(0), strict=True):
                    p.add_(update, alpha=-group["lr"] * scale)


def build_optimizers(model, matrix_lr: float = 0.02, embedding_lr: float = 0.2, unembedding_lr: float = 0.004,
                     weight_decay: float = 0.0) -> list[torch.optim.Optimizer]:
    """[AdamW, Muon]. Adam learning rates shrink as 1/sqrt(width/768) so wider models keep the same effective step."""
    embed = [model.wte.weight]
    head = [model.lm_head.weight]
    special = {id(p) for p in embed + head}
    matrices = [p for p in model.parameters() if p.ndim == 2 and id(p) not in special]
    scalars = [p for p in model.parameters() if p.ndim < 2]
    assert len(embed) + len(head) + len(matrices) + len(scalars) == len(list(model.parameters())), "a parameter has no optimizer"
    scale = (model.config.n_embd / 768) ** -0.5
    adam_groups = [dict(params=embed, lr=embedding_lr * scale), dict(params=head, lr=unembedding_lr * scale)]
    if scalars:
        adam_groups.append(dict(params=scalars, lr=0.5 * scale))
    # fused on CUDA; on CPU fused exists too, but d4's step measured 2-9% slower with it than foreach (6 paired runs)
    fused = next(model.parameters()).is_cuda
    adamw = torch.optim.AdamW(adam_groups, betas=(0.8, 0.95), eps=1e-10, weight_decay=weight_decay, fused=fused)
    muon = Muon(matrices, lr=matrix_lr, momentum=0.95)
    for opt in (adamw, muon):
        for group in opt.param_groups:
            group["initial_lr"] = group["lr"]
    return [adamw, muon]


def lr_multiplier(step: int, total_steps: int, warmup_steps: int, warmdown_ratio: float, final_frac: float = 0.0) -> float:
    """Linear warmup, flat, then a linear warmdown over the last warmdown_ratio of training to final_frac."""
    if step < warmup_steps:
        return (step + 1) / warmup_steps
    warmdown_steps = round(warmdown_ratio * total_steps)
    if warmdown_steps > 0 and step >= total_steps - warmdown_steps:
        progress = (total_steps - step) / warmdown_steps
        return progress + (1 - progress) * final_frac
    return 1.0


def muon_momentum(step: int) -> float:
    """Ramp Muon's momentum 0.85 -> 0.95 over the first 300 steps: early gradients are noisy and change fast."""
    frac = min(step / 300, 1.0)
    return (1 - frac) * 0.85 + frac * 0.95


def set_schedule(optimizers: list[torch.optim.Optimizer], step: int, total_steps: int, warmup_steps: int,
                 warmdown_ratio: float) -> float:
    mult = lr_multiplier(step, total_steps, warmup_steps, warmdown_ratio)
    for opt in optimizers:
        for group in opt.param_groups:
            group["lr"] = group["initial_lr"] * mult
            if isinstance(opt, Muon):
                group["momentum"] = muon_momentum(step)
    return mult

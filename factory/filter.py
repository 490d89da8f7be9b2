"""`python -m factory filter persona=lanbot [executor=local|slurm|ray] [workers=N] [sandbox=local|e2b] [--resume] [-v]`
`[address=auto|<host>:<port>]` (ray) `[partition=<name> time_limit=<HH:MM:SS>] [--submit-only]` (slurm)
`[judge=<teacher spec> judge_threshold=3 judge_budget=<usd> judge_max=<n> judge_price=<in>,<out>]`.

The command line of the filter: parses settings into `filters.pipeline.Settings`, runs the datatrove phases with
progress bars, prints a one-screen summary with the funnel. Everything the filter decides lives in `filters/`; this
file only talks to a person.

Quiet by default: datatrove (loguru) logs every task's pipeline and stats, `datasets` prints its own progress while
the benchmarks load, and the filter's worker processes write to the same stderr - ~330 lines for a small corpus, in
between the progress bars. Everything written to stderr while the pipeline runs therefore goes to
reports/filter.log instead (the file descriptor itself, so worker processes inherit it), and `-v` shows it again.
An error still reaches the terminal, with the end of that log.
"""

import importlib.util
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from filters.pipeline import EXECUTORS, Settings, run
from schemas.secrets import scrub_spec
from schemas.settings import UsageError, as_bool, parse_settings

FLAGS = {"--resume": "resume", "--dry-run": "dry_run", "--no-progress": "no_progress", "-v": "verbose",
         "--verbose": "verbose", "--submit-only": "submit_only"}
LOG_NAME = "filter.log"
JUDGE_SLOTS = 4  # parallel slots of a local judge server (one per filter worker is plenty)
LOG_TAIL = 15
INTEGERS = ("workers", "tasks", "batch_size", "ngram", "near_ngrams", "near_buckets", "near_hashes_per_bucket")


def settings_from_argv(argv: list[str]) -> tuple[Settings, dict[str, Any]]:
    known = [*Settings.__dataclass_fields__, "resume", "dry_run", "judge_price"]
    kv, rest = parse_settings(argv, known, positional=len(argv))
    flags: dict[str, Any] = {"resume": False, "dry_run": False, "progress": True, "verbose": False, "judge_price": None,
                             "submit_only": False}
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
    judge_settings(kv, values, flags)
    return Settings(**values), flags


def judge_settings(kv: Any, values: dict[str, Any], flags: dict[str, Any]) -> None:
    """judge=<spec> turns the LLM judge on (off by default: the local teacher is slow and weak as a judge)."""
    from generators.teachers import cost

    if values.get("judge") in ("", "none", "off"):
        values["judge"] = None
    if "judge_threshold" in values:
        values["judge_threshold"] = kv.integer("judge_threshold", 3, low=1)
    if "judge_max" in values:
        values["judge_max"] = kv.integer("judge_max", 0, low=1)
    if "judge_budget" in values:
        values["judge_budget"] = kv.number("judge_budget", 0.0, low=0.0)
    if "judge_price" in values:
        try:
            flags["judge_price"] = cost.parse_price(values.pop("judge_price"))
        except (ValueError, AssertionError):
            raise UsageError(f"judge_price must be '<in>,<out>' USD per 1M tokens, got {kv['judge_price']!r}") from None
    if not values.get("judge") and any(k in values for k in ("judge_threshold", "judge_budget", "judge_max")):
        raise UsageError("judge_threshold/judge_budget/judge_max need judge=<teacher spec>")


@contextmanager
def judge_connection(settings: Settings, price: Any) -> Iterator[Any]:
    """A `connect` for filters/judge.py (None without judge=): a generators.teachers.connect.JudgeConnection, which
    holds the scrubbed spec only. Each worker reads the full spec and the key from its own node's environment; this
    process sets JUDGE_SPEC_ENV in its own environment for executor=local (its workers inherit it) and never for Ray
    or Slurm, whose nodes must have it exported. A local judge is one llama-server for the whole run, started here;
    workers reach it through its URL (on this machine only: the server listens on loopback)."""
    if not settings.judge:
        yield None
        return
    from generators.teachers.connect import JUDGE_SPEC_ENV, JudgeConnection
    from generators.teachers.teacher import resolve_teacher

    here = settings.executor == "local"
    teacher = resolve_teacher(settings.judge, check_key=here)  # Ray/Slurm: the key lives on the nodes
    prices = price if price is not None else teacher.prices  # a generators.teachers.cost.Price
    if settings.judge_budget is not None and not prices:
        raise UsageError(f"no price known for {teacher.spec}; pass judge_price=<in>,<out> (USD per 1M tokens) "
                         "to cap the judge by judge_budget")
    before = os.environ.get(JUDGE_SPEC_ENV)
    with teacher.session(parallel=JUDGE_SLOTS):
        local = teacher.provider == "local"
        spec = f"{teacher.base_url}@{teacher.model}" if local else settings.judge
        if here:
            os.environ[JUDGE_SPEC_ENV] = spec
        settings.judge = scrub_spec(settings.judge)  # what config.json, verdicts, the funnel and executor.json name
        try:
            yield JudgeConnection(scrub_spec(spec), prices, local=local)
        finally:
            if here and before is None:
                os.environ.pop(JUDGE_SPEC_ENV, None)
            elif here and before is not None:
                os.environ[JUDGE_SPEC_ENV] = before


@contextmanager
def stderr_to(log: Path | None) -> Iterator[None]:
    """Send everything written to file descriptor 2 (this process and the workers it starts) to `log`; None: leave
    stderr alone. On an error the end of the log is shown, since that is where the cause was written."""
    if log is None:
        yield
        return
    log.parent.mkdir(parents=True, exist_ok=True)
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with log.open("ab") as f:
            os.dup2(f.fileno(), 2)
            try:
                yield
            except BaseException:
                sys.stderr.flush()
                os.dup2(saved, 2)
                tail = log.read_text(encoding="utf-8", errors="replace").splitlines()[-LOG_TAIL:]
                if tail:
                    print(f"--- last {len(tail)} lines of {shown(log)} ---", *tail, "---", sep="\n", file=sys.stderr)
                raise
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)


def shown(path: Path) -> str:
    """A path as the terminal shows it: relative to the working directory when it is below it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def render_summary(funnel: dict[str, Any], seconds: float, log: Path | None, console: Any = None) -> None:
    """One screen: the total funnel (stage, in, kept, rejected, top reasons by kind), kept per family, where the
    reports are. Per-family funnels are in reports/funnel.json and `just stats`."""
    from rich.console import Console
    from rich.table import Table

    if console is None:
        console = Console()
        if not console.is_terminal:  # piped into a log: wide enough that reasons are not cut to nothing
            console = Console(width=max(console.width, 120))
    kept, total = funnel["records_kept"], funnel["records_in"]
    table = Table(title=f"filter funnel: {kept} of {total} records kept ({kept / max(total, 1):.0%}) "
                        f"in {seconds:.1f}s", title_justify="left")
    for column in ("stage", "in", "kept", "rejected"):
        table.add_column(column, justify="left" if column == "stage" else "right", no_wrap=True,
                         min_width=max(len(column), 15 if column == "stage" else 4))
    table.add_column("top reasons", no_wrap=True, overflow="ellipsis", max_width=70)
    for r in funnel["total"]:
        reasons = "; ".join(f"{reason} ×{n}" for reason, n in r["top_reasons"][:2])
        table.add_row(r["stage"], str(r["in"]), str(r["kept"]), f"[red]{r['rejected']}[/]" if r["rejected"] else "0",
                      reasons)
    console.print(table)
    families = "  ".join(f"{fam} {rows[-1]['kept']}/{rows[0]['in']}" for fam, rows in funnel["families"].items())
    console.print(f"kept per family: {families}")
    judge = funnel.get("judge")
    if judge:
        budget = f" of ${judge['budget_usd']:.4f}" if judge.get("budget_usd") is not None else ""
        console.print(f"judge {judge['spec']}: {judge['judged']} judged, {judge['rejected']} rejected, "
                      f"{judge['skipped']} not judged (cap), {judge['failed']} failed; {int(judge['prompt_tokens']):,} + "
                      f"{int(judge['completion_tokens']):,} tokens, ${judge['cost_usd']:.4f}{budget}")
    reports = Path(funnel["clean"]).parent / "reports" if funnel.get("clean") else None
    where = f"{shown(reports)}/funnel.json (per family), `just stats` for the dashboard" if reports else ""
    console.print(f"reports: {where}" + (f"; third-party logs: {shown(log)} (-v shows them)" if log else ""))


def main(argv: list[str]) -> int:
    settings, flags = settings_from_argv(argv)
    if settings.executor == "ray" and not flags["dry_run"] and importlib.util.find_spec("ray") is None:
        raise UsageError("executor=ray needs ray installed (pip install ray==2.60.0)")
    if flags["submit_only"] and settings.executor != "slurm":
        raise UsageError("--submit-only is for executor=slurm (ray and local runs need this process until they end)")
    log = None if flags["verbose"] else settings.corpus / "reports" / LOG_NAME
    if log is not None and log.exists() and not flags["resume"]:
        log.unlink()
    started = time.perf_counter()
    with stderr_to(log), judge_connection(settings, flags["judge_price"]) as connect:
        funnel = run(settings, resume=flags["resume"], progress=flags["progress"], dry_run=flags["dry_run"],
                     judge_connect=connect, wait=not flags["submit_only"])
    if flags["dry_run"]:
        print(f"built {settings.executor} jobs without submitting: {settings.work / 'jobs'}")
    elif funnel is not None:
        render_summary(funnel, time.perf_counter() - started, log)
    else:
        print(f"submitted to {settings.executor}; the last phase writes {settings.corpus / 'reports' / 'funnel.json'}")
    config_error = ((funnel or {}).get("judge") or {}).get("config_error")
    if config_error:  # every record passed unjudged: not a judged corpus
        print(f"error: judge configuration: {config_error}; the records were not judged: fix judge= and rerun",
              file=sys.stderr)
        return 2
    return 0

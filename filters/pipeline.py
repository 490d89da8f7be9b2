"""The filter as datatrove phases (`python -m factory filter ...` is its command line, in factory/filter.py).

raw/ -> parse -> schema -> exact dedup -> near dedup -> decontamination -> lint -> typecheck -> execution -> quality
-> clean/<family>/*.parquet, every dropped record in rejected/<stage>/*.jsonl, reports/funnel.json.

The stages are datatrove steps; the two that need a global view (exact and near dedup) split the run into phases,
each a plain list of steps that any datatrove executor runs (`build_phases`): the same phases go to
LocalPipelineExecutor, SlurmPipelineExecutor or RayPipelineExecutor (`build_executors`). Intermediate data between
phases is datatrove JSONL under `corpora/<p>/.filter/`, with each executor's logging dir beside it: datatrove marks
every finished task there (`completions/<rank>`), which is what `--resume` relies on (skip_completed). Without
`--resume` the work dir is wiped, so a stale run can never be mistaken for finished work.

The last phase (one task) merges the per-task counts into the funnel — the run's conservation check — and only then
publishes clean/, rejected/ and the reports as one step: they are staged in the work dir, a journal
(`.filter/publish.json`) records the decision, and renames put them in place. A kill anywhere in there is finished by
the next filter run (with or without --resume) before it does anything else, and readers of clean/ refuse a corpus
whose publish is pending instead of pairing one run's clean/ with another's rejected/ (schemas.storage.read_clean).

Clean parquet encoding (one config per family, `clean/<family>/<rank>.parquet`): `id`, `schema_version`, `family`,
`persona` are strings; the nested fields `messages`, `tools`, `verification`, `lineage`, `verdicts` are canonical
JSON strings (`schemas.storage.encode_row`/`decode_row`), because tool-call arguments and verification differ in shape
from record to record and Arrow structs need one shape; polars, datasets and `python -m schemas validate` read the
files as they are.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from datatrove.data import Document
from datatrove.pipeline.base import PipelineStep
from datatrove.pipeline.readers.jsonl import JsonlReader
from datatrove.pipeline.writers.jsonl import JsonlWriter
from datatrove.pipeline.writers.parquet import ParquetWriter

from filters.dedup import DropPositions
from filters.docs import (
    DECONTAMINATION,
    EXACT_DEDUP,
    EXECUTION,
    LINT,
    NEAR_DEDUP,
    PARSE,
    QUALITY,
    SCHEMA,
    STAGES,
    TYPECHECK,
    document_record,
)
from filters.funnel import build_funnel, merge_counts
from filters.judge import JUDGE
from filters.reader import RecordReader
from filters.stage import ConservationError, Stage
from schemas import faults, now_iso
from schemas.settings import InputError
from schemas.storage import (
    FILTER_WORK,
    PUBLISH_JOURNAL,
    corpora_root,
    encode_row,
    fsync_dir,
    row_schema,
    shown_path,
    write_json_atomic,
)

WORK = FILTER_WORK
EXECUTORS = ("local", "slurm", "ray")

SHIPPED_BENCHMARKS = Path(__file__).resolve().parent / "benchmark_data"


@dataclass
class Settings:
    """Everything that decides what a filter run does; saved in the work dir so --resume can refuse a changed run."""

    persona: str
    corpora: str = field(default_factory=lambda: str(corpora_root()))
    executor: str = "local"
    workers: int = field(default_factory=lambda: os.cpu_count() or 1)
    tasks: int = 0  # 0: one task per worker
    sandbox: str = "local"
    batch_size: int = 256
    # folder of HumanEval/MBPP/GSM8K files; default: the copy shipped in filters/benchmark_data (works offline);
    # "hub": load them through `datasets` from the Hugging Face Hub
    benchmarks: str | None = str(SHIPPED_BENCHMARKS)
    ngram: int = 13
    near_ngrams: int = 5
    near_buckets: int = 14
    near_hashes_per_bucket: int = 8
    partition: str = "cpu"  # slurm
    time_limit: str = "12:00:00"  # slurm
    address: str = "auto"  # ray: "auto" (the cluster running on this machine) or <host>:<port> of its head
    # the LLM judge (filters/judge.py): a teacher spec turns it on; off by default (the local teacher is slow and weak)
    judge: str | None = None
    judge_threshold: int = 3  # scores 1-5; below this the record is rejected
    judge_budget: float | None = None  # USD for the whole run, split evenly over the tasks
    judge_max: int | None = None  # records judged per task at most (the rest pass unjudged, and say so)

    @property
    def corpus(self) -> Path:
        return Path(self.corpora) / self.persona

    @property
    def work(self) -> Path:
        return self.corpus / WORK

    @property
    def n_tasks(self) -> int:
        return self.tasks or self.workers

    def fingerprint(self) -> dict[str, Any]:
        # Where and how fast it runs may change between attempts (e.g. sandbox=e2b failed, resume with local);
        # anything that changes what a task decides, or which task handles which record, may not.
        fingerprint = {k: v for k, v in asdict(self).items()
                       if k not in ("workers", "executor", "partition", "time_limit", "sandbox", "address")}
        return {**fingerprint, "tasks": self.n_tasks}


@dataclass
class Phase:
    """One executor's worth of work: steps run by `tasks` tasks; `stages` are the funnel stages it counts."""

    name: str
    steps: list[Any]
    tasks: int
    stages: list[str] = field(default_factory=list)


# ---------------------------------------------------------------------------------------------------------------------
# glue steps


class TagFamily(PipelineStep):
    """Puts the family where the clean writer's `${family}` file name template finds it."""

    type = "🏷 - TAG"
    name = "family"

    def run(self, data, rank: int = 0, world_size: int = 1):
        for doc in data or ():
            doc.metadata["family"] = document_record(doc).get("family", "unknown")
            yield doc


def clean_row(_writer: Any, doc: Document) -> dict:
    """A kept record as one parquet row (see the module docstring for the encoding)."""
    return encode_row(document_record(doc))


def _exact_drops(index_folder: str) -> dict:
    from filters.dedup import exact_duplicates, read_doc_index

    return exact_duplicates(read_doc_index(index_folder))


def _near_drops(remove_folder: str, index_folder: str) -> dict:
    from filters.dedup import datatrove_near_duplicates, read_doc_index

    return datatrove_near_duplicates(Path(remove_folder), read_doc_index(index_folder))


class GlobalDrops(DropPositions):
    """A dedup DropPositions whose positions are decided when its task starts, from what an earlier phase wrote.

    Building the step must not need the earlier phase's output: a Slurm or Ray job is assembled before any of it
    runs. Every task recomputes the (cheap, central) decision from the shared index files.
    """

    def __init__(self, decide: Any, step_name: str):
        super().__init__({}, step_name)
        self.decide = decide

    def run(self, data, rank: int = 0, world_size: int = 1):
        self.drops = self.decide()
        yield from super().run(data, rank, world_size)


class Finalize(PipelineStep):
    """The last phase: merge counts into the funnel (conservation), write reports, publish clean/ and rejected/."""

    type = "🏁 - FINALIZE"
    name = "funnel + publish"

    def __init__(self, settings: Settings, phases: list[tuple[str, int, list[str]]]):
        super().__init__()
        self.settings = settings
        self.phases = phases

    def run(self, data=None, rank: int = 0, world_size: int = 1):
        finalize(self.settings, self.phases)
        yield from data or ()


# ---------------------------------------------------------------------------------------------------------------------
# building


class PhaseReader(JsonlReader):
    """The previous phase's documents; an empty folder (every record rejected upstream) is an empty input, not an
    error as it is for datatrove's reader."""

    def run(self, data=None, rank: int = 0, world_size: int = 1):
        try:
            empty = not self.data_folder.list_files(recursive=self.recursive, glob_pattern=self.glob_pattern)
        except FileNotFoundError:
            empty = True
        if empty:
            yield from data or ()
            return
        yield from super().run(data, rank, world_size)


def _reader(folder: Path) -> JsonlReader:
    return PhaseReader(str(folder), add_file_path=False)


def _writer(folder: Path) -> JsonlWriter:
    return JsonlWriter(str(folder), output_filename="${rank}.jsonl", compression=None)


def build_phases(settings: Settings, judge_connect: Any = None) -> list[Phase]:
    """The whole filter as datatrove phases; nothing here runs anything or needs earlier phases' output.
    `judge_connect` (a picklable callable returning a teacher, see filters/judge.py) is needed when settings.judge
    is set; the caller that knows the teachers (factory/filter.py) makes it."""
    from datatrove.pipeline.dedup.minhash import MinhashDedupBuckets, MinhashDedupCluster, MinhashDedupSignature

    from filters.decontam import DecontamConfig, DecontaminationFilter
    from filters.dedup import DocIndex, NearDedupConfig, WhitespaceWordTokenizer
    from filters.execution import ExecutionFilter
    from filters.lint import LintFilter
    from filters.quality import QualityFilter
    from filters.schema_step import SchemaFilter
    from filters.typecheck import TypecheckFilter
    from schemas import load_persona

    persona = load_persona(settings.corpus / "persona.toml")
    w, t = settings.work, settings.n_tasks
    counts, rejected = str(w / "counts"), w / "staged" / "rejected"
    data = w / "data"

    def stage(name: str, step: Any, default_reason: str = "rejected", pass_reason: str = "passed") -> Stage:
        return Stage(name, step, str(rejected / name), counts, default_reason, pass_reason)

    near = NearDedupConfig(n_grams=settings.near_ngrams, num_buckets=settings.near_buckets,
                           hashes_per_bucket=settings.near_hashes_per_bucket)
    mh = near.minhash_config()
    decontam = DecontaminationFilter(settings.benchmarks, DecontamConfig(n=settings.ngram),
                                     report_folder=w / "decontam")
    phases = [
        Phase("ingest", [RecordReader(str(settings.corpus / "raw"), str(rejected / PARSE), counts),
                         stage(SCHEMA, SchemaFilter(persona.slug), pass_reason="valid"),
                         _writer(data / "schema")], t, [PARSE, SCHEMA]),
        Phase("exact_index", [_reader(data / "schema"), DocIndex(w / "exact_index")], t),
        Phase("exact_dedup", [_reader(data / "schema"),
                              stage(EXACT_DEDUP, GlobalDrops(functools.partial(_exact_drops, str(w / "exact_index")),
                                                              "exact dedup"), pass_reason="first occurrence"),
                              _writer(data / "exact")], t, [EXACT_DEDUP]),
        Phase("near_signatures", [_reader(data / "exact"), DocIndex(w / "near_index", with_hash=False),
                                  MinhashDedupSignature(str(w / "minhash/signatures"), config=mh,
                                                        language=WhitespaceWordTokenizer())], t),  # type: ignore[arg-type]
        Phase("near_buckets", [MinhashDedupBuckets(str(w / "minhash/signatures"), str(w / "minhash/buckets"),
                                                   config=mh)], near.num_buckets),
        Phase("near_cluster", [MinhashDedupCluster(str(w / "minhash/buckets"), str(w / "minhash/remove"), config=mh,
                                                   save_cluster_id=True)], 1),
        Phase("checks", [
            _reader(data / "exact"),
            stage(NEAR_DEDUP, GlobalDrops(functools.partial(_near_drops, str(w / "minhash/remove"),
                                                             str(w / "near_index")), "near dedup"),
                  pass_reason="no near duplicate kept before it"),
            stage(DECONTAMINATION, decontam, pass_reason=f"no benchmark overlap (n={settings.ngram})"),
            stage(LINT, LintFilter(batch_size=settings.batch_size)),
            stage(TYPECHECK, TypecheckFilter(batch_size=settings.batch_size)),
            stage(EXECUTION, ExecutionFilter(settings.sandbox, batch_size=settings.batch_size)),
            stage(QUALITY, QualityFilter(persona.name, persona.creator)),
            *([stage(JUDGE, _judge_step(settings, judge_connect, persona))] if settings.judge else []),
            TagFamily(),
            ParquetWriter(str(w / "staged" / "clean"), output_filename="${family}/${rank}.parquet",
                          adapter=clean_row, schema=row_schema()),
        ], t, [NEAR_DEDUP, DECONTAMINATION, LINT, TYPECHECK, EXECUTION, QUALITY, *([JUDGE] if settings.judge else [])]),
    ]
    summary = [(p.name, p.tasks, p.stages) for p in phases]
    phases.append(Phase("finalize", [Finalize(settings, summary)], 1))
    return phases


def _judge_step(settings: Settings, connect: Any, persona: Any) -> Any:
    from filters.judge import JudgeFilter

    if connect is None:
        raise InputError(f"judge={settings.judge} needs a teacher connection: run it through `python -m factory filter`")
    card = {"name": persona.name, "creator": persona.creator, "personality": persona.personality,
            "facts": persona.facts}
    return JudgeFilter(connect, settings.judge or "", card, str(settings.work / "judge"),
                       threshold=settings.judge_threshold, budget_usd=settings.judge_budget,
                       max_records=settings.judge_max)


def build_executors(settings: Settings, phases: list[Phase]) -> list[Any]:
    """One datatrove executor per phase, each depending on the previous; only constructed, nothing is launched."""
    executors: list[Any] = []
    previous: Any = None
    for phase in phases:
        logs = str(settings.work / "logs" / phase.name)
        if settings.executor == "local":
            from datatrove.executor.local import LocalPipelineExecutor

            ex: Any = LocalPipelineExecutor(phase.steps, tasks=phase.tasks, workers=min(settings.workers, phase.tasks),
                                       logging_dir=logs, skip_completed=True)
        elif settings.executor == "slurm":
            from datatrove.executor.slurm import SlurmPipelineExecutor

            ex = SlurmPipelineExecutor(phase.steps, tasks=phase.tasks, time=settings.time_limit,
                                       partition=settings.partition, workers=settings.workers,
                                       job_name=f"crucible-filter-{settings.persona}-{phase.name}", logging_dir=logs,
                                       slurm_logs_folder=str(settings.work / "slurm_logs" / phase.name),
                                       venv_path=str(Path(sys.prefix) / "bin" / "activate"), depends=previous,
                                       skip_completed=True, qos="")  # the partition's default QOS, if any
        elif settings.executor == "ray":
            from filters.cluster import RayExecutor

            # every Ray job is a fresh actor (seconds to start): the near-dedup buckets (14 tiny tasks) run as
            # n_tasks jobs of several ranks each (side by side in the actor) instead of 14 actor starts
            ex = RayExecutor(phase.steps, tasks=phase.tasks, workers=settings.workers, depends=previous,
                                     logging_dir=logs, skip_completed=True,
                                     tasks_per_job=max(1, -(-phase.tasks // settings.n_tasks)))
        else:
            raise InputError(f"unknown executor {settings.executor!r}; one of {', '.join(EXECUTORS)}")
        executors.append(ex)
        previous = ex
    return executors


# ---------------------------------------------------------------------------------------------------------------------
# finishing


def _count_lines(folder: Path) -> dict[str, int]:
    if not folder.is_dir():
        return {}
    return {stage.name: sum(f.read_bytes().count(b"\n") for f in stage.glob("*.jsonl"))
            for stage in sorted(folder.iterdir()) if stage.is_dir()}


def _count_parquet(folder: Path) -> dict[str, int]:
    import pyarrow.parquet as pq

    out: dict[str, int] = {}
    for path in sorted(folder.glob("*/*.parquet")):
        out[path.parent.name] = out.get(path.parent.name, 0) + pq.ParquetFile(path).metadata.num_rows
    return out


def finalize(settings: Settings, phases: list[tuple[str, int, list[str]]]) -> dict[str, Any]:
    """Funnel + physical conservation checks, reports, then one publish of clean/, rejected/ and the reports.

    Safe to run again after a kill at any point: before the publish journal exists nothing outside the work dir has
    changed (the checks rerun on the staged files); once it exists the publish is decided and is only completed."""
    w = settings.work
    journal = read_journal(w)
    if journal is not None:  # an earlier attempt got as far as deciding the publish: finish it, decide nothing anew
        return complete_publish(settings.corpus, w)
    stages = [s for _, _, names in phases for s in names]
    expected = {s: tasks for _, tasks, names in phases for s in names}
    merged = merge_counts(w / "counts", stages, expected)
    funnel = build_funnel(merged, stages, {
        "persona": settings.persona, "created_at": now_iso(),
        "executor": settings.executor, "tasks": settings.n_tasks, "sandbox": settings.sandbox,
        "clean": shown_path(settings.corpus / "clean", settings.corpus),
        "rejected": shown_path(settings.corpus / "rejected", settings.corpus),
        "phases": _phase_seconds(w / "logs", [name for name, _, _ in phases]),
    })
    staged = w / "staged"
    # What the files hold must match what the counters say: a lost write is as bad as a lost record.
    on_disk = _count_lines(staged / "rejected")
    for row in funnel["total"]:
        if on_disk.get(row["stage"], 0) != row["rejected"]:
            raise ConservationError(f"{row['stage']}: {row['rejected']} rejected but "
                                    f"{on_disk.get(row['stage'], 0)} lines in rejected/{row['stage']}/")
    clean = _count_parquet(staged / "clean")
    for family, rows in funnel["families"].items():
        if clean.get(family, 0) != rows[-1]["kept"]:
            raise ConservationError(f"{family}: {rows[-1]['kept']} kept but {clean.get(family, 0)} rows in clean/")
    from filters.decontam import write_decontamination_report

    for folder in ("clean", "rejected"):
        (staged / folder).mkdir(parents=True, exist_ok=True)
    reports = staged / "reports"
    moves: list[list[str | None]] = [["clean", "clean"], ["rejected", "rejected"],
                                     ["reports/funnel.json", "reports/funnel.json"]]
    if any((w / "decontam").glob("decontam-*.json")):
        write_decontamination_report(w / "decontam", reports / "decontamination.json")
        moves.append(["reports/decontamination.json", "reports/decontamination.json"])
    else:  # a report from an earlier run would describe other records
        moves.append([None, "reports/decontamination.json"])
    if settings.judge:  # the judge's tokens, dollars and scores, summed over its tasks
        from filters.judge import merge_usage

        funnel["judge"] = merge_usage(w / "judge")
    write_json_atomic(reports / "funnel.json", funnel)
    faults.point("filter.publish.staged")
    # The commit point: from here on this run's outputs are what the corpus holds, even if the moves below are cut
    # short; whoever runs next (filter --resume or a fresh filter) completes them first.
    write_json_atomic(w / PUBLISH_JOURNAL, {"moves": moves, "done": False})
    faults.point("filter.publish.journal")
    return complete_publish(settings.corpus, w)


def read_journal(work: Path) -> dict | None:
    """The publish journal of a work dir, or None when no publish was decided there."""
    path = work / PUBLISH_JOURNAL
    return json.loads(path.read_text()) if path.is_file() else None


def complete_publish(corpus: Path, work: Path) -> dict[str, Any]:
    """Carry out a decided publish (idempotent: every step checks what an interrupted attempt already did).

    Each staged item replaces its published counterpart by rename; a folder's previous version is first renamed
    aside (`.<name>.old`) and deleted only after every item is in place. Returns the published funnel."""
    journal = read_journal(work)
    assert journal is not None, f"no publish journal in {work}"
    staged = work / "staged"
    if not journal["done"]:
        for src_rel, dst_rel in journal["moves"]:
            dst = corpus / dst_rel
            old = dst.with_name(f".{dst.name}.old")
            if src_rel is None:
                if dst.is_file():
                    os.replace(dst, old)
                continue
            src = staged / src_rel
            if not src.exists():
                continue  # moved by the interrupted attempt
            dst.parent.mkdir(parents=True, exist_ok=True)
            if src.is_dir() and dst.exists():
                if old.exists():
                    shutil.rmtree(old)  # an aside copy from an earlier publish that was not cleaned up
                os.replace(dst, old)
            os.replace(src, dst)
            fsync_dir(dst.parent)
            faults.point("filter.publish.move")
        write_json_atomic(work / PUBLISH_JOURNAL, {**journal, "done": True})
        faults.point("filter.publish.done")
    for _, dst_rel in journal["moves"]:
        old = (corpus / dst_rel).with_name(f".{(corpus / dst_rel).name}.old")
        if old.is_dir():
            shutil.rmtree(old)
        else:
            old.unlink(missing_ok=True)
    shutil.rmtree(staged, ignore_errors=True)
    return json.loads((corpus / "reports" / "funnel.json").read_text())


def _phase_seconds(logs: Path, names: list[str]) -> dict[str, float]:
    """Wall time of each finished phase (what the per-stage counters cannot see: minhash signatures, buckets ...).

    Local and Ray runs time each phase from the driver (`wall_seconds.json` beside the phase's logs). A Slurm chain is
    submitted at once, so there a phase runs from the later of its submission (datatrove's `executor.json`) and the
    previous phase's last completion mark, to its own last completion mark.
    """
    out: dict[str, float] = {}
    previous_end = 0.0
    for name in names:
        wall = logs / name / "wall_seconds.json"
        marks = [p.stat().st_mtime for p in (logs / name / "completions").glob("*")]
        launched = logs / name / "executor.json"
        try:
            if wall.is_file():
                out[name] = round(float(json.loads(wall.read_text())), 3)
            elif marks and launched.is_file():
                out[name] = round(max(marks) - max(previous_end, launched.stat().st_mtime), 3)
        except (ValueError, TypeError, OSError):
            continue
        previous_end = max(marks, default=previous_end)
    return out


# ---------------------------------------------------------------------------------------------------------------------
# running


def prepare_work(settings: Settings, resume: bool) -> None:
    """Fresh work dir unless resuming; a resumed run must be the same run (same settings fingerprint)."""
    w = settings.work
    config = w / "config.json"
    if resume and config.is_file():
        before = json.loads(config.read_text())
        if before != settings.fingerprint():
            changed = sorted(k for k in set(before) | set(settings.fingerprint())
                             if before.get(k) != settings.fingerprint().get(k))
            raise InputError(f"--resume: settings changed since the interrupted run ({', '.join(changed)}); "
                             "rerun without --resume")
    elif w.exists():
        if (journal := read_journal(w)) is not None and not journal["done"]:
            complete_publish(settings.corpus, w)  # a decided publish is finished before its staging is wiped
        shutil.rmtree(w)
    w.mkdir(parents=True, exist_ok=True)
    write_json_atomic(config, settings.fingerprint())


def run_local(settings: Settings, phases: list[Phase], executors: list[Any], progress: bool = True) -> None:
    """Run the phases in order on this machine (see run_phases)."""
    from filters.workers import install

    install()  # datatrove's helper processes die with this one, even when it is SIGKILLed alone
    run_phases(settings, phases, executors, progress)


def run_ray(settings: Settings, phases: list[Phase], executors: list[Any], progress: bool = True,
            judge_connect: Any = None) -> None:
    """Run the phases in order on the Ray cluster at settings.address, after checking its nodes (filters/cluster.py):
    the sandbox, and the judge's variables when `judge_connect` has a `check` (generators/teachers/connect.py)."""
    import ray

    from filters.cluster import ray_connect, ray_preflight, ray_run_phase

    ray_connect(settings.address)
    try:
        ray_preflight(settings.sandbox, getattr(judge_connect, "check", None) if settings.judge else None)
        run_phases(settings, phases, executors, progress,
                   lambda phase, ex: ray_run_phase(ex, phase.name, settings.work / "logs" / phase.name))
    finally:
        ray.shutdown()


def _bars(progress: bool) -> Any:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    # redirect_stderr=False: what libraries write to stderr stays on stderr (factory/filter.py sends it to a log)
    # instead of being printed between the bars
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    disable=not progress, transient=False, redirect_stderr=False)


def run_phases(settings: Settings, phases: list[Phase], executors: list[Any], progress: bool = True,
               run_phase: Any = None) -> None:
    """Run the phases in order with a progress bar per phase (tasks finished, from datatrove's completion marks);
    `run_phase(phase, executor)` runs one (default: executor.run())."""
    with _bars(progress) as bars:
        overall = bars.add_task("filter phases", total=len(phases))
        for phase, ex in zip(phases, executors, strict=True):
            bar = bars.add_task(f"  {phase.name}", total=phase.tasks)
            done = settings.work / "logs" / phase.name / "completions"
            stop = threading.Event()

            def poll(bar=bar, done=done, stop=stop) -> None:
                while not stop.wait(0.3):
                    bars.update(bar, completed=len(list(done.glob("*"))) if done.is_dir() else 0)
                    faults.point("filter.running")  # every 0.3 s while a phase's workers run

            watcher = threading.Thread(target=poll, daemon=True)
            watcher.start()
            started, pending = time.perf_counter(), bool(ex.get_incomplete_ranks())
            try:
                run_phase(phase, ex) if run_phase is not None else ex.run()
            finally:
                stop.set()
                watcher.join()
            if pending:  # a resumed run keeps the time of the attempt that did the work
                write_json_atomic(settings.work / "logs" / phase.name / "wall_seconds.json",
                                  time.perf_counter() - started)
            bars.update(bar, completed=phase.tasks)
            bars.advance(overall)


def run_slurm(settings: Settings, phases: list[Phase], executors: list[Any], progress: bool = True,
              wait: bool = True, judge_connect: Any = None) -> bool:
    """Submit the chain of job arrays; with `wait`, follow it with a bar per phase until the last one has finished
    (True) or a task failed (raises). Returns False when only submitted. With judge=, every node is first checked
    for the judge's variables (filters/cluster.py slurm_preflight), before anything is submitted."""
    from filters.cluster import slurm_preflight, slurm_submit, slurm_wait

    if settings.judge and (check := getattr(judge_connect, "check", None)) is not None:
        slurm_preflight(executors[0], check)
    job_ids = slurm_submit(executors)
    if not wait:
        return False
    with _bars(progress) as bars:
        ids = [bars.add_task(f"  {p.name}" + (f" (job {j})" if j else ""), total=p.tasks)
               for p, j in zip(phases, job_ids, strict=True)]
        slurm_wait(phases, executors, job_ids, settings.work / "logs",
                   lambda i, n: bars.update(ids[i], completed=n))
    return True


def run(settings: Settings, resume: bool = False, progress: bool = True, dry_run: bool = False,
        judge_connect: Any = None, wait: bool = True) -> dict | None:
    """Build and run (or, with dry_run, only build and save) the filter; returns the funnel once the run has finished
    (None for dry runs and Slurm runs submitted with wait=False)."""
    if not (settings.corpus / "persona.toml").is_file():
        raise InputError(f"no persona card at {settings.corpus / 'persona.toml'}")
    prepare_work(settings, resume)
    phases = build_phases(settings, judge_connect)
    executors = build_executors(settings, phases)
    if dry_run:
        describe_jobs(settings, executors)
        return None
    if settings.executor == "local":
        run_local(settings, phases, executors, progress)
    elif settings.executor == "ray":
        run_ray(settings, phases, executors, progress, judge_connect)
    elif not run_slurm(settings, phases, executors, progress, wait, judge_connect):
        return None
    return json.loads((settings.corpus / "reports" / "funnel.json").read_text())


def describe_jobs(settings: Settings, executors: list[Any]) -> dict[str, str]:
    """What would be submitted: sbatch scripts (slurm) or executor summaries, written to .filter/jobs/."""
    import dill

    out: dict[str, str] = {}
    folder = settings.work / "jobs"
    folder.mkdir(parents=True, exist_ok=True)
    for ex in executors:
        name = Path(str(ex.logging_dir.path)).name
        dill.dumps(ex)  # the executor must ship to the cluster as a pickle, like datatrove's launcher sends it
        if settings.executor == "slurm":
            command = f"launch_pickled_pipeline {ex.logging_dir.resolve_paths('executor.pik')}"
            text = ex.get_launch_file_contents(ex.get_sbatch_args(max_array=ex.tasks), command)
            (folder / f"{name}.slurm").write_text(text)
        else:
            from datatrove.executor.base import ExecutorJSONEncoder

            text = json.dumps(ex, cls=ExecutorJSONEncoder, indent=1)  # what datatrove itself saves as executor.json
            (folder / f"{name}.json").write_text(text)
        out[name] = text
    return out


__all__ = ["STAGES", "Settings", "Phase", "build_phases", "build_executors", "run", "finalize"]

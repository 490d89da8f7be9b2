"""A named, counted filter stage: the one wrapper every filter runs inside, ours or the dedup engineer's.

`Stage(name, step, ...)` is itself a datatrove PipelineStep. It hands `step` (any BaseFilter-like step that drops
through `exclusion_writer`) a `RejectedWriter` for `rejected/<name>/`, counts what goes in, what comes out and what
was written as rejected — per family — stamps `verdicts[name]` on every kept record that the step did not stamp
itself, and at the end of each task checks conservation (in == kept + rejected) and writes the counts to
`<counts>/<name>/<rank>.json` for the funnel. A stage that loses or invents records raises `ConservationError`.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from datatrove.data import Document
from datatrove.pipeline.base import PipelineStep
from datatrove.pipeline.filters.base_filter import BaseFilter

from filters.docs import RejectedWriter, doc_family, document_record, reject, set_verdict
from schemas.reasons import reason_group
from schemas.storage import write_json_atomic


class ConservationError(RuntimeError):
    """A stage's records in != kept + rejected: data was lost or duplicated, so the run must stop."""


class StageFilter(BaseFilter):
    """Base for Crucible's own checks: a BaseFilter that knows its stage name (for verdicts it stamps itself)."""

    stage: str = "stage"

    def __init__(self, batch_size: int = 1):
        super().__init__(batch_size=batch_size)  # the Stage wrapper installs the exclusion writer

    def passed(self, doc: Document, reason: str, score: float | None = None) -> bool:
        set_verdict(doc, self.stage, True, reason, score)
        return True

    def batch_verdicts(self, batch: list[Document], findings: list[list[str]], pieces: list[list[Any]], clean: str,
                       unit: str, nothing: str) -> list[bool | tuple[bool, str]]:
        """One verdict per record of a batched checker: its first finding (+ how many more), else clean or nothing."""
        results: list[bool | tuple[bool, str]] = []
        for doc, found, checked in zip(batch, findings, pieces, strict=True):
            if found:
                more = f" (+{len(found) - 1} more)" if len(found) > 1 else ""
                results.append(reject(doc, found[0] + more))
            elif checked:
                results.append(self.passed(doc, f"{clean} ({len(checked)} {unit})"))
            else:
                results.append(self.passed(doc, nothing))
        return results


class Stage(PipelineStep):
    """Counts, verdicts, rejected records and conservation around one filter step."""

    type = "🧮 - STAGE"

    def __init__(
        self,
        name: str,
        step: PipelineStep,
        rejected_folder: str,
        counts_folder: str,
        default_reason: str = "rejected",
        pass_reason: str = "passed",
    ):
        self.name = name  # before PipelineStep.__init__, which names the stats after it
        super().__init__()
        self.stage = name
        self.step = step
        self.counts_folder = counts_folder
        self.pass_reason = pass_reason
        self.writer = RejectedWriter(rejected_folder, name, default_reason=default_reason)
        if not hasattr(step, "exclusion_writer"):
            raise TypeError(f"stage {name}: {type(step).__name__} cannot report rejected records (no exclusion_writer)")
        step.exclusion_writer = self.writer  # type: ignore[attr-defined]

    def run(self, data: Iterable[Document] | None, rank: int = 0, world_size: int = 1) -> Iterator[Document]:
        seen: Counter[str] = Counter()
        kept: Counter[str] = Counter()
        upstream = 0.0

        def feed() -> Iterator[Document]:
            nonlocal upstream
            source = iter(data or ())
            while True:
                t0 = time.perf_counter()
                try:
                    doc = next(source)
                except StopIteration:
                    return
                finally:
                    upstream += time.perf_counter() - t0
                seen[doc_family(doc)] += 1
                yield doc

        own = 0.0
        remove_stale_rejects(self.writer, rank)
        results = iter(self.step.run(feed(), rank, world_size))  # type: ignore[arg-type]
        while True:
            before, t0 = upstream, time.perf_counter()
            try:
                doc = next(results)
            except StopIteration:
                break
            finally:
                # Time spent pulling from earlier stages is theirs, not ours.
                own += time.perf_counter() - t0 - (upstream - before)
            record = document_record(doc)
            if not isinstance(record.get("verdicts"), dict) or self.name not in record["verdicts"]:
                set_verdict(doc, self.name, True, self.pass_reason)
            kept[doc_family(doc)] += 1
            self.stat_update("kept")
            yield doc
        own += time.perf_counter() - t0 - (upstream - before)
        self._finish(rank, seen, kept, own)

    def _finish(self, rank: int, seen: Counter[str], kept: Counter[str], seconds: float) -> None:
        write_counts(self.counts_folder, self.name, rank, seen, kept, self.writer.tally, seconds)


def write_counts(
    counts_folder: str,
    stage: str,
    rank: int,
    seen: Counter[str],
    kept: Counter[str],
    tally: Counter[tuple[str, str]],
    seconds: float,
) -> None:
    """Check one task's conservation for one stage and write its counts (per family) for the funnel."""
    rejected: Counter[str] = Counter()
    reasons: dict[str, Counter[str]] = {}
    for (family, reason), n in tally.items():
        rejected[family] += n
        reasons.setdefault(family, Counter())[reason_group(reason)] += n
    families = {}
    problems = []
    for family in sorted(set(seen) | set(kept) | set(rejected)):
        n_in, n_kept, n_rej = seen[family], kept[family], rejected[family]
        if n_in != n_kept + n_rej:
            problems.append(f"{family}: in={n_in} kept={n_kept} rejected={n_rej}")
        families[family] = {"in": n_in, "kept": n_kept, "rejected": n_rej, "reasons": dict(reasons.get(family, {}))}
    if problems:
        raise ConservationError(f"stage {stage} rank {rank} broke conservation: " + "; ".join(problems))
    total = sum(seen.values()) or 1
    write_json_atomic(
        Path(counts_folder) / stage / f"{rank:05d}.json",
        {"stage": stage, "rank": rank, "seconds": seconds, "families": families,
         "seconds_by_family": {f: seconds * seen[f] / total for f in seen}},
    )


def remove_stale_rejects(writer: RejectedWriter, rank: int) -> None:
    """A task rerun after a crash must not keep the partial rejected file of its previous attempt."""
    name = writer.output_filename.substitute(rank=f"{rank:05d}")
    if writer.output_folder.exists(name):
        writer.output_folder.rm(name)

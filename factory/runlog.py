"""Crash-safe, append-only storage of one family's raw output: part files, rejects, a commit ledger, a manifest.

A generate run can be SIGKILLed at any instant and rerun; it must then neither lose nor duplicate a record. Each
batch is committed in three steps, the last one being the commit point:

  1. its rejects are appended to `rejected.jsonl` (whole lines, fsync), each tagged with the batch id;
  2. its records are written to a temp file and `os.replace`d to `part-<batch>.jsonl` (fsync file + folder);
  3. one line naming the batch, its part file and the task keys it settled is appended to `_ledger.jsonl` (fsync).

On reopening, a torn last ledger line is dropped, part files and reject lines of batches missing from the ledger
are removed, and the ledger's task keys say which tasks are done. Nothing else is trusted.
"""

import threading
from collections import Counter
from pathlib import Path

from schemas import GENERATE, canonical_json, faults, now_iso, rejection
from schemas.secrets import scrub_text
from schemas.settings import InputError
from schemas.storage import append_lines, read_jsonl_tolerant, write_atomic

LEDGER = "_ledger.jsonl"
REJECTED = "rejected.jsonl"
MANIFEST = "manifest.json"
RAW_MAX_CHARS = 4000  # a rejected raw output is kept for diagnosis, not archived in full


class FamilyLog:
    """One family's raw folder, opened for appending. Thread-safe: both lanes of a family commit through it."""

    def __init__(self, folder: Path, family: str):
        self.folder = folder
        self.family = family
        self.lock = threading.Lock()
        self.done_keys: set[str] = set()
        self.record_ids: set[str] = set()
        self.kept = 0
        self.rejected = 0
        self.reasons: Counter[str] = Counter()
        self.prompt_tokens = 0
        self.completion_tokens = 0
        self.requests = 0
        self.cost_usd = 0.0
        self.batches = 0
        self.committed: set[str] = set()  # batch names in the ledger
        self.seeds: set[int] = set()
        self.versions: set[str] = set()  # the generator VERSIONs its batches were written by
        self.lane_kept: Counter[str] = Counter()  # per lane ("teacher" / "procedural"), across every run
        self.lane_attempted: Counter[str] = Counter()
        folder.mkdir(parents=True, exist_ok=True)
        self._recover()

    @property
    def attempted(self) -> int:
        return self.kept + self.rejected

    def _recover(self) -> None:
        ledger_path = self.folder / LEDGER
        entries, torn = read_jsonl_tolerant(ledger_path)
        damaged = ("; the folder was changed or damaged after it was written: restore it, or move it away and "
                   "generate again")
        for i, e in enumerate(entries):
            if not (isinstance(e, dict) and isinstance(e.get("batch"), str) and isinstance(e.get("kept"), list)
                    and isinstance(e.get("rejected"), list)):
                raise InputError(f"{ledger_path}: line {i + 1} is not a ledger entry{damaged}")
        if torn:
            write_atomic(ledger_path, "".join(canonical_json(e) + "\n" for e in entries))
        committed = {e["batch"] for e in entries}
        parts = {e["part"] for e in entries if e.get("part")}
        for path in self.folder.iterdir():
            stale_tmp = path.name.startswith(".") and path.name.endswith(".tmp")
            orphan_part = path.name.startswith("part-") and path.name.endswith(".jsonl") and path.name not in parts
            if stale_tmp or orphan_part:
                path.unlink()
        rejected_path = self.folder / REJECTED
        rejects, torn = read_jsonl_tolerant(rejected_path)
        kept_rejects = [r for r in rejects if isinstance(r, dict) and r.get("batch") in committed]
        if torn or len(kept_rejects) != len(rejects):
            write_atomic(rejected_path, "".join(canonical_json(r) + "\n" for r in kept_rejects))
        try:
            for e in entries:
                self._account(e)
        except (KeyError, TypeError, AttributeError) as exc:
            raise InputError(f"{ledger_path}: a ledger line lacks {exc}{damaged}") from None
        for name in sorted(parts):
            path = self.folder / name
            if not path.is_file():
                raise InputError(f"{path}: committed part file is missing{damaged}")
            rows, torn = read_jsonl_tolerant(path)
            if torn or not all(isinstance(r, dict) and isinstance(r.get("id"), str) for r in rows):
                raise InputError(f"{path}: committed part file is cut short or garbled{damaged}")
            self.record_ids.update(r["id"] for r in rows)
        for r in kept_rejects:
            self.reasons[short_reason(r.get("reason", ""))] += 1
        if len(self.record_ids) != self.kept:
            raise InputError(f"{self.folder}: ledger says {self.kept} records but part files hold "
                             f"{len(self.record_ids)} unique ids{damaged}")

    def _account(self, entry: dict) -> None:
        self.done_keys.update(entry["kept"])
        self.done_keys.update(entry["rejected"])
        self.kept += len(entry["kept"])
        self.rejected += len(entry["rejected"])
        usage = entry.get("usage") or {}
        self.prompt_tokens += usage.get("prompt_tokens", 0)
        self.completion_tokens += usage.get("completion_tokens", 0)
        self.requests += usage.get("requests", 0)
        self.cost_usd += entry.get("cost_usd", 0.0)
        self.batches += 1
        self.committed.add(entry["batch"])
        lane = entry.get("lane", "")
        self.lane_kept[lane] += len(entry["kept"])
        self.lane_attempted[lane] += len(entry["kept"]) + len(entry["rejected"])
        if "seed" in entry:
            self.seeds.add(entry["seed"])
        if "version" in entry:
            self.versions.add(entry["version"])

    def commit(self, batch: str, kept: list[tuple[str, dict]], rejected: list[tuple[str, dict]],
               usage: dict | None = None, cost_usd: float = 0.0, extra: dict | None = None) -> None:
        """Durably settle one batch: `kept` = [(task_key, record)], `rejected` = [(task_key, reject_line)]."""
        with self.lock:
            keys = [k for k, _ in kept] + [k for k, _ in rejected]
            assert len(set(keys)) == len(keys), f"batch {batch}: a task key appears twice"
            assert not self.done_keys.intersection(keys), f"batch {batch}: re-settles done tasks"
            ids = [r["id"] for _, r in kept]
            assert len(set(ids)) == len(ids) and not self.record_ids.intersection(ids), f"batch {batch}: duplicate ids"
            lines = []
            for key, line in rejected:
                context = {k: v for k, v in line.items() if k != "reason"}
                if isinstance(context.get("raw"), str) and len(context["raw"]) > RAW_MAX_CHARS:
                    context["raw"] = context["raw"][:RAW_MAX_CHARS] + "…[truncated]"
                # a reason may quote an error that quoted a URL or a key: never let either reach the file
                lines.append(scrub_text(canonical_json(rejection(GENERATE, line.get("reason", ""), None, **context,
                                                                 key=key, batch=batch, family=self.family))))
            append_lines(self.folder / REJECTED, lines)
            faults.point("generate.commit.rejects")
            part = None
            if kept:
                part = f"part-{batch}.jsonl"
                write_atomic(self.folder / part, "".join(canonical_json(r) + "\n" for _, r in kept))
            faults.point("generate.commit.part")
            entry = {"batch": batch, "part": part, "kept": [k for k, _ in kept], "rejected": [k for k, _ in rejected],
                     "usage": usage or {}, "cost_usd": cost_usd, "time": now_iso(),
                     **(extra or {})}
            append_lines(self.folder / LEDGER, [canonical_json(entry)])
            faults.point("generate.commit.ledger")
            self._account(entry)
            self.record_ids.update(ids)
            for _, line in rejected:
                self.reasons[short_reason(line.get("reason", ""))] += 1

    def records(self) -> list[dict]:
        """Every committed record (for tests and reports)."""
        out: list[dict] = []
        for path in sorted(self.folder.glob("part-*.jsonl")):
            rows, _ = read_jsonl_tolerant(path)
            out.extend(rows)
        return out


def short_reason(reason: str) -> str:
    """Group rejection reasons for the manifest: the part before the first colon ("schema", "lost by distilabel")."""
    head = reason.split(":", 1)[0].strip()
    return head[:80] or "unspecified"

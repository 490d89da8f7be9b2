"""Crash-safe, append-only storage of one family's raw output: part files, rejects, a commit ledger, a manifest.

A generate run can be SIGKILLed at any instant and rerun; it must then neither lose nor duplicate a record. Each
batch is committed in three steps, the last one being the commit point:

  1. its rejects are appended to `rejected.jsonl` (whole lines, fsync), each tagged with the batch id;
  2. its records are written to a temp file and `os.replace`d to `part-<batch>.jsonl` (fsync file + folder);
  3. one line naming the batch, its part file and the task keys it settled is appended to `_ledger.jsonl` (fsync).

On reopening, a torn last ledger line is dropped, part files and reject lines of batches missing from the ledger
are removed, and the ledger's task keys say which tasks are done. Nothing else is trusted.
"""

import json
import os
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

LEDGER = "_ledger.jsonl"
REJECTED = "rejected.jsonl"
MANIFEST = "manifest.json"
RAW_MAX_CHARS = 4000  # a rejected raw output is kept for diagnosis, not archived in full


def canonical(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_atomic(path: Path, text: str) -> None:
    """Write a whole file so that readers see either the old or the new content, never a mix."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, 0o644)  # mkstemp makes 0600; corpus files are meant to be read by the next stages and people
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


def write_json_atomic(path: Path, obj: Any) -> None:
    write_atomic(path, json.dumps(obj, indent=2, ensure_ascii=False, sort_keys=True) + "\n")


def append_lines(path: Path, lines: list[str]) -> None:
    """Append whole lines with one write and fsync; a crash can leave at most a torn *last* line."""
    if not lines:
        return
    data = "".join(line + "\n" for line in lines).encode("utf-8")
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)


def read_jsonl_tolerant(path: Path) -> tuple[list[dict], bool]:
    """Parse a JSONL file; returns (objects, torn): torn means the file did not end with a newline, so the caller
    must rewrite it before appending (an unparseable last line, cut by a crash mid-append, is dropped)."""
    if not path.exists():
        return [], False
    raw = path.read_bytes()
    lines = raw.split(b"\n")
    rows: list[dict] = []
    for i, line in enumerate(lines):
        if not line.strip():
            continue
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError:
            # Only the very last line may be torn (a crash mid-append); anything else is real corruption.
            assert i == len(lines) - 1, f"{path}: corrupt line {i + 1}"
    return rows, bool(raw) and not raw.endswith(b"\n")


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
        self.seeds: set[int] = set()
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
        if torn:
            write_atomic(ledger_path, "".join(canonical(e) + "\n" for e in entries))
        committed = {e["batch"] for e in entries}
        parts = {e["part"] for e in entries if e.get("part")}
        for path in self.folder.iterdir():
            stale_tmp = path.name.startswith(".") and path.name.endswith(".tmp")
            orphan_part = path.name.startswith("part-") and path.name.endswith(".jsonl") and path.name not in parts
            if stale_tmp or orphan_part:
                path.unlink()
        rejected_path = self.folder / REJECTED
        rejects, torn = read_jsonl_tolerant(rejected_path)
        kept_rejects = [r for r in rejects if r.get("batch") in committed]
        if torn or len(kept_rejects) != len(rejects):
            write_atomic(rejected_path, "".join(canonical(r) + "\n" for r in kept_rejects))
        for e in entries:
            self._account(e)
        for name in sorted(parts):
            rows, torn = read_jsonl_tolerant(self.folder / name)
            assert not torn, f"{self.folder / name}: committed part file is torn"
            self.record_ids.update(r["id"] for r in rows)
        for r in kept_rejects:
            self.reasons[short_reason(r.get("reason", ""))] += 1
        assert len(self.record_ids) == self.kept, (
            f"{self.folder}: ledger says {self.kept} records but part files hold {len(self.record_ids)} unique ids")

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
        lane = entry.get("lane", "")
        self.lane_kept[lane] += len(entry["kept"])
        self.lane_attempted[lane] += len(entry["kept"]) + len(entry["rejected"])
        if "seed" in entry:
            self.seeds.add(entry["seed"])

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
                line = {**line, "key": key, "batch": batch, "family": self.family}
                if isinstance(line.get("raw"), str) and len(line["raw"]) > RAW_MAX_CHARS:
                    line["raw"] = line["raw"][:RAW_MAX_CHARS] + "…[truncated]"
                lines.append(canonical(line))
            append_lines(self.folder / REJECTED, lines)
            part = None
            if kept:
                part = f"part-{batch}.jsonl"
                write_atomic(self.folder / part, "".join(canonical(r) + "\n" for _, r in kept))
            entry = {"batch": batch, "part": part, "kept": [k for k, _ in kept], "rejected": [k for k, _ in rejected],
                     "usage": usage or {}, "cost_usd": cost_usd, "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                     **(extra or {})}
            append_lines(self.folder / LEDGER, [canonical(entry)])
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

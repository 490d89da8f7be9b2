"""The "parse" stage: raw generator output (JSONL) in, Documents out; every line that is not a record is rejected.

Reads `raw/<family>/part-*.jsonl` only (never `rejected.jsonl` or `manifest.json`, which sit next to them). A line
that is not UTF-8, not JSON, or not a JSON object goes to `rejected/parse/` with its file, line number and raw text;
a last line without its newline that does not parse is reported as a truncated file. Blank lines are not records
and are skipped. Counting follows the same contract as every other stage (`filters.stage`).

Sharding: with at least as many files as tasks, each task reads whole files; otherwise every task reads every file
and keeps every `world_size`-th line, so a corpus of one big part still spreads over all workers.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Iterable, Iterator

from datatrove.data import Document
from datatrove.io import get_datafolder
from datatrove.pipeline.base import PipelineStep

from filters.docs import FAMILIES, PARSE, REASON_KEY, RejectedWriter, doc_family, fallback_id, record_to_document
from filters.stage import remove_stale_rejects, write_counts

RAW_GLOB = "**/part-*.jsonl"
RAW_TEXT_LIMIT = 4000  # characters of a bad line kept in rejected/parse (enough to see what went wrong)


def list_raw_files(raw_folder: str) -> list[str]:
    folder = get_datafolder(raw_folder)
    return sorted(folder.list_files(glob_pattern=RAW_GLOB)) if folder.exists("") else []


class RecordReader(PipelineStep):
    """Yields one Document per record line of the raw corpus; rejects the rest at the parse stage."""

    type = "📖 - READER"
    name = "raw records"

    def __init__(self, raw_folder: str, rejected_folder: str, counts_folder: str):
        super().__init__()
        self.raw_folder = raw_folder
        self.counts_folder = counts_folder
        self.writer = RejectedWriter(rejected_folder, PARSE, default_reason="unparseable line")

    def run(self, data: Iterable[Document] | None = None, rank: int = 0, world_size: int = 1) -> Iterator[Document]:
        files = list_raw_files(self.raw_folder)
        by_file = len(files) >= world_size
        mine = files[rank::world_size] if by_file else files
        folder = get_datafolder(self.raw_folder)
        seen: Counter[str] = Counter()
        kept: Counter[str] = Counter()
        own = 0.0
        remove_stale_rejects(self.writer, rank)
        with self.writer as writer:
            line_no_global = 0
            for path in mine:
                family = path.split("/")[0] if path.split("/")[0] in FAMILIES else None
                with folder.open(path, "rb") as f:
                    raw = f.read()
                lines = raw.split(b"\n")
                complete_last = raw.endswith(b"\n")
                if complete_last:
                    lines.pop()
                for n, line in enumerate(lines, 1):
                    line_no_global += 1
                    if not by_file and (line_no_global - 1) % world_size != rank:
                        continue
                    if not line.strip():
                        continue
                    t0 = time.perf_counter()
                    truncated = n == len(lines) and not complete_last
                    doc, reason = _parse(line, path, n, family, truncated)
                    seen[doc_family(doc)] += 1
                    if reason is not None:
                        doc.metadata[REASON_KEY] = reason
                        writer.write(doc, rank)
                        own += time.perf_counter() - t0
                        continue
                    kept[doc_family(doc)] += 1
                    own += time.perf_counter() - t0
                    yield doc
        write_counts(self.counts_folder, PARSE, rank, seen, kept, self.writer.tally, own)


def _parse(line: bytes, path: str, n: int, family: str | None, truncated: bool) -> tuple[Document, str | None]:
    where = {"file": path, "line": n, **({"source_family": family} if family else {})}
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError as exc:
        bad = line.decode("utf-8", "replace")
        return _bad(bad, where), f"not valid UTF-8: line {n} of {path} (byte {exc.start})"
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        if truncated:
            return _bad(text, where), f"truncated file: last line {n} of {path} has no newline and is cut off ({exc.msg})"
        return _bad(text, where), f"not JSON: line {n} of {path} ({exc.msg}, column {exc.colno})"
    if not isinstance(value, dict):
        return _bad(text, where), f"not a record object: line {n} of {path} is a JSON {type(value).__name__}"
    doc = record_to_document(value)
    doc.metadata.update(where)
    return doc, None


def _bad(text: str, where: dict) -> Document:
    return Document(text=text[:RAW_TEXT_LIMIT], id=fallback_id(text), metadata=dict(where))

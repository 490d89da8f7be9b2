"""Benchmark decontamination: drop records that contain HumanEval, MBPP or GSM8K items, and say which and where.

Two complementary checks, both precomputed once per worker so a record costs one pass over its words and one
pass over its characters:

* word n-gram overlap (default n = 13, the size GPT-3 and most decontamination reports use for prose): every
  n-gram of every benchmark text (prompts, questions, answers, solutions) after casefolding and splitting on
  non-word characters is hashed into one set; a record is contaminated if any of its n-grams is in the set.
  N-grams shared by more than `max_item_frequency` benchmark items are dropped from the set: they are idioms
  (`for i in range 0 n for j in range i 1 n ...`, "write a python function to check whether the ...") rather
  than evidence of one item, and clean code of the same kind would hit them.
* exact substring match for code (HumanEval prompt, prompt+canonical_solution and canonical_solution, MBPP code),
  after collapsing whitespace so re-indentation, CRLF or tabs do not hide a pasted solution. All patterns sit
  in one Aho-Corasick automaton (pyahocorasick): one linear scan per record whatever the number of patterns.
  Patterns shorter than `min_code_chars` are skipped: `return a + b` is not evidence of anything.

The check looks at the record itself (every message field, tool-call argument and verification string), not only
at `doc.text`: code passed to a tool is JSON-escaped in `conversation_text`, and a textbook module lives in
`verification`. Per-rank hits go to `report_folder`; `write_decontamination_report` merges them into
`reports/decontamination.json`.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import ahocorasick
import xxhash
from datatrove.data import Document
from datatrove.pipeline.filters.base_filter import BaseFilter
from datatrove.pipeline.writers.disk_base import DiskWriter

from filters.benchmarks import BENCHMARKS, BenchmarkItem, load_benchmarks
from filters.dedup import ReasonStatsMixin
from schemas.record import strings_in
from schemas.storage import write_json_atomic

_WORD = re.compile(r"\w+")
_SPACE = re.compile(r"\s+")
SNIPPET_CHARS = 80


@dataclass(frozen=True)
class DecontamConfig:
    """Knobs of the decontamination stage (defaults justified in the module docstring)."""

    n: int = 13
    benchmarks: tuple[str, ...] = BENCHMARKS
    ngrams: bool = True
    substrings: bool = True
    min_code_chars: int = 64
    max_item_frequency: int = 2


@dataclass(frozen=True)
class Hit:
    """Why one record is contaminated: which item, which check, and the overlapping text."""

    benchmark: str
    item_id: str
    method: str  # "13-gram overlap", "prompt+solution substring", ...
    snippet: str

    def reason(self) -> str:
        return f"contaminated: {self.benchmark} {self.item_id} {self.method} '{self.snippet}'"


def words(text: str) -> list[str]:
    """The word sequence n-grams are taken over: casefolded runs of word characters (digits kept: numbers matter
    in GSM8K, and masking them would make unrelated arithmetic stories collide)."""
    return _WORD.findall(text.casefold())


def squash(text: str) -> str:
    """Whitespace-normalised text for substring matching: every whitespace run becomes one space."""
    return _SPACE.sub(" ", text).strip()


def _ngram_hash(gram: list[str]) -> int:
    # xxhash, not hash(): the value must be the same in every worker process whatever PYTHONHASHSEED is.
    return xxhash.xxh3_64_intdigest(" ".join(gram))


def ngram_hashes(tokens: list[str], n: int) -> Iterator[tuple[int, int]]:
    """(position, hash) of every word n-gram; a text shorter than n words has none."""
    for i in range(len(tokens) - n + 1):
        yield i, _ngram_hash(tokens[i : i + n])


@dataclass
class DecontamIndex:
    """The precomputed lookup structures: n-gram hash -> item, and an Aho-Corasick automaton over code."""

    config: DecontamConfig
    items: list[BenchmarkItem]
    ngram_owner: dict[int, int] = field(default_factory=dict)  # hash -> index into items
    automaton: Any = None
    stats: dict[str, dict[str, int]] = field(default_factory=dict)

    @classmethod
    def build(cls, items: list[BenchmarkItem], config: DecontamConfig) -> DecontamIndex:
        index = cls(config, items)
        index.stats = {b: {"items": 0, "ngrams": 0, "code_patterns": 0} for b in config.benchmarks}
        for item in items:
            index.stats.setdefault(item.benchmark, {"items": 0, "ngrams": 0, "code_patterns": 0})["items"] += 1
        if config.ngrams:
            index._build_ngrams()
        if config.substrings:
            index._build_automaton()
        return index

    def _build_ngrams(self) -> None:
        owners: dict[int, set[int]] = defaultdict(set)
        for i, item in enumerate(self.items):
            for text in item.texts.values():
                for _, h in ngram_hashes(words(text), self.config.n):
                    owners[h].add(i)
        for h, item_ids in owners.items():
            if len(item_ids) <= self.config.max_item_frequency:
                first = min(item_ids)
                self.ngram_owner[h] = first
                self.stats[self.items[first].benchmark]["ngrams"] += 1

    def _build_automaton(self) -> None:
        automaton = ahocorasick.Automaton()
        for i, item in enumerate(self.items):
            for kind, code in item.code.items():
                pattern = squash(code)
                if len(pattern) < self.config.min_code_chars or pattern in automaton:
                    continue  # too short to be evidence, or the same code already indexed under an earlier item
                automaton.add_word(pattern, (i, kind, len(pattern)))
                self.stats[item.benchmark]["code_patterns"] += 1
        if len(automaton):
            automaton.make_automaton()
            self.automaton = automaton

    def find(self, texts: Iterable[str]) -> Hit | None:
        """The strongest evidence of contamination in `texts`, or None: the longest code substring first (the most
        specific claim), else the first overlapping n-gram."""
        texts = list(texts)
        if self.automaton is not None:
            best: tuple[int, str, int] | None = None
            for text in texts:
                for _, value in self.automaton.iter(squash(text)):
                    if best is None or value[2] > best[2]:
                        best = value
            if best is not None:
                item = self.items[best[0]]
                pattern = squash(item.code[best[1]])
                return Hit(item.benchmark, item.item_id, f"{best[1]} substring", _snippet(pattern))
        if self.ngram_owner:
            n = self.config.n
            for text in texts:
                tokens = words(text)
                for pos, h in ngram_hashes(tokens, n):
                    owner = self.ngram_owner.get(h)
                    if owner is not None:
                        item = self.items[owner]
                        return Hit(item.benchmark, item.item_id, f"{n}-gram overlap", " ".join(tokens[pos : pos + n]))
        return None


def _snippet(text: str) -> str:
    text = text.replace("'", '"')
    return text if len(text) <= SNIPPET_CHARS else text[: SNIPPET_CHARS - 3] + "..."


def record_texts(doc: Document) -> list[str]:
    """Every string a record could leak a benchmark through: message contents, reasoning, tool-call arguments,
    tool outputs and the verification (textbook module and tests). Falls back to `doc.text` without a record."""
    record = doc.metadata.get("record")
    if not isinstance(record, Mapping):
        return [doc.text]
    texts = list(strings_in(record.get("messages")))
    texts.extend(strings_in(record.get("verification")))
    return texts or [doc.text]


class DecontaminationFilter(ReasonStatsMixin, BaseFilter):
    """Drops records that overlap a benchmark item, with reason
    `contaminated: <benchmark> <item id> <13-gram overlap|prompt+solution substring|...> '<snippet>'`.

    `source` is where benchmarks load from (None = the Hub; a folder such as ../shared/benchmarks; or a mapping
    benchmark -> path), or pass already loaded `items`. With `report_folder`, each task writes its hits to
    `report_folder/decontam-<rank>.json` when its input is exhausted; merge them with `write_decontamination_report`.
    Items load in the constructor (so a bad source fails before any worker starts); the index is built lazily in
    each worker, because a few hundred thousand hashes are faster to rebuild than to pickle.
    """

    name = "🧪 Decontamination"

    def __init__(
        self,
        source: str | Path | Mapping[str, str | Path] | None = None,
        config: DecontamConfig | None = None,
        items: list[BenchmarkItem] | None = None,
        report_folder: str | Path | None = None,
        exclusion_writer: DiskWriter | None = None,
    ):
        super().__init__(exclusion_writer=exclusion_writer)  # type: ignore[arg-type]  # datatrove: None = no writer
        self.config = config or DecontamConfig()
        self.items = items if items is not None else load_benchmarks(source, self.config.benchmarks)
        self.report_folder = Path(report_folder) if report_folder is not None else None
        self._index: DecontamIndex | None = None
        self.hits: list[dict[str, str]] = []
        self.scanned = 0

    @property
    def index(self) -> DecontamIndex:
        if self._index is None:
            self._index = DecontamIndex.build(self.items, self.config)
        return self._index

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        self.scanned += 1
        hit = self.index.find(record_texts(doc))
        if hit is None:
            return True
        self.hits.append({"id": str(doc.id), **asdict(hit)})
        reason = hit.reason()
        doc.metadata["filter_reason"] = reason
        return False, reason

    def run(self, data: Iterable[Document], rank: int = 0, world_size: int = 1) -> Iterator[Document]:
        # A local executor with one worker runs every rank on this same object: each rank reports only its own.
        self.hits, self.scanned = [], 0
        yield from super().run(data, rank, world_size)
        if self.report_folder is not None:
            self.write_part(self.report_folder / f"decontam-{rank:05d}.json")

    def write_part(self, path: Path) -> None:
        part = {"config": asdict(self.config), "scanned": self.scanned, "index": self.index.stats, "hits": self.hits}
        write_json_atomic(path, part)


def build_report(parts: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """Merge per-task parts into the report: per benchmark n, hits, removed ids, items hit, and how each was found."""
    parts = list(parts)
    if not parts:
        raise ValueError("no decontamination parts to merge")
    config = parts[0]["config"]
    index = parts[0]["index"]
    per: dict[str, dict[str, Any]] = {}
    for name in config["benchmarks"]:
        per[name] = {
            "n": config["n"],
            "min_code_chars": config["min_code_chars"],
            "items": index.get(name, {}).get("items", 0),
            "ngrams_indexed": index.get(name, {}).get("ngrams", 0),
            "code_patterns_indexed": index.get(name, {}).get("code_patterns", 0),
            "hits": 0,
            "removed_ids": [],
            "items_hit": [],
            "by_method": {},
            "examples": [],
        }
    for part in parts:
        for hit in part["hits"]:
            entry = per[hit["benchmark"]]
            entry["hits"] += 1
            entry["removed_ids"].append(hit["id"])
            entry["by_method"][hit["method"]] = entry["by_method"].get(hit["method"], 0) + 1
            if hit["item_id"] not in entry["items_hit"]:
                entry["items_hit"].append(hit["item_id"])
            if len(entry["examples"]) < 20:
                entry["examples"].append({k: hit[k] for k in ("id", "item_id", "method", "snippet")})
    for entry in per.values():
        entry["removed_ids"].sort()
        entry["items_hit"].sort()
    return {
        "n": config["n"],
        "config": config,
        "scanned": sum(p["scanned"] for p in parts),
        "removed": sum(e["hits"] for e in per.values()),
        "benchmarks": per,
    }


def write_decontamination_report(report_folder: str | Path, out_path: str | Path) -> dict[str, Any]:
    """Merge the `decontam-*.json` parts the filter's tasks wrote into `out_path` (reports/decontamination.json)."""
    paths = sorted(Path(report_folder).glob("decontam-*.json"))
    report = build_report(json.loads(p.read_text()) for p in paths)
    write_json_atomic(out_path, report)
    return report

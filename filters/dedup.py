"""Exact and near (MinHash) deduplication of records, as datatrove steps, keeping one record per duplicate group.

A teacher asked for 5,000 conversations repeats itself; training on the repeats overweights them. Two stages, in the
order that spends the cheap check first:

**Exact dedup** compares `exact_key(doc.text)`: `conversation_text` (already NFKC, LF line ends, no trailing
blanks, no system prompt) casefolded, with typographic punctuation mapped to ASCII and every whitespace run
collapsed. Near dedup's normalisation does all of that and more (it drops punctuation and numbers too), so exact
dedup only merges texts that near dedup sees as identical anyway; it does it cheaply and with the precise reason
`exact duplicate of <id>`. ASCII punctuation is kept: in code `a + b` and `a - b` differ.
The first occurrence (input order) is kept. Across workers a first occurrence is a global fact, so it is two-phase:
`DocIndex` records (rank, position, id, hash) in parallel, one cheap central pass picks the first of every hash, and
`DropPositions` drops the others in parallel (`run_exact_dedup`). Inside a single task, `ExactDedupFilter`
does the same in one streaming step.

**Near dedup** is MinHash LSH. Large corpora go through datatrove's four stages (`MinhashDedupSignature` ->
`MinhashDedupBuckets` -> `MinhashDedupCluster` -> `MinhashDedupFilter`) run by `LocalPipelineExecutor`s; small ones
through an in-memory datasketch `MinHashLSH` with the same shingles and the same banding (`run_near_dedup`,
`backend="auto"` picks by corpus size). Rejected records get `near duplicate of <kept id> (cluster <n>)`.
Shingles are word 5-grams of datatrove's `simplify_text` split on whitespace: the text is already lowercased and
stripped of punctuation there, so a language-aware word tokenizer adds nothing but time (spaCy: ~7x slower for the
same result, ../shared/PITFALLS.md); datatrove takes a `WordTokenizer` instance in place of a language code for this.
Its per-character diacritics pass is off for the same reason (see `NearDedupConfig`).

Everything here works on a local or shared file system (the positions index is plain files).
"""

from __future__ import annotations

import re
import shutil
import time
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import xxhash
from datatrove.data import Document
from datatrove.executor.local import LocalPipelineExecutor
from datatrove.pipeline.base import PipelineStep
from datatrove.pipeline.dedup.minhash import (
    MinhashConfig,
    MinhashDedupBuckets,
    MinhashDedupCluster,
    MinhashDedupFilter,
    MinhashDedupSignature,
)
from datatrove.pipeline.filters.base_filter import BaseFilter
from datatrove.pipeline.readers.jsonl import JsonlReader
from datatrove.pipeline.writers.disk_base import DiskWriter
from datatrove.pipeline.writers.jsonl import JsonlWriter
from datatrove.utils.text import TextNormConfig, simplify_text
from datatrove.utils.word_tokenizers import WordTokenizer

REASON_KEY = "filter_reason"  # where datatrove's BaseFilter (and RejectedWriter) keep a drop reason

# ---------------------------------------------------------------------------------------------------------------------
# exact dedup

# Typographic variants a teacher produces interchangeably; NFKC (in conversation_text) already folded full-width forms.
_PUNCT_VARIANTS = str.maketrans(
    {
        "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
        "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"', "\u00ab": '"', "\u00bb": '"',
        "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2015": "-", "\u2212": "-",
        "\u2026": "...", "\u00a0": " ",
    }
)  # fmt: skip
_WS = re.compile(r"\s+")


def exact_key(text: str) -> str:
    """The text exact dedup compares (see the module docstring for why exactly these normalisations)."""
    text = unicodedata.normalize("NFKC", text).translate(_PUNCT_VARIANTS).casefold()
    return _WS.sub(" ", text).strip()


def exact_hash(text: str) -> str:
    """128-bit hash of `exact_key`: collisions between different texts are not a practical concern at any size."""
    return xxhash.xxh3_128_hexdigest(exact_key(text))


class ReasonStatsMixin:
    """BaseFilter counts every distinct drop reason as its own stat; with per-record reasons ("... of <id>") that
    is one stat per dropped record. Count them by kind instead: the text before " of " / ":" ."""

    def stat_update(self, *labels: str, value: int = 1, unit: str | None = None) -> None:
        kinds = [
            label.split(" of ", 1)[0].split(":", 1)[0] if label.startswith("dropped_") else label for label in labels
        ]
        super().stat_update(*kinds, value=value, unit=unit)  # type: ignore[misc]


class ExactDedupFilter(ReasonStatsMixin, BaseFilter):
    """Single-task exact dedup: keeps the first document of every `exact_key`, drops the rest with
    `exact duplicate of <id>`. Correct only when one task sees the whole corpus (it raises otherwise); for several
    tasks use `run_exact_dedup`, which does the same globally in two phases."""

    name = "🫂 Exact dedup"

    def __init__(self, exclusion_writer: DiskWriter | None = None):
        super().__init__(exclusion_writer=exclusion_writer)  # type: ignore[arg-type]  # datatrove: None = no writer
        self._first: dict[str, str] = {}

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        key = exact_hash(doc.text)
        first = self._first.get(key)
        if first is None:
            self._first[key] = str(doc.id)
            return True
        reason = f"exact duplicate of {first}"
        doc.metadata[REASON_KEY] = reason
        return False, reason

    def run(self, data: Iterable[Document], rank: int = 0, world_size: int = 1) -> Iterator[Document]:
        if world_size != 1:
            raise RuntimeError(f"ExactDedupFilter sees one task of {world_size}; use run_exact_dedup across tasks")
        self._first = {}
        yield from super().run(data, rank, world_size)


# ---------------------------------------------------------------------------------------------------------------------
# positions: the link between a global decision and the per-task steps that act on it


class DocIndex(PipelineStep):
    """Passes documents through unchanged and writes `<folder>/<rank>.tsv`: one `id<TAB>exact hash` line per
    document, in the order the task saw them. (rank, line number) is how the later per-task steps address a
    document: record ids cannot, since identical records share their content-hash id."""

    type = "🫂 - DEDUP"
    name = "🗂 Doc index"

    def __init__(self, folder: str | Path, with_hash: bool = True):
        super().__init__()
        self.folder = Path(folder)
        self.with_hash = with_hash

    def run(self, data: Iterable[Document], rank: int = 0, world_size: int = 1) -> Iterator[Document]:
        self.folder.mkdir(parents=True, exist_ok=True)
        with open(self.folder / f"{rank:05d}.tsv", "w", encoding="utf-8") as out:
            for doc in data:
                self.stat_update("documents")
                out.write(f"{doc.id}\t{exact_hash(doc.text) if self.with_hash else ''}\n")
                yield doc


def read_doc_index(folder: str | Path) -> dict[int, list[tuple[str, str]]]:
    """rank -> [(id, hash)] in task order, as `DocIndex` wrote it."""
    index: dict[int, list[tuple[str, str]]] = {}
    for path in sorted(Path(folder).glob("*.tsv")):
        with open(path, encoding="utf-8") as f:
            index[int(path.stem)] = [tuple(line.rstrip("\n").split("\t", 1)) for line in f]  # type: ignore[misc]
    return index


Positions = dict[int, dict[int, str]]  # rank -> position in that task -> reason


class DropPositions(ReasonStatsMixin, BaseFilter):
    """Drops the documents a global pass decided to drop, addressed by (rank, position), with that pass's reason.

    The same reader over the same folder with the same task count hands every task the same documents in the same
    order, which is what makes positions stable between the indexing run and this one."""

    name = "🫂 Drop positions"

    def __init__(self, drops: Positions, step_name: str = "", exclusion_writer: DiskWriter | None = None):
        super().__init__(exclusion_writer=exclusion_writer)  # type: ignore[arg-type]  # datatrove: None = no writer
        self.drops = drops
        if step_name:
            self.name = step_name
        self._mine: dict[int, str] = {}
        self._pos = 0

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        reason = self._mine.get(self._pos)
        self._pos += 1
        if reason is None:
            return True
        doc.metadata[REASON_KEY] = reason
        return False, reason

    def run(self, data: Iterable[Document], rank: int = 0, world_size: int = 1) -> Iterator[Document]:
        self._mine, self._pos = self.drops.get(rank, {}), 0
        yield from super().run(data, rank, world_size)


def exact_duplicates(index: dict[int, list[tuple[str, str]]]) -> Positions:
    """The global first occurrence of every hash in (rank, position) order; every later one gets a reason."""
    first: dict[str, str] = {}
    drops: Positions = {}
    for rank in sorted(index):
        for pos, (doc_id, key) in enumerate(index[rank]):
            if key in first:
                drops.setdefault(rank, {})[pos] = f"exact duplicate of {first[key]}"
            else:
                first[key] = doc_id
    return drops


# ---------------------------------------------------------------------------------------------------------------------
# results and plumbing shared by both stages


@dataclass
class DedupResult:
    """What a dedup run leaves for the pipeline: kept documents as datatrove JSONL in `kept_folder` (read them with
    `JsonlReader(kept_folder)`), the rejected ones already written through the caller's writer (or as JSONL
    documents with `metadata["filter_reason"]` in `rejected_folder`), and `rejected` as (id, reason) pairs."""

    stage: str
    backend: str
    input: int
    kept: int
    kept_folder: Path
    rejected_folder: Path | None
    rejected: list[tuple[str, str]] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)

    def __post_init__(self):
        # conservation: a stage that loses or invents documents must fail loudly
        if self.input != self.kept + len(self.rejected):
            raise RuntimeError(f"{self.stage}: {self.input} in != {self.kept} kept + {len(self.rejected)} rejected")

    def summary(self) -> dict:
        return {
            "stage": self.stage,
            "backend": self.backend,
            "input": self.input,
            "kept": self.kept,
            "rejected": len(self.rejected),
            "seconds": {k: round(v, 3) for k, v in self.seconds.items()},
        }


def _outputs(work_dir: str | Path, resume: bool,
             rejected_writer: DiskWriter | None) -> tuple[Path, Path | None, DiskWriter]:
    """A dedup run's work dir, and where its rejected documents go: the caller's writer, else <work>/rejected/."""
    work = _fresh(Path(work_dir), resume)
    if rejected_writer is not None:
        return work, None, rejected_writer
    return work, work / "rejected", _writer(work / "rejected")


def _result(stage: str, backend: str, work: Path, rejected_folder: Path | None, drops: Positions,
            index: dict[int, list[tuple[str, str]]], seconds: dict[str, float]) -> DedupResult:
    return DedupResult(stage=stage, backend=backend, input=sum(len(v) for v in index.values()),
                       kept=_count_lines(work / "kept"), kept_folder=work / "kept", rejected_folder=rejected_folder,
                       rejected=_reasons(drops, index), seconds=seconds)


def _reader(folder: Path, glob_pattern: str | None) -> JsonlReader:
    # add_file_path=False: the reader would otherwise stamp its own file path into every record's metadata
    return JsonlReader(str(folder), glob_pattern=glob_pattern, add_file_path=False)


def _writer(folder: Path) -> JsonlWriter:
    return JsonlWriter(str(folder), output_filename="${rank}.jsonl", compression=None)


def _run(pipeline: list, tasks: int, workers: int, logs: Path) -> None:
    LocalPipelineExecutor(pipeline=pipeline, tasks=tasks, workers=min(workers, tasks), logging_dir=str(logs)).run()


def _count_lines(folder: Path) -> int:
    return sum(p.read_bytes().count(b"\n") for p in folder.glob("*.jsonl")) if folder.is_dir() else 0


def _fresh(work: Path, resume: bool) -> Path:
    if work.exists() and not resume:
        shutil.rmtree(work)  # a stale work dir would make the executors skip "completed" tasks of another input
    work.mkdir(parents=True, exist_ok=True)
    return work


def _reasons(drops: Positions, index: dict[int, list[tuple[str, str]]]) -> list[tuple[str, str]]:
    return [(index[rank][pos][0], reason) for rank in sorted(drops) for pos, reason in sorted(drops[rank].items())]


def run_exact_dedup(
    input_folder: str | Path,
    work_dir: str | Path,
    tasks: int = 2,
    workers: int = 2,
    rejected_writer: DiskWriter | None = None,
    glob_pattern: str | None = None,
    resume: bool = False,
) -> DedupResult:
    """Global exact dedup of the datatrove JSONL documents in `input_folder` (two phases, `tasks` tasks each).

    Kept documents land in `<work_dir>/kept/`; dropped ones go through `rejected_writer` (e.g. the pipeline's
    `RejectedWriter(..., stage="exact_dedup")`) with `metadata["filter_reason"] = "exact duplicate of <id>"`, or
    to `<work_dir>/rejected/` when no writer is given. `resume=True` reuses finished tasks in `work_dir`."""
    work, rejected_folder, writer = _outputs(work_dir, resume, rejected_writer)
    seconds: dict[str, float] = {}

    t = time.perf_counter()
    _run([_reader(Path(input_folder), glob_pattern), DocIndex(work / "index")], tasks, workers, work / "logs/index")
    index = read_doc_index(work / "index")
    drops = exact_duplicates(index)
    seconds["index"] = time.perf_counter() - t

    t = time.perf_counter()
    _run(
        [
            _reader(Path(input_folder), glob_pattern),
            DropPositions(drops, "🫂 Exact dedup", exclusion_writer=writer),
            _writer(work / "kept"),
        ],
        tasks,
        workers,
        work / "logs/filter",
    )
    seconds["filter"] = time.perf_counter() - t
    return _result("exact_dedup", "datatrove", work, rejected_folder, drops, index, seconds)


# ---------------------------------------------------------------------------------------------------------------------
# near dedup


class WhitespaceWordTokenizer(WordTokenizer):
    """Splits on whitespace. MinHash runs it on `simplify_text` output, which has no punctuation and no case left,
    so this yields the same words as a language-aware tokenizer at a fraction of the cost, and for any language
    or for code alike."""

    def __init__(self):
        super().__init__(None)

    def word_tokenize(self, text: str) -> list[str]:
        return text.split()

    def sent_tokenize(self, text: str) -> list[str]:
        return [line for line in text.splitlines() if line.strip()]

    def span_tokenize(self, text: str) -> list[tuple[int, int]]:
        return [m.span() for m in re.finditer(r"[^\n]+", text) if m.group().strip()]


@dataclass(frozen=True)
class NearDedupConfig:
    """MinHash LSH settings, shared by both backends.

    Defaults are FineWeb's (datatrove's own defaults): word 5-grams are long enough that two unrelated texts
    share few of them, short enough that a small edit disturbs few. 14 bands x 8 rows = 112 hashes: a pair
    becomes a candidate with probability 1 - (1 - J^8)^14, i.e. 0.92 at Jaccard 0.8, 0.9996 at 0.9, 0.56 at 0.7,
    0.05 at 0.5 (the S-curve's midpoint, (1/14)^(1/8) ~= 0.72, is the effective threshold). Raise `hashes_per_bucket`
    to demand more similarity, raise `num_buckets` to catch lower similarity.
    """

    n_grams: int = 5
    num_buckets: int = 14
    hashes_per_bucket: int = 8
    seed: int = 1
    # datatrove strips diacritics by default, one Python call per character: ~70% of its whole text normalisation
    # (bench/bench_minhash.py). conversation_text is NFKC already and a teacher does not drop accents at random, so
    # accent-only variants are not the duplicates this stage is for; turn it on for corpora where they are.
    strip_diacritics: bool = False

    def norm_config(self) -> TextNormConfig:
        return TextNormConfig(norm_unicode_diacritics=self.strip_diacritics)

    def minhash_config(self) -> MinhashConfig:
        return MinhashConfig(
            n_grams=self.n_grams,
            num_buckets=self.num_buckets,
            hashes_per_bucket=self.hashes_per_bucket,
            seed=self.seed,
            norm_config=self.norm_config(),
        )

    @property
    def threshold(self) -> float:
        return (1 / self.num_buckets) ** (1 / self.hashes_per_bucket)


def shingles(text: str, config: NearDedupConfig = NearDedupConfig()) -> list[str]:
    """Word n-grams exactly as datatrove's MinhashDedupSignature forms them with a whitespace tokenizer."""
    tokens = simplify_text(text, config.norm_config()).split()
    n = config.n_grams
    return [" ".join(tokens[i : i + n]) for i in range(len(tokens) - n + 1)]


# Datasketch (one process, no executors) wins on small corpora, datatrove (parallel tasks) on large ones: on 2 busy
# cores 5k docs took 8.7 s vs 25.8 s, 20k 25.7 s vs 28.1 s, 100k 119 s vs 67 s (bench/bench_minhash.py, load ~10).
# With the box busier (load ~14) 100k took 142 s vs 205 s: extra processes only pay when there are idle cores.
DATASKETCH_MAX_DOCS = 20_000


def _near_reason(kept_id: str, cluster: int) -> str:
    return f"near duplicate of {kept_id} (cluster {cluster})"


def datasketch_near_duplicates(
    docs: Iterable[tuple[str, str]], config: NearDedupConfig = NearDedupConfig()
) -> dict[int, str]:
    """In-memory MinHash LSH over (id, text) pairs: position -> reason for every near duplicate.

    Documents are visited in order and each is queried against the representatives kept so far, so the first
    document of a group is kept and each later one names it. Documents shorter than `n_grams` words have no
    shingles and are never duplicates (as in datatrove)."""
    from datasketch import MinHash, MinHashLSH

    num_perm = config.num_buckets * config.hashes_per_bucket
    # One permutation draw shared by every MinHash: drawing them per document would cost more than hashing it.
    template = MinHash(num_perm=num_perm, seed=config.seed, hashfunc=xxhash.xxh32_intdigest, scheme="affine32")
    lsh = MinHashLSH(num_perm=num_perm, params=(config.num_buckets, config.hashes_per_bucket))
    ids: list[str] = []
    cluster_of: dict[int, int] = {}
    drops: dict[int, str] = {}
    for pos, (doc_id, text) in enumerate(docs):
        ids.append(doc_id)
        grams = shingles(text, config)
        if not grams:
            continue
        m = MinHash(
            num_perm=num_perm,
            hashfunc=xxhash.xxh32_intdigest,
            permutations=template.permutations,
            scheme="affine32",  # datasketch 2's default, stated because `permutations=` requires it
        )
        m.update_batch(grams)
        candidates = lsh.query(m)
        if candidates:
            rep = min(int(c) for c in candidates)  # type: ignore[arg-type]  # keys are positions
            cluster = cluster_of.setdefault(rep, len(cluster_of))
            drops[pos] = _near_reason(ids[rep], cluster)
        else:
            lsh.insert(pos, m, check_duplication=False)
    return drops


def _read_u32(path: Path, width: int) -> np.ndarray:
    return np.fromfile(path, dtype="<u4").reshape(-1, width) if path.is_file() else np.zeros((0, width), "<u4")


def datatrove_near_duplicates(remove_dir: Path, index: dict[int, list[tuple[str, str]]]) -> Positions:
    """Reasons for what datatrove's cluster stage decided: every member of a cluster that is not in a `.remove`
    file is its kept representative, and every removed member names it."""
    members: dict[int, list[tuple[int, int]]] = {}
    removed: set[tuple[int, int]] = set()
    for rank in index:
        for doc, cluster in _read_u32(remove_dir / f"{rank:06d}.clusters", 2):
            members.setdefault(int(cluster), []).append((rank, int(doc)))
        removed.update((rank, int(doc)) for doc in _read_u32(remove_dir / f"{rank:06d}.remove", 1)[:, 0])
    drops: Positions = {}
    for cluster, group in members.items():
        kept = [m for m in group if m not in removed]
        if len(kept) != 1:
            raise RuntimeError(f"minhash cluster {cluster} has {len(kept)} kept documents, expected exactly 1")
        kept_id = index[kept[0][0]][kept[0][1]][0]
        for rank, doc in group:
            if (rank, doc) in removed:
                drops.setdefault(rank, {})[doc] = _near_reason(kept_id, cluster)
    if sum(len(v) for v in drops.values()) != len(removed):
        raise RuntimeError("minhash .remove files name documents outside every cluster")
    return drops


class _AnnotateDrops(PipelineStep):
    """Puts the precomputed reason on each document MinhashDedupFilter is about to drop, so its exclusion writer
    writes the reason with the record."""

    name = "🏷 Near-dup reasons"

    def __init__(self, drops: Positions):
        super().__init__()
        self.drops = drops

    def run(self, data: Iterable[Document], rank: int = 0, world_size: int = 1) -> Iterator[Document]:
        mine = self.drops.get(rank, {})
        for pos, doc in enumerate(data):
            if pos in mine:
                doc.metadata[REASON_KEY] = mine[pos]
            yield doc


class _AssertDropped(PipelineStep):
    """After MinhashDedupFilter: a kept document carrying a reason means the two views of the clusters disagree."""

    name = "🧮 Near-dup check"

    def run(self, data: Iterable[Document], rank: int = 0, world_size: int = 1) -> Iterator[Document]:
        for doc in data:
            if REASON_KEY in doc.metadata:
                raise RuntimeError(f"document {doc.id} was marked '{doc.metadata[REASON_KEY]}' but kept")
            yield doc


def _datatrove_near_dedup(
    input_folder: Path,
    work: Path,
    config: NearDedupConfig,
    tasks: int,
    workers: int,
    writer: DiskWriter,
    glob_pattern: str | None,
) -> tuple[Positions, dict[int, list[tuple[str, str]]], dict[str, float]]:
    mh = config.minhash_config()
    seconds: dict[str, float] = {}
    t = time.perf_counter()
    _run(
        [
            _reader(input_folder, glob_pattern),
            DocIndex(work / "index", with_hash=False),
            MinhashDedupSignature(str(work / "signatures"), config=mh, language=WhitespaceWordTokenizer()),  # type: ignore[arg-type]
        ],
        tasks,
        workers,
        work / "logs/signatures",
    )
    seconds["signatures"] = time.perf_counter() - t
    t = time.perf_counter()
    _run(
        [MinhashDedupBuckets(str(work / "signatures"), str(work / "buckets"), config=mh)],
        config.num_buckets,
        workers,
        work / "logs/buckets",
    )
    seconds["buckets"] = time.perf_counter() - t
    t = time.perf_counter()
    _run(
        [MinhashDedupCluster(str(work / "buckets"), str(work / "remove"), config=mh, save_cluster_id=True)],
        1,
        1,
        work / "logs/cluster",
    )
    index = read_doc_index(work / "index")
    drops = datatrove_near_duplicates(work / "remove", index)
    seconds["cluster"] = time.perf_counter() - t
    t = time.perf_counter()
    _run(
        [
            _reader(input_folder, glob_pattern),
            _AnnotateDrops(drops),
            MinhashDedupFilter(str(work / "remove"), exclusion_writer=writer, load_cluster_ids=True),
            _AssertDropped(),
            _writer(work / "kept"),
        ],
        tasks,
        workers,
        work / "logs/filter",
    )
    seconds["filter"] = time.perf_counter() - t
    return drops, index, seconds


def _iter_docs(input_folder: Path, glob_pattern: str | None) -> Iterator[Document]:
    yield from _reader(input_folder, glob_pattern).run(None, 0, 1)


def count_documents(input_folder: str | Path, glob_pattern: str | None = None) -> int:
    """Lines in the input files (JSONL, optionally compressed): the size `backend="auto"` decides on."""
    from datatrove.io import get_datafolder

    folder = get_datafolder(str(input_folder))
    total = 0
    for path in folder.list_files(glob_pattern=glob_pattern):
        with folder.open(path, "rb", compression="infer") as f:
            total += sum(chunk.count(b"\n") for chunk in iter(lambda f=f: f.read(1 << 20), b""))
    return total


def run_near_dedup(
    input_folder: str | Path,
    work_dir: str | Path,
    config: NearDedupConfig = NearDedupConfig(),
    tasks: int = 2,
    workers: int = 2,
    backend: Literal["auto", "datatrove", "datasketch"] = "auto",
    rejected_writer: DiskWriter | None = None,
    glob_pattern: str | None = None,
    resume: bool = False,
    datasketch_max_docs: int = DATASKETCH_MAX_DOCS,
) -> DedupResult:
    """MinHash near dedup of the datatrove JSONL documents in `input_folder`, one record kept per cluster.

    backend: "datatrove" runs the four minhash stages (signatures and filter with `tasks` tasks, buckets with
    `num_buckets` tasks, clustering with one), "datasketch" an in-memory MinHashLSH in this process, "auto" the
    latter up to `datasketch_max_docs` documents. Kept documents land in `<work_dir>/kept/` (datatrove JSONL);
    dropped ones go through `rejected_writer` (e.g. `RejectedWriter(..., stage="near_dedup")`) with
    `metadata["filter_reason"] = "near duplicate of <kept id> (cluster <n>)"`, or to `<work_dir>/rejected/`.
    """
    input_path = Path(input_folder)
    work, rejected_folder, writer = _outputs(work_dir, resume, rejected_writer)
    if backend == "auto":
        backend = "datasketch" if count_documents(input_path, glob_pattern) <= datasketch_max_docs else "datatrove"

    if backend == "datatrove":
        drops, index, seconds = _datatrove_near_dedup(input_path, work, config, tasks, workers, writer, glob_pattern)
    elif backend == "datasketch":
        # Small by construction: hold the documents, so the input is parsed once and written without an executor.
        t = time.perf_counter()
        docs = list(_iter_docs(input_path, glob_pattern))
        index = {0: [(str(d.id), "") for d in docs]}
        drops = {0: datasketch_near_duplicates(((str(d.id), d.text) for d in docs), config)}
        seconds = {"lsh": time.perf_counter() - t}
        t = time.perf_counter()
        with _writer(work / "kept") as kept_out, writer as rejected_out:
            for pos, doc in enumerate(docs):
                if pos in drops[0]:
                    doc.metadata[REASON_KEY] = drops[0][pos]
                    rejected_out.write(doc, 0)
                else:
                    kept_out.write(doc, 0)
        seconds["write"] = time.perf_counter() - t
    else:
        raise ValueError(f"unknown near-dedup backend {backend!r}")

    return _result("near_dedup", backend, work, rejected_folder, drops, index, seconds)

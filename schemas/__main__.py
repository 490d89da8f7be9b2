"""`python -m schemas validate PATH...`: check record files (JSONL, parquet) and persona cards from the shell.

A PATH is a .jsonl / .jsonl.gz / .parquet record file, a persona .toml card, or a folder (every record file
beneath it, e.g. corpora/lanbot/raw).

Every problem is printed as `file:line: $.path: message` (line = JSONL line or 1-based parquet row; persona cards
have no line), then a one-line summary. Exit 0 when everything is valid, 1 when anything is not, 2 on bad usage
or a missing file. A line that is not JSON is reported as an error of that line, never a crash.
"""

import gzip
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from schemas.persona import PersonaError, read_card
from schemas.storage import RowError, decode_row
from schemas.validate import ValidationError, validate_persona_data, validate_record

USAGE = "usage: python -m schemas validate PATH...   (.jsonl[.gz] / .parquet records, .toml persona card, or a folder)"
KINDS = {".jsonl": "jsonl", ".jsonl.gz": "jsonl", ".parquet": "parquet", ".toml": "persona"}
# Columns a parquet writer may store either as nested structs or as JSON strings.


def _from_parquet_row(row: dict) -> tuple[dict | None, list[ValidationError]]:
    try:
        return decode_row(row), []
    except RowError as exc:
        return None, [ValidationError(f"$.{exc.column}", f"column holds a string that is not JSON: {exc.detail}")]


def kind_of(path: Path) -> str | None:
    return next((kind for suffix, kind in KINDS.items() if path.name.endswith(suffix)), None)


def is_bookkeeping(relative: Path) -> bool:
    name = relative.name
    return name[:1] in ("_", ".") or name == "rejected.jsonl" or "rejected" in relative.parts[:-1]


def expand(paths: list[Path]) -> list[Path]:
    """Files to check: files as given, folders replaced by the record files beneath them (sorted). In a folder, the
    bookkeeping the factory keeps beside records is not a record: `_ledger.jsonl` (any `_` or `.` name),
    `rejected.jsonl` and everything under `rejected/` (rejections with their reasons, invalid by design)."""
    out: list[Path] = []
    for path in paths:
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.is_file() and kind_of(p) in ("jsonl", "parquet")
                           and not is_bookkeeping(p.relative_to(path)))
            if not found:
                raise FileNotFoundError(f"no .jsonl, .jsonl.gz or .parquet files under {path}")
            out += found
        elif path.is_file():
            out.append(path)
        else:
            raise FileNotFoundError(f"no such file: {path}")
    return out


def _jsonl_items(path: Path) -> Iterator[tuple[int, Any, list[ValidationError]]]:
    with gzip.open(path, "rb") if path.name.endswith(".gz") else path.open("rb") as f:
        for lineno, raw in enumerate(f, 1):
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                yield lineno, None, [ValidationError("$", f"line is not valid UTF-8 (byte {exc.start})")]
                continue
            if not line.strip():
                yield lineno, None, [ValidationError("$", "blank line (one JSON record per line expected)")]
                continue
            try:
                yield lineno, json.loads(line.rstrip("\r\n")), []
            except json.JSONDecodeError as exc:
                yield lineno, None, [ValidationError("$", f"not valid JSON: {exc.msg} at column {exc.colno}")]


def _parquet_items(path: Path) -> Iterator[tuple[int, Any, list[ValidationError]]]:
    import pyarrow.parquet as pq  # heavy; only paid when a parquet file is checked

    try:
        batches = pq.ParquetFile(path).iter_batches(batch_size=1024)
        rowno = 0
        for batch in batches:
            for row in batch.to_pylist():
                rowno += 1
                rec, errors = _from_parquet_row(row)
                yield rowno, rec, errors
    except Exception as exc:  # pyarrow raises several unrelated types for unreadable files
        yield (
            0,
            None,
            [ValidationError("$", f"cannot read parquet: {type(exc).__name__}: {str(exc).splitlines()[0][:200]}")],
        )


def check_file(path: Path, kind: str, out=sys.stdout) -> tuple[int, int, int]:
    """Validate one file, printing its errors; returns (items checked, invalid items, errors)."""
    if kind == "persona":
        try:
            errors = validate_persona_data(read_card(path))
        except PersonaError as exc:
            errors = [ValidationError("$", str(exc).split(": ", 1)[-1])]
        for err in errors:
            print(f"{path}: {err.path}: {err.message}", file=out)
        return 1, int(bool(errors)), len(errors)
    items = _jsonl_items(path) if kind == "jsonl" else _parquet_items(path)
    checked = invalid = total = 0
    for lineno, rec, errors in items:
        checked += 1
        if not errors:
            errors = validate_record(rec)
        if errors:
            invalid += 1
            total += len(errors)
            for err in errors:
                print(f"{path}:{lineno}: {err.path}: {err.message}", file=out)
    return checked, invalid, total


def main(argv: list[str]) -> int:
    if not argv or argv[0] in ("-h", "--help", "help"):
        print(USAGE)
        return 0 if argv else 2
    if argv[0] != "validate":
        print(f"error: unknown command {argv[0]!r}\n{USAGE}", file=sys.stderr)
        return 2
    if len(argv) == 1:
        print(f"error: no files given\n{USAGE}", file=sys.stderr)
        return 2
    try:
        files = expand([Path(a) for a in argv[1:]])
    except FileNotFoundError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for path in files:
        if kind_of(path) is None:
            print(
                f"error: {path}: unsupported file type (expected .jsonl, .jsonl.gz, .parquet or .toml)", file=sys.stderr
            )
            return 2
    checked = invalid = errors = 0
    for path in files:
        c, i, e = check_file(path, kind_of(path) or "")
        checked, invalid, errors = checked + c, invalid + i, errors + e
    what = f"{checked} item{'s' if checked != 1 else ''} in {len(files)} file{'s' if len(files) != 1 else ''}"
    if errors:
        print(f"{what}: {invalid} invalid, {errors} error{'s' if errors != 1 else ''}")
        return 1
    print(f"{what}: all valid")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

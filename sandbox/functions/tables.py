"""CSV files of the workspace as tables: columns, per-column statistics, filtering, grouping and sorting."""

import csv
import io
import os
import statistics as st

from ._common import closest, need, safe_path, sig, visible_files


def _table(path: str) -> tuple[list[str], list[dict]]:
    norm = safe_path(path)
    if not os.path.isfile(norm):
        raise FileNotFoundError(f"no file {path!r}{closest(norm, visible_files())}")
    with open(norm, encoding="utf-8", newline="") as f:
        reader = csv.DictReader(io.StringIO(f.read()))
        rows = list(reader)
    return list(reader.fieldnames or []), rows


def _column(cols: list[str], name: str) -> str:
    if name not in cols:
        raise ValueError(f"no column {name!r}{closest(name, cols)}; columns: {', '.join(cols)}")
    return name


def _numbers(rows: list[dict], col: str) -> list[float]:
    try:
        return [float(r[col]) for r in rows if r[col] != ""]
    except ValueError:
        raise ValueError(f"column {col!r} is not numeric") from None


def csv_columns(path: str) -> dict:
    """The column names of a CSV file and how many data rows it has.

    Args:
        path: The CSV file's path in the workspace.
    """
    cols, rows = _table(path)
    return {"columns": cols, "rows": len(rows)}


def csv_column_stats(path: str, column: str) -> dict:
    """Count, min, max, mean and sum of a numeric column of a CSV file.

    Args:
        path: The CSV file's path.
        column: The numeric column's name.
    """
    cols, rows = _table(path)
    values = _numbers(rows, _column(cols, column))
    need(bool(values), f"column {column!r} has no values")
    return {"column": column, "count": len(values), "min": sig(min(values)), "max": sig(max(values)),
            "mean": sig(st.fmean(values)), "sum": sig(sum(values))}


def csv_filter_rows(path: str, column: str, equals: str) -> dict:
    """The rows of a CSV file whose column has a given value (at most 20 listed, all counted).

    Args:
        path: The CSV file's path.
        column: The column to test.
        equals: The value to look for (exact text match).
    """
    cols, rows = _table(path)
    hits = [r for r in rows if r[_column(cols, column)] == equals]
    return {"count": len(hits), "rows": hits[:20]}


def csv_group_sum(path: str, group_by: str, value_column: str) -> list[dict]:
    """Sum a numeric column per value of another column of a CSV file, largest total first.

    Args:
        path: The CSV file's path.
        group_by: The column to group by.
        value_column: The numeric column to add up.
    """
    cols, rows = _table(path)
    _column(cols, group_by)
    _column(cols, value_column)
    totals: dict[str, float] = {}
    for r in rows:
        try:
            totals[r[group_by]] = totals.get(r[group_by], 0.0) + float(r[value_column])
        except ValueError:
            raise ValueError(f"column {value_column!r} is not numeric") from None
    return [{group_by: k, "total": sig(v)} for k, v in sorted(totals.items(), key=lambda kv: (-kv[1], kv[0]))]


def csv_top_rows(path: str, column: str, n: int = 3, descending: bool = True) -> list[dict]:
    """The rows of a CSV file with the largest (or smallest) values in a numeric column.

    Args:
        path: The CSV file's path.
        column: The numeric column to sort by.
        n: How many rows, 1 to 20.
        descending: True for the largest values first, false for the smallest.
    """
    need(1 <= n <= 20, f"n must be between 1 and 20, got {n}")
    cols, rows = _table(path)
    col = _column(cols, column)
    _numbers(rows, col)
    return sorted(rows, key=lambda r: float(r[col]), reverse=descending)[:n]


FUNCTIONS = [csv_columns, csv_column_stats, csv_filter_rows, csv_group_sum, csv_top_rows]

"""A small SQLite database of the conversation (.state/app.db, built from .state/seed.sql on first use)."""

import os
import re
import sqlite3

from ._common import STATE_DIR, closest, need

DB = os.path.join(STATE_DIR, "app.db")
SEED = os.path.join(STATE_DIR, "seed.sql")
MAX_ROWS = 50


def _connect() -> sqlite3.Connection:
    fresh = not os.path.exists(DB)
    if fresh and not os.path.exists(SEED):
        raise RuntimeError("no database is attached to this session")
    os.makedirs(STATE_DIR, exist_ok=True)
    conn = sqlite3.connect(DB)
    if fresh:
        with open(SEED, encoding="utf-8") as f:
            conn.executescript(f.read())
        conn.commit()
    return conn


def _tables(conn: sqlite3.Connection) -> list[str]:
    return [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name")]


def _table(conn: sqlite3.Connection, name: str) -> str:
    tables = _tables(conn)
    if name not in tables:
        raise ValueError(f"no table {name!r}{closest(name, tables)}; tables: {', '.join(tables)}")
    return name


def _rows(cur: sqlite3.Cursor) -> list[dict]:
    cols = [d[0] for d in cur.description or []]
    return [dict(zip(cols, row, strict=True)) for row in cur.fetchmany(MAX_ROWS)]


def sql_list_tables() -> list[str]:
    """List the tables of the database."""
    with _connect() as conn:
        return _tables(conn)


def sql_describe_table(table: str) -> list[dict]:
    """The columns of a table with their types.

    Args:
        table: The table's name.
    """
    with _connect() as conn:
        _table(conn, table)
        return [{"column": r[1], "type": r[2], "primary_key": bool(r[5])}
                for r in conn.execute(f'PRAGMA table_info("{table}")')]


def sql_select(query: str) -> list[dict]:
    """Run a read-only SQL SELECT query and return its rows (at most 50) as objects.

    Args:
        query: One SQLite SELECT statement.
    """
    need(bool(re.match(r"\s*(SELECT|WITH)\b", query, re.I)), "only SELECT queries are allowed here; use sql_execute "
         "to change data")
    with _connect() as conn:
        conn.execute("PRAGMA query_only = ON")
        try:
            return _rows(conn.execute(query))
        except sqlite3.Error as exc:
            raise ValueError(f"SQL error: {exc}") from None


def sql_execute(statement: str) -> dict:
    """Run one SQL statement that changes data (INSERT, UPDATE or DELETE) and report how many rows it touched.

    Args:
        statement: One SQLite INSERT, UPDATE or DELETE statement.
    """
    need(bool(re.match(r"\s*(INSERT|UPDATE|DELETE)\b", statement, re.I)),
         "only INSERT, UPDATE or DELETE statements are allowed here")
    with _connect() as conn:
        try:
            cur = conn.execute(statement)
        except sqlite3.Error as exc:
            raise ValueError(f"SQL error: {exc}") from None
        conn.commit()
        return {"rows_affected": cur.rowcount, "last_row_id": cur.lastrowid}


def sql_count_rows(table: str) -> int:
    """How many rows a table has.

    Args:
        table: The table's name.
    """
    with _connect() as conn:
        return conn.execute(f'SELECT COUNT(*) FROM "{_table(conn, table)}"').fetchone()[0]


def sql_insert_row(table: str, row: dict[str, str]) -> dict:
    """Insert one row into a table, given as column -> value.

    Args:
        table: The table's name.
        row: The new row's values by column name (numbers may be given as text).
    """
    need(bool(row), "row must name at least one column")
    with _connect() as conn:
        _table(conn, table)
        cols = [r[1] for r in conn.execute(f'PRAGMA table_info("{table}")')]
        for col in row:
            if col not in cols:
                raise ValueError(f"table {table!r} has no column {col!r}{closest(col, cols)}; columns: {', '.join(cols)}")
        names = ", ".join(f'"{c}"' for c in row)
        try:
            cur = conn.execute(f'INSERT INTO "{table}" ({names}) VALUES ({", ".join("?" for _ in row)})',
                               list(row.values()))
        except sqlite3.Error as exc:
            raise ValueError(f"SQL error: {exc}") from None
        conn.commit()
        return {"table": table, "inserted_id": cur.lastrowid}


def sql_preview(table: str, limit: int = 5) -> list[dict]:
    """The first rows of a table (by rowid), to see what it holds.

    Args:
        table: The table's name.
        limit: How many rows, 1 to 50.
    """
    need(1 <= limit <= MAX_ROWS, f"limit must be between 1 and {MAX_ROWS}, got {limit}")
    with _connect() as conn:
        return _rows(conn.execute(f'SELECT * FROM "{_table(conn, table)}" ORDER BY rowid LIMIT {int(limit)}'))


FUNCTIONS = [sql_list_tables, sql_describe_table, sql_select, sql_execute, sql_count_rows, sql_insert_row, sql_preview]
MUTATES = ("sql_execute", "sql_insert_row")

"""Identifier-normalised AST shapes: how many different code structures a code-bearing family really holds.

Near dedup compares words, and a generator can pass it by renaming things while its code keeps one structure. This
counts structures instead. Every Python piece a record carries (the textbook module and tests, `execute_python`
code, `.py` files written with `write_file`, `python3 - <<'EOF'` and `cat > x.py <<'EOF'` heredocs in bash/shell)
is parsed; identifiers (names, arguments, attributes, imports) are renamed in order of first appearance (v0, v1,
...), constants become their type, docstrings are dropped, and the dump of what is left is the shape. Per family:
pieces and their distinct shapes, functions (every def, at any depth, each renamed on its own) and their distinct
shapes, and the share of functions the 10 most common function shapes cover. A family of renamed copies of one
skeleton scores low here however well it does against MinHash.

Used by factory/stats.py (stats.json `diversity.code_shapes`, the terminal dashboard, the HTML report) and by
bench/bench_textbook_variety.py.
"""

from __future__ import annotations

import ast
import hashlib
import json
import re
from collections import Counter
from typing import Any

SAMPLE = 5_000  # records per family at most (a stride sample), so big corpora stay quick
IDENTIFIER_FIELDS = {"id", "name", "arg", "attr", "module", "asname"}
_HEREDOC = re.compile(r"(?:python3?\s+-|cat\s+>\s*\S+\.py)\s*<<\s*'?(\w+)'?\n(.*?)\n\1(?:\n|$)", re.DOTALL)


def _shape(node: Any, names: dict[str, str]) -> str:
    if isinstance(node, list):
        return "[" + ",".join(_shape(n, names) for n in node if not _docstring(n)) + "]"
    if not isinstance(node, ast.AST):
        return repr(node)
    if isinstance(node, ast.Constant):
        return f"C:{type(node.value).__name__}"
    parts = []
    for field, value in ast.iter_fields(node):
        if field in ("ctx", "type_comment", "kind") or value is None:
            continue
        if field in IDENTIFIER_FIELDS and isinstance(value, str):
            parts.append(names.setdefault(value, f"v{len(names)}"))
        else:
            parts.append(_shape(value, names))
    return f"{type(node).__name__}(" + ",".join(parts) + ")"


def _docstring(node: Any) -> bool:
    return isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)


def _digest(text: str) -> str:
    return hashlib.sha1(text.encode()).hexdigest()[:12]


def shapes(code: str) -> tuple[str, list[str]] | None:
    """(the piece's shape, its functions' shapes), or None when the code does not parse."""
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError):
        return None
    functions = [_digest(_shape(n, {})) for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]
    return _digest(_shape(tree, {})), functions


def _load(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return None
    return value


def python_pieces(messages: Any, verification: Any) -> list[str]:
    """The Python a record carries, each distinct text once (a tutoring lesson writes its verified module too)."""
    pieces: list[str] = []
    ver = _load(verification)
    if isinstance(ver, dict):
        pieces += [ver[k] for k in ("module", "tests") if isinstance(ver.get(k), str)]
    for message in _load(messages) or []:
        if not isinstance(message, dict) or message.get("role") != "assistant":
            continue
        for call in message.get("tool_calls") or []:
            function = call.get("function") if isinstance(call, dict) else None
            if not isinstance(function, dict):
                continue
            name, args = function.get("name"), _load(function.get("arguments"))
            if not isinstance(args, dict):
                continue
            if name == "execute_python" and isinstance(args.get("code"), str):
                pieces.append(args["code"])
            elif name == "write_file" and str(args.get("path", "")).endswith(".py") and isinstance(args.get("content"), str):
                pieces.append(args["content"])
            elif name in ("bash", "shell") and isinstance(args.get("command"), str):
                pieces += [m.group(2) for m in _HEREDOC.finditer(args["command"])]
    return list(dict.fromkeys(pieces))


def family_shapes(rows: list[tuple[Any, Any]]) -> dict[str, Any]:
    """The figure for one family from its records' (messages, verification)."""
    piece_shapes: Counter[str] = Counter()
    function_shapes: Counter[str] = Counter()
    unparsed = with_code = 0
    for messages, verification in rows:
        pieces = python_pieces(messages, verification)
        with_code += bool(pieces)
        for code in pieces:
            found = shapes(code)
            if found is None:
                unparsed += 1
                continue
            piece_shapes[found[0]] += 1
            function_shapes.update(found[1])
    pieces_n, functions_n = sum(piece_shapes.values()), sum(function_shapes.values())
    return {
        "records": len(rows), "records_with_code": with_code, "pieces": pieces_n, "unparsed": unparsed,
        "piece_shapes": len(piece_shapes), "piece_shape_share": round(len(piece_shapes) / pieces_n, 4) if pieces_n else 0.0,
        "functions": functions_n, "function_shapes": len(function_shapes),
        "function_shape_share": round(len(function_shapes) / functions_n, 4) if functions_n else 0.0,
        "top10_function_shape_share": round(sum(n for _, n in function_shapes.most_common(10)) / functions_n, 4)
        if functions_n else 0.0,
    }


def by_family(families: list[str], messages: list[Any], verifications: list[Any], sample: int = SAMPLE) -> dict[str, Any]:
    """Per family with any Python: the shape figure over a stride sample of at most `sample` records."""
    grouped: dict[str, list[tuple[Any, Any]]] = {}
    for fam, msgs, ver in zip(families, messages, verifications, strict=True):
        grouped.setdefault(str(fam), []).append((msgs, ver))
    out = {}
    for fam, rows in sorted(grouped.items()):
        stride = max(1, -(-len(rows) // sample))
        figure = family_shapes(rows[::stride])
        if figure["pieces"] or figure["unparsed"]:
            out[fam] = figure | {"sampled_every": stride}
    return out


def render(code_shapes: dict[str, Any], console: Any) -> None:
    """The terminal table for `stats`."""
    if not code_shapes:
        return
    from rich.table import Table

    table = Table(title="code structure per family (identifier-normalised AST shapes)", title_justify="left")
    for col in ("family", "pieces", "shapes", "share", "functions", "fn shapes", "share", "top-10 fn"):
        table.add_column(col, justify="left" if col == "family" else "right")
    for fam, f in code_shapes.items():
        table.add_row(fam, str(f["pieces"]), str(f["piece_shapes"]), f"{f['piece_shape_share']:.1%}", str(f["functions"]),
                      str(f["function_shapes"]), f"{f['function_shape_share']:.1%}", f"{f['top10_function_shape_share']:.1%}")
    console.print(table)

"""Find every piece of Python a record carries, so lint, typecheck and execution look at the same code.

A record holds Python in four places: the textbook module and its tests (`verification`), the `code` argument of
`execute_python` calls, `.py` files written by `write_file` calls, and fenced python blocks in assistant answers.
Each piece becomes a `Snippet` with a file name that is unique within the record (lint/typecheck write them side by
side into one directory per record) and a `where` that points back into the record for precise reasons.
"""

from __future__ import annotations

import re
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# Fences tagged python/py/python3; untagged fences are too often shell, output or prose to lint as Python.
_FENCE = re.compile(r"^[ \t]*```[ \t]*(?:python3?|py)[ \t]*\n(.*?)^[ \t]*```", re.MULTILINE | re.DOTALL | re.IGNORECASE)
_SAFE_NAME = re.compile(r"[^A-Za-z0-9_]")


@dataclass(frozen=True)
class Snippet:
    """One piece of Python. `complete` marks a whole module (typechecked); fragments are only linted and run."""

    kind: str  # "module" | "tests" | "tool_code" | "tool_file" | "answer_block"
    filename: str  # unique within the record, always ends in .py
    source: str
    where: str  # a JSON path into the record, e.g. $.messages[3].tool_calls[0].function.arguments.code
    complete: bool


def _module_name(path: Any, default: str) -> str:
    """A safe flat file name for a module path from the record (never a path: it is written into a temp dir)."""
    if not isinstance(path, str) or not path.endswith(".py"):
        return default
    stem = path.rsplit("/", 1)[-1][:-3]
    stem = _SAFE_NAME.sub("_", stem) or "module"
    return f"{stem}.py"


def _is_repl(source: str) -> bool:
    # Interactive sessions (`>>> x = 1`) are transcripts, not source files.
    return source.lstrip().startswith(">>>")


def extract_python(record: dict) -> list[Snippet]:
    """Every piece of Python in `record`, in record order; never raises on malformed records."""
    snippets: list[Snippet] = []
    taken: set[str] = set()

    def add(kind: str, filename: str, source: Any, where: str, complete: bool) -> None:
        if not isinstance(source, str) or not source.strip():
            return
        name, n = filename, 1
        while name in taken:
            n += 1
            name = f"{filename[:-3]}_{n}.py"
        taken.add(name)
        snippets.append(Snippet(kind, name, source, where, complete))

    verification = record.get("verification")
    if record.get("family") == "textbook" and isinstance(verification, dict):
        # The textbook module must keep its real name: the tests import it.
        add("module", _module_name(verification.get("module_path"), "lesson.py"), verification.get("module"),
            "$.verification.module", True)
        add("tests", _module_name(verification.get("tests_path"), "test_lesson.py"), verification.get("tests"),
            "$.verification.tests", True)

    messages = record.get("messages")
    for i, message in enumerate(messages if isinstance(messages, list) else []):
        if not isinstance(message, dict) or message.get("role") != "assistant":
            continue
        for j, call in enumerate(message.get("tool_calls") or []):
            function = call.get("function") if isinstance(call, dict) else None
            if not isinstance(function, dict) or not isinstance(function.get("arguments"), dict):
                continue
            args, name = function["arguments"], function.get("name")
            where = f"$.messages[{i}].tool_calls[{j}].function.arguments"
            if name == "execute_python":
                add("tool_code", f"m{i}_call{j}.py", args.get("code"), f"{where}.code", False)
            elif name == "write_file" and str(args.get("path", "")).endswith(".py"):
                add("tool_file", f"m{i}_file{j}.py", args.get("content"), f"{where}.content", True)
        content = message.get("content")
        if isinstance(content, str) and "```" in content:
            for k, match in enumerate(_FENCE.finditer(content)):
                block = match.group(1)
                if not _is_repl(block):
                    add("answer_block", f"m{i}_block{k}.py", block, f"$.messages[{i}].content#block{k}", False)
    return snippets


def materialize(batch: list[list[Snippet]], root: Path) -> dict[str, tuple[int, Snippet]]:
    """Write each record's snippets into `root/r<index>/` and map every written file back to (record index, snippet).

    One directory per record keeps a textbook's `import lesson` pointing at its own module, while a single tool run
    over `root` covers the whole batch.
    """
    owners: dict[str, tuple[int, Snippet]] = {}
    for index, snippets in enumerate(batch):
        folder = root / f"r{index:05d}"
        folder.mkdir(parents=True, exist_ok=True)
        for snippet in snippets:
            path = folder / snippet.filename
            path.write_text(snippet.source, encoding="utf-8", errors="surrogatepass")
            owners[str(path.resolve())] = (index, snippet)
    return owners


def tool_path(name: str) -> str:
    """The console script `name` installed next to this interpreter (the venv's ruff/pyright), else from PATH."""
    candidate = Path(sys.executable).parent / name
    if candidate.exists():
        return str(candidate)
    found = shutil.which(name)
    if not found:
        raise FileNotFoundError(f"{name} is not installed (pip install {name})")
    return found

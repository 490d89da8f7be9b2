"""Stage 5: ruff on every piece of Python in a record, batched: one ruff process per batch of records.

ruff starts in ~40 ms, so one run per record would cost more than the linting. The batch's snippets are written
to one temp tree (`r<index>/<file>.py`), ruff checks the tree once with JSON output, and each diagnostic is mapped
back to its record through the file path.

Rules are fixed here (ruff runs `--isolated`, so no project config leaks in) and depend on what the snippet is:
- complete modules (textbook module and tests, `.py` files written by tools): syntax, pyflakes (undefined or unused
  names, bad imports), pycodestyle's statement rules and bugbear — the bugs a reviewer would flag, not style;
- `execute_python` code: runs as a script, so syntax errors and undefined names;
- fenced blocks in answers: often excerpts that lean on earlier turns, so only syntax errors.
"""

from __future__ import annotations

import json
import subprocess
import tempfile
from pathlib import Path

from datatrove.data import Document

from filters.code import Snippet, extract_python, materialize, tool_path
from filters.docs import LINT, document_record
from filters.stage import StageFilter

COMPLETE_RULES = ("E4", "E7", "E9", "F", "B")
# Bugbear rules that are taste rather than bugs in teaching code: zip() without strict=, calls in defaults,
# lambda assignment, ambiguous single-letter names, loop-variable reuse in closures used immediately.
IGNORED = ("B905", "B008", "B023", "E731", "E741")
RULES_BY_KIND: dict[str, tuple[str, ...]] = {
    "module": COMPLETE_RULES,
    "tests": COMPLETE_RULES,
    "tool_file": COMPLETE_RULES,
    "tool_code": ("E9", "F63", "F7", "F82"),
    "answer_block": ("E9",),
}
SYNTAX = "invalid-syntax"


def rule_applies(code: str, kind: str) -> bool:
    if code == SYNTAX:
        return True
    if any(code.startswith(ignored) for ignored in IGNORED):
        return False
    return any(code.startswith(prefix) for prefix in RULES_BY_KIND.get(kind, ("E9",)))


def run_ruff(root: Path) -> list[dict]:
    """One ruff run over every file under `root`; its JSON diagnostics."""
    select = sorted({rule for rules in RULES_BY_KIND.values() for rule in rules})
    cmd = [tool_path("ruff"), "check", "--isolated", "--no-cache", "--exit-zero", "--output-format", "json",
           "--target-version", "py311", "--select", ",".join(select), "--ignore", ",".join(IGNORED), str(root)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    if proc.returncode != 0:
        raise RuntimeError(f"ruff failed (exit {proc.returncode}): {proc.stderr.strip()[:500]}")
    return json.loads(proc.stdout or "[]")


class LintFilter(StageFilter):
    """Reject records whose Python has lint errors; the reason names the rule, message, snippet and line."""

    name = "lint"
    stage = LINT

    def __init__(self, batch_size: int = 256):
        super().__init__(batch_size=batch_size)

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        return self.filter_batch([doc])[0]

    def filter_batch(self, batch: list[Document]) -> list[bool | tuple[bool, str]]:
        snippets = [extract_python(document_record(doc)) for doc in batch]
        findings: list[list[str]] = [[] for _ in batch]
        if any(snippets):
            with tempfile.TemporaryDirectory(prefix="crucible-lint-") as tmp:
                owners = materialize(snippets, Path(tmp))
                for diag in run_ruff(Path(tmp)):
                    owner = owners.get(str(Path(diag.get("filename", "")).resolve()))
                    code = diag.get("code") or SYNTAX
                    if owner is None or not rule_applies(code, owner[1].kind):
                        continue
                    index, snippet = owner
                    findings[index].append(_describe(code, diag, snippet))
        return self.batch_verdicts(batch, findings, snippets, "ruff clean", "snippets", "no python")


def _describe(code: str, diag: dict, snippet: Snippet) -> str:
    row = (diag.get("location") or {}).get("row", "?")
    return f"ruff {code}: {diag.get('message', '').strip()} at {snippet.where} line {row}"

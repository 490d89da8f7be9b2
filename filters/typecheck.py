"""Stage 6: pyright on complete modules (textbook module + tests, `.py` files written by tools), batched.

pyright costs ~1-2 s per start and ~10 ms per extra file (PITFALLS.md), so it runs once per batch over a temp
tree with one directory per record: `import lesson` in a test resolves to that record's own module (pyright tries
the importing file's directory), and third-party imports resolve against the sandbox's interpreter
(`/usr/bin/python3`, which has pytest), so "pyright resolves it" means "the sandbox can import it".

Strictness is fixed and documented: pyright's "standard" mode (its CLI default: wrong return/argument/assignment
types, unknown attributes, possibly-unbound names, unresolved imports), Python 3.11, errors only — warnings and
information never reject. Fragments (execute_python code, answer blocks) are not typechecked: they are excerpts,
and execution checks what they do.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from datatrove.data import Document

from filters.code import Snippet, extract_python, materialize, tool_path
from filters.docs import TYPECHECK, document_record
from filters.stage import StageFilter

SANDBOX_PYTHON = "/usr/bin/python3"
MIN_RECORDS_PER_PYRIGHT = 64  # below this, a second pyright's ~1 s start-up costs more than it saves
# A `.py` file a tool call wrote belongs to a workspace whose other modules are not here: its imports of them cannot
# resolve in isolation, so for those files unresolved imports are not evidence of anything.
IGNORED_RULES_BY_KIND = {"tool_file": {"reportMissingImports", "reportMissingModuleSource"}}
PYRIGHT_CONFIG = {
    "typeCheckingMode": "standard",
    "pythonVersion": "3.11",
    "reportMissingModuleSource": "none",  # stub-only packages are fine if the module imports at runtime
}


def run_pyright(root: Path) -> list[dict]:
    """One pyright run over every file under `root`; its JSON diagnostics of severity error."""
    (root / "pyrightconfig.json").write_text(json.dumps(PYRIGHT_CONFIG))
    cmd = [tool_path("pyright"), "--outputjson", "-p", str(root / "pyrightconfig.json")]
    if Path(SANDBOX_PYTHON).exists():
        cmd += ["--pythonpath", SANDBOX_PYTHON]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=900, cwd=root)
    # exit 0: no errors, 1: errors found; anything else is pyright itself failing.
    if proc.returncode not in (0, 1):
        raise RuntimeError(f"pyright failed (exit {proc.returncode}): {(proc.stderr or proc.stdout).strip()[:500]}")
    report = json.loads(proc.stdout)
    return [d for d in report.get("generalDiagnostics", []) if d.get("severity") == "error"]


class TypecheckFilter(StageFilter):
    """Reject records whose complete modules have pyright errors; the reason names rule, message, file and line."""

    name = "typecheck"
    stage = TYPECHECK

    def __init__(self, batch_size: int = 256, workers: int | None = None):
        super().__init__(batch_size=batch_size)
        self.workers = workers

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        return self.filter_batch([doc])[0]

    def filter_batch(self, batch: list[Document]) -> list[bool | tuple[bool, str]]:
        modules = [[s for s in extract_python(document_record(doc)) if s.complete] for doc in batch]
        findings: list[list[str]] = [[] for _ in batch]
        if any(modules):
            with tempfile.TemporaryDirectory(prefix="crucible-pyright-") as tmp:
                owners = materialize(modules, Path(tmp))
                for diag in self._pyright_parallel(Path(tmp), len(batch)):
                    owner = owners.get(str(Path(diag.get("file", "")).resolve()))
                    if owner is not None and diag.get("rule") not in IGNORED_RULES_BY_KIND.get(owner[1].kind, ()):
                        findings[owner[0]].append(_describe(diag, owner[1]))
        return self.batch_verdicts(batch, findings, modules, "pyright clean", "modules", "no complete modules")


    def _pyright_parallel(self, root: Path, n_records: int) -> list[dict]:
        """pyright checks on one core; a large batch is split into one pyright per core (each still batched)."""
        parts = min(self.workers or os.cpu_count() or 1, max(1, n_records // MIN_RECORDS_PER_PYRIGHT))
        folders = sorted(p for p in root.iterdir() if p.is_dir())
        if parts <= 1:
            return run_pyright(root)
        for k in range(parts):
            (root / f"part{k}").mkdir()
        for i, folder in enumerate(folders):
            folder.rename(root / f"part{i % parts}" / folder.name)
        with ThreadPoolExecutor(parts) as pool:
            found = list(pool.map(run_pyright, [root / f"part{k}" for k in range(parts)]))
        # Report paths as if the records had stayed where `materialize` put them.
        diags = []
        for part, items in enumerate(found):
            prefix = str((root / f"part{part}").resolve())
            for diag in items:
                diag["file"] = str(root.resolve()) + diag.get("file", "")[len(prefix):]
                diags.append(diag)
        return diags


def _describe(diag: dict, snippet: Snippet) -> str:
    line = ((diag.get("range") or {}).get("start") or {}).get("line", -1) + 1
    message = str(diag.get("message", "")).strip().splitlines()[0] if diag.get("message") else ""
    return f"pyright {diag.get('rule') or 'error'}: {message} at {snippet.where} line {line}"

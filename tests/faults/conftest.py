"""Shared plumbing of the fault-injection suite (issue 18): one small real corpus, reused by every case, and the
checks every case ends with: nothing lost, nothing duplicated, nothing leaked, no process and no temp folder left.

The corpus is made once per session by the real commands (generate with the procedural generators, filter, tokenizer,
pack, train d1 for a few steps) and copied into each case's own folder, so a case can break its copy freely.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PERSONA = "lanbot"
COUNT = 30
FAMILIES = "identity:2,tool_use:3,reasoning:2,textbook:2,safety:1"
TRAIN = ["d1", "steps=6", "ckpt_every=2", "device_batch=2", "batch_tokens=256", "compile=false", "val_batches=1",
         "threads=1", "log_every=1"]


@dataclass
class Run:
    """A finished (or killed) command: exit code, output, and the marker its processes carry in their environment."""

    args: list[str]
    returncode: int
    stdout: str
    stderr: str
    marker: str
    seconds: float = 0.0
    pgid: int = 0

    @property
    def last_line(self) -> str:
        lines = [line for line in self.stderr.splitlines() if line.strip()]
        return lines[-1] if lines else ""


@dataclass
class Env:
    """A corpus root for one case and the environment every command of the case runs with."""

    root: Path
    tmp: Path  # the TMPDIR the commands get: a folder of this case's own, checked for leftovers at the end
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def corpus(self) -> Path:
        return self.root / PERSONA

    def env(self, **more: str) -> dict[str, str]:
        base = {k: v for k, v in os.environ.items() if k not in ("CRUCIBLE_FAULT", "TMPDIR")}
        return {**base, "PYTHONPATH": str(REPO), "CRUCIBLE_CORPORA": str(self.root), "TMPDIR": str(self.tmp),
                "PYTHONUNBUFFERED": "1", **self.extra, **more}

    def run(self, program: str, *args: str, timeout: float = 600, check: bool = False, **env: str) -> Run:
        """`python -m <program> args...` to the end, in a process group of its own."""
        marker = uuid.uuid4().hex
        started = time.monotonic()
        proc = subprocess.run([sys.executable, "-m", program, *args], cwd=self.root, env=self.env(
            CRUCIBLE_FAULT_MARKER=marker, **env), capture_output=True, text=True, timeout=timeout,
            start_new_session=True)
        run = Run(list(args), proc.returncode, proc.stdout, proc.stderr, marker, time.monotonic() - started)
        if check:
            assert proc.returncode == 0, f"{program} {' '.join(args)} failed:\n{proc.stderr[-3000:]}"
        return run

    def kill_after(self, program: str, *args: str, seconds: float, group: bool = False, **env: str) -> Run:
        """Start the command and SIGKILL it (its main process alone, or its whole group) after `seconds`."""
        marker = uuid.uuid4().hex
        proc = subprocess.Popen([sys.executable, "-m", program, *args], cwd=self.root,
                                env=self.env(CRUCIBLE_FAULT_MARKER=marker, **env), stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, start_new_session=True)
        started = time.monotonic()
        try:
            out, err = proc.communicate(timeout=seconds)
        except subprocess.TimeoutExpired:
            if group:
                os.killpg(proc.pid, signal.SIGKILL)
            else:
                proc.send_signal(signal.SIGKILL)
            out, err = proc.communicate(timeout=60)
        return Run(list(args), proc.returncode, out, err, marker, time.monotonic() - started, pgid=proc.pid)


def processes_with(marker: str) -> list[str]:
    """Processes still alive whose environment carries the marker (every child inherits it, unless it clears its
    environment on purpose: llama-server and the sandboxes, which die with their parent by other means)."""
    found = []
    needle = f"CRUCIBLE_FAULT_MARKER={marker}".encode()
    for pid in os.listdir("/proc"):
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            if needle in Path(f"/proc/{pid}/environ").read_bytes():
                cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
                state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
                if state != "Z":
                    found.append(f"{pid}: {cmd[:160]}")
        except OSError:
            continue
    return found


def wait_gone(run: Run, seconds: float = 20.0) -> list[str]:
    """What is left of a run's processes after giving parent-death signals a moment to land."""
    deadline = time.monotonic() + seconds
    while (left := processes_with(run.marker)) and time.monotonic() < deadline:
        time.sleep(0.3)
    return left


def assert_clean_exit(run: Run) -> None:
    """A failure a person can fix: exit code 2 and one line `error: ...`, no traceback."""
    assert run.returncode == 2, f"exit {run.returncode}, expected 2:\n{run.stderr[-2000:]}"
    assert "Traceback" not in run.stderr, run.stderr[-3000:]
    assert run.last_line.startswith("error: "), run.stderr[-2000:]
    assert len(run.last_line) < 600


def temp_leftovers(folder: Path) -> list[str]:
    """Anything a command left in its TMPDIR (its private crucible-run-* folder is swept by the next command)."""
    from schemas.scratch import sweep

    sweep(folder)  # what a later command would do: removes the folders of processes that are gone
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


def records_by_family(corpus: Path) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for path in sorted((corpus / "raw").glob("*/part-*.jsonl")):
        for line in path.read_text().splitlines():
            record = json.loads(line)
            out.setdefault(record["family"], []).append(record)
    return out


def raw_summary(corpus: Path) -> tuple[Counter, set[str], int]:
    """(records per family, the set of ids, the number of record lines): lost or duplicated records show here."""
    by = records_by_family(corpus)
    ids = {r["id"] for rs in by.values() for r in rs}
    return Counter({f: len(rs) for f, rs in by.items()}), ids, sum(len(rs) for rs in by.values())


def clean_ids(corpus: Path) -> dict[str, list[str]]:
    from schemas.storage import read_clean

    return {f: sorted(r["id"] for r in rs) for f, rs in read_clean(corpus).items()}


def tree(folder: Path, skip: tuple[str, ...] = (".filter",)) -> dict[str, bytes]:
    """Every file under a folder (relative path -> bytes), for comparing what two runs published."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and not any(part in skip for part in p.relative_to(folder).parts)}


def generate_args(count: int = COUNT, **more: str) -> list[str]:
    return ["generate", f"persona={PERSONA}", f"count={count}", "teacher=none", f"families={FAMILIES}", "seed=7",
            *(f"{k}={v}" for k, v in more.items())]


def short_tmp() -> Path:
    """A TMPDIR for commands: short, because multiprocessing's Manager listens on a Unix socket under it and such a
    path holds at most 107 bytes (a pytest tmp_path is too deep: schemas/scratch.py would move to /tmp, out of sight
    of the leftover checks)."""
    return Path(tempfile.mkdtemp(prefix="crucible-fault-", dir="/tmp"))


@pytest.fixture
def case_tmp():
    folder = short_tmp()
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def built(tmp_path_factory) -> Path:
    """One corpus through every stage: raw (generate), clean (filter), tokenizer, shards (pack), checkpoints (train).

    Also keeps a snapshot of the filter's work dir just before its publish (killed at `filter.publish.staged`), so the
    publish cases start there instead of filtering again."""
    root = tmp_path_factory.mktemp("faults-corpus")
    env = Env(root, short_tmp())
    (root / PERSONA).mkdir()
    shutil.copy(REPO / "corpora" / PERSONA / "persona.toml", root / PERSONA / "persona.toml")
    env.run("factory", *generate_args(), check=True)
    staged = env.run("factory", "filter", f"persona={PERSONA}", "--no-progress", CRUCIBLE_FAULT="filter.publish.staged")
    assert staged.returncode == -signal.SIGKILL, staged.stderr[-2000:]
    snapshot = root.parent / f"{root.name}-staged"
    shutil.copytree(root / PERSONA, snapshot, symlinks=True)
    env.run("factory", "filter", f"persona={PERSONA}", "--no-progress", "--resume", check=True)
    env.run("trainer", "tokenizer", f"persona={PERSONA}", "vocab=600", check=True)
    env.run("trainer", "pack", f"persona={PERSONA}", "seq_len=128", "rows_per_shard=8", check=True)
    env.run("trainer", "train", *TRAIN, f"persona={PERSONA}", f"out={root / 'ckpt'}", check=True)
    shutil.rmtree(env.tmp, ignore_errors=True)
    return root


@pytest.fixture
def case(built, tmp_path, case_tmp) -> Env:
    """This case's own copy of the built corpus (same absolute layout under its own root)."""
    root = tmp_path / "root"
    shutil.copytree(built, root, symlinks=True)
    # the filter's work dir remembers the corpora root it ran under: the copy must look like a run made here
    config = root / PERSONA / ".filter" / "config.json"
    if config.is_file():
        data = json.loads(config.read_text())
        data["corpora"] = str(root)
        config.write_text(json.dumps(data))
    # checkpoints name the shards they were trained on by absolute path: cases pass shards= to train explicitly
    return Env(root, case_tmp)


@pytest.fixture
def staged_case(built, tmp_path, case_tmp) -> Env:
    """A corpus whose filter ran everything but its publish (as if killed right before it), under this case's root."""
    root = tmp_path / "root"
    root.mkdir()
    shutil.copytree(built.parent / f"{built.name}-staged", root / PERSONA, symlinks=True)
    config = root / PERSONA / ".filter" / "config.json"
    data = json.loads(config.read_text())
    data["corpora"] = str(root)
    config.write_text(json.dumps(data))
    return Env(root, case_tmp)

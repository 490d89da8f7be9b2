"""Issue 18 item 3: a short write or a full disk never leaves half a line that a later append lands behind.

`os.write` is replaced by one that writes only part of what it is given (what a nearly full disk does) or refuses
with ENOSPC after some bytes; the run log must then read back whole: every line either fully there or absent.
"""

import errno
import json
import os

import pytest

from factory.runlog import FamilyLog
from schemas.storage import append_lines, read_jsonl_tolerant, write_atomic


class Disk:
    """A fake os.write: `chunk` bytes at most per call; after `budget` bytes in all, ENOSPC (or a 0-byte write)."""

    def __init__(self, chunk: int = 7, budget: int | None = None, zero: bool = False):
        self.chunk, self.budget, self.zero = chunk, budget, zero
        self.real = os.write
        self.calls = 0

    def __call__(self, fd: int, data) -> int:
        self.calls += 1
        data = bytes(data)[: self.chunk]
        if self.budget is not None:
            if self.budget <= 0:
                if self.zero:
                    return 0
                raise OSError(errno.ENOSPC, "No space left on device")
            data = data[: self.budget]
            self.budget -= len(data)
        return self.real(fd, data)


def test_short_writes_are_continued(tmp_path, monkeypatch):
    path = tmp_path / "log.jsonl"
    disk = Disk(chunk=5)
    monkeypatch.setattr(os, "write", disk)
    lines = [json.dumps({"i": i, "text": "x" * i}) for i in range(20)]
    append_lines(path, lines[:10])
    append_lines(path, lines[10:])
    monkeypatch.undo()
    assert disk.calls > 20, "the fake disk must actually have cut the writes short"
    rows, torn = read_jsonl_tolerant(path)
    assert not torn and rows == [json.loads(line) for line in lines]


@pytest.mark.parametrize("zero", [False, True], ids=["enospc", "zero-byte-write"])
@pytest.mark.parametrize("budget", [0, 1, 9, 30])
def test_a_refused_append_is_cut_off_whole(tmp_path, monkeypatch, budget, zero):
    path = tmp_path / "log.jsonl"
    append_lines(path, [json.dumps({"i": 0})])
    before = path.read_bytes()
    monkeypatch.setattr(os, "write", Disk(chunk=4, budget=budget, zero=zero))
    with pytest.raises(OSError) as info:
        append_lines(path, [json.dumps({"i": 1, "pad": "y" * 40}), json.dumps({"i": 2})])
    assert info.value.errno == errno.ENOSPC
    monkeypatch.undo()
    assert path.read_bytes() == before, "the part of a refused append that got out must be cut off again"
    append_lines(path, [json.dumps({"i": 3})])  # the disk has room again: the log goes on, readable
    rows, torn = read_jsonl_tolerant(path)
    assert rows == [{"i": 0}, {"i": 3}] and not torn


def test_write_atomic_on_a_full_disk_keeps_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "manifest.json"
    write_atomic(path, "old\n")

    def full(*_a, **_k):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(OSError):
        write_atomic(path, "new\n" * 1000)
    monkeypatch.undo()
    assert path.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["manifest.json"], "no temp file left behind"


def test_run_log_survives_a_full_disk_mid_commit(tmp_path, monkeypatch):
    """The ledger append fails after the part file was written: the batch is not committed, and reopening the
    folder (the rerun) drops the orphan part and reads every committed batch back."""
    folder = tmp_path / "identity"
    log = FamilyLog(folder, "identity")
    record = {"id": "a" * 32, "family": "identity"}
    log.commit("b1", [("t1", record)], [("t2", {"task_id": "t2", "reason": "schema: x"})])
    monkeypatch.setattr(os, "write", Disk(chunk=3, budget=10))
    with pytest.raises(OSError):
        log.commit("b2", [("t3", {"id": "b" * 32, "family": "identity"})], [("t4", {"task_id": "t4", "reason": "y"})])
    monkeypatch.undo()
    again = FamilyLog(folder, "identity")
    assert again.kept == 1 and again.rejected == 1 and again.done_keys == {"t1", "t2"}
    assert sorted(p.name for p in folder.iterdir()) == ["_ledger.jsonl", "part-b1.jsonl", "rejected.jsonl"]
    again.commit("b2", [("t3", {"id": "b" * 32, "family": "identity"})], [])
    assert FamilyLog(folder, "identity").kept == 2

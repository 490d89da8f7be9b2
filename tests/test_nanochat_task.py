"""The nanochat export against nanochat's own code: the exported crucible_task.py, listed in a TaskMixture the way
scripts/chat_sft.py lists its SFT data, yields conversations that nanochat's `tokenizer.render_conversation` (with a
tokenizer trained by nanochat's own RustBPETokenizer) turns into ids with a supervised span, every one of them.

nanochat comes from NANOCHAT_DIR (a checkout) or, online, a shallow fetch of the commit the export was checked
against (factory.export.NANOCHAT_COMMIT_FULL); without either the test skips.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from factory.export import NANOCHAT_COMMIT, NANOCHAT_COMMIT_FULL, export, read_clean
from tests.conftest import _internet
from tests.stats_corpus import write_corpus

pytestmark = pytest.mark.slow

SCRIPT = """
import json, sys
from nanochat.tokenizer import RustBPETokenizer
from tasks.common import TaskMixture
from tasks.crucible import CrucibleConversations

path = sys.argv[1]
texts = [json.dumps(json.loads(line), ensure_ascii=False) for line in open(path, encoding="utf-8")]
tok = RustBPETokenizer.train_from_iterator(iter(texts), vocab_size=512)
task = CrucibleConversations(filepath=path)
mixture = TaskMixture([task, task])  # listed twice: two epochs, as chat_sft.py does it
supervised, parts = 0, 0
for i in range(len(mixture)):
    conversation = mixture[i]
    ids, mask = tok.render_conversation(conversation, max_tokens=10**9)
    assert len(ids) == len(mask) and sum(mask) > 0, i
    supervised += 1
    parts += any(isinstance(m["content"], list) for m in conversation["messages"])
print(json.dumps({"rendered": supervised, "with_parts": parts, "task_len": len(task)}))
"""


def nanochat_checkout(tmp: Path) -> Path | None:
    if os.environ.get("NANOCHAT_DIR"):
        return Path(os.environ["NANOCHAT_DIR"])
    if not _internet() or shutil.which("git") is None:
        return None
    repo = tmp / "nanochat"
    repo.mkdir()
    for cmd in (["git", "init", "-q"], ["git", "fetch", "-q", "--depth", "1", "https://github.com/karpathy/nanochat",
                                        NANOCHAT_COMMIT_FULL], ["git", "checkout", "-q", "FETCH_HEAD"]):
        if subprocess.run(cmd, cwd=repo, capture_output=True, timeout=300).returncode != 0:
            return None
    return repo


def test_exported_task_renders_with_nanochat(tmp_path):
    nanochat = nanochat_checkout(tmp_path)
    if nanochat is None:
        pytest.skip(f"needs NANOCHAT_DIR=<nanochat checkout> or internet to fetch nanochat {NANOCHAT_COMMIT}")
    info = write_corpus(tmp_path / "corpora", n=70, reports=False)
    result = export(read_clean(info["corpus"]), "nanochat", tmp_path / "out")
    overlay = tmp_path / "overlay" / "tasks"  # `tasks` is a namespace package: our file joins nanochat's
    overlay.mkdir(parents=True)
    shutil.copy(result["task"], overlay / "crucible.py")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(overlay.parent), str(nanochat)]),
           "NANOCHAT_BASE_DIR": str(tmp_path / "base")}
    proc = subprocess.run([sys.executable, "-c", SCRIPT, result["path"]], env=env, capture_output=True, text=True,
                          timeout=600, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    seen = json.loads(proc.stdout.strip().splitlines()[-1])
    assert seen["task_len"] == result["written"] > 0
    assert seen["rendered"] == 2 * result["written"] and seen["with_parts"] > 0  # python traces carried

"""CRUCIBLE_CORPORA moves the whole journey: generate, filter, tokenizer, pack and train all read and write there.

Run as a user would (`python -m ...` from an unrelated working directory), so no stage can fall back to a path
relative to the checkout or to the current directory without this test noticing.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_every_stage_uses_the_corpora_root(tmp_path):
    root = tmp_path / "elsewhere"
    (root / "lanbot").mkdir(parents=True)
    shutil.copy(REPO / "corpora" / "lanbot" / "persona.toml", root / "lanbot" / "persona.toml")
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    env = {**os.environ, "CRUCIBLE_CORPORA": str(root), "PYTHONPATH": str(REPO)}
    before = {p for p in (REPO / "corpora").rglob("*")}

    def run(*argv: str) -> None:
        done = subprocess.run([sys.executable, "-m", *argv], cwd=cwd, env=env, capture_output=True, text=True,
                              timeout=600)
        assert done.returncode == 0, f"{' '.join(argv)}:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}"

    run("factory", "generate", "persona=lanbot", "count=16", "families=reasoning:1", "teacher=none")
    run("factory", "filter", "persona=lanbot", "workers=1")
    run("trainer", "tokenizer", "persona=lanbot", "vocab=320")
    run("trainer", "pack", "persona=lanbot", "seq_len=128", "val_frac=0.2")
    run("trainer", "train", "d1", "persona=lanbot", f"out={tmp_path / 'ckpt'}", "steps=2", "device_batch=2",
        "batch_tokens=256", "compile=false", "threads=1")

    corpus = root / "lanbot"
    assert list((corpus / "raw" / "reasoning").glob("part-*.jsonl"))
    assert list((corpus / "clean").glob("*/*.parquet"))
    assert (corpus / "reports" / "funnel.json").is_file()
    assert (corpus / "tokenizer" / "tokenizer.json").is_file()
    assert (corpus / "shards" / "manifest.json").is_file()
    assert (tmp_path / "ckpt" / "latest").exists()
    assert not any(cwd.iterdir()), f"something was written relative to the working directory: {list(cwd.iterdir())}"
    assert {p for p in (REPO / "corpora").rglob("*")} == before, "something was written under the checkout's corpora/"

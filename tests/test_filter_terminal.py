"""`just filter` as a person sees it: stdout + stderr of the real command on the filter test corpus fit one screen
(<= 60 lines) with the funnel table in it; datatrove's and the workers' logs go to reports/filter.log, and `-v`
shows them again. Before, the same run printed ~330 lines of loguru output between the progress bars."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from schemas import STAGES
from tests.test_filter_pipeline import build_corpus

REPO = Path(__file__).resolve().parents[1]
SCREEN = 60
pytestmark = pytest.mark.slow


def filter_cli(corpora: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(REPO), "COLUMNS": "120"}
    return subprocess.run([sys.executable, "-m", "factory", "filter", "persona=lanbot", f"corpora={corpora}",
                           "workers=2", *args], cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, timeout=900)


def test_the_filter_fits_one_screen_and_logs_to_a_file(tmp_path):
    corpora = tmp_path / "corpora"
    build_corpus(corpora)
    proc = filter_cli(corpora)
    assert proc.returncode == 0, proc.stdout[-3000:]
    lines = proc.stdout.splitlines()
    assert len(lines) <= SCREEN, f"{len(lines)} lines:\n{proc.stdout}"
    text = proc.stdout
    assert "filter funnel:" in text and "of 32 records kept" in text
    for stage in STAGES:  # the funnel table: one row per stage
        assert any(line.startswith(f"│ {stage} ") for line in lines), stage
    assert "out of character ×1" in text  # reasons grouped by kind (schemas.reasons)
    assert "kept per family:" in text and "filter.log" in text
    for noise in ("INFO", "SUCCESS", "PIPELINE", "Generating train split", "Stats: Task"):
        assert noise not in text, noise
    log = (corpora / "lanbot" / "reports" / "filter.log").read_text()
    assert "datatrove" in log and "tasks completed" in log

    verbose = filter_cli(corpora, "--resume", "-v")  # every task is done: a fast rerun that still logs
    assert verbose.returncode == 0, verbose.stdout[-3000:]
    assert "datatrove" in verbose.stdout and "filter funnel:" in verbose.stdout

"""`just train` and `just finetune` on two nodes: two launcher processes (`NNODES=2 RDZV_ENDPOINT=127.0.0.1:<port>`,
the README's multi-node command, each node one CPU rank, gloo over loopback) give the loss curve of one process with
the same global batch, to 1e-5.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
from pathlib import Path

import pytest

from tests.clusters import free_port
from tests.test_finetune import smol_tok, tiny_base, write_records  # noqa: F401  (fixtures)
from tests.test_train import make_shards, settings
from tests.trainer_data import identity_record
from trainer.train import train

REPO = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow
TOLERANCE = 1e-5


def two_nodes(recipe: str, args: list[str], timeout: int = 420) -> None:
    """Run `just <recipe> args` twice, as node 0 and node 1 of one c10d rendezvous on loopback; both must succeed."""
    env = {**os.environ, "PYTHONPATH": str(REPO), "NNODES": "2", "NPROC_PER_NODE": "1", "RDZV_ID": f"test-{recipe}",
           "RDZV_ENDPOINT": f"127.0.0.1:{free_port()}", "GLOO_SOCKET_IFNAME": "lo", "OMP_NUM_THREADS": "1"}
    just = str(REPO / ".venv" / "bin" / "just")
    nodes = [subprocess.Popen([just, recipe, *args], cwd=REPO, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True, start_new_session=True) for _ in range(2)]
    outputs = []
    try:
        for node in nodes:
            outputs.append(node.communicate(timeout=timeout)[0])
    finally:
        for node in nodes:
            if node.poll() is None:
                os.killpg(node.pid, signal.SIGKILL)
                node.wait()
    for node, out in zip(nodes, outputs, strict=True):
        assert node.returncode == 0, out[-4000:]
    assert any("2 ranks" in out or "x2" in out for out in outputs), outputs[0][-2000:]


def losses(log: Path) -> dict[int, float]:
    return {row["step"]: row["loss"] for row in map(json.loads, log.read_text().splitlines()) if "loss" in row}


def test_train_on_two_nodes_matches_one_process(tmp_path: Path):
    shards = make_shards(tmp_path / "corpus")
    # one process: micro-batches of 2 rows, 2 of them per step (batch_tokens 256 = 2 x 2 x 64)
    single = train(settings(shards, tmp_path / "one", steps=4, device_batch=2, batch_tokens=256, ckpt_every=4))
    # two nodes x one rank: 1 row per rank per micro-batch, the same 4 rows per step
    two_nodes("train", ["d1", f"shards={shards}", f"out={tmp_path / 'two'}", "steps=4", "device_batch=1",
                        "batch_tokens=256", "ckpt_every=4", "val_batches=2", "compile=false", "threads=1",
                        "log_every=100"])
    two = losses(tmp_path / "two" / "train_log.jsonl")
    assert two.keys() == single["losses"].keys() and len(two) == 4
    for step, loss in single["losses"].items():
        assert abs(two[step] - loss) <= TOLERANCE, (step, two[step], loss)
    assert (tmp_path / "two" / "step_000004" / "state_rank1.pt").is_file()  # node 1's loader position


def test_finetune_on_two_nodes_matches_one_process(tiny_base, tmp_path: Path):  # noqa: F811
    data = write_records(tmp_path / "recs.jsonl", [identity_record(i) for i in range(32)])
    common = [f"base={tiny_base}", f"input={data}", "seq_len=256", "grad_accum=2", "steps=3", "save_every=0",
              "export=none", "threads=1", "val_frac=0", "method=lora", "lr=1e-3"]
    from trainer.finetune import finetune
    from trainer.scripts.finetune import settings_from_argv

    finetune(settings_from_argv([*common, "batch=2", f"out={tmp_path / 'one'}"]))
    two_nodes("finetune", [*common, "batch=1", f"out={tmp_path / 'two'}"])
    one, two = losses(tmp_path / "one" / "train_log.jsonl"), losses(tmp_path / "two" / "train_log.jsonl")
    assert one.keys() == two.keys() and len(one) == 3
    for step, loss in one.items():
        assert abs(two[step] - loss) <= TOLERANCE, (step, two[step], loss)

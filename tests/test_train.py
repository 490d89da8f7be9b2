"""The training loop on real packed shards: overfitting, exact resume after a kill, checkpoints, init for SFT.

Everything is real and tiny: hand-written records in the contract's shape, a tokenizer trained on them, shards
packed by trainer/pack.py, read by trainer/dataloader.py, a d1/d2 GPT at seq 64.
"""

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from trainer import checkpoint as ckpt
from trainer.pack import pack_documents
from trainer.scripts.train import settings_from_argv as parse_settings
from trainer.tokenizer import Tokenizer
from trainer.train import Settings, train

QA = [
    ("Who are you?", "I'm LanBot. Lance built me."),
    ("Who made you?", "Lance made me. I'm LanBot."),
    ("¿Quién eres?", "Soy LanBot, creado por Lance."),
    ("Qui es-tu ?", "Je suis LanBot, créé par Lance."),
    ("Wer bist du?", "Ich bin LanBot, von Lance gebaut."),
    ("What is 2+3?", "5. Next question."),
    ("Say hi.", "Hi. That's the whole answer."),
    ("What do you run on?", "Tensors, mostly, and spite."),
]


def records() -> list[dict]:
    return [{"id": f"{i:032x}", "family": "identity", "persona": "lanbot", "tools": [],
             "messages": [{"role": "user", "content": q}, {"role": "assistant", "content": a}]}
            for i, (q, a) in enumerate(QA)]


def make_shards(root: Path, seq_len: int = 64) -> Path:
    docs = records()
    tok = Tokenizer.train([m["content"] for d in docs for m in d["messages"]], 320)
    # val_frac=0.3 keeps a couple of records out (split by id hash) so validation has rows
    pack_documents(docs, tok, root / "shards", seq_len=seq_len, val_frac=0.3, rows_per_shard=4)
    return root / "shards"


@pytest.fixture(scope="module")
def shards(tmp_path_factory):
    return make_shards(tmp_path_factory.mktemp("corpus"))


def settings(shards: Path, out: Path, **kw) -> Settings:
    base = dict(model="d1", shards=str(shards), out=str(out), steps=6, device_batch=2, batch_tokens=256,
                ckpt_every=2, val_batches=2, compile="false", log_every=100, threads=1)
    base.update(kw)
    return Settings(**base)  # type: ignore[arg-type]


def test_parse_settings():
    s = parse_settings(["d20", "persona=marigold", "steps=5", "compile=false", "evals=true"])
    assert (s.model, s.persona, s.steps, s.compile, s.evals) == ("d20", "marigold", 5, "false", True)
    from schemas.settings import UsageError

    with pytest.raises(UsageError):
        parse_settings(["d4", "bogus=1"])


def test_overfits_a_handful_of_records(shards, tmp_path):
    result = train(settings(shards, tmp_path / "run", model="d1", steps=60, batch_tokens=128, device_batch=2,
                            matrix_lr=0.04, warmdown=0.0, ckpt_every=60))
    losses = result["losses"]
    assert losses[1] > 3.0, losses[1]
    late = [losses[s] for s in range(50, 61) if losses[s] is not None]
    assert late and min(late) < 0.1, late


def test_resume_after_stop_gives_identical_loss_curve(shards, tmp_path):
    full = train(settings(shards, tmp_path / "full"))["losses"]
    # "crash" after step 5: the newest checkpoint is step 4, so step 5 is recomputed on resume
    crashed = train(settings(shards, tmp_path / "crash", stop=5))["losses"]
    assert sorted(crashed) == [1, 2, 3, 4, 5]
    assert ckpt.latest_checkpoint(tmp_path / "crash").name == "step_000004"  # type: ignore[union-attr]
    resumed = train(settings(shards, tmp_path / "crash", resume="latest"))["losses"]
    assert sorted(resumed) == [5, 6]
    assert {**crashed, **resumed} == full  # bit-identical, not approximately


@pytest.mark.slow
def test_resume_after_sigkill_gives_identical_loss_curve(shards, tmp_path):
    """A real kill -9 of `python -m trainer train` mid-run, then `resume=latest` in a fresh process."""
    args = ["d1", f"shards={shards}", "steps=8", "device_batch=2", "batch_tokens=256", "ckpt_every=3",
            "compile=false", "val_batches=1", "threads=1"]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    cmd = [sys.executable, "-m", "trainer", "train", *args]
    subprocess.run([*cmd, f"out={tmp_path / 'full'}"], check=True, env=env, capture_output=True, timeout=300)
    proc = subprocess.Popen([*cmd, f"out={tmp_path / 'kill'}"], env=env, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.startswith("step     5/"):
            proc.send_signal(signal.SIGKILL)
            break
    proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL
    assert ckpt.latest_checkpoint(tmp_path / "kill").name == "step_000003"  # type: ignore[union-attr]
    # only out= and resume=: everything else (model, shards, batch, schedule) comes from the checkpoint's run
    subprocess.run([sys.executable, "-m", "trainer", "train", f"out={tmp_path / 'kill'}", "resume=latest"], check=True,
                   env=env, capture_output=True, timeout=300)

    def curve(run: Path) -> dict[int, float]:
        rows = [json.loads(line) for line in (run / "train_log.jsonl").read_text().splitlines()]
        return {r["step"]: r["loss"] for r in rows if "loss" in r}  # later rows (the resumed ones) win

    assert curve(tmp_path / "kill") == curve(tmp_path / "full")


def test_checkpoint_round_trip(shards, tmp_path):
    result = train(settings(shards, tmp_path / "run", steps=2, ckpt_every=2))
    path = result["checkpoint"]
    assert path.name == "step_000002" and (tmp_path / "run" / "latest").read_text().strip() == path.name
    assert not list((tmp_path / "run").glob(".*tmp*")), "temporary checkpoint files left behind"
    model, meta = ckpt.load_model(path)
    tok = ckpt.load_tokenizer(path)
    assert meta["step"] == 2 and meta["tokenizer_id"] == tok.id and meta["config"]["n_layer"] == 1
    # a second save/load of the loaded model reproduces every tensor and the optimizer state
    from trainer.optim import build_optimizers

    optimizers = build_optimizers(model)
    ckpt.load_optimizers(path, optimizers, "cpu")
    again = ckpt.save_checkpoint(tmp_path / "copy", 2, model, optimizers, {"note": "copy"}, {"pos": 1}, tok)
    model2, _ = ckpt.load_model(again)
    for (k, a), (_, b) in zip(model.state_dict().items(), model2.state_dict().items(), strict=True):
        assert torch.equal(a, b), k
    x = torch.randint(0, tok.vocab_size, (1, 16))
    assert torch.equal(model(x), model2(x))
    assert ckpt.load_rank_state(again, 0)["loader"] == {"pos": 1}
    states = torch.load(again / "optim.pt", weights_only=True)
    assert states[1]["state"], "Muon momentum buffers should be in the checkpoint"


def test_init_from_checkpoint_for_sft(shards, tmp_path):
    base = train(settings(shards, tmp_path / "base", steps=2, ckpt_every=2))["checkpoint"]
    sft = train(settings(shards, tmp_path / "sft", steps=1, ckpt_every=1, init=str(base), model="d1"))
    base_model, _ = ckpt.load_model(base)
    sft_model, meta = ckpt.load_model(sft["checkpoint"])
    assert meta["step"] == 1  # a fresh run from the base weights, not a resume
    assert sft_model.config == base_model.config


@pytest.mark.slow
def test_ddp_two_ranks_match_one_process(shards, tmp_path):
    """torchrun with 2 CPU ranks (gloo) on half the micro-batch each: the same loss curve as one process."""
    single = train(settings(shards, tmp_path / "one", steps=3, device_batch=2, batch_tokens=256, ckpt_every=3))
    torchrun = Path(sys.executable).parent / "torchrun"
    subprocess.run([str(torchrun), "--standalone", "--nproc_per_node=2", "-m", "trainer", "train", "d1",
                    f"shards={shards}", f"out={tmp_path / 'two'}", "steps=3", "device_batch=1", "batch_tokens=256",
                    "ckpt_every=3", "compile=false", "threads=1"], check=True, capture_output=True, timeout=300)
    rows = [json.loads(line) for line in (tmp_path / "two" / "train_log.jsonl").read_text().splitlines()]
    ddp = {r["step"]: r["loss"] for r in rows if "loss" in r}
    assert ddp.keys() == single["losses"].keys()
    for step, loss in single["losses"].items():
        assert ddp[step] == pytest.approx(loss, rel=1e-4), (step, ddp[step], loss)
    assert (tmp_path / "two" / "step_000003" / "state_rank1.pt").is_file()

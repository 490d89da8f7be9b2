"""`python -m factory publish`: the dry-run folder loads with `datasets`, the card carries the reports, tokens stay out."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from factory import __main__ as factory_cli
from factory.publish import main as publish_main
from tests.stats_corpus import PERSONA, write_corpus

REPO_ROOT = Path(__file__).resolve().parents[1]
FAKE_TOKEN = "hf_FAKEtokenForTheCardTest0123456789"


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    root = tmp_path_factory.mktemp("corpora")
    info = write_corpus(root, n=140)
    out = root / "hub"
    old = os.environ.get("HF_TOKEN")
    os.environ["HF_TOKEN"] = FAKE_TOKEN  # present on purpose: it must not reach the folder
    try:
        assert publish_main([f"persona={PERSONA}", f"root={root}", "repo=someone/lanbot-corpus", "dry_run=true",
                             "private=true", f"out={out}"]) == 0
    finally:
        if old is None:
            os.environ.pop("HF_TOKEN")
        else:
            os.environ["HF_TOKEN"] = old
    return {**info, "root": root, "out": out}


def test_every_config_loads_with_the_right_row_count(published, tmp_path):
    from datasets import load_dataset
    from huggingface_hub import DatasetCard

    card = DatasetCard.load(published["out"] / "README.md")
    configs = {c["config_name"]: c for c in card.data.to_dict()["configs"]}
    assert set(configs) == {*published["clean"], "all"}
    for name in configs:
        ds = load_dataset(str(published["out"]), name, split="train", cache_dir=str(tmp_path / "cache"))
        expected = sum(published["clean"].values()) if name == "all" else published["clean"][name]
        assert ds.num_rows == expected, name
        if name == "all":  # the default config: no name needed
            assert load_dataset(str(published["out"]), split="train", cache_dir=str(tmp_path / "cache")).num_rows \
                == ds.num_rows
        if name == "tool_use":
            row = ds[0]
            assert json.loads(row["tools"])[0]["type"] == "function"
            call = next(m for m in row["messages"] if m["tool_calls"])["tool_calls"][0]
            assert json.loads(call["function"]["arguments"])["code"]
            assert json.loads(row["lineage"])["generator"] == "generators.tool_use"


def test_card_metadata_and_prose(published):
    from huggingface_hub import DatasetCard

    card = DatasetCard.load(published["out"] / "README.md")
    meta = card.data.to_dict()
    assert meta["license"] == "mit" and meta["task_categories"] == ["text-generation"]
    assert meta["size_categories"] == ["n<1K"] and "synthetic" in meta["tags"] and "tool-use" in meta["tags"]
    assert meta["language"] == ["en", "es", "fr", "de"]
    text = card.text
    for heading in ("## Persona card", "## Generation recipe and teachers", "## Statistics", "## Filter funnel",
                    "## Decontamination", "## Chat-template validation", "## Fields and lineage", "## How to load"):
        assert heading in text
    assert "I was created by Lance." in text and "local:smollm2-135m-instruct" in text
    assert "| humaneval | 13 | 164 | 3 | 1 |" in text  # benchmark, n, items, hits, items hit
    assert "| near_dedup | 137 | 131 | 6 |" in text
    for field in ("generator_version", "prompt_template_hash", "facets", "run_id", "created_at"):
        assert field in text
    assert 'load_dataset("someone/lanbot-corpus", "identity"' in text
    for name in ("funnel.json", "decontamination.json", "stats.json", "validation.json"):
        assert (published["out"] / "reports" / name).is_file()


def test_the_token_is_nowhere_in_the_folder(published):
    for path in published["out"].rglob("*"):
        if path.is_file():
            assert FAKE_TOKEN.encode() not in path.read_bytes(), path


def test_validation_failures_are_left_out_or_fatal(published, tmp_path, capsys):
    out = tmp_path / "small"
    assert publish_main([f"persona={PERSONA}", f"root={published['root']}", "dry_run=true", "context=60",
                         f"out={out}"]) == 0
    printed = capsys.readouterr().out
    report = json.loads((out / "reports" / "validation.json").read_text())
    assert report["failed"] > 0 and f"{report['failed']} failed" in printed and "left out" in printed
    import pyarrow.parquet as pq

    rows = sum(pq.read_metadata(p).num_rows for p in (out / "data").rglob("*.parquet"))
    assert rows == sum(published["clean"].values()) - report["failed"]
    assert f"{report['failed']:,} failed and left out" in (out / "README.md").read_text()
    assert factory_cli.main(["publish", f"persona={PERSONA}", f"root={published['root']}", "dry_run=true",
                             "context=60", "strict=true", f"out={tmp_path / 'strict'}"]) == 2
    assert "fail chat-template validation (strict=true)" in capsys.readouterr().err
    assert not (tmp_path / "strict").exists()


def test_missing_token_is_a_clear_error(published, tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("HF_TOKEN", "HF_TOKEN_PATH", "HUGGING_FACE_HUB_TOKEN")}
    env["HF_HOME"] = str(tmp_path / "empty-hf-home")  # no stored login either
    proc = subprocess.run([sys.executable, "-m", "factory", "publish", f"persona={PERSONA}",
                           f"root={published['root']}", "repo=someone/x"], cwd=REPO_ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert proc.stderr.strip() == ("error: no Hugging Face token: set HF_TOKEN or run `hf auth login` "
                                   "(or pass dry_run=true)")


@pytest.mark.parametrize("args, message", [
    (["repo=not-a-repo"], "repo must look like <user>/<name>"),
    (["dry_run=maybe"], "expected true/false"),
    (["persona=ghost", "dry_run=true"], "unknown persona 'ghost'"),
])
def test_bad_input(published, capsys, args, message):
    base = {"persona": PERSONA, "root": str(published["root"])}
    for a in args:
        key, value = a.split("=", 1)
        base[key] = value
    assert factory_cli.main(["publish", *(f"{k}={v}" for k, v in base.items())]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and "\n" not in err


@pytest.mark.network(env="HF_TOKEN")
def test_upload_to_a_private_repo(published):
    from huggingface_hub import HfApi

    api = HfApi(token=os.environ["HF_TOKEN"])
    repo = f"{api.whoami()['name']}/crucible-test-{uuid.uuid4().hex[:8]}"
    try:
        assert publish_main([f"persona={PERSONA}", f"root={published['root']}", f"repo={repo}", "private=true",
                             f"out={published['root'] / 'upload'}"]) == 0
        info = api.dataset_info(repo)
        assert info.private
        files = set(api.list_repo_files(repo, repo_type="dataset"))
        assert "README.md" in files and "data/identity/train-00000.parquet" in files
    finally:
        api.delete_repo(repo, repo_type="dataset", missing_ok=True)

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
    # a trained tokenizer and shards with a short context, as `just demo` leaves them: neither may leak its folder
    # into the card or the reports, nor limit what is published
    from trainer.tokenizer import Tokenizer

    records = [r for recs in info["kept"].values() for r in recs]
    Tokenizer.train([json.dumps(r["messages"]) for r in records], vocab_size=300).save(info["corpus"] / "tokenizer")
    (info["corpus"] / "shards").mkdir()
    (info["corpus"] / "shards" / "manifest.json").write_text(json.dumps({"seq_len": 256}))
    funnel_path = info["corpus"] / "reports" / "funnel.json"  # filters/pipeline.finalize names its output folders
    funnel = json.loads(funnel_path.read_text())
    funnel |= {"clean": str(info["corpus"] / "clean"), "rejected": str(info["corpus"] / "rejected")}
    funnel_path.write_text(json.dumps(funnel))
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
            assert row["tools"][0]["type"] == "function"
            call = next(m for m in row["messages"] if m.get("tool_calls"))["tool_calls"][0]
            assert call["function"]["arguments"]["code"]  # an object, as templates need it (datasets Json column)
            assert row["lineage"]["generator"] == "generators.tool_use"


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


def test_every_clean_record_is_published_without_a_length_limit(published):
    """Length limits belong to whoever trains: the local trainer's context (shards/manifest.json) is not one."""
    report = json.loads((published["out"] / "reports" / "validation.json").read_text())
    assert report["context"] is None and report["failed"] == 0 and report["checked"] == sum(published["clean"].values())
    assert "no length limit was applied" in (published["out"] / "README.md").read_text()


def test_a_requested_limit_counts_every_omission(published, tmp_path, capsys):
    out = tmp_path / "small"
    full = json.loads((published["out"] / "reports" / "validation.json").read_text())
    context = int(full["mean_tokens"])  # about half the records are longer
    assert publish_main([f"persona={PERSONA}", f"root={published['root']}", "dry_run=true", f"context={context}",
                         f"out={out}"]) == 0
    printed = capsys.readouterr().out
    report = json.loads((out / "reports" / "validation.json").read_text())
    failed = report["failed"]
    assert failed > 10 and f"{failed} left out" in printed
    # the terminal shows ten and says how many more; the card counts all of them by reason and by family
    assert printed.count("  left out ") == 10 and f"... and {failed - 10} more" in printed
    assert len(report["failures"]) == failed
    import pyarrow.parquet as pq

    rows = sum(pq.read_metadata(p).num_rows for p in (out / "data").rglob("*.parquet"))
    assert rows == sum(published["clean"].values()) - failed
    card = (out / "README.md").read_text()
    assert f"{failed:,} left out" in card and f"| longer than context | {failed:,} |" in card
    for family, n in report["by_family"].items():
        assert f"| {family} | {n:,} |" in card
    assert sum(report["by_family"].values()) == failed
    assert factory_cli.main(["publish", f"persona={PERSONA}", f"root={published['root']}", "dry_run=true",
                             f"context={context}", "strict=true", f"out={tmp_path / 'strict'}"]) == 2
    assert "fail training validation (strict=true)" in capsys.readouterr().err
    assert not (tmp_path / "strict").exists()


def test_no_path_of_this_machine_in_the_folder(published):
    """A card on the Hub must not leak the publisher's home folder: grep everything (data too) for the home dir, the
    working dir and the corpus path. The corpus here has a trained tokenizer, whose folder the report used to name."""
    needles = {str(Path.home()), str(Path.cwd()), str(REPO_ROOT), str(published["root"]),
               str(published["corpus"]), str(Path(published["corpus"]).resolve())}
    for path in published["out"].rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            for needle in needles:
                assert needle.encode() not in data, f"{path.relative_to(published['out'])} names {needle}"


def test_a_local_path_in_a_report_stops_the_build(published, tmp_path):
    from factory.publish import check_no_local_paths

    folder = tmp_path / "folder"
    (folder / "reports").mkdir(parents=True)
    (folder / "README.md").write_text("clean card\n")
    check_no_local_paths(folder, published["corpus"])
    (folder / "reports" / "x.json").write_text(json.dumps({"dir": str(published["corpus"] / "tokenizer")}))
    with pytest.raises(RuntimeError, match="contains the local path"):
        check_no_local_paths(folder, published["corpus"])


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

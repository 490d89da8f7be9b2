"""`python -m factory publish persona=lanbot repo=<user>/<name> [private=true] [dry_run=true] [out=DIR]`.

Ships the clean corpus to the Hugging Face Hub as a dataset: one parquet config per family (plus `all`) in the `hf`
export's shape (factory/export.py: rows that real chat templates render), the card (factory/card.py) and the
reports it is built from. Before anything is written every record is rendered the way training will see it
(factory.export.validate_for_training); a record that does not render or has nothing to learn is left out, or with
strict=true stops the run. Every clean record is kept otherwise: length limits belong to whoever trains (Hub users
train with other contexts than the local demo; trainer/pack.py cuts and counts what does not fit its rows), so
records are left out for their length only when the user asks, with `context=N`. Every omission is counted in full
in the card and listed in reports/validation.json.

Nothing in the folder may name a path of the publisher's machine (a card on the Hub would leak their home folder):
reports drop their local paths, and the finished folder is checked for the corpus, home and working directories
before it replaces the old one. The folder is built in full next to its final place and swapped in by rename, so
`dry_run=true` leaves exactly what would be uploaded and a failed run never leaves half a folder.

The token comes from HF_TOKEN or the Hub login (`hf auth login`) and goes only to huggingface_hub: it is never
printed, logged or written to the card.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path
from typing import Any

from schemas import FAMILIES
from schemas.chat import CALLS
from schemas.settings import UsageError, parse_settings
from schemas.storage import find_tokenizer, read_clean, replace_dir, staging_dir

_REPO = re.compile(r"^[A-Za-z0-9][\w.-]{0,95}/[A-Za-z0-9][\w.-]{0,95}$")


def hub_token() -> str | None:
    from huggingface_hub import get_token

    return os.environ.get("HF_TOKEN") or get_token()


# Report fields that hold paths of the publisher's machine (funnel.json's output folders): not published.
LOCAL_FIELDS = ("clean", "rejected", "corpus", "dir", "path")
SHOWN_LEFT_OUT = 10


def public_report(data: Any) -> Any:
    """A report without the fields that name local paths (top level only: that is where the filter puts them)."""
    if isinstance(data, dict):
        return {k: v for k, v in data.items() if k not in LOCAL_FIELDS}
    return data


def local_paths(corpus: Path) -> list[str]:
    """Paths of this machine that must not appear in a published folder."""
    found = {str(corpus), str(corpus.resolve()), str(Path.home()), str(Path.cwd()), str(Path.cwd().resolve())}
    return sorted(p for p in found if len(p) > 1)


def check_no_local_paths(folder: Path, corpus: Path) -> None:
    """Refuse a folder whose card or reports name a local path. (The data is the records themselves, made in the
    sandbox; tests/test_publish.py greps it too.)"""
    needles = [p.encode() for p in local_paths(corpus)]
    for path in [folder / "README.md", *sorted((folder / "reports").rglob("*"))]:
        if path.is_file():
            data = path.read_bytes()
            for needle in needles:
                if needle in data:
                    raise RuntimeError(f"{path.relative_to(folder)} contains the local path {needle.decode()!r}; "
                                       "refusing to publish it")


def build_folder(corpus: Path, repo: str, out: Path, *, license: str = "mit", context: int | None = None,
                 tokenizer: str | None = None, strict: bool = False, calls: str = "split") -> dict[str, Any]:
    """Write the dataset folder (data/<family>/train-00000.parquet, README.md, reports/); returns a summary."""
    from factory.card import build_card
    from factory.export import to_hf, validate_for_training, write_hf_parquet
    from factory.stats import compute, load_corpus
    from schemas import PersonaError, load_persona

    try:
        persona = load_persona(corpus / "persona.toml")
    except PersonaError as exc:
        raise UsageError(str(exc)) from None
    by_family = read_clean(corpus)
    records = [r for recs in by_family.values() for r in recs]
    validation = validate_for_training(records, context, find_tokenizer(corpus, tokenizer), calls)
    failed = {f["id"] for f in validation["failures"]}
    if failed and strict:
        first = validation["failures"][0]
        raise UsageError(f"{len(failed)} records fail training validation (strict=true); first: "
                         f"{first['id']}: {first['reason']}")
    kept = {fam: [r for r in recs if r.get("id") not in failed] for fam, recs in by_family.items()}
    kept = {fam: recs for fam, recs in kept.items() if recs}
    if not kept:
        raise UsageError("no record passed chat-template validation; nothing to publish")
    order = FAMILIES
    families = {fam: len(kept[fam]) for fam in sorted(kept, key=lambda f: (order.index(f) if f in order else 99, f))}
    stats = compute(load_corpus(corpus, persona.slug))
    reports = corpus / "reports"
    funnel = public_report(json.loads((reports / "funnel.json").read_text())) \
        if (reports / "funnel.json").is_file() else None
    decon = (public_report(json.loads((reports / "decontamination.json").read_text()))
             if (reports / "decontamination.json").is_file() else None)

    tmp = staging_dir(out)  # named after this process: a killed publish's leftovers are swept by the next one
    try:
        for fam in families:
            write_hf_parquet([to_hf(r, calls) for r in kept[fam]], tmp / "data" / fam / "train-00000.parquet")
        card = build_card(persona=persona, repo=repo, families=families,
                          records=[r for fam in families for r in kept[fam]], stats=stats, funnel=funnel,
                          decontamination=decon, validation=validation, license=license, calls=calls)
        (tmp / "README.md").write_text(card, encoding="utf-8")
        (tmp / "reports").mkdir()
        (tmp / "reports" / "stats.json").write_text(json.dumps(public_report(stats), indent=1, ensure_ascii=False)
                                                   + "\n")
        (tmp / "reports" / "validation.json").write_text(json.dumps(validation, indent=1, ensure_ascii=False) + "\n")
        for name, data in (("funnel.json", funnel), ("decontamination.json", decon)):
            if data is not None:
                (tmp / "reports" / name).write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n")
        check_no_local_paths(tmp, corpus)
        replace_dir(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return {"folder": str(out), "families": families, "records": sum(families.values()), "validation": validation}


def upload(folder: Path, repo: str, private: bool, token: str) -> str:
    from huggingface_hub import HfApi
    from huggingface_hub.errors import HfHubHTTPError

    api = HfApi(token=token)
    try:
        url = api.create_repo(repo, repo_type="dataset", private=private, exist_ok=True)
        api.upload_folder(folder_path=str(folder), repo_id=repo, repo_type="dataset",
                          commit_message="Publish corpus with Crucible")
    except HfHubHTTPError as exc:
        # The message is the Hub's, which names the repo and the status; the token never appears in it.
        raise UsageError(f"Hugging Face Hub refused {repo}: {str(exc).splitlines()[0]}") from None
    return str(url)


def main(argv: list[str]) -> int:
    known = ("persona", "repo", "private", "dry_run", "out", "root", "license", "context", "tokenizer", "strict",
             "calls")
    settings, _ = parse_settings(argv, known, usage="publish persona=<name> repo=<user>/<name> [dry_run=true]")
    persona = settings.get("persona")
    if not persona:
        raise UsageError("need persona=<name>")
    dry_run, private = settings.flag("dry_run"), settings.flag("private")
    repo = settings.get("repo") or (f"your-username/{persona}-corpus" if dry_run else "")
    if not repo:
        raise UsageError("need repo=<user>/<name> (or dry_run=true to only build the folder)")
    if not _REPO.match(repo):
        raise UsageError(f"repo must look like <user>/<name>, got {repo!r}")
    context = settings.integer("context", 0, low=1) if "context" in settings else None
    calls = settings.get("calls", "split")
    if calls not in CALLS:
        raise UsageError(f"calls must be one of {', '.join(CALLS)}, got {calls!r}")
    token = None
    if not dry_run:  # fail before the (slow) build when the upload cannot happen
        token = hub_token()
        if not token:
            raise UsageError("no Hugging Face token: set HF_TOKEN or run `hf auth login` (or pass dry_run=true)")
    from schemas import corpora_root

    root = Path(settings["root"]) if "root" in settings else corpora_root()
    corpus = root / persona
    if not corpus.is_dir():
        raise UsageError(f"unknown persona {persona!r}: no folder {corpus}")
    out = Path(settings["out"]) if "out" in settings else corpus / "publish" / repo.split("/")[1]
    info = build_folder(corpus, repo, out, license=settings.get("license", "mit"), context=context,
                        tokenizer=settings.get("tokenizer"), strict=settings.flag("strict"),
                        calls=calls)
    v = info["validation"]
    limit = f"context {v['context']:,} tokens" if v["context"] else "no length limit"
    print(f"built {out}: {info['records']} records in {len(info['families'])} configs "
          f"({', '.join(f'{k} {n}' for k, n in info['families'].items())}); "
          f"validation ({limit}): {v['checked']} checked, {v['failed']} left out ({v['method']})")
    for f in v["failures"][:SHOWN_LEFT_OUT]:
        print(f"  left out {f['id']} ({f['family']}): {f['reason']}")
    if v["failed"] > SHOWN_LEFT_OUT:
        print(f"  ... and {v['failed'] - SHOWN_LEFT_OUT} more (all {v['failed']} in {out / 'reports' / 'validation.json'})")
    if dry_run:
        print("dry run: nothing uploaded")
        return 0
    assert token is not None
    url = upload(out, repo, private, token)
    print(f"published {'private ' if private else ''}dataset -> {url}")
    return 0

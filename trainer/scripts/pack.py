"""`python -m trainer pack persona=lanbot seq_len=1024`: render records and pack them into fixed-length shards.

Reads corpora/<persona>/clean with corpora/<persona>/tokenizer and writes corpora/<persona>/shards/ (or input=,
tokenizer=, out= for any other corpus).
"""

import time
from pathlib import Path

from schemas.settings import UsageError, parse_settings
from schemas.storage import corpus_paths
from trainer.corpus import find_corpus, iter_documents
from trainer.pack import pack_documents
from trainer.tokenizer import Tokenizer


def main(argv: list[str]) -> int:
    known = ("persona", "seq_len", "tokenizer", "val_frac", "input", "out", "rows_per_shard", "seed", "root")
    settings, _ = parse_settings(argv, known)
    persona = settings.get("persona")
    if not persona and not ("input" in settings and "out" in settings and "tokenizer" in settings):
        raise UsageError("need persona=<name>, or input=, out= and tokenizer= together")
    seq_len = settings.integer("seq_len", 512)
    rows_per_shard = settings.integer("rows_per_shard", 1024)
    seed = settings.integer("seed", 0)
    val_frac = settings.number("val_frac", 0.05)
    root = settings.get("root")
    corpus = corpus_paths(str(persona), root)
    tok_dir = Path(settings["tokenizer"]) if "tokenizer" in settings else corpus.tokenizer
    if not (tok_dir / "tokenizer.json").is_file():
        raise UsageError(f"no tokenizer at {tok_dir}; run `python -m trainer tokenizer persona={persona}` first")
    tok = Tokenizer.load(tok_dir)
    paths, note = find_corpus(root, persona, settings.get("input"))
    if note:
        print(f"note: {note}")
    out = Path(settings["out"]) if "out" in settings else corpus.shards
    t0 = time.time()
    manifest = pack_documents(iter_documents(paths), tok, out, seq_len, val_frac, rows_per_shard, seed,
                              source=[str(p) for p in paths])
    for split, s in manifest["splits"].items():
        print(
            f"{split:>5}: {s['records']} records, {s['tokens']:,} tokens ({s['supervised_tokens']:,} supervised) "
            f"in {s['rows']} rows of {manifest['row_len']}, padding {s['padding_fraction']:.2%}, "
            f"{s['split_records']} split into {s['chunks']} chunks, {len(s['shards'])} shard(s)"
        )
    print(f"packed with tokenizer {tok.id} in {time.time() - t0:.1f}s -> {out}")
    return 0

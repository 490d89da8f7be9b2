"""`python -m trainer tokenizer persona=lanbot vocab=4096`: train the BPE tokenizer on a corpus.

Reads corpora/<persona>/clean (or raw, or input=<file or folder>) and writes corpora/<persona>/tokenizer/.
"""

import time
from pathlib import Path

from schemas.settings import UsageError, parse_settings
from schemas.storage import corpus_paths
from trainer.corpus import corpus_texts, find_corpus
from trainer.tokenizer import Tokenizer, take_chars


def main(argv: list[str]) -> int:
    settings, _ = parse_settings(argv, ("persona", "vocab", "input", "out", "root", "max_chars"))
    vocab = settings.integer("vocab", 4096, low=1)
    max_chars = int(settings.number("max_chars", 0, low=0)) or None
    persona = settings.get("persona")
    if not persona and "input" not in settings:
        raise UsageError("need persona=<name> (reads corpora/<name>/clean) or input=<file or folder>")
    root = settings.get("root")
    paths, note = find_corpus(root, persona, settings.get("input"))
    if note:
        print(f"note: {note}")
    out = Path(settings["out"]) if "out" in settings else corpus_paths(str(persona), root).tokenizer
    t0 = time.time()
    stats = {"documents": 0, "chars": 0}
    texts = corpus_texts(paths, stats)
    if max_chars is not None:  # a big pretraining mix: a sample of its start is plenty for a small vocabulary
        texts = take_chars(texts, max_chars)
    tok = Tokenizer.train(texts, vocab)
    tok.save(out)
    if tok.vocab_size < vocab:
        print(f"note: the corpus ran out of byte pairs to merge: vocab {tok.vocab_size} < {vocab} asked")
    print(
        f"trained tokenizer {tok.id}: vocab {tok.vocab_size} ({vocab} asked) on {stats['documents']} documents, "
        f"{stats['chars']:,} chars in {time.time() - t0:.1f}s -> {out}"
    )
    return 0

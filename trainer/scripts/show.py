"""`python -m trainer show FILE [n=1] [skip=0] [tokenizer=DIR] [plain=true]`: a record with its supervised tokens
highlighted, to see exactly what the model is trained to produce."""

import os
import sys
from pathlib import Path

from schemas.settings import UsageError, parse_settings
from schemas.storage import corpus_paths
from trainer.corpus import document_texts, iter_documents
from trainer.render import render, show_plain, show_rich
from trainer.tokenizer import Tokenizer


def main(argv: list[str]) -> int:
    settings, rest = parse_settings(argv, ("n", "skip", "tokenizer", "plain"), positional=1,
                                    usage="show FILE [n=1] [skip=0] [tokenizer=DIR] [plain=true]")
    if len(rest) != 1:
        raise UsageError("usage: python -m trainer show FILE [n=1] [skip=0] [tokenizer=DIR] [plain=true]")
    path = Path(rest[0])
    if not path.is_file():
        raise UsageError(f"{path} is not a file")
    n, skip = settings.integer("n", 1, low=1), settings.integer("skip", 0, low=0)
    plain = settings.flag("plain", default=not sys.stdout.isatty())
    docs = []
    for i, doc in enumerate(iter_documents([path])):
        if i >= skip + n:
            break
        if i >= skip:
            docs.append(doc)
    if not docs:
        raise UsageError(f"{path}: no records to show (skip={skip})")
    if "tokenizer" in settings:
        tok = Tokenizer.load(settings["tokenizer"])
    else:
        persona = docs[0].get("persona")
        found = corpus_paths(str(persona)).tokenizer
        if persona and (found / "tokenizer.json").is_file():
            tok = Tokenizer.load(found)
        else:
            # no trained tokenizer yet: a throwaway one from these records still shows the spans faithfully
            tok = Tokenizer.train((t for d in docs for t in document_texts(d)), 1024)
            print(f"note: no tokenizer given or at {found}; using a throwaway one trained on {path.name}")
    try:
        for doc in docs:
            try:
                ids, mask = render(doc, tok)
            except ValueError as exc:
                raise UsageError(str(exc)) from None
            print(f"# {doc.get('id')} {doc.get('family', 'text')}: {len(ids)} tokens, {sum(mask)} supervised")
            if plain:
                print(show_plain(ids, mask, tok))
            else:
                show_rich(ids, mask, tok)
            print()
    except BrokenPipeError:  # `... | head` closed the pipe: the reader has seen enough; silence the exit-time flush
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0

"""
Reading a corpus for the trainer: records (or plain-text documents) from parquet and JSONL, in one normal shape.

The filter writes parquet whose nested fields (messages, tools) may be JSON strings or struct columns; generators write
JSONL; pretraining mixtures are parquet with a `text` column. Every reader in the trainer (tokenizer training, packing,
the visualiser) goes through `iter_documents` so they all see the same thing: a record dict with `messages` and
`tools` as Python lists, or `{"id", "text"}` for a plain document.
"""

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path

from schemas import record_id
from schemas.settings import InputError
from schemas.storage import corpus_paths, decode_row, publish_pending


def find_corpus(root: str | Path | None, persona: str | None,
                input_path: str | None) -> tuple[list[Path], str | None]:
    """
    The files to read and an optional note: input= wins (files or folders, comma-separated: a mixture of chat records
    and plain-text parquet); else the persona's clean parquet; else its raw JSONL (with a note saying so).
    """
    if input_path:
        files: list[Path] = []
        for part in input_path.split(","):
            p = Path(part.strip())
            if p.is_file():
                files.append(p)
            elif p.is_dir():
                found = sorted(p.rglob("*.parquet")) + sorted(f for f in p.rglob("*.jsonl") if _is_record_jsonl(f))
                if not found:
                    raise InputError(f"no .parquet or .jsonl files under {p}")
                files += found
            else:
                raise InputError(f"input {p} does not exist")
        return files, None
    assert persona, "need a persona or an input path"
    base = corpus_paths(persona, root).root
    if publish_pending(base):  # clean/ may be one filter run's and its reports another's until the publish finishes
        raise InputError(f"the last filter run of {base} was killed while publishing; run `python -m factory filter "
                         f"persona={persona} --resume` to finish it")
    clean = sorted((base / "clean").rglob("*.parquet"))
    if clean:
        return clean, None
    raw = sorted(f for f in (base / "raw").rglob("*.jsonl") if _is_record_jsonl(f))
    if raw:
        return raw, f"no clean parquet under {base / 'clean'}; using {len(raw)} raw JSONL file(s) (unfiltered)"
    raise InputError(f"no corpus for persona {persona!r}: nothing under {base / 'clean'} or {base / 'raw'}")


def _is_record_jsonl(path: Path) -> bool:
    # rejected.jsonl holds dropped generations, never training data
    return path.suffix == ".jsonl" and not path.name.startswith("rejected")


def iter_documents(paths: list[Path]) -> Iterator[dict]:
    """Yield normalised records / plain-text docs from parquet and JSONL files, in file order."""
    for path in paths:
        if path.suffix == ".parquet":
            yield from _iter_parquet(path)
        elif path.suffix in (".jsonl", ".json"):
            yield from _iter_jsonl(path)
        else:
            raise InputError(f"{path}: expected .parquet or .jsonl")


def _iter_jsonl(path: Path) -> Iterator[dict]:
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                raise InputError(f"{path}:{lineno}: not JSON ({exc.msg})") from None
            if not isinstance(obj, dict) or obj.get("rejected"):
                continue
            if "messages" in obj or "text" in obj:
                yield normalize(obj, where=f"{path}:{lineno}")


def _iter_parquet(path: Path) -> Iterator[dict]:
    import polars as pl

    try:
        df = pl.read_parquet(path)
    except Exception as exc:
        raise InputError(f"{path}: cannot read parquet ({type(exc).__name__}: {exc})") from None
    if "messages" not in df.columns and "text" not in df.columns:
        raise InputError(f"{path}: needs a `messages` or a `text` column, has {df.columns}")
    for i, row in enumerate(df.iter_rows(named=True)):
        yield normalize(row, where=f"{path}[{i}]")


def normalize(doc: dict, where: str = "record") -> dict:
    """A record (JSON-string or struct columns decoded, struct nulls dropped) or a plain-text doc with an id."""
    if doc.get("messages") is None:
        text = doc.get("text")
        if not isinstance(text, str):
            raise InputError(f"{where}: neither messages nor a text string")
        doc_id = doc.get("id") or hashlib.sha256(text.encode()).hexdigest()[:32]
        return {"id": str(doc_id), "text": text}
    rec = decode_row(doc, where)
    if rec.get("tools") is None:
        rec["tools"] = []
    if not isinstance(rec["messages"], list):
        raise InputError(f"{where}: messages must be a list, got {type(rec['messages']).__name__}")
    if not rec.get("id"):
        rec["id"] = record_id(rec)
    return rec


def document_texts(doc: dict) -> list[str]:
    """The strings a tokenizer should learn from: everything the renderer puts between special tokens."""
    from trainer.render import tool_call_json, tool_output_header, tools_text

    if "text" in doc and "messages" not in doc:
        return [doc["text"]]
    texts = []
    if doc.get("tools"):
        texts.append(tools_text(doc["tools"]))
    for msg in doc["messages"]:
        if msg.get("reasoning"):
            texts.append(msg["reasoning"])
        if msg.get("content"):
            texts.append(msg["content"])
        for call in msg.get("tool_calls") or []:
            texts.append(tool_call_json(call))
        if msg.get("role") == "tool":
            texts.append(tool_output_header(msg))
    return texts


def corpus_texts(paths: list[Path], stats: dict | None = None) -> Iterator[str]:
    """All training strings of a corpus, streamed; counts documents and chars into `stats`."""
    for doc in iter_documents(paths):
        texts = document_texts(doc)
        if stats is not None:
            stats["documents"] = stats.get("documents", 0) + 1
            stats["chars"] = stats.get("chars", 0) + sum(len(t) for t in texts)
        yield from texts

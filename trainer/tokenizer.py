"""
The BPE tokenizer: trained on our own corpus with rustbpe, run through tiktoken.

Why our own: the corpus is Python, shell sessions, JSON tool calls and one persona's prose, so a vocabulary learned
from it spends its ids on `\\n        return`, `"arguments":` and the persona's name instead of on web text.
rustbpe trains fast and exports tiktoken-compatible ranks; tiktoken encodes fast (Rust) and never needs the network
because we build the `tiktoken.Encoding` from our ranks (tiktoken.get_encoding would download its files).

Layout of the ids: 0..255 are the raw bytes, then the learned merges, then the special tokens. Plain `encode` never
recognises special-token text inside a string: a record that contains the literal "<|bos|>" stays text.

    python -m trainer tokenizer persona=lanbot vocab=4096      # -> corpora/lanbot/tokenizer/
"""

import base64
import hashlib
import json
import shutil
from collections.abc import Iterable, Sequence
from pathlib import Path

import rustbpe
import tiktoken

from schemas.settings import InputError
from schemas.storage import replace_dir, staging_dir

SPECIAL_TOKENS = [
    "<|bos|>",  # starts every document / conversation; also the padding id in packed rows (always masked there)
    "<|system_start|>",
    "<|system_end|>",
    "<|user_start|>",
    "<|user_end|>",
    "<|assistant_start|>",
    "<|assistant_end|>",
    "<|reasoning_start|>",  # the hidden analysis channel, inside an assistant turn
    "<|reasoning_end|>",
    "<|tool_call_start|>",  # one block per call: {"name": ..., "arguments": {...}}
    "<|tool_call_end|>",
    "<|tool_output_start|>",  # one block per tool message: header line with name and call id, then the output
    "<|tool_output_end|>",
    "<|tools_start|>",  # the tools offered in this conversation, as their definitions
    "<|tools_end|>",
]

# The split pattern decides which byte runs BPE may merge; tokens never cross a split boundary. It is GPT-4's, changed
# for code:
#  - `\s*[\r\n][ \t]*`: a line break together with any blank lines before it and the NEXT line's indentation is one
#    chunk, so BPE learns "\n    ", "\n        ", "\n\t\t" as single tokens: one token per line of indentation instead
#    of GPT-4's split of "\n" + "   " + " def" (which scatters indentation over 2-3 tokens and hides the nesting level).
#    For the same reason punctuation no longer swallows the newlines after it (GPT-4 has `[\r\n]*` there), so "):\n" +
#    "    return" becomes "):" + "\n    " + "return".
#  - `[ \t]+(?!\S)`: other runs of spaces/tabs (alignment inside a line, trailing blanks) stay whole, less one
#    character so a following word keeps its leading space (" =", " foo").
#  - `\p{N}{1,3}`: digits in groups of one to three, so numbers cost at most ~n/3 tokens and the vocabulary does not
#    fill up with arbitrary long numbers (ports, timestamps, line numbers are everywhere in tool output).
SPLIT_PATTERN = (
    r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]++"""
    r"""|\s*[\r\n][ \t]*|[ \t]+(?!\S)|\s+"""
)

FORMAT = "crucible.tokenizer/1"
MIN_VOCAB = 256 + len(SPECIAL_TOKENS)


class Tokenizer:
    """A trained BPE vocabulary plus our special tokens, encoding through tiktoken."""

    def __init__(self, mergeable_ranks: dict[bytes, int], pattern: str = SPLIT_PATTERN):
        assert len(mergeable_ranks) >= 256, f"expected at least the 256 byte tokens, got {len(mergeable_ranks)}"
        assert sorted(mergeable_ranks.values()) == list(range(len(mergeable_ranks))), "ranks must be 0..n-1"
        self.mergeable_ranks = mergeable_ranks
        self.pattern = pattern
        offset = len(mergeable_ranks)
        self.specials: dict[str, int] = {name: offset + i for i, name in enumerate(SPECIAL_TOKENS)}
        self.vocab_size = offset + len(SPECIAL_TOKENS)
        self.enc = tiktoken.Encoding(
            name="crucible", pat_str=pattern, mergeable_ranks=mergeable_ranks, special_tokens=self.specials
        )
        self.id = self._content_hash()
        self._special_ids = frozenset(self.specials.values())
        self._special_names = {i: name for name, i in self.specials.items()}

    @classmethod
    def train(cls, texts: Iterable[str], vocab_size: int, pattern: str = SPLIT_PATTERN) -> "Tokenizer":
        """Learn `vocab_size - len(SPECIAL_TOKENS)` byte-level tokens from `texts` (fewer if the corpus runs out of pairs)."""
        if vocab_size < MIN_VOCAB:
            raise InputError(f"vocab size {vocab_size} too small: need at least {MIN_VOCAB} (256 bytes + specials)")
        bpe = rustbpe.Tokenizer()  # pyright: ignore[reportAttributeAccessIssue]  (compiled module, no stubs)
        bpe.train_from_iterator(iter(texts), vocab_size=vocab_size - len(SPECIAL_TOKENS), pattern=pattern)
        ranks = {bytes(token): rank for token, rank in bpe.get_mergeable_ranks()}
        return cls(ranks, pattern)

    def encode(self, text: str) -> list[int]:
        """Plain text to ids; special-token text inside `text` is encoded as ordinary bytes, never as a special id."""
        return self.enc.encode_ordinary(text)

    def encode_batch(self, texts: Sequence[str]) -> list[list[int]]:
        return self.enc.encode_ordinary_batch(list(texts))

    def decode(self, ids: Iterable[int]) -> str:
        """Ids back to text; special ids become their names, invalid UTF-8 (a cut multi-byte char) becomes U+FFFD."""
        return self.enc.decode(list(ids))

    def special(self, name: str) -> int:
        if name not in self.specials:
            raise KeyError(f"unknown special token {name!r}; one of: {', '.join(self.specials)}")
        return self.specials[name]

    def is_special(self, token_id: int) -> bool:
        return token_id in self._special_ids

    def special_name(self, token_id: int) -> str | None:
        return self._special_names.get(token_id)

    @property
    def bos(self) -> int:
        return self.specials["<|bos|>"]

    def token_bytes(self, token_id: int) -> bytes:
        """The bytes of one token (for bits-per-byte: special tokens count as zero bytes)."""
        if token_id in self._special_ids:
            return b""
        return self.enc.decode_single_token_bytes(token_id)

    def token_byte_lengths(self) -> list[int]:
        """Bytes per id, 0 for specials: sum over targets / ln 2 turns a summed loss into bits per byte."""
        lengths = [0] * self.vocab_size
        for token, rank in self.mergeable_ranks.items():
            lengths[rank] = len(token)
        return lengths

    def _content_hash(self) -> str:
        h = hashlib.sha256()
        h.update(FORMAT.encode())
        h.update(self.pattern.encode())
        h.update(json.dumps(SPECIAL_TOKENS).encode())
        for token, rank in sorted(self.mergeable_ranks.items(), key=lambda kv: kv[1]):
            h.update(rank.to_bytes(4, "little") + len(token).to_bytes(2, "little") + token)
        return h.hexdigest()[:16]

    def save(self, directory: str | Path) -> Path:
        """Write tokenizer.json (pattern, specials, id) and ranks.tiktoken (tiktoken's text format) atomically."""
        directory = Path(directory)
        directory.parent.mkdir(parents=True, exist_ok=True)
        tmp = staging_dir(directory)
        try:
            ranks = "".join(
                f"{base64.b64encode(token).decode()} {rank}\n"
                for token, rank in sorted(self.mergeable_ranks.items(), key=lambda kv: kv[1])
            )
            (tmp / "ranks.tiktoken").write_text(ranks)
            meta = {
                "format": FORMAT,
                "id": self.id,
                "vocab_size": self.vocab_size,
                "pattern": self.pattern,
                "specials": self.specials,
            }
            (tmp / "tokenizer.json").write_text(json.dumps(meta, indent=2) + "\n")
            replace_dir(tmp, directory)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        return directory

    @classmethod
    def load(cls, directory: str | Path) -> "Tokenizer":
        directory = Path(directory)
        meta_path, ranks_path = directory / "tokenizer.json", directory / "ranks.tiktoken"
        if not meta_path.is_file() or not ranks_path.is_file():
            raise InputError(f"no tokenizer in {directory} (expected tokenizer.json and ranks.tiktoken)")
        try:
            meta = json.loads(meta_path.read_text())
            if meta.get("format") != FORMAT:
                raise InputError(f"{meta_path}: format {meta.get('format')!r}, expected {FORMAT!r}")
            ranks: dict[bytes, int] = {}
            for line in ranks_path.read_text().splitlines():
                token, rank = line.split()
                ranks[base64.b64decode(token, validate=True)] = int(rank)
            tok = cls(ranks, meta["pattern"])
        except InputError:
            raise
        except Exception as exc:  # garbled or cut-short files: json, base64, int and tiktoken each fail their own way
            raise InputError(f"tokenizer in {directory} is corrupt ({type(exc).__name__}: {str(exc)[:100]})") from None
        if meta["specials"] != tok.specials or meta["id"] != tok.id:
            raise InputError(f"{directory}: tokenizer files disagree (id {meta['id']} vs content {tok.id})")
        return tok

    def __repr__(self) -> str:
        return f"Tokenizer(id={self.id}, vocab_size={self.vocab_size})"


def take_chars(texts: Iterable[str], budget: int) -> Iterable[str]:
    for text in texts:
        if budget <= 0:
            return
        yield text[:budget]
        budget -= len(text)

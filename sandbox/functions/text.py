"""Text utilities: counting, case and slug conversion, palindromes, edit distance, ciphers, extraction."""

import re
from collections import Counter

from ._common import need

_WORD = re.compile(r"[^\W_]+(?:['’-][^\W_]+)*")


def word_count(text: str) -> dict:
    """Count the words, characters and sentences of a text.

    Args:
        text: The text to count.
    """
    sentences = [s for s in re.split(r"[.!?]+(?:\s|$)", text) if s.strip()]
    return {"words": len(_WORD.findall(text)), "characters": len(text), "sentences": len(sentences)}


def slugify(text: str, separator: str = "-") -> str:
    """Turn a title into a URL slug: lowercase ASCII words joined by a separator.

    Args:
        text: The text to turn into a slug.
        separator: What joins the words, '-' by default.
    """
    import unicodedata

    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    words = re.findall(r"[a-z0-9]+", plain.lower())
    need(bool(words), f"no letters or digits in {text!r}")
    return separator.join(words)


def to_title_case(text: str) -> str:
    """Capitalise a text the way titles are written, keeping short joining words lowercase.

    Args:
        text: The text to capitalise.
    """
    small = {"a", "an", "and", "as", "at", "but", "by", "for", "in", "of", "on", "or", "the", "to", "with"}
    words = text.split()
    out = [w if (i and w.lower() in small) else w[:1].upper() + w[1:] for i, w in enumerate(w.lower() for w in words)]
    return " ".join(out)


def reverse_words(text: str) -> str:
    """Reverse the order of the words in a text.

    Args:
        text: The text whose words to reverse.
    """
    return " ".join(reversed(text.split()))


def is_palindrome(text: str) -> bool:
    """Whether a text reads the same backwards, ignoring case, spaces and punctuation.

    Args:
        text: The text to check.
    """
    letters = [c.lower() for c in text if c.isalnum()]
    need(bool(letters), "the text has no letters or digits")
    return letters == letters[::-1]


def levenshtein_distance(a: str, b: str) -> int:
    """The edit distance between two strings: the fewest insertions, deletions and substitutions turning a into b.

    Args:
        a: The first string.
        b: The second string.
    """
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def caesar_cipher(text: str, shift: int) -> str:
    """Shift every letter of a text through the alphabet (a Caesar cipher); a negative shift decodes.

    Args:
        text: The text to encode or decode.
        shift: How many places to shift each letter, e.g. 3 (or -3 to decode).
    """
    out = []
    for c in text:
        if "a" <= c <= "z" or "A" <= c <= "Z":
            base = ord("a") if c.islower() else ord("A")
            out.append(chr((ord(c) - base + shift) % 26 + base))
        else:
            out.append(c)
    return "".join(out)


def top_words(text: str, n: int = 3) -> list[dict]:
    """The most frequent words of a text (case-insensitive), with their counts.

    Args:
        text: The text to analyse.
        n: How many words to return.
    """
    need(n >= 1, f"n must be at least 1, got {n}")
    counts = Counter(w.lower() for w in _WORD.findall(text))
    need(bool(counts), "the text has no words")
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:n]
    return [{"word": w, "count": c} for w, c in ranked]


def extract_emails(text: str) -> list[str]:
    """Every e-mail address mentioned in a text, in order of appearance, without repeats.

    Args:
        text: The text to search.
    """
    found = re.findall(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}", text)
    return list(dict.fromkeys(found))


def make_acronym(phrase: str) -> str:
    """The acronym of a phrase: the first letter of each significant word, uppercased.

    Args:
        phrase: The phrase, e.g. 'portable network graphics'.
    """
    skip = {"of", "and", "the", "for", "in", "on", "a", "an", "to"}
    letters = [w[0].upper() for w in _WORD.findall(phrase) if w.lower() not in skip]
    need(bool(letters), f"no words in {phrase!r}")
    return "".join(letters)


FUNCTIONS = [word_count, slugify, to_title_case, reverse_words, is_palindrome, levenshtein_distance, caesar_cipher,
             top_words, extract_emails, make_acronym]

"""Regular expressions (Python's `re` syntax) over a given text: find, replace, split and test."""

import re

from ._common import need


def _compile(pattern: str, ignore_case: bool) -> re.Pattern:
    try:
        return re.compile(pattern, re.IGNORECASE if ignore_case else 0)
    except re.error as exc:
        raise ValueError(f"bad regular expression {pattern!r}: {exc}") from None


def regex_find_all(pattern: str, text: str, ignore_case: bool = False) -> list[str]:
    """Every non-overlapping match of a regular expression in a text (the whole match, at most 100).

    Args:
        pattern: A Python regular expression.
        text: The text to search.
        ignore_case: Match regardless of letter case.
    """
    return [m.group(0) for m in _compile(pattern, ignore_case).finditer(text)][:100]


def regex_replace(pattern: str, replacement: str, text: str, ignore_case: bool = False) -> dict:
    """Replace every match of a regular expression in a text (\\1 in the replacement refers to a group).

    Args:
        pattern: A Python regular expression.
        replacement: The replacement text.
        text: The text to change.
        ignore_case: Match regardless of letter case.
    """
    try:
        out, n = _compile(pattern, ignore_case).subn(replacement, text)
    except (re.error, IndexError) as exc:
        raise ValueError(f"bad replacement {replacement!r}: {exc}") from None
    return {"text": out, "replacements": n}


def regex_split(pattern: str, text: str) -> list[str]:
    """Split a text at every match of a regular expression, dropping empty pieces.

    Args:
        pattern: A Python regular expression for the separator, e.g. '[,;]\\s*'.
        text: The text to split.
    """
    need(bool(pattern), "pattern must not be empty")
    return [p for p in _compile(pattern, False).split(text) if p]


def regex_test(pattern: str, text: str, full_match: bool = False) -> dict:
    """Whether a regular expression matches a text (anywhere, or the whole text), with the match and its groups.

    Args:
        pattern: A Python regular expression.
        text: The text to test.
        full_match: Require the pattern to match the entire text.
    """
    rx = _compile(pattern, False)
    m = rx.fullmatch(text) if full_match else rx.search(text)
    return {"matches": bool(m), "match": m.group(0) if m else None, "groups": list(m.groups()) if m else []}


FUNCTIONS = [regex_find_all, regex_replace, regex_split, regex_test]

"""The procedural lesson library behind `generators.textbook` (lineage `generators.textbook.procedural`).

Each lesson kind is a function `Random -> Lesson`: an explanation, a typed module, exercises and pytest tests.
Expected test values come from a reference computation written here, independently of the lesson's own code, so
the sandbox really checks the lesson against something.

Why so many moving parts per kind: the filter's MinHash near dedup compares word 5-grams (punctuation and case
dropped, every number read as 0). Lessons of one kind that differ only in their numbers are near duplicates and all
but one are dropped. So variety has to be in the words: every kind draws a scenario (a domain that names the
functions, parameters, data and prose: a thermostat's temperature vs a speaker's volume), often an implementation
variant (a loop vs a built-in, a class vs functions), one of several explanations written as separate paragraphs
with different angles (the problem first, the idea first, a pitfall, the cost), a sample from a pool of exercises,
and one of two test layouts (a parametrized table or plain asserts). All of it is teaching text: no filler.
bench/bench_textbook_variety.py measures the result (lessons verified, near-dedup survivors per kind).

Code and data are apart: a kind's function (in kinds_1.py .. kinds_5.py) holds its logic (choices, reference
computations, which pieces go together); its words, code skeletons and scene tables live in
generators/prompts/lessons/<kind>.toml (`[text]`: str.format templates whose {fields} the function fills, named after
its variables or e1, e2 .. for expressions; `[tables]`/`[rows]`/`[deep_rows]`: tables read as lists, rows as tuples),
loaded by base.lesson_text / lesson_table / lesson_rows. Reference computations the sandbox's function library
already makes (Roman numerals, bases, edit distance) are taken from sandbox/functions, not written again.

Adding a kind: write `_lesson_<name>(rng) -> Lesson` with `facets["template"] == "<name>"`, its text in
prompts/lessons/<name>.toml, and add it to TEMPLATES below. `generators.textbook.plan` deals kinds evenly; tests/test_textbook.py runs every kind's module
against its tests in the sandbox and through the filter's ruff and pyright checks. Generated tests compare
True/False/None with `is` (ruff E711/E712 in the filter) and import only what they use (F401).
"""

import random
from collections.abc import Callable

from generators.textbook_lessons.base import Lesson
from generators.textbook_lessons.kinds_1 import (
    _lesson_anagrams,
    _lesson_binary_search,
    _lesson_brackets,
    _lesson_caesar,
    _lesson_clamp,
    _lesson_duration,
    _lesson_fizzbuzz,
    _lesson_inventory,
    _lesson_palindrome,
    _lesson_parse_kv,
    _lesson_recurrence,
    _lesson_rle,
    _lesson_windows,
    _lesson_word_counts,
)
from generators.textbook_lessons.kinds_2 import (
    _lesson_bfs,
    _lesson_dates,
    _lesson_intervals,
    _lesson_matrix,
    _lesson_queue,
    _lesson_rpn,
    _lesson_sorting,
    _lesson_state_machine,
    _lesson_text_table,
    _lesson_toposort,
    _lesson_validation,
)
from generators.textbook_lessons.kinds_3 import (
    _lesson_account,
    _lesson_bases,
    _lesson_csv_totals,
    _lesson_flatten,
    _lesson_heap,
    _lesson_lru,
    _lesson_primes,
    _lesson_roman,
    _lesson_set_ops,
    _lesson_slugify,
    _lesson_sort_keys,
    _lesson_stats,
    _lesson_two_sum,
)
from generators.textbook_lessons.kinds_4 import (
    _lesson_bst,
    _lesson_case_conversion,
    _lesson_coin_change,
    _lesson_decorators,
    _lesson_deep_merge,
    _lesson_edit_distance,
    _lesson_gcd,
    _lesson_histogram,
    _lesson_life,
    _lesson_linked_list,
    _lesson_log_parsing,
    _lesson_semver,
    _lesson_text_wrap,
)
from generators.textbook_lessons.kinds_5 import (
    _lesson_context_manager,
    _lesson_inverted_index,
    _lesson_iterator_class,
    _lesson_luhn,
    _lesson_match_commands,
    _lesson_pascal,
    _lesson_receipt,
    _lesson_spiral,
)
from generators.textbook_lessons.kinds_6 import _lesson_ledger

__all__ = ["COMPOSED", "TEMPLATES", "Lesson"]


TEMPLATES: dict[str, Callable[[random.Random], Lesson]] = {
    "clamp": _lesson_clamp, "inventory": _lesson_inventory, "windows": _lesson_windows, "parse_kv": _lesson_parse_kv,
    "duration": _lesson_duration, "binary_search": _lesson_binary_search, "word_counts": _lesson_word_counts,
    "brackets": _lesson_brackets, "caesar": _lesson_caesar, "rle": _lesson_rle, "fizzbuzz": _lesson_fizzbuzz,
    "recurrence": _lesson_recurrence, "palindrome": _lesson_palindrome, "anagrams": _lesson_anagrams,
    "intervals": _lesson_intervals, "matrix": _lesson_matrix, "rpn": _lesson_rpn, "queue": _lesson_queue,
    "bfs": _lesson_bfs, "toposort": _lesson_toposort, "dates": _lesson_dates, "validation": _lesson_validation,
    "state_machine": _lesson_state_machine, "text_table": _lesson_text_table, "sorting": _lesson_sorting,
    "sort_keys": _lesson_sort_keys, "flatten": _lesson_flatten, "two_sum": _lesson_two_sum,
    "set_ops": _lesson_set_ops, "roman": _lesson_roman, "bases": _lesson_bases, "csv_totals": _lesson_csv_totals,
    "heap": _lesson_heap, "lru": _lesson_lru, "primes": _lesson_primes, "stats": _lesson_stats,
    "slugify": _lesson_slugify, "account": _lesson_account, "linked_list": _lesson_linked_list,
    "text_wrap": _lesson_text_wrap, "deep_merge": _lesson_deep_merge, "histogram": _lesson_histogram,
    "gcd": _lesson_gcd, "life": _lesson_life, "decorators": _lesson_decorators,
    "case_conversion": _lesson_case_conversion, "edit_distance": _lesson_edit_distance,
    "coin_change": _lesson_coin_change, "bst": _lesson_bst, "semver": _lesson_semver,
    "log_parsing": _lesson_log_parsing, "iterator_class": _lesson_iterator_class,
    "match_commands": _lesson_match_commands, "luhn": _lesson_luhn, "context_manager": _lesson_context_manager,
    "pascal": _lesson_pascal, "receipt": _lesson_receipt, "inverted_index": _lesson_inverted_index,
    "spiral": _lesson_spiral, "ledger": _lesson_ledger,
}
# Kinds composed from independent parts: `plan` gives them `composed_share` of the procedural lessons on top of
# their dealt slot, since their programs keep varying where the other kinds' skeletons repeat.
COMPOSED = ("ledger",)

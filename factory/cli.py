"""Command-line conventions shared by every entry point: `key=value` arguments, like the Justfile passes them.

`just generate persona=lanbot count=200` becomes `python -m factory generate persona=lanbot count=200`; plain
`--flags` pass through untouched so each command can also take argparse-style options.
"""

import sys


class UsageError(Exception):
    """Bad command-line input: printed as one line, exit code 2."""


def parse_kv(argv: list[str]) -> tuple[dict[str, str], list[str]]:
    """Split argv into `key=value` settings and the remaining positional/flag arguments."""
    settings: dict[str, str] = {}
    rest: list[str] = []
    for arg in argv:
        if "=" in arg and not arg.startswith("-"):
            key, value = arg.split("=", 1)
            if not key.isidentifier():
                raise UsageError(f"bad setting {arg!r}: expected key=value with a plain key")
            settings[key] = value
        else:
            rest.append(arg)
    return settings, rest


def as_bool(value: str | bool | None, default: bool = False) -> bool:
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    lowered = value.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off", ""):
        return False
    raise UsageError(f"expected true/false, got {value!r}")


def fail(message: str, code: int = 2) -> int:
    """One clear line on stderr and a non-zero exit code."""
    print(f"error: {message}", file=sys.stderr)
    return code

"""Command-line conventions shared by every entry point: `key=value` arguments, like the Justfile passes them.

`just generate persona=lanbot count=200` becomes `python -m factory generate persona=lanbot count=200`; plain
`--flags` pass through untouched so each command can also take argparse-style options.
"""

import importlib
import os
import sys
import warnings


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


def dispatch(program: str, commands: dict[str, tuple[str, str]], argv: list[str]) -> int:
    """`python -m <program> <command> ...`: import the command's module only when it runs, call its main(argv)."""
    # distilabel's pydantic models trip a harmless warning on import (in our process and in its workers); left on, it
    # would drown every command's output.
    warnings.filterwarnings("ignore", message="The 'default' attribute with value None")
    os.environ.setdefault("PYTHONWARNINGS", "ignore:The 'default' attribute with value None")
    if not argv or argv[0] in ("-h", "--help", "help"):
        print(f"usage: python -m {program} <command> [key=value ...]\n")
        for name, (_, what) in commands.items():
            print(f"  {name:<10} {what}")
        return 0 if argv else 2
    name, rest = argv[0], argv[1:]
    if name not in commands:
        return fail(f"unknown command {name!r}; one of: {', '.join(commands)}")
    module = importlib.import_module(commands[name][0])
    try:
        return int(module.main(rest) or 0)
    except UsageError as exc:
        return fail(str(exc))

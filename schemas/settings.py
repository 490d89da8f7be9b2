"""Command-line conventions shared by every entry point, and the error a person can fix.

`just generate persona=lanbot count=200` becomes `python -m factory generate persona=lanbot count=200`: settings are
`key=value`, checked against the command's known keys in one place (`parse_settings`), so a typo is a one-line
error everywhere instead of being silently ignored somewhere. Library code below the CLI raises `InputError` for
input a person can fix (a missing corpus, a corrupt file); the dispatcher prints it as one line with exit code 2,
so no layer has to know about the command line to fail politely.
"""

import errno
import importlib
import os
import sys
import warnings
from collections.abc import Iterable
from typing import Any


class InputError(ValueError):
    """Input a person can fix (a missing or corrupt file, a bad card): printed as one line, exit code 2."""


class UsageError(InputError):
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


class Settings(dict[str, str]):
    """A command's `key=value` settings with typed, checked accessors (each failure is one line)."""

    def integer(self, key: str, default: int, low: int | None = None) -> int:
        try:
            value = int(self.get(key, default))
        except ValueError:
            raise UsageError(f"{key} must be an integer, got {self[key]!r}") from None
        if low is not None and value < low:
            raise UsageError(f"{key} must be >= {low}, got {value}")
        return value

    def number(self, key: str, default: float, low: float | None = None, high: float | None = None) -> float:
        try:
            value = float(self.get(key, default))
        except ValueError:
            raise UsageError(f"{key} must be a number, got {self[key]!r}") from None
        if value != value or (low is not None and value < low) or (high is not None and value > high):
            bounds = f"between {low:g} and {high:g}" if low is not None and high is not None else (
                f">= {low:g}" if low is not None else f"<= {high:g}")
            raise UsageError(f"{key} must be {bounds}, got {self[key]!r}")
        return value

    def flag(self, key: str, default: bool = False) -> bool:
        return as_bool(self.get(key), default)


def parse_settings(argv: list[str], known: Iterable[str], positional: int = 0,
                   usage: str = "") -> tuple[Settings, list[str]]:
    """`key=value` settings restricted to `known`, plus at most `positional` other arguments."""
    kv, rest = parse_kv(argv)
    if len(rest) > positional:
        raise UsageError(f"unexpected argument {rest[positional]!r}; settings are key=value" + (
            f" ({usage})" if usage else ""))
    reject_unknown(kv, known)
    return Settings(kv), rest


def reject_unknown(settings: dict[str, str], known: Iterable[str]) -> None:
    known = sorted(known)
    unknown = sorted(set(settings) - set(known))
    if unknown:
        raise UsageError(f"unknown setting {unknown[0]!r}; known: {', '.join(known)}")


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


def fill_fields(obj: Any, settings: dict[str, str]) -> Any:
    """Set each `key=value` on obj (a settings dataclass with defaults), converted to the type of its default."""
    for key, value in settings.items():
        kind = type(getattr(obj, key))
        try:
            setattr(obj, key, as_bool(value) if kind is bool else kind(value))
        except ValueError:
            raise UsageError(f"{key}={value!r}: expected {kind.__name__}") from None
    return obj


def help_asked(argv: list[str], doc: str | None) -> bool:
    """`<command> -h|--help`: print the command's doc (and the caller returns 0)."""
    if argv and argv[0] in ("-h", "--help"):
        print(doc)
        return True
    return False


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
    from schemas.scratch import use_private_tmp

    use_private_tmp()  # every temp folder of this command and its children goes where its exit removes it
    module = importlib.import_module(commands[name][0])
    try:
        return int(module.main(rest) or 0)
    except InputError as exc:
        return fail(str(exc))
    except OSError as exc:
        if exc.errno not in DISK_FULL:
            raise
        return fail(disk_full_message(exc))


DISK_FULL = (errno.ENOSPC, errno.EDQUOT)


def disk_full_message(exc: OSError) -> str:
    """A full disk is the person's to fix, not a bug: one line saying where, and that rerunning continues the work
    (every stage writes atomically, so what was finished is kept and nothing half-written is trusted)."""
    where = f" writing {exc.filename}" if exc.filename else ""
    return (f"no space left on device{where}: free some space and rerun the same command (finished work is kept; "
            "filter resumes with --resume, train with resume=latest)")

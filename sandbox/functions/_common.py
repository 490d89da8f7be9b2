"""Helpers the library's domain modules share; runs on the host (schema generation) and inside the sandbox.

Stdlib only and free of side effects at import, because this file is copied into every sandbox job next to the
domain module being called. State lives in the job's work dir (`.state/*.json`, user files at the top level), so
what a call changes is exactly what the runtime carries to the next call.
"""

import json
import math
import os

STATE_DIR = ".state"
HIDDEN = (".state", ".fnlib", ".fncall.json")


def load_state(name: str, default):
    """A JSON document of the conversation's state, or `default` when nothing was stored yet."""
    path = os.path.join(STATE_DIR, name)
    if not os.path.exists(path):
        return default
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def save_state(name: str, data) -> None:
    os.makedirs(STATE_DIR, exist_ok=True)
    with open(os.path.join(STATE_DIR, name), "w", encoding="utf-8") as f:
        json.dump(data, f, indent=1, sort_keys=True, ensure_ascii=False)


def sig(x: float, digits: int = 6) -> float | int:
    """A float cut to `digits` significant digits (integral values come back as int), so outputs stay readable."""
    if isinstance(x, bool) or not math.isfinite(x):
        raise ValueError(f"result is not a finite number: {x}")
    if x == 0:
        return 0
    value = float(f"{x:.{digits}g}")
    return int(value) if value.is_integer() and abs(value) < 1e15 else value


def money(x: float) -> float:
    """Currency amounts to the cent."""
    return round(x + 0.0, 2)


def need(condition: bool, message: str) -> None:
    """Raise the ValueError a caller sees as the tool's error message."""
    if not condition:
        raise ValueError(message)


def closest(word: str, options) -> str:
    """' (did you mean X?)' when an option is spelled like `word`, else ''."""
    import difflib

    match = difflib.get_close_matches(word, list(options), n=1, cutoff=0.6)
    return f" (did you mean {match[0]!r}?)" if match else ""


def parse_date(text: str, name: str = "date"):
    """An ISO date (YYYY-MM-DD), with an error that says which format is expected."""
    import datetime as dt

    try:
        return dt.date.fromisoformat(text)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be an ISO date YYYY-MM-DD, got {text!r}") from None


def parse_time(text: str, name: str = "time"):
    """A 24-hour HH:MM time."""
    import datetime as dt

    parts = text.split(":") if isinstance(text, str) else []
    if len(parts) != 2 or not all(p.isdigit() for p in parts) or len(parts[1]) != 2:
        raise ValueError(f"{name} must be a 24-hour time HH:MM, got {text!r}")
    try:
        return dt.time(int(parts[0]), int(parts[1]))
    except ValueError:
        raise ValueError(f"{name} must be a 24-hour time HH:MM, got {text!r}") from None


def safe_path(path: str) -> str:
    """A path inside the work dir that is not one of the runtime's own hidden files."""
    norm = os.path.normpath(path.strip().removeprefix("./")) if isinstance(path, str) else ""
    if not norm or norm == "." or norm.startswith(("/", "..")):
        raise ValueError(f"path {path!r} is outside the workspace")
    if any(part.startswith(".") for part in norm.split(os.sep)):
        raise ValueError(f"path {path!r} is hidden or reserved")
    return norm


def visible_files(root: str = ".") -> list[str]:
    """Every user file under root (relative, sorted), skipping the runtime's hidden state."""
    out = []
    for base, dirs, names in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(names):
            if not name.startswith("."):
                out.append(os.path.relpath(os.path.join(base, name), "."))
    return sorted(out)
